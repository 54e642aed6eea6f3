"""Raw ASGI middleware in front of everything: a path or query string holding a control
character (``%00``, a newline) is refused before routing. No stored id or name can hold one
(the domain refuses them), so such a path names nothing: 404; such a query is malformed: 400.
Without this a NUL reached PostgreSQL, which cannot hold it in text, as a database error."""

from typing import Any
from urllib.parse import unquote_to_bytes

from domain.model import CONTROL
from entrypoints.http.errors import refuse


def _refusal(scope: dict[str, Any]) -> tuple[int, str, str] | None:
    if CONTROL.search(scope["path"]):  # the domain's own rule for names, on the decoded path
        return 404, "path", "the path holds a control character: no resource has that name"
    query = scope.get("query_string", b"")
    if (
        scope["type"] == "http"
        and query
        and CONTROL.search(unquote_to_bytes(query).decode("latin-1"))
    ):
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
