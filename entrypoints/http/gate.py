"""Admission and scheduling of solves in one server process: refuse at once beyond a limit
(503 with Retry-After), then run admitted solves in arrival order in a light and a heavy lane."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from domain.errors import BusyError

HEAVY_ASSETS = int(os.environ.get("PFOPT_HEAVY_ASSETS", "1000"))
"""A solve is heavy from this many assets (a frontier: assets x points / 25 from this many)."""


class SolveGate:
    """At most ``limit`` solves admitted at once in this process (``PFOPT_MAX_CONCURRENT_SOLVES``);
    beyond that a request is answered 503 with Retry-After at once instead of queueing without
    bound. Admitted solves then run in arrival order in two lanes: light ones ``cores`` at a time
    (more threads than cores only fight over the GIL, and the thread pool's free-for-all left a
    few requests waiting seconds behind later ones), heavy ones (``HEAVY_ASSETS``) one at a time
    in a lane of their own, so a 5000-asset, 200-point frontier never holds up small requests."""

    def __init__(self, limit: int, cores: int | None = None, heavy_limit: int = 2) -> None:
        self.limit, self.running, self.stopping = limit, 0, False
        self.heavy_limit, self.heavy_running = heavy_limit, 0
        self._light = asyncio.Semaphore(max(1, cores or os.cpu_count() or 1))
        self._heavy = asyncio.Semaphore(1)

    def acquire(self, heavy: bool = False) -> None:
        """Admit a solve or refuse it at once; heavy ones are counted apart (one running, one
        waiting), so queued heavy work never fills the admission of small requests."""
        if self.stopping:
            raise BusyError("the server is shutting down: retry on another", field="request")
        if heavy:
            if self.heavy_running >= self.heavy_limit:
                raise BusyError(
                    f"{self.heavy_running} large solves are admitted, the limit is "
                    f"{self.heavy_limit}: retry shortly",
                    field="request",
                )
            self.heavy_running += 1
            return
        if self.running >= self.limit:
            raise BusyError(
                f"{self.running} solves are running, the limit is {self.limit}: retry shortly",
                field="request",
            )
        self.running += 1

    def release(self, heavy: bool = False) -> None:
        if heavy:
            self.heavy_running -= 1
        else:
            self.running -= 1

    def stop(self) -> None:
        """Admit nothing more (shutdown): every new solve gets 503 with Retry-After."""
        self.stopping = True

    @asynccontextmanager
    async def turn(self, heavy: bool = False) -> AsyncIterator[None]:
        """Wait (FIFO) for the lane of an already admitted solve."""
        async with self._heavy if heavy else self._light:
            yield

    @asynccontextmanager
    async def slot(self, heavy: bool = False) -> AsyncIterator[None]:
        self.acquire(heavy)
        try:
            async with self.turn(heavy):
                yield
        finally:
            self.release(heavy)
