"""A request's work stops when its client goes away.

A solve runs in a worker thread, which asyncio cannot interrupt: cancelling the handler would
leave the thread solving for nobody while it holds an admission slot. Instead the handler
watches the connection (the ASGI ``http.disconnect`` message) beside the work, and on a
disconnect sets the run's cancellation token, which the exact engine checks between
breakpoints and the frontier between points; the slot is given back once the thread stopped.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from litestar import Request

from domain.errors import BusyError, RunCancelledError
from domain.frontier import CancellationToken

T = TypeVar("T")


YIELD_S = 0.002
"""How long a solver thread steps aside when ``yields()`` asks it to (the GIL goes to others)."""


class Cancel:
    """A ``CancellationToken`` set from the event loop, read by the solver thread; it also
    reads as set once ``stopping()`` is true (a server shutting down stops its solves). The
    solver asks it before every step, so it is also where a solve of a busy owner steps aside
    for a moment while ``yields()`` says another owner's solve is running."""

    def __init__(
        self,
        stopping: Callable[[], bool] = lambda: False,
        yields: Callable[[], bool] = lambda: False,
    ) -> None:
        self.cancelled = False
        self._stopping, self._yields = stopping, yields

    def is_cancelled(self) -> bool:
        if self._yields():
            time.sleep(YIELD_S)
        return self.cancelled or self._stopping()


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone (the body is already read, so nothing else arrives)."""
    while (await request.receive())["type"] != "http.disconnect":
        await asyncio.sleep(0)


async def unless_disconnected(
    request: Request,
    work: Callable[[CancellationToken], Awaitable[T]],
    stopping: Callable[[], bool] = lambda: False,
    yields: Callable[[], bool] = lambda: False,
) -> T:
    """``await work(cancel)``; if the client disconnects first, cancel it, wait until it has
    stopped, and raise ``RunCancelledError`` (nobody reads the answer). The work is awaited
    in the handler's own task, with only the watch beside it (a second task and
    ``asyncio.wait`` per request cost more than the watch). When ``stopping()`` turns true
    (SIGTERM) the work is stopped too, and the client told to retry elsewhere (503)."""
    cancel = Cancel(stopping, yields)

    async def watch() -> None:
        await _disconnected(request)
        cancel.cancelled = True

    watcher = asyncio.ensure_future(watch())
    try:
        result = await work(cancel)
    except RunCancelledError:
        if stopping() and not cancel.cancelled:
            raise BusyError("the server is shutting down: retry", field="request") from None
        raise
    finally:
        watcher.cancel()
    if cancel.cancelled:
        raise RunCancelledError("the client went away; the solve was stopped")
    return result
