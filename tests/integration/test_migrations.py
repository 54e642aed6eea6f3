"""Migrations on both engines: up, down to base, up again; and no drift from the models."""

import asyncio
import datetime as dt

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from adapters.migrations import current, downgrade, head, upgrade
from adapters.orm import Base
from adapters.schema_version import SCHEMA_HEAD, schema_state
from adapters.storage import make_engine, make_sync_engine
from adapters.storage.prices import SUMMARY
from adapters.storage.run_store import StoredPriceSource
from tests.storage import empty_postgres, postgres_url

TABLES = {
    "portfolio",
    "portfolio_asset",
    "optimization",
    "price_data",
    "asset",
    "frontier_session",
    "api_key",
    "price_series",
}


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/m.db"
    found = postgres_url()
    empty_postgres(found)
    return found


def _inspect(url: str):
    async def go():
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await connection.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
                )
            return tables, diff, await current(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_stairway_up_down_up(url: str) -> None:
    upgrade(url)
    tables, _, revision = _inspect(url)
    assert tables >= TABLES
    assert revision == head(url)
    downgrade(url, "base")
    tables, _, revision = _inspect(url)
    assert not (TABLES & tables)
    assert revision is None
    upgrade(url)
    assert _inspect(url)[2] == head(url)


def test_models_and_migrations_do_not_drift(url: str) -> None:
    upgrade(url)
    _, diff, _ = _inspect(url)
    assert diff == []


def test_the_schema_check_knows_the_newest_migration(url: str) -> None:
    """``SCHEMA_HEAD`` (what the CLI's schema check reads without Alembic) is Alembic's head,
    and the check reads each state as Alembic does."""
    assert head(url) == SCHEMA_HEAD
    assert schema_state(url)[0] is None
    upgrade(url, "0002")
    assert schema_state(url) == ("0002", True)
    upgrade(url)
    assert schema_state(url) == (SCHEMA_HEAD, True)


def test_upgrade_packs_the_stored_prices_into_series(url: str) -> None:
    """Prices stored before 0005 load the same after it: the migration builds their series."""
    upgrade(url, "0004")
    closes = [
        (t, f"2024-02-{d:02d}", round(1 + d * 1.1 + k, 4))
        for k, t in enumerate("AB")
        for d in (5, 1, 9)
    ]
    engine = make_sync_engine(url)
    with engine.begin() as connection:
        for ticker, day, close in closes:
            connection.execute(
                text("INSERT INTO price_data (ticker, date, close) VALUES (:t, :d, :c)"),
                {"t": ticker, "d": dt.date.fromisoformat(day), "c": close},
            )
    engine.dispose()
    upgrade(url)
    engine = make_sync_engine(url)
    try:
        history = StoredPriceSource(engine).load(["B", "A"])
        with engine.connect() as connection:  # closed: an open one holds the tables' locks
            summary = [tuple(row) for row in connection.execute(SUMMARY)]
    finally:
        engine.dispose()
    days = [dt.date(2024, 2, d) for d in (1, 5, 9)]
    assert history.dates == tuple(days)
    np.testing.assert_array_equal(
        history.closes, [[round(2 + d * 1.1, 4), round(1 + d * 1.1, 4)] for d in (1, 5, 9)]
    )
    assert summary == [("A", days[0], days[-1], 3, None), ("B", days[0], days[-1], 3, None)]
