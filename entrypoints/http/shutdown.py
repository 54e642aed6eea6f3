"""Graceful shutdown on SIGTERM, in front of the server's own handling.

uvicorn (one process or each of ``--workers``) installs a SIGTERM handler that stops accepting
connections and then closes WebSockets with 1012, which would cut a job's subscribers off before
its final event. So the app takes SIGTERM first: it stops admitting solves (503 with
Retry-After), gives running frontier jobs ``grace_s`` seconds to finish, cancels the rest (a
cancelled run is kept in history with status ``cancelled``), lets every subscriber receive its
final event, and only then hands the signal to the server's handler, which waits at most
``HANDOVER_S`` for requests still in flight.

A solve in a worker thread cannot be interrupted from outside, and the interpreter joins those
threads before it exits: a heavy single solve kept a server alive a minute after SIGTERM. So
the drain also starts a watchdog: ``grace_s + FORCE_AFTER_S`` after the signal the process ends
(exit status 1, logged) whatever is still running. Nothing is half-written by it: every store
write is one transaction, and an unfinished run simply has no history entry.
"""

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

HANDOVER_S = 3.0
"""How long the server's own handler waits for in-flight requests (uvicorn's
``timeout_graceful_shutdown``); they had the whole grace period already."""
FORCE_AFTER_S = HANDOVER_S + 2.0
"""Beyond the grace period, how long until the watchdog ends the process."""


def _force_exit(after_s: float) -> None:
    log.error("shutdown: work still running %.1f s after SIGTERM; exiting now", after_s)
    logging.shutdown()
    os._exit(1)


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
                await jobs.drain(min(self.grace_s, 2.0))  # bounded: an outage must not hang it
            await asyncio.sleep(flush_s)  # sockets send their final events and close
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, previous)
            previous(signal.SIGTERM, None)

        def on_term() -> None:
            # Further SIGTERMs (systemd signals every process, then uvicorn's parent does too)
            # must not kill the drain half-way: they are ignored until it hands over.
            loop.add_signal_handler(signal.SIGTERM, lambda: None)
            limit = self.grace_s + FORCE_AFTER_S
            watchdog = threading.Timer(limit, _force_exit, args=(limit,))
            watchdog.daemon = True
            watchdog.start()
            self._task = loop.create_task(drain())

        try:
            loop.add_signal_handler(signal.SIGTERM, on_term)
        except (ValueError, RuntimeError):  # not the main thread
            return lambda: None

        def undo() -> None:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)

        return undo
