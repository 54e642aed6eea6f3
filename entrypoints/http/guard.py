"""Raw ASGI middleware in front of everything: a path or query string holding a control
character (``%00``, a newline) is refused before routing. No stored id or name can hold one
(the domain refuses them), so such a path names nothing: 404; such a query is malformed: 400.
Without this a NUL reached PostgreSQL, which cannot hold it in text, as a database error."""

from typing import Any
from urllib.parse import unquote_to_bytes

from entrypoints.http.errors import refuse

_CONTROL = bytes(range(32)) + b"\x7f"


def _has_control(data: bytes) -> bool:
    return any(byte in _CONTROL for byte in data)


def _refusal(scope: dict[str, Any]) -> tuple[int, str, str] | None:
    if _has_control(scope["path"].encode("utf-8", "surrogateescape")):
        return 404, "path", "the path holds a control character: no resource has that name"
    query = scope.get("query_string", b"")
    if scope["type"] == "http" and query and _has_control(unquote_to_bytes(query)):
        return 400, "query", "the query string holds a control character"
    return None


def guard_middleware(app: Any) -> Any:
    async def middleware(scope, receive, send) -> None:
        refusal = _refusal(scope) if scope["type"] in ("http", "websocket") else None
        if refusal is None:
            await app(scope, receive, send)
            return
        status, field, detail = refusal
        await refuse(scope, receive, send, status, "http_error", detail, field)

    return middleware
