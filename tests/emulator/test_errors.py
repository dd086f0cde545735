"""Every error is answered in DigitalOcean's envelope, with the request id in ``x-request-id``, is in the
request log, and is in the emulator's log (an unexpected exception with its traceback)."""

from __future__ import annotations

import logging

import httpx
import pytest

from ocean.emulator.pipeline import MAX_BODY_BYTES, MAX_JSON_DEPTH
from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import DROPLET


def envelope(response: httpx.Response, status: int, error_id: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"id", "message", "request_id"} and body["id"] == error_id
    assert body["request_id"] == response.headers["x-request-id"]
    message: str = body["message"]
    return message


HUGE_ID = "9" * 5000


@pytest.mark.parametrize(
    ("path", "template"),
    [
        (f"/v2/droplets/{HUGE_ID}", "/v2/droplets/{droplet_id}"),
        ("/v2/droplets/99999999999999999999", "/v2/droplets/{droplet_id}"),
        ("/v2/droplets/-5", "/v2/droplets/{droplet_id}"),
        ("/v2/droplets/abc", "/v2/droplets/{droplet_id}"),
        ("/v2/droplets/\u00b2", "/v2/droplets/{droplet_id}"),
        (f"/v2/droplets/{HUGE_ID}/actions/{HUGE_ID}", "/v2/droplets/{droplet_id}/actions/{action_id}"),
        (f"/v2/actions/{HUGE_ID}", "/v2/actions/{action_id}"),
        (f"/v2/images/{HUGE_ID}", "/v2/images/{image_id}"),
        (f"/v2/snapshots/{HUGE_ID}", "/v2/snapshots/{snapshot_id}"),
        (f"/v2/account/keys/{HUGE_ID}", "/v2/account/keys/{ssh_key_identifier}"),
        ("/v2/nothing/here", "*"),
    ],
    ids=lambda v: v[:40],
)
def test_ids_that_can_not_exist_answer_404(
    api: httpx.Client, ocean_emulator: RunningEmulator, path: str, template: str
) -> None:
    envelope(api.get(path), 404, "not_found")
    (entry,) = ocean_emulator.control.requests()["requests"]
    assert (entry["template"], entry["status"]) == (template, 404)


def test_bodies_too_deep_too_large_or_not_json(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    headers = {"content-type": "application/json"}
    deep = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert "nests deeper" in envelope(
        api.post("/v2/droplets", content=deep, headers=headers), 400, "bad_request"
    )
    nested = {"name": "x"}
    for _ in range(MAX_JSON_DEPTH):
        nested = {"name": nested}  # type: ignore[dict-item]
    assert "nests deeper" in envelope(api.post("/v2/tags", json=nested), 400, "bad_request")
    huge = b'{"name": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
    envelope(api.post("/v2/tags", content=huge, headers=headers), 413, "request_too_large")
    envelope(api.post("/v2/tags", content=b'{"name": NaN}', headers=headers), 400, "bad_request")
    long_int = b'{"name": "x", "size": ' + b"9" * 5000 + b"}"
    envelope(api.post("/v2/droplets", content=long_int, headers=headers), 400, "bad_request")
    statuses = [(e["template"], e["status"]) for e in ocean_emulator.control.requests()["requests"]]
    assert statuses == [
        ("/v2/droplets", 400), ("/v2/tags", 400), ("/v2/tags", 413), ("/v2/tags", 400), ("/v2/droplets", 400),
    ]  # fmt: skip
    # The emulator is still fine.
    assert api.post("/v2/droplets", json=DROPLET).status_code == 202


def test_an_unexpected_exception_is_a_500_in_the_envelope_with_its_traceback_logged(
    api: httpx.Client,
    ocean_emulator: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="ocean.emulator")

    def broken() -> list[object]:
        raise RuntimeError("the catalogue caught fire")

    monkeypatch.setattr(ocean_emulator.backend.catalogue, "regions", broken)
    failed = api.get("/v2/regions")
    envelope(failed, 500, "server_error")
    request_id = failed.headers["x-request-id"]
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert any("Traceback" in m and "the catalogue caught fire" in m for m in logged), logged
    assert any("error_answer" in m and "status=500" in m for m in logged)
    (entry,) = ocean_emulator.control.requests()["requests"]
    assert (entry["template"], entry["status"], entry["request_id"]) == ("/v2/regions", 500, request_id)
    # Other routes are unaffected.
    assert api.get("/v2/sizes").status_code == 200


def test_every_error_answer_is_logged_with_its_request_id(
    api: httpx.Client, ocean_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ocean.emulator")
    missing = api.get("/v2/droplets/12345")
    refused = httpx.post(f"{ocean_emulator.base_url}/_emulator/clock", json={"advance_s": -1})
    anonymous = httpx.get(f"{ocean_emulator.base_url}/v2/account")
    for response, status in [(missing, 404), (refused, 422), (anonymous, 401)]:
        request_id = response.headers["x-request-id"]
        assert any(
            request_id in r.getMessage() and f"status={status}" in r.getMessage() for r in caplog.records
        ), status


def test_unknown_paths_and_methods_answer_in_the_envelope(ocean_emulator: RunningEmulator) -> None:
    base = ocean_emulator.base_url
    envelope(httpx.get(f"{base}/nothing"), 401, "unauthorized")
    envelope(httpx.get(f"{base}/nothing", headers=ocean_emulator.headers), 404, "not_found")
    envelope(httpx.put(f"{base}/_emulator/reset", headers=ocean_emulator.headers), 404, "not_found")
    envelope(httpx.post(f"{base}/_emulator/nothing", headers=ocean_emulator.headers), 404, "not_found")
    envelope(httpx.patch(f"{base}/v2/droplets", headers=ocean_emulator.headers), 404, "not_found")
