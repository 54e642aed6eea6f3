"""JSON bodies whose every malformed form is the client's 400. msgspec reports bad syntax as
``DecodeError`` (Litestar maps it), but invalid UTF-8 inside a string as ``UnicodeDecodeError``
and nesting deeper than its stack as ``RecursionError``: without this they were 500s."""

import asyncio
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException
from litestar.serialization import decode_json
from litestar.types import Empty

UNDECODABLE = (UnicodeDecodeError, RecursionError)
"""What msgspec raises for a body that is not JSON besides ``msgspec.DecodeError``."""


def why_undecodable(error: BaseException) -> str:
    """One readable line for a body msgspec could not read."""
    if isinstance(error, RecursionError):
        return "the JSON body is nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "the JSON body is not valid UTF-8"
    return str(error)


OFF_LOOP_BYTES = 32 * 1024
"""A body from this size is decoded in a worker thread: msgspec reads ~7 ms a megabyte, and an
8 MiB inline covariance held every other tenant's requests for that long."""


def _decoded(body: bytes, decoders: Any) -> Any:
    try:
        return decode_json(body, type_decoders=decoders)
    except UNDECODABLE as error:
        raise ClientException(detail=why_undecodable(error)) from None


class JsonSafeRequest(Request):
    """The app's request class: ``json()`` turns the undecodable into a 400 naming the body,
    and decodes a large body off the event loop (into the cache ``Request.json`` reads)."""

    async def json(self) -> Any:
        state = self._connection_state
        if state.json is Empty:
            body = await self.body()
            decoders = self.route_handler.resolve_type_decoders()
            if len(body) >= OFF_LOOP_BYTES:
                state.json = await asyncio.to_thread(_decoded, body, decoders)
            else:
                state.json = _decoded(body or b"null", decoders)
        return await super().json()


def decode(raw: bytes, kind: type, field: str) -> Any:
    """``raw`` as ``kind``, or a ``ValidationError`` naming ``field`` for any malformed body."""
    from domain.errors import ValidationError

    try:
        return msgspec.json.decode(raw, type=kind)
    except (msgspec.MsgspecError, *UNDECODABLE) as error:
        raise ValidationError(f"{field}: {why_undecodable(error)}", field=field) from None
