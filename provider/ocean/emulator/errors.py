"""Errors the backend raises; handlers turn them into DigitalOcean's ``{id, message, request_id}``
envelope."""

from __future__ import annotations

NOT_FOUND_MESSAGE = "The resource you were accessing could not be found."


class EmulatorError(Exception):
    """A DigitalOcean API error: HTTP status, error id and message."""

    def __init__(self, status: int, error_id: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message


def not_found(message: str = NOT_FOUND_MESSAGE) -> EmulatorError:
    return EmulatorError(404, "not_found", message)


def unprocessable(message: str) -> EmulatorError:
    return EmulatorError(422, "unprocessable_entity", message)


def bad_request(message: str) -> EmulatorError:
    return EmulatorError(400, "bad_request", message)


def forbidden(message: str) -> EmulatorError:
    return EmulatorError(403, "forbidden", message)


def conflict(message: str) -> EmulatorError:
    return EmulatorError(409, "conflict", message)


def precondition_failed(message: str) -> EmulatorError:
    return EmulatorError(412, "precondition_failed", message)
