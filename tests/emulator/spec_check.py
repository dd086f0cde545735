"""Validating emulator traffic against DigitalOcean's OpenAPI spec with openapi-core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.openapi_spec import SPEC_PATH, load_spec

__all__ = ["SPEC_PATH", "SpecChecker", "load_spec"]

SPEC_HOST = "https://api.digitalocean.com"


@dataclass
class SpecRequest:
    method: str
    path_pattern: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters
    host_url: str = SPEC_HOST


@dataclass
class SpecResponse:
    status_code: int
    data: bytes | None
    content_type: str
    headers: Headers = field(default_factory=Headers)


class SpecChecker:
    """Checks requests and responses against the spec, by DigitalOcean path template."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from openapi_core import Config

        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))  # type: ignore[arg-type]
        self.checked: set[tuple[str, str, int]] = set()

    def _request(self, response: httpx.Response, template: str, path_params: dict[str, Any]) -> SpecRequest:
        req = response.request
        query = ImmutableMultiDict(list(req.url.params.multi_items()))
        params = RequestParameters(
            query=query,
            header=Headers(dict(req.headers)),
            path={k: str(v) for k, v in path_params.items()},
        )
        body = req.content or None
        return SpecRequest(
            method=req.method.lower(),
            path_pattern=template,
            path=req.url.path,
            body=body,
            content_type=req.headers.get("content-type", "application/json"),
            parameters=params,
        )

    def response(self, response: httpx.Response, template: str, **path_params: Any) -> None:
        """Assert ``response`` is one the spec allows for ``template`` (e.g. "/v2/droplets/{droplet_id}")."""
        request = self._request(response, template, path_params)
        spec_response = SpecResponse(
            status_code=response.status_code,
            data=response.content if response.content else None,
            content_type=response.headers.get("content-type", "application/json"),
            headers=Headers(dict(response.headers)),
        )
        self.openapi.validate_response(request, spec_response)  # type: ignore[arg-type]
        self.checked.add((request.method, template, response.status_code))

    def request_body(self, method: str, template: str, body: Any, **path_params: Any) -> list[str]:
        """Errors the spec finds in a request body (empty when the spec accepts it)."""
        import json

        request = SpecRequest(
            method=method.lower(),
            path_pattern=template,
            path=template.format(**path_params) if path_params else template,
            body=json.dumps(body).encode(),
            content_type="application/json",
            parameters=RequestParameters(
                query=ImmutableMultiDict(),
                header=Headers({"Authorization": "Bearer x"}),
                path={k: str(v) for k, v in path_params.items()},
            ),
        )
        return [str(e) for e in self.openapi.iter_request_errors(request)]  # type: ignore[arg-type]
