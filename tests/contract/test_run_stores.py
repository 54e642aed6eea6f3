"""The two run stores of an SQLite file, SQLAlchemy's and the standard library's
(``adapters.storage.sqlite_native``, what a CLI run uses): the same loads, errors and schema
state, and byte-equal history rows, read back alike through the repository."""

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from adapters.migrations import downgrade, upgrade
from adapters.schema_version import schema_state
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from adapters.storage.engines import make_sync_engine
from adapters.storage.run_store import SqlAlchemyRunStore
from adapters.storage.sqlite_native import SqliteRunStore, connect, sqlite_file
from adapters.storage.sqlite_native import schema_state as native_state
from domain.constraints import Budget, LongOnly
from domain.errors import ConflictError, NotFoundError, StorageUnavailableError
from domain.model import Asset, Portfolio
from domain.prices import PriceHistory
from domain.records import OptimizationRecord, StoredPortfolio

DAYS = [dt.date(2024, 1, d) for d in (2, 3, 4, 5)]
PRICES = PriceHistory(
    DAYS,
    ["AAA", "BBB", "CCC"],
    [[10.0, 20.0, np.nan], [11.5, np.nan, 7.0], [12.25, 21.0, 7.5], [12.0, 22.0, 8.0]],
)
RECORD = OptimizationRecord(
    "r1",
    "single",
    "max_sharpe",
    {"objective": {"kind": "max_sharpe", "risk_free_rate": 0.01}, "name": "é"},
    {"weights": {"AAA": 0.6, "BBB": 0.4}, "sharpe": 1.0 / 3.0, "nan": float("nan")},
    "optimal",
    12.345,
    created_at=dt.datetime(2026, 12, 3, 9, 8, 7, 654321, tzinfo=dt.UTC),
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    upgrade(url)

    async def fill() -> None:
        engine = make_engine(url)
        try:
            async with SqlAlchemyUnitOfWorkFactory(engine)() as u:
                await u.prices.upsert(PRICES)
                await u.portfolios.add(
                    StoredPortfolio(
                        "p1",
                        Portfolio("core", (Asset("AAA"), Asset("BBB")), (Budget(), LongOnly())),
                    )
                )
                await u.commit()
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return url


def _stores(url: str):
    engine = make_sync_engine(url)
    connection = connect(sqlite_file(url))
    return (SqlAlchemyRunStore(engine), SqliteRunStore(connection, url)), (engine, connection)


def test_both_stores_load_the_same_prices_and_portfolio(url: str) -> None:
    (ours, native), (engine, connection) = _stores(url)
    try:
        for tickers, start, end in [
            (None, None, None),
            (["CCC", "AAA"], None, None),
            (["BBB"], DAYS[1], DAYS[2]),
            (["AAA", "CCC"], DAYS[1], None),
        ]:
            a, b = ours.prices.load(tickers, start, end), native.prices.load(tickers, start, end)
            assert a.tickers == b.tickers and a.dates == b.dates
            np.testing.assert_array_equal(a.closes, b.closes)
        for store in (ours, native):
            with pytest.raises(NotFoundError, match="'ZZZ'"):
                store.prices.load(["AAA", "ZZZ"])
            with pytest.raises(NotFoundError, match="'CCC' in that date range"):
                store.prices.load(["CCC"], end=DAYS[0])
            assert store.portfolio("core").id == "p1"
            with pytest.raises(NotFoundError):
                store.portfolio("nope")
    finally:
        engine.dispose()
        connection.close()


def test_both_stores_write_the_same_history_row(url: str, tmp_path: Path) -> None:
    other = f"sqlite+aiosqlite:///{tmp_path}/other.db"
    upgrade(other)
    (ours, _), (engine, c1) = _stores(url)
    (_, native), (e2, connection) = _stores(other)
    try:
        ours.append(RECORD)
        native.append(RECORD)
        with pytest.raises(ConflictError):
            native.append(RECORD)  # the same id twice
    finally:
        engine.dispose(), e2.dispose(), c1.close(), connection.close()
    rows = [
        sqlite3.connect(sqlite_file(u)).execute("SELECT * FROM optimization").fetchall()
        for u in (url, other)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == 1

    async def read(u: str) -> OptimizationRecord:
        engine = make_engine(u)
        try:
            async with SqlAlchemyUnitOfWorkFactory(engine)() as unit:
                return await unit.optimizations.get("r1")
        finally:
            await engine.dispose()

    back = asyncio.run(read(other))
    assert back.created_at == RECORD.created_at and back.params == RECORD.params


def test_both_read_the_schema_state_alike(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    for step in (None, "0002", "head", "base"):
        if step == "base":
            downgrade(url, "base")
        elif step is not None:
            upgrade(url, step)
        connection = connect(sqlite_file(url))
        try:
            assert native_state(connection) == schema_state(url), step
        finally:
            connection.close()


def test_only_a_plain_sqlite_file_takes_the_native_store() -> None:
    assert sqlite_file("sqlite+aiosqlite:////data/p.db") == "/data/p.db"
    assert sqlite_file("sqlite:///rel/p.db") == "rel/p.db"
    assert sqlite_file("sqlite+pysqlite:///p.db") == "p.db"
    for url in (
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///p.db?mode=ro",
        "postgresql+psycopg://postgres@127.0.0.1/test",
    ):
        assert sqlite_file(url) is None, url


def test_an_unopenable_file_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailableError, match="database is unavailable") as caught:
        connect(str(tmp_path / "no-such-folder" / "p.db"))
    assert caught.value.field == "database"


def test_a_lost_postgresql_connection_during_a_series_read_is_a_storage_error() -> None:
    """The series are read on the driver's binary cursor, beside SQLAlchemy: its errors are
    translated too (a connection killed under the read)."""
    from sqlalchemy import text

    from adapters.storage.prices import SeriesQuery
    from tests.storage import postgres_url

    url = postgres_url()
    upgrade(url)
    engine, killer = make_sync_engine(url), make_sync_engine(url)
    try:
        connection = engine.connect()
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(StorageUnavailableError, match="database is unavailable"):
            SeriesQuery(["AAA"], None, None).rows(connection)
        connection.invalidate()  # dead: the pool drops it rather than rolling it back
        connection.close()
    finally:
        engine.dispose()
        killer.dispose()
