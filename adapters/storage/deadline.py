"""A deadline on one unit of work, for a database that stalls (connections open, nothing
answered: a hung proxy, a frozen server). Without it every request waited forever, /health
included, and the pool's own limit surfaced as an unmapped 500.

At the deadline the sockets of the connections the unit checked out are closed (no network
round trip: psycopg's own cancel would first wait up to 10 s on the stalled server) and its task
is cancelled; the unit of work then reports the outage. The connections are tracked through a
pool checkout event and a context variable, so each unit closes only its own.
"""

import asyncio
import contextvars
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine

_CHECKED_OUT: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "pfopt_checked_out", default=None
)


def track_checkouts(engine: AsyncEngine) -> None:
    """Record each connection checked out inside a ``Deadline`` (SQLAlchemy runs the event in
    a greenlet that shares the task's context), then ping it: the pool's own pre-ping runs
    before any checkout event, so a ping that stalls could not be cut short. A failed ping is
    a ``DisconnectionError``, on which the pool retries with a new connection (a database
    restart leaves every pooled connection dead). Use it with ``pool_pre_ping=False``."""

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        held = _CHECKED_OUT.get()
        if held is not None:
            held.append(record)
        try:
            cursor = dbapi.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise exc.DisconnectionError(f"the pooled connection is dead: {error}") from error

    event.listen(engine.sync_engine.pool, "checkout", checkout)


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
