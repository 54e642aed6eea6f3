"""The ``JobBoard`` port on PostgreSQL, so that any server process can report on any job.

The latest state of each job is a row of ``frontier_session``; every change is also sent with
``NOTIFY pfopt_frontier`` in the same statement, so a process that serves a WebSocket hears the
changes of a job that another process runs. Each process holds one listening connection (psycopg,
autocommit) and hands notifications to its local subscribers; it reconnects by itself after the
database restarts and then re-reads the state of every job it is watching, so a subscriber at
worst skips intermediate progress during an outage, never the final event. A cancel is a
notification too: the process running the job hears it and sets the job's flag.

Payloads stay under PostgreSQL's 8000-byte NOTIFY limit by sending a batch of states as several
JSON lists when needed (one state is about 150 bytes).

A job holds a lease: the process running it renews ``updated_at`` every quarter of ``lease_s``,
and any process fails a running job nobody renewed for ``lease_s`` (its process was killed or
lost the machine), with a final event, so no job reads "running" for good. A process sweeps only
after ``lease_s`` of reaching the database without a break: after an outage, the processes that
are alive renew their jobs first.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.storage.errors import storage_errors
from application.job_board import FINAL, State, Subscription, initial_state, taken, unknown
from domain.errors import StorageUnavailableError

CHANNEL = "pfopt_frontier"
PAYLOAD_LIMIT = 7000
log = logging.getLogger(__name__)

_LIVE = "(ended_at IS NULL OR ended_at > now() - make_interval(secs => :ttl))"


def _chunks(states: list[State]) -> Iterator[str]:
    """JSON lists of states, each under ``PAYLOAD_LIMIT`` bytes."""
    chunk: list[str] = []
    size = 2
    for state in states:
        encoded = json.dumps(state, separators=(",", ":"))
        if chunk and size + len(encoded) + 1 > PAYLOAD_LIMIT:
            yield "[" + ",".join(chunk) + "]"
            chunk, size = [], 2
        chunk.append(encoded)
        size += len(encoded) + 1
    if chunk:
        yield "[" + ",".join(chunk) + "]"


def _decoded(state: Any) -> State:
    """A ``json`` column read through ``text()`` comes back as a string (psycopg) or parsed."""
    return json.loads(state) if isinstance(state, str) else state


@asynccontextmanager
async def _storage() -> AsyncIterator[None]:
    with storage_errors():
        yield


class PostgresJobBoard:
    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        ttl_s: float = 600.0,
        reconnect_s: float = 1.0,
        lease_s: float = 30.0,
    ) -> None:
        self._engine = engine
        self._conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._ttl_s, self._reconnect_s, self._lease_s = ttl_s, reconnect_s, lease_s
        self._subscribers: dict[str, set[Subscription]] = {}
        self._cancel_callbacks: list[Callable[[str], None]] = []
        self._tasks: list[asyncio.Task] = []
        self._listening = asyncio.Event()
        self._mine: set[str] = set()
        """Jobs running in this process, whose lease it renews."""

    async def open(self) -> None:
        """Start the listener and the lease keeper; wait (at most 10 s) until the listener
        listens, so that a subscriber that arrives right after start-up hears every change."""
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._keep())]
        try:
            await asyncio.wait_for(self._listening.wait(), timeout=10)
        except TimeoutError:
            log.warning("job board: not listening yet, the database is unreachable; retrying")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _keep(self) -> None:
        """Renew this process's leases every quarter lease; fail expired ones of any process
        once this one has reached the database for a whole lease without a break."""
        loop = asyncio.get_running_loop()
        healthy_since: float | None = None
        while True:
            await asyncio.sleep(self._lease_s / 4)
            try:
                await self._renew()
                healthy_since = healthy_since or loop.time()
                if loop.time() - healthy_since >= self._lease_s:
                    await self._fail_expired()
            except StorageUnavailableError as error:
                healthy_since = None
                log.warning("job board: leases not renewed (%s)", error.reason or error.detail)
            except Exception:  # the keeper must outlive any one bad round
                healthy_since = None
                log.exception("job board: lease round failed")

    async def _renew(self) -> None:
        """Runs even with no job here: its success is what tells ``_keep`` the database is
        reachable."""
        async with _storage(), self._engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE frontier_session SET updated_at = now()"
                    " WHERE session_id = ANY(CAST(:ids AS text[])) AND ended_at IS NULL"
                ),
                {"ids": sorted(self._mine)},
            )

    async def _fail_expired(self) -> None:
        """Running jobs whose lease ran out end as failed, with a final event to their
        subscribers (rows another sweeper holds are skipped, not waited for)."""
        async with _storage(), self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT session_id, state FROM frontier_session WHERE ended_at IS NULL"
                        " AND updated_at < now() - make_interval(secs => :lease)"
                        " FOR UPDATE SKIP LOCKED"
                    ),
                    {"lease": self._lease_s},
                )
            ).all()
            ended = [self._lost(_decoded(state)) for _, state in rows]
            for state in ended:
                await connection.execute(
                    text(
                        "UPDATE frontier_session SET state = CAST(:state AS json),"
                        " status = 'failed', updated_at = now(), ended_at = now()"
                        " WHERE session_id = :id"
                    ),
                    {"id": state["session_id"], "state": json.dumps(state)},
                )
            await self._notify(connection, ended)
        for state in ended:
            log.warning("job board: job %s lost its process; marked failed", state["session_id"])

    def _lost(self, state: State) -> State:
        detail = (
            f"the server process running this job stopped (no sign of it for {self._lease_s:g}"
            " s); start the frontier again"
        )
        error = {"code": "job_lost", "detail": detail, "field": "session_id"}
        return {**state, "status": "failed", "error": error, "seq": state["seq"] + 1}

    @staticmethod
    async def _notify(connection: AsyncConnection, states: list[State]) -> None:
        for payload in _chunks(states):
            await connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": payload},
            )

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    await self._resync()
                    async for note in connection.notifies():
                        self._dispatch(json.loads(note.payload))
            except (psycopg.Error, OSError) as error:
                self._listening.clear()
                log.warning("job board: listener lost the database (%s); reconnecting", error)
                await asyncio.sleep(self._reconnect_s)

    async def _resync(self) -> None:
        """After a (re)connect, hand every watched job its stored state: changes sent while
        this process was not listening are not replayed by PostgreSQL."""
        for session_id, subscriptions in list(self._subscribers.items()):
            try:
                state = await self.get(session_id)
            except Exception:  # expired or unreachable: the next resync or event will tell
                continue
            for subscription in list(subscriptions):
                subscription.deliver(state)

    def _dispatch(self, message: Any) -> None:
        if isinstance(message, dict) and "cancel" in message:
            for callback in self._cancel_callbacks:
                callback(message["cancel"])
            return
        for state in message:
            for subscription in list(self._subscribers.get(state["session_id"], ())):
                subscription.deliver(state)

    async def create(self, session_id: str, owner: str | None = None) -> State:
        state = initial_state(session_id, owner)
        try:
            async with _storage(), self._engine.begin() as connection:
                await connection.execute(
                    text(f"DELETE FROM frontier_session WHERE NOT {_LIVE}"), {"ttl": self._ttl_s}
                )
                await connection.execute(
                    text(
                        "INSERT INTO frontier_session "
                        "(session_id, state, status, cancel_requested, updated_at) "
                        "VALUES (:id, CAST(:state AS json), 'running', false, now())"
                    ),
                    {"id": session_id, "state": json.dumps(state)},
                )
        except IntegrityError:
            raise taken(session_id) from None
        self._mine.add(session_id)
        return state

    async def publish(self, states: list[State]) -> None:
        last = states[-1]
        async with _storage(), self._engine.begin() as connection:
            cancel = await connection.execute(
                text(
                    "UPDATE frontier_session SET state = CAST(:state AS json), status = :status,"
                    " updated_at = now(), ended_at = CASE WHEN :final THEN now() END"
                    " WHERE session_id = :id RETURNING cancel_requested"
                ),
                {
                    "id": last["session_id"],
                    "state": json.dumps(last),
                    "status": last["status"],
                    "final": last["status"] in FINAL,
                },
            )
            requested = cancel.scalar()
            await self._notify(connection, states)
        if last["status"] in FINAL:
            self._mine.discard(last["session_id"])
        if requested and last["status"] not in FINAL:
            # A cancel whose NOTIFY this process missed (its listener was reconnecting) is
            # still in the row: every progress write of the running process picks it up.
            for callback in self._cancel_callbacks:
                callback(last["session_id"])

    async def get(self, session_id: str) -> State:
        async with _storage(), self._engine.connect() as connection:
            row = (
                await connection.execute(
                    text(f"SELECT state FROM frontier_session WHERE session_id = :id AND {_LIVE}"),
                    {"id": session_id, "ttl": self._ttl_s},
                )
            ).first()
        if row is None:
            raise unknown(session_id)
        return _decoded(row[0])

    async def request_cancel(self, session_id: str) -> State:
        async with _storage(), self._engine.begin() as connection:
            row = (
                await connection.execute(
                    text(
                        "UPDATE frontier_session SET cancel_requested = true"
                        f" WHERE session_id = :id AND {_LIVE} RETURNING state"
                    ),
                    {"id": session_id, "ttl": self._ttl_s},
                )
            ).first()
            if row is None:
                raise unknown(session_id)
            await connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": json.dumps({"cancel": session_id})},
            )
        return _decoded(row[0])

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        """Registered before the state is read, so no change falls between the two; changes
        already contained in that state are dropped by ``Subscription.next`` (``seq``)."""
        subscription = Subscription(session_id)
        watchers = self._subscribers.setdefault(session_id, set())
        watchers.add(subscription)
        try:
            subscription.state = await self.get(session_id)
            yield subscription
        finally:
            watchers.discard(subscription)
            if not watchers:
                self._subscribers.pop(session_id, None)
