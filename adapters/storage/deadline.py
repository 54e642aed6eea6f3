"""A deadline on one unit of work, for a database that stalls (connections open, nothing
answered: a hung proxy, a frozen server). Without it every request waited forever, /health
included, and the pool's own limit surfaced as an unmapped 500.

At the deadline the sockets of the connections the unit checked out are closed (no network
round trip: psycopg's own cancel would first wait up to 10 s on the stalled server) and its task
is cancelled; the unit of work then reports the outage. The connections are tracked through a
pool checkout event and a context variable, so each unit closes only its own.
"""

import asyncio
import contextlib
import contextvars
import os
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, exc

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

_CHECKED_OUT: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "pfopt_checked_out", default=None
)


def track_checkouts(engine: "AsyncEngine | Engine") -> None:
    """Record each connection checked out inside a ``Deadline`` (SQLAlchemy runs the event in
    a greenlet that shares the task's context) or from a pool with ``limit_holds``, then ping
    it: the pool's own pre-ping runs before any checkout event, so a ping that stalls could not
    be cut short. A failed ping is a ``DisconnectionError``, on which the pool retries with a
    new connection (a database restart leaves every pooled connection dead). Use it with
    ``pool_pre_ping=False``."""
    pool = getattr(engine, "sync_engine", engine).pool
    is_async = hasattr(engine, "sync_engine")

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        # A worker thread inherits its task's context: only the async engine's connections
        # belong to the task's deadline (it closes them from the loop's own thread).
        held = _CHECKED_OUT.get() if is_async else None
        if held is not None:
            held.append(record)
        limit = _LIMITS.get(pool)
        if limit is not None:
            _WATCH.hold(record, limit)
        try:
            cursor = dbapi.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise exc.DisconnectionError(f"the pooled connection is dead: {error}") from error

    def checkin(_dbapi: Any, record: Any) -> None:
        _WATCH.release(record)

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)


_LIMITS: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()


def limit_holds(engine: "Engine", seconds: float) -> None:
    """Bound how long a connection of this synchronous engine (a server's worker threads: run
    loads, history appends) stays checked out: past ``seconds`` its socket is shut down, so a
    thread blocked on a stalled database gets a connection error (an outage, 503) instead of
    waiting for ever. A thread cannot be cancelled, and libpq's own finish is not safe from
    another thread; shutting the socket down is. Idempotent; pings must be tracked
    (``track_checkouts``) on the engine."""
    _LIMITS[engine.pool] = seconds


class _Watch:
    """One daemon thread for every limited pool: checks held connections twice a second."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, record: Any, seconds: float) -> None:
        with self._lock:
            self._held[id(record)] = (record, time.monotonic() + seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="db-holds")
                self._thread.start()

    def release(self, record: Any) -> None:
        with self._lock:
            self._held.pop(id(record), None)

    def _run(self) -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with self._lock:
                late = [r for r, until in self._held.values() if until < now]
                for record in late:
                    del self._held[id(record)]
            for record in late:
                _shut_down(record)


_WATCH = _Watch()


def _shut_down(record: Any) -> None:
    """Shut the socket of a pooled psycopg connection down (any thread may)."""
    pgconn = getattr(record.driver_connection, "pgconn", None)
    try:
        fd = pgconn.socket if pgconn is not None else -1
    except Exception:  # already closed
        return
    if fd < 0:
        return
    with contextlib.suppress(OSError):
        duplicate = socket.socket(fileno=os.dup(fd))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()


class Deadline:
    """Started on entering a unit of work, stopped on leaving it; ``expired`` says whether it
    fired (then the task has been cancelled once, and ``settle`` takes that back)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False

    def start(self) -> None:
        self._held: list[Any] = []
        self._token = _CHECKED_OUT.set(self._held)
        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.seconds, self._expire)

    def _expire(self) -> None:
        self.expired = True
        for record in self._held:
            pgconn = getattr(record.driver_connection, "pgconn", None)  # psycopg only
            if pgconn is not None:
                pgconn.finish()  # closes the socket; the waiting query fails at once
        if self._task is not None:
            self._task.cancel()

    def stop(self) -> None:
        self._timer.cancel()
        _CHECKED_OUT.reset(self._token)

    def settle(self) -> None:
        """After an expiry: the cancellation was ours, not the caller's; take it back."""
        if self._task is not None:
            self._task.uncancel()

    async def __aenter__(self) -> "Deadline":
        self.start()
        return self

    async def __aexit__(self, kind: Any, error: Any, trace: Any) -> None:
        """As a block of its own: an expiry is a ``TimeoutError`` (an outage to the stores)."""
        self.stop()
        if self.expired:
            self.settle()
            raise TimeoutError(f"no answer within {self.seconds:g} s") from error
