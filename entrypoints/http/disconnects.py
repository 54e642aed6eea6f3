"""A request's work stops when its client goes away.

A solve runs in a worker thread, which asyncio cannot interrupt: cancelling the handler would
leave the thread solving for nobody while it holds an admission slot. Instead the handler
watches the connection (the ASGI ``http.disconnect`` message) beside the work, and on a
disconnect sets the run's cancellation token, which the exact engine checks between
breakpoints and the frontier between points; the slot is given back once the thread stopped.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from litestar import Request

from domain.errors import RunCancelledError
from domain.frontier import CancellationToken

T = TypeVar("T")


class Cancel:
    """A ``CancellationToken`` set from the event loop, read by the solver thread."""

    def __init__(self) -> None:
        self.cancelled = False

    def is_cancelled(self) -> bool:
        return self.cancelled


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone (the body is already read, so nothing else arrives)."""
    while (await request.receive())["type"] != "http.disconnect":
        await asyncio.sleep(0)


async def unless_disconnected(
    request: Request, work: Callable[[CancellationToken], Awaitable[T]]
) -> T:
    """``await work(cancel)``; if the client disconnects first, cancel it, wait until it has
    stopped, and raise ``RunCancelledError`` (nobody reads the answer). The work is awaited
    in the handler's own task, with only the watch beside it (a second task and
    ``asyncio.wait`` per request cost more than the watch)."""
    cancel = Cancel()

    async def watch() -> None:
        await _disconnected(request)
        cancel.cancelled = True

    watcher = asyncio.ensure_future(watch())
    try:
        result = await work(cancel)
    finally:
        watcher.cancel()
    if cancel.cancelled:
        raise RunCancelledError("the client went away; the solve was stopped")
    return result
