"""Graceful shutdown on SIGTERM, in front of the server's own handling.

uvicorn (one process or each of ``--workers``) installs a SIGTERM handler that stops accepting
connections and then closes WebSockets with 1012, which would cut a job's subscribers off before
its final event. So the app takes SIGTERM first: it stops admitting solves (503 with
Retry-After), gives running frontier jobs ``grace_s`` seconds to finish, cancels the rest (a
cancelled run is kept in history with status ``cancelled``), lets every subscriber receive its
final event, and only then hands the signal to the server's handler.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Drain:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self._task: asyncio.Task | None = None

    def install(
        self, jobs: Any, stop_admitting: Callable[[], None], flush_s: float = 0.3
    ) -> Callable[[], None]:
        """Take SIGTERM on the running loop; returns an undo. Does nothing outside the main
        thread (a test client) or when no server handler is installed."""
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return lambda: None

        async def drain() -> None:
            stop_admitting()
            log.warning("SIGTERM: draining (grace %.1f s)", self.grace_s)
            if not await jobs.drain(self.grace_s):
                jobs.cancel_all()
                await jobs.drain(self.grace_s)  # bounded: a database outage must not hang it
            await asyncio.sleep(flush_s)  # sockets send their final events and close
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, previous)
            previous(signal.SIGTERM, None)

        def on_term() -> None:
            # Further SIGTERMs (systemd signals every process, then uvicorn's parent does too)
            # must not kill the drain half-way: they are ignored until it hands over.
            loop.add_signal_handler(signal.SIGTERM, lambda: None)
            self._task = loop.create_task(drain())

        try:
            loop.add_signal_handler(signal.SIGTERM, on_term)
        except (ValueError, RuntimeError):  # not the main thread
            return lambda: None

        def undo() -> None:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)

        return undo
