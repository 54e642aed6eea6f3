"""Domain errors to RFC 9457 problem responses: the HTTP API's only error mapping."""

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.errors import (
    BusyError,
    ChartError,
    ClusterUnavailableError,
    ConflictError,
    DomainError,
    NotFoundError,
    OptimizationError,
    RunCancelledError,
    SolverFailedError,
    SolverTimeoutError,
    StorageUnavailableError,
    TooManyJobsError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationError,
)
from entrypoints.http.observability import note_problem

log = logging.getLogger("pfopt.http")
PROBLEM = "application/problem+json"
STATUS: list[tuple[type[DomainError], int]] = [
    (UnauthorizedError, 401),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RunCancelledError, 409),
    (SolverTimeoutError, 504),
    (SolverFailedError, 422),
    (StorageUnavailableError, 503),
    (ClusterUnavailableError, 503),
    (TooManyJobsError, 429),
    (TooManyRequestsError, 429),
    (BusyError, 503),
    (ChartError, 500),
    (OptimizationError, 422),
    (ValidationError, 422),
    (DomainError, 400),
]


def problem(status: int, code: str, detail: str, field: str | None = None) -> dict[str, Any]:
    """The RFC 9457 body every refusal uses, from a handler or from raw ASGI middleware."""
    body: dict[str, Any] = {
        "type": f"https://pfopt.dev/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field:
        body["field"] = field
    return body


def problem_headers(status: int) -> dict[str, str]:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    return {"Retry-After": "5"} if status in (429, 503) else {}


async def refuse(
    scope, receive, send, status: int, code: str, detail: str, field: str | None
) -> None:
    """Answer from raw ASGI middleware: a problem response, or for a WebSocket the handshake
    accepted then closed with 4000 + ``status`` (a close before accepting reaches a browser as
    a bare 403, without the code)."""
    note_problem(scope, code)
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4000 + status, "reason": detail[:120]})
        return
    body = msgspec.json.encode(problem(status, code, detail, field))
    headers = [(b"content-type", PROBLEM.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem_headers(status).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _problem(status: int, code: str, detail: str, field: str | None = None) -> Response:
    return Response(
        problem(status, code, detail, field),
        status_code=status,
        media_type=PROBLEM,
        headers=problem_headers(status),
    )


def domain_error(request: Request, error: DomainError) -> Response:
    status = next(code for kind, code in STATUS if isinstance(error, kind))
    note_problem(request.scope, error.code)
    if (
        isinstance(error, StorageUnavailableError) and error.reason
    ):  # the operator's, not the client's
        log.warning("%s %s: %s (%s)", request.method, request.url.path, error.detail, error.reason)
    return _problem(status, error.code, error.detail, error.field)


def _field(extra: list) -> str:
    """The field a body error is about: its path, or the unknown field's name."""
    first = next((e for e in extra if isinstance(e, dict)), {})
    key = str(first.get("key") or "data")
    message = str(first.get("message", ""))
    missing = re.search(r"missing required field `([^`]+)`", message)
    if missing:  # the field that is missing, under the object that lacks it
        return missing.group(1) if key == "data" else f"{key}.{missing.group(1)}"
    if key != "data":
        return key
    unknown = re.search(r"unknown field `([^`]+)`", message)
    return unknown.group(1) if unknown else "body"


def invalid_request(request: Request, error: ValidationException) -> Response:
    note_problem(request.scope, "invalid_request")
    extra = error.extra if isinstance(error.extra, list) else []
    detail = "; ".join(
        f"{e.get('key', 'body')}: {e.get('message')}" for e in extra if isinstance(e, dict)
    ) or str(error.detail)
    return _problem(400, "invalid_request", detail, _field(extra))


HTTP_FIELDS = {400: "body", 404: "path", 405: "method", 413: "body", 415: "content-type"}


def http_error(request: Request, error: HTTPException) -> Response:
    status = error.status_code
    note_problem(request.scope, "http_error")
    return _problem(status, "http_error", str(error.detail), HTTP_FIELDS.get(status, "request"))


def internal_error(request: Request, error: Exception) -> Response:
    """A bug: logged with its traceback, answered as a problem without internals."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    note_problem(request.scope, "internal_error")
    return _problem(500, "internal_error", "internal error (logged on the server)", "request")


HANDLERS = {
    DomainError: domain_error,
    ValidationException: invalid_request,
    HTTPException: http_error,
    Exception: internal_error,
}
