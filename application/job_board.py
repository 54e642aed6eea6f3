"""Where frontier jobs keep their state and how its changes reach subscribers.

A job's state is one small JSON-able dict (``session_id``, ``status``, ``current``, ``total``,
``message``, ``seq``, and at the end ``optimization_id`` or ``error``). ``seq`` grows by one per
change, so a subscriber that reads the state and then receives changes can drop the ones it has
already seen: that is what lets a late subscriber start from the latest state without a gap or a
repeat, whichever process runs the job. ``MemoryJobBoard`` serves one process;
``adapters.postgres_job_board`` shares jobs between processes through PostgreSQL.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from domain.errors import ConflictError, NotFoundError

FINAL = ("done", "failed", "cancelled")
State = dict[str, Any]


def initial_state(session_id: str, owner: str | None = None) -> State:
    state: State = {
        "session_id": session_id,
        "status": "running",
        "current": 0,
        "total": 0,
        "message": "queued",
        "seq": 0,
    }
    if owner is not None:
        state["owner"] = owner
    return state


def public(state: State) -> State:
    """What a client sees of a job's state (the owner stays inside)."""
    return {k: v for k, v in state.items() if k != "owner"}


def unknown(session_id: str) -> NotFoundError:
    return NotFoundError(f"no frontier session {session_id!r}", field="session_id")


def taken(session_id: str) -> ConflictError:
    return ConflictError(f"frontier session {session_id!r} already exists", field="session_id")


class Subscription:
    """The state at subscription time, then every later change in ``seq`` order."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.state: State = {}
        self._queue: asyncio.Queue[State] = asyncio.Queue()

    def deliver(self, state: State) -> None:
        self._queue.put_nowait(state)

    async def next(self) -> State:
        """The next change after the last one returned (or after ``state``)."""
        while True:
            state = await self._queue.get()
            if state["seq"] > self.state["seq"]:
                self.state = state
                return state


class JobBoard(Protocol):
    """Job state shared by every process that serves the API."""

    async def open(self) -> None:
        """Start listening (called once at server start-up)."""

    async def close(self) -> None: ...

    async def create(self, session_id: str, owner: str | None = None) -> State:
        """A new running job of ``owner``; ``ConflictError`` if the id is in use."""

    async def publish(self, states: list[State]) -> None:
        """Store the last of ``states`` (in ``seq`` order) and deliver each to subscribers."""

    async def get(self, session_id: str) -> State:
        """The latest state; ``NotFoundError`` once unknown or expired."""

    async def request_cancel(self, session_id: str) -> State:
        """Ask whichever process runs the job to stop it; returns the current state."""

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        """``callback(session_id)`` runs in this process when any process asks for a cancel."""

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        """Changes of one job; ``NotFoundError`` on entry if it is unknown."""


class MemoryJobBoard:
    """One process's jobs in a dict; ended jobs are dropped ``ttl_s`` seconds after they end."""

    def __init__(self, ttl_s: float = 600.0) -> None:
        self._ttl_s = ttl_s
        self._states: dict[str, State] = {}
        self._ended: dict[str, float] = {}
        self._subscribers: dict[str, set[Subscription]] = {}
        self._cancel_callbacks: list[Callable[[str], None]] = []

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._ended.items() if now - t > self._ttl_s]:
            del self._states[key], self._ended[key]

    async def create(self, session_id: str, owner: str | None = None) -> State:
        self._sweep()
        if session_id in self._states:
            raise taken(session_id)
        state = self._states[session_id] = initial_state(session_id, owner)
        return state

    async def publish(self, states: list[State]) -> None:
        for state in states:
            key = state["session_id"]
            self._states[key] = state
            if state["status"] in FINAL:
                self._ended[key] = time.monotonic()
            for subscription in self._subscribers.get(key, ()):
                subscription.deliver(state)

    async def get(self, session_id: str) -> State:
        self._sweep()
        if session_id not in self._states:
            raise unknown(session_id)
        return self._states[session_id]

    async def request_cancel(self, session_id: str) -> State:
        state = await self.get(session_id)
        for callback in self._cancel_callbacks:
            callback(session_id)
        return state

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(session_id)
        subscription.state = await self.get(session_id)
        self._subscribers.setdefault(session_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers[session_id].discard(subscription)
