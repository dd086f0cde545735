"""One exception hierarchy for everything the DigitalOcean client raises.

``error_from_response`` is the only place an HTTP response becomes an exception. Every API error carries
DigitalOcean's error ``id``, ``message`` and ``request_id`` plus the request's method and path, and its
message says what to do next where there is something to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .models.action import Action


class OceanError(Exception):
    """Base of every exception raised by ``ocean.api``."""


class ApiError(OceanError):
    """DigitalOcean answered with an error, or could not be reached."""

    retryable: bool = False
    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
        base_url: str = "",
    ) -> None:
        self.status = status
        self.error_id = error_id
        self.message = message
        self.request_id = request_id
        self.method = method
        self.path = path
        self.retry_after = retry_after
        # The API endpoint the request went to (set for failures to reach it, so a wrong
        # `ocean:apiEndpoint` shows in the message).
        self.base_url = base_url
        super().__init__(self._render())

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}" if self.base_url else self.path

    @property
    def reason(self) -> str:
        """DigitalOcean's message and request id, in short."""
        text = (
            f"HTTP {self.status} {self.message}"
            if self.status and not self.message.startswith("HTTP")
            else self.message
        )
        return f"{text} (request id {self.request_id})" if self.request_id else text

    def _render(self) -> str:
        head = "DigitalOcean API error"
        if self.status is not None:
            head += f" {self.status}"
        if self.error_id:
            head += f" {self.error_id}"
        where = f" on {self.method} {self.path}" if self.method else ""
        text = f"{head}{where}: {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._render())
    return err


class BadRequest(ApiError):
    """400: the request was malformed."""


class Unauthorized(ApiError):
    """401: the token is missing, wrong or revoked."""

    hint = (
        "Check the DigitalOcean API token: `pulumi config set --secret ocean:token <token>`, or the "
        "DIGITALOCEAN_TOKEN environment variable"
    )


class Forbidden(ApiError):
    """403: the token lacks the scope for this operation."""

    hint = "The token lacks a scope this operation needs"


class NotFound(ApiError):
    """404: the resource does not exist (or no longer exists)."""


class Conflict(ApiError):
    """409: the request conflicts with the resource's state (e.g. a name already taken)."""


class PreconditionFailed(ApiError):
    """412: e.g. the account has no container registry subscription yet."""


class Unprocessable(ApiError):
    """422: DigitalOcean understood the request but will not do it."""


class PendingEvent(Unprocessable):
    """422 "Droplet already has a pending event.": refused, so safe to retry once the event finishes."""

    retryable = True


class RateLimited(ApiError):
    """429: over DigitalOcean's rate limit (250/minute, 5,000/hour)."""

    retryable = True


class ServerError(ApiError):
    """5xx: DigitalOcean failed to handle the request."""

    retryable = True


class TransportError(ApiError):
    """DigitalOcean could not be reached, or the connection failed mid-request."""

    retryable = True

    def _render(self) -> str:
        return (
            f"DigitalOcean API request {self.method} {self.url} failed: {self.message}. Check the API "
            "endpoint (`ocean:apiEndpoint` or DIGITALOCEAN_API_URL) and the network"
        )


class AmbiguousRequestError(TransportError):
    """A non-idempotent request (POST) failed after it may have reached DigitalOcean: a 5xx, a timeout
    or a connection lost after the request was sent.

    Retrying it blindly could create a second resource; look the resource up (by name or tag) first
    (``ocean.resources.adoption`` does).
    """

    retryable = False

    def _render(self) -> str:
        return (
            f"the answer to {self.method} {self.url} was lost ({self.reason}): DigitalOcean may have "
            "carried the request out. It was not repeated, so that it is not carried out twice"
        )


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: Unprocessable,
    429: RateLimited,
}


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None


def error_from_response(
    response: httpx.Response, method: str | None = None, path: str | None = None
) -> ApiError:
    """Map an error response to the one exception class that describes it."""
    status = response.status_code
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    error_id = message = request_id = None
    if isinstance(body, dict):
        error_id = _str_or_none(body.get("id"))
        message = _str_or_none(body.get("message"))
        request_id = _str_or_none(body.get("request_id"))
    request_id = request_id or response.headers.get("x-request-id")
    if not message:
        message = response.reason_phrase or f"HTTP {status}"
    if method is None or path is None:
        req: httpx.Request | None
        try:
            req = response.request
        except RuntimeError:
            req = None
        method = method or (req.method if req is not None else "")
        path = path or (req.url.path if req is not None else "")
    cls: type[ApiError]
    if status == 422 and "pending event" in message.lower():
        cls = PendingEvent
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    return cls(
        message,
        status=status,
        error_id=error_id,
        request_id=request_id,
        method=method,
        path=path,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class ActionErrored(OceanError):
    """A DigitalOcean action ended as ``errored``."""

    def __init__(self, action: Action, what: str | None = None) -> None:
        self.action = action
        self.action_id = action.id
        self.action_type = action.type
        self.resource_id = action.resource_id
        self.resource_type = action.resource_type
        self.what = what
        subject = f"{what}: " if what else ""
        super().__init__(
            f"{subject}DigitalOcean action {action.id} ({action.type}) on {action.resource_type} "
            f"{action.resource_id} errored. DigitalOcean gives no reason for failed actions; check the "
            "resource in the control panel, then retry"
        )


class WaitError(OceanError):
    """A wait ended without its resource reaching the wanted state."""

    def __init__(
        self,
        what: str,
        elapsed_s: float,
        last_status: str | None,
        action_id: int | None = None,
        reason: str = "",
    ) -> None:
        self.what = what
        self.elapsed_s = elapsed_s
        self.last_status = last_status
        self.action_id = action_id
        ident = f" (action {action_id})" if action_id is not None else ""
        super().__init__(f"{what}{ident}: {reason} after {elapsed_s:.1f}s; last status {last_status!r}")


class WaitTimeout(WaitError):
    """The deadline passed before the resource reached the wanted state. It may still get there."""


class WaitCancelled(WaitError):
    """The wait was cancelled (e.g. the user pressed Ctrl-C). The operation itself goes on."""


class WaitFailed(WaitError):
    """The resource reached a state it will not recover from (e.g. a firewall ``failed``)."""


class GarbageCollectionFailed(OceanError):
    """A registry garbage collection ended as ``failed``."""

    def __init__(self, registry: str, uuid: str) -> None:
        self.registry = registry
        self.uuid = uuid
        super().__init__(f"garbage collection {uuid} of registry {registry} failed")


__all__ = [
    "ActionErrored", "AmbiguousRequestError", "ApiError", "BadRequest", "Conflict", "Forbidden",
    "GarbageCollectionFailed", "NotFound", "OceanError", "PendingEvent", "PreconditionFailed",
    "RateLimited", "ServerError", "TransportError", "Unauthorized", "Unprocessable", "WaitCancelled",
    "WaitError", "WaitFailed", "WaitTimeout", "error_from_response", "parse_retry_after",
]  # fmt: skip
