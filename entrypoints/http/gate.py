"""Admission and scheduling of solves in one server process, fair across owners (API keys).

Two lanes, light and heavy (``HEAVY_ASSETS``), so a 5000-asset frontier never holds up small
requests. In each lane a request is first admitted or refused at once (never an unbounded
queue): beyond the lane's limit 503, beyond the owner's share of it 429, both with Retry-After.
An owner's share is below the lane's limit, so one key flooding the server cannot take every
place. Admitted requests then wait for a turn: a lane runs ``workers`` at a time (more threads
than cores only fight over the GIL), and the next turn goes to the waiting owner with the
fewest solves running, then the one served least recently (round robin across owners), first
come first served within one owner. An owner with nothing running may start at once even
when the workers are busy, up to twice their number: a tenant's 2-asset request is answered in
milliseconds beside another's flood of 800-asset solves instead of waiting seconds for a worker.
Without API keys every request has the owner ``None``, whose share is the whole lane.
"""

import asyncio
import os
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from domain.errors import BusyError, TooManyRequestsError

HEAVY_ASSETS = int(os.environ.get("PFOPT_HEAVY_ASSETS", "1000"))
"""A solve is heavy from this many assets (a frontier: assets x points / 25 from this many)."""

Owner = str | None


class Lane:
    """One lane: admission counts by owner, and round-robin turns among ``workers``."""

    def __init__(self, name: str, workers: int, limit: int, share: int) -> None:
        self.name, self.workers, self.limit, self.share = name, max(1, workers), limit, share
        self.admitted: Counter[Owner] = Counter()
        self.running: Counter[Owner] = Counter()
        self.busy = 0
        self._waiting: dict[Owner, deque[asyncio.Future[None]]] = {}
        self._served: dict[Owner, int] = {}  # owner -> the turn it last started
        self._turns = 0

    @property
    def total(self) -> int:
        return sum(self.admitted.values())

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    def admit(self, owner: Owner) -> None:
        if self.total >= self.limit:
            raise BusyError(
                f"{self.total} {self.name} solves are admitted, the limit is {self.limit}: "
                "retry shortly",
                field="request",
            )
        if owner is not None and self.admitted[owner] >= self.share:
            raise TooManyRequestsError(
                f"{self.admitted[owner]} {self.name} solves of yours are admitted, the limit "
                f"per API key is {self.share} (PFOPT_MAX_SOLVES_PER_OWNER): retry when one ends",
                field="request",
            )
        self.admitted[owner] += 1

    def leave(self, owner: Owner) -> None:
        self.admitted[owner] -= 1
        if not self.admitted[owner]:
            del self.admitted[owner]

    def _may_start(self, owner: Owner) -> bool:
        if self.busy < self.workers:
            return True
        return self.running[owner] == 0 and self.busy < 2 * self.workers

    def _start(self, owner: Owner) -> None:
        self.busy += 1
        self.running[owner] += 1
        self._turns += 1
        self._served[owner] = self._turns

    def _finish(self, owner: Owner) -> None:
        self.busy -= 1
        self.running[owner] -= 1
        if not self.running[owner]:
            del self.running[owner]
        self._wake()

    def _wake(self) -> None:
        """Give turns while a waiting owner may start: fewest running first, then the one
        served least recently."""
        while True:
            ready = [owner for owner in self._waiting if self._may_start(owner)]
            if not ready:
                return
            owner = min(ready, key=lambda o: (self.running[o], self._served.get(o, 0)))
            queue = self._waiting[owner]
            future = queue.popleft()
            if not queue:
                del self._waiting[owner]
            self._start(owner)
            future.set_result(None)

    @asynccontextmanager
    async def turn(self, owner: Owner) -> AsyncIterator[None]:
        if owner not in self._waiting and self._may_start(owner):
            self._start(owner)
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(owner, deque()).append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._finish(owner)  # granted, then abandoned: pass the turn on
                else:
                    self._withdraw(owner, future)
                raise
        try:
            yield
        finally:
            self._finish(owner)

    def _withdraw(self, owner: Owner, future: asyncio.Future[None]) -> None:
        queue = self._waiting.get(owner)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self._waiting[owner]


class SolveGate:
    """The two lanes of one process. Light: ``limit`` admitted (``PFOPT_MAX_CONCURRENT_SOLVES``),
    ``cores`` workers; heavy: ``heavy_limit`` admitted, one worker. An owner's share of each is
    ``share`` (``PFOPT_MAX_SOLVES_PER_OWNER``, default half the limit), at least 1 and below
    the limit whenever the limit allows."""

    def __init__(
        self,
        limit: int,
        cores: int | None = None,
        heavy_limit: int = 2,
        share: int | None = None,
    ) -> None:
        self.stopping = False
        workers = cores or os.cpu_count() or 1
        self.light = Lane("light", workers, limit, _share(limit, share))
        self.heavy = Lane("large", 1, heavy_limit, _share(heavy_limit, share))

    def lane(self, heavy: bool) -> Lane:
        return self.heavy if heavy else self.light

    def acquire(self, heavy: bool = False, owner: Owner = None) -> None:
        """Admit a solve or refuse it at once (503 for the lane, 429 for the owner)."""
        if self.stopping:
            raise BusyError("the server is shutting down: retry on another", field="request")
        self.lane(heavy).admit(owner)

    def release(self, heavy: bool = False, owner: Owner = None) -> None:
        self.lane(heavy).leave(owner)

    def stop(self) -> None:
        """Admit nothing more (shutdown): every new solve gets 503 with Retry-After."""
        self.stopping = True

    def should_yield(self, owner: Owner) -> bool:
        """Whether a running solve of ``owner`` should step aside for a moment: another owner
        with fewer solves running is running one now. Threads share one GIL, so without this
        a flood's three solver threads took four fifths of it and a 20 ms request of another
        tenant took half a second; the exact engine asks before every KKT solve. Read from
        solver threads without a lock: a stale count only delays or skips one pause."""
        if owner is None:
            return False
        mine = self._running(owner)
        others = [*self.light.running, *self.heavy.running]  # copies, taken under the GIL
        return any(self._running(other) < mine for other in others if other != owner)

    def _running(self, owner: Owner) -> int:
        return self.light.running[owner] + self.heavy.running[owner]

    def turn(self, heavy: bool = False, owner: Owner = None):
        """Wait for the turn of an already admitted solve (an async context manager)."""
        return self.lane(heavy).turn(owner)

    @asynccontextmanager
    async def slot(self, heavy: bool = False, owner: Owner = None) -> AsyncIterator[None]:
        self.acquire(heavy, owner)
        try:
            async with self.turn(heavy, owner):
                yield
        finally:
            self.release(heavy, owner)


def _share(limit: int, share: int | None) -> int:
    if share is None:
        share = int(os.environ.get("PFOPT_MAX_SOLVES_PER_OWNER", "0")) or limit // 2
    return max(1, min(share, limit - 1)) if limit > 1 else max(1, limit)


class OwnedGate:
    """The gate as one request's owner uses it: the same calls, with the owner filled in."""

    def __init__(self, gate: SolveGate, owner: Owner) -> None:
        self.gate, self.owner = gate, owner

    @property
    def stopping(self) -> bool:
        return self.gate.stopping

    def acquire(self, heavy: bool = False) -> None:
        self.gate.acquire(heavy, self.owner)

    def release(self, heavy: bool = False) -> None:
        self.gate.release(heavy, self.owner)

    def turn(self, heavy: bool = False):
        return self.gate.turn(heavy, self.owner)

    def slot(self, heavy: bool = False):
        return self.gate.slot(heavy, self.owner)

    def should_yield(self) -> bool:
        return self.gate.should_yield(self.owner)
