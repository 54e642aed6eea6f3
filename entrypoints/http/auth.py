"""API keys on every ``/api`` and ``/ws`` route, as raw ASGI middleware so that both HTTP and
WebSocket connections are checked before any handler runs.

The key arrives as ``Authorization: Bearer <key>``; a WebSocket may instead put it in the
``access_token`` query parameter, because browsers cannot set headers on a WebSocket. The
owner (the key's name) goes into the ASGI scope as ``pfopt_owner``; handlers scope every store
access and every job to it. Refusals: HTTP 401 problem with ``WWW-Authenticate: Bearer``;
WebSocket closed with 4401 right after the handshake.
"""

from typing import Any
from urllib.parse import parse_qs

from domain.errors import StorageUnavailableError, UnauthorizedError
from entrypoints.http.errors import refuse

PROTECTED = ("/api", "/ws")


def _token(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer":
                return token.strip()
    if scope["type"] == "websocket":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return (query.get("access_token") or [""])[0]
    return ""


def auth_middleware(app: Any) -> Any:
    async def middleware(scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(PROTECTED):
            await app(scope, receive, send)
            return
        policy = scope["app"].state.auth
        try:
            if await policy.enabled():
                token = _token(scope)
                if not token:
                    raise UnauthorizedError(
                        "this service requires an API key: send Authorization: Bearer <key>",
                        field="authorization",
                    )
                scope["pfopt_owner"] = await policy.keys.owner_of(token)
        except UnauthorizedError as error:
            await refuse(scope, receive, send, 401, error.code, error.detail, error.field)
            return
        except StorageUnavailableError as error:
            await refuse(scope, receive, send, 503, error.code, error.detail, "database")
            return
        await app(scope, receive, send)

    return middleware
