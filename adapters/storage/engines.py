"""The engines of one database, made here and nowhere else: the async engine every unit of work
uses, and its synchronous twin on the same database for worker threads (the run journal)."""

import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine, create_engine, event, make_url

if TYPE_CHECKING:  # the async side is imported when an async engine is made
    from sqlalchemy.ext.asyncio import AsyncEngine


DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
"""The async driver of each database pfopt runs on (psycopg serves sync connections too)."""


def with_driver(url: "str | URL") -> URL:
    """``url`` on pfopt's driver: a user may well write ``sqlite:///file.db`` or
    ``postgresql://host/db``, which name SQLAlchemy's synchronous defaults (psycopg2 is not
    even installed); any other database is left as given, for its own error."""
    parsed = make_url(url)
    driver = DRIVERS.get(parsed.get_backend_name())
    return parsed if driver is None else parsed.set(drivername=driver)


POOL_TIMEOUT_S = 3.0
"""How long a request waits for a free connection before the outage is reported (503): every
connection busy means the database is stalled or swamped; SQLAlchemy's default is 30 s."""
POSTGRES_CONNECT = {
    "connect_timeout": 3,  # seconds, the whole handshake (libpq's; psycopg applies it)
    "options": "-c statement_timeout=120000",  # ms: the server ends a runaway statement
}


def make_engine(url: "str | URL") -> "AsyncEngine":
    """An async engine: for PostgreSQL a pool whose connections are pinged on checkout, with
    connect, pool and statement timeouts (a stalled database must be reported, not waited on);
    for SQLite a 30 s busy timeout."""
    from sqlalchemy.ext.asyncio import create_async_engine

    url = with_driver(url)

    if url.get_backend_name() == "postgresql":
        engine = create_async_engine(
            url,
            pool_pre_ping=False,  # track_checkouts pings, where a deadline can cut it short
            pool_size=5,
            max_overflow=10,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=POSTGRES_CONNECT,
        )
        from adapters.storage.deadline import track_checkouts

        track_checkouts(engine)
        return engine
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=NORMAL syncs at checkpoints instead
    # of every commit (a committed run survives a crash of pfopt, not of the machine's power).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sync_engine(url: "str | URL") -> Engine:
    """A synchronous engine on the database of an async URL (the CLI's runs, and the twin of an
    async engine): SQLite through the standard library's driver, PostgreSQL through psycopg's
    synchronous connection."""
    url = with_driver(url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url.set(drivername="sqlite+pysqlite"), connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=False,  # track_checkouts pings, where a hold limit reaches it
        pool_size=2,
        max_overflow=8,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args=POSTGRES_CONNECT,
    )
    from adapters.storage.deadline import track_checkouts

    track_checkouts(engine)
    return engine


_TWINS: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def sync_twin(engine: "AsyncEngine") -> Engine:
    """A synchronous engine on the same database as ``engine``, for ``SqlAlchemyRunJournal``
    (worker threads). One per async engine, made on first use and disposed with it, so callers
    keep managing one engine. SQLite goes through the standard library's driver, PostgreSQL
    through psycopg's synchronous connection."""
    found = _TWINS.get(engine.sync_engine)
    if found is not None:
        return found
    twin = make_sync_engine(engine.url)
    _TWINS[engine.sync_engine] = twin
    event.listen(engine.sync_engine, "engine_disposed", lambda _: twin.dispose())
    return twin
