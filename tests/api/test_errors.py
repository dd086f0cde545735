# ruff: noqa: E501 - long literal tables read better on one line
from __future__ import annotations

import pickle

import httpx
import pytest

from ocean.api import errors
from ocean.api.errors import error_from_response

from ._support import err


def _req(method: str = "POST", path: str = "/v2/droplets") -> httpx.Request:
    return httpx.Request(method, f"https://api.digitalocean.com{path}")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (412, errors.PreconditionFailed),
        (422, errors.Unprocessable),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.ApiError),
    ],
)
def test_status_maps_to_one_class(status: int, cls: type[errors.ApiError]) -> None:
    r = err(status, "some_id", "boom")
    r.request = _req()
    e = error_from_response(r)
    assert type(e) is cls
    assert isinstance(e, errors.ApiError)
    assert (e.status, e.error_id, e.message, e.request_id) == (status, "some_id", "boom", "req-1")
    assert (e.method, e.path) == ("POST", "/v2/droplets")


def test_message_format() -> None:
    r = err(422, "unprocessable_entity", "Name is invalid", request_id="abc-123")
    e = error_from_response(r, "POST", "/v2/droplets")
    assert str(e) == (
        "DigitalOcean API error 422 unprocessable_entity on POST /v2/droplets: Name is invalid "
        "(request id abc-123)"
    )


def test_pending_event_is_its_own_retryable_kind() -> None:
    e = error_from_response(
        err(422, "unprocessable_entity", "Droplet already has a pending event."),
        "POST",
        "/v2/droplets/1/actions",
    )
    assert isinstance(e, errors.PendingEvent)
    assert isinstance(e, errors.Unprocessable)
    assert e.retryable
    plain = error_from_response(err(422, "unprocessable_entity", "Size is invalid"), "POST", "/x")
    assert type(plain) is errors.Unprocessable and not plain.retryable


def test_non_json_error_body_and_header_request_id() -> None:
    r = httpx.Response(502, text="<html>bad gateway</html>", headers={"x-request-id": "hdr-1"})
    e = error_from_response(r, "GET", "/v2/regions")
    assert isinstance(e, errors.ServerError)
    assert e.request_id == "hdr-1"
    assert "Bad Gateway" in e.message


def test_retry_after_parsed() -> None:
    e = error_from_response(err(429, "too_many_requests", "slow down", {"retry-after": "7"}), "GET", "/v2/x")
    assert isinstance(e, errors.RateLimited) and e.retry_after == 7.0


def test_transport_errors_are_api_errors() -> None:
    assert issubclass(errors.TransportError, errors.ApiError)
    assert issubclass(errors.AmbiguousRequestError, errors.TransportError)
    e = errors.AmbiguousRequestError("ReadTimeout", method="POST", path="/v2/droplets")
    assert "POST /v2/droplets" in str(e) and "may have carried the request out" in str(e)
    assert str(e).count("not repeated") == 1 and "retried" not in str(e)
    assert not e.retryable


def test_an_error_reaching_the_api_names_the_endpoint_url() -> None:
    e = errors.TransportError(
        "ConnectError: All connection attempts failed",
        method="GET",
        path="/v2/regions",
        base_url="http://127.0.0.1:9",
    )
    assert "GET http://127.0.0.1:9/v2/regions" in str(e) and "ocean:apiEndpoint" in str(e)


def test_a_5xx_answer_to_a_post_says_what_digitalocean_said() -> None:
    e = errors.AmbiguousRequestError(
        "Server Error", status=500, request_id="r-1", method="POST", path="/v2/vpcs", base_url="https://x"
    )
    assert "https://x/v2/vpcs" in str(e) and "HTTP 500 Server Error (request id r-1)" in str(e)


def test_unauthorized_names_this_providers_token_setting() -> None:
    e = error_from_response(err(401, "unauthorized", "Unable to authenticate you"), "GET", "/v2/account")
    assert "ocean:token" in str(e) and "digitalocean:token" not in str(e)


def test_errors_pickle_round_trip() -> None:
    e = error_from_response(err(404, "not_found", "gone"), "GET", "/v2/droplets/1")
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is errors.NotFound and str(e2) == str(e) and e2.request_id == "req-1"
