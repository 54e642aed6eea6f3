"""Database fixtures shared by the storage tests: a migrated SQLite file, and PostgreSQL from
PFOPT_TEST_DATABASE_URL (a missing server fails the run when PFOPT_REQUIRE_POSTGRES=1)."""

import asyncio
import os

import pytest
from sqlalchemy import text

from adapters.migrations import upgrade
from adapters.storage import make_engine, make_sync_engine


def postgres_url() -> str:
    url = os.environ.get("PFOPT_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("PFOPT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PFOPT_REQUIRE_POSTGRES=1 but PFOPT_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need PFOPT_TEST_DATABASE_URL")

    async def ping() -> None:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(ping())
    except Exception as error:
        if os.environ.get("PFOPT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at PFOPT_TEST_DATABASE_URL is unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    return url


_OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
LEFT_OPEN = f"SELECT pid, state, left(query, 60) {_OTHERS} AND state LIKE 'idle in transaction%'"
END_LEFT_OPEN = f"SELECT pg_terminate_backend(pid) {_OTHERS} AND state LIKE 'idle in transaction%'"


def empty_postgres(url: str) -> None:
    """Drop every table of the PostgreSQL database: a clean start whatever an earlier test left
    (a downgrade would refuse data an older revision cannot hold, e.g. closes above 1e12)."""
    engine = make_sync_engine(url)
    try:
        with engine.begin() as connection:
            # A session an earlier test left open in a transaction (a killed server's, a
            # leaked connection) would hold locks the drop waits for: end them, and say so.
            left = connection.execute(text(LEFT_OPEN)).all()
            if left:
                print(f"empty_postgres: ended {len(left)} sessions left open: {left}")
                connection.execute(text(END_LEFT_OPEN))
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def fresh_database(kind: str, tmp_path) -> str:
    """An empty database at the head revision."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    else:
        url = postgres_url()
        empty_postgres(url)
    upgrade(url)
    return url
