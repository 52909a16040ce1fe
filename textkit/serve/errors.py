"""One error shape for every answer that isn't a success:
``{"error": {"type": ..., "message": ..., "param": ...}}``, never a traceback."""

from __future__ import annotations

from starlette.responses import JSONResponse

# status -> the error type clients can switch on
TYPES = {
    400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "timeout", 413: "payload_too_large",
    415: "unsupported_media_type", 429: "too_many_requests", 500: "internal_error",
    503: "not_ready",
}  # fmt: skip


class ApiError(Exception):
    """A request the server refuses, with the HTTP status and (where one field is to blame)
    the name of that field."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return error_response(self.status, self.message, self.param, headers)


def error_response(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message, param), status_code=status, headers=headers)


def error_body(status: int, message: str, param: str | None = None) -> dict:
    return {"error": {"type": TYPES.get(status, "error"), "message": message, "param": param}}
