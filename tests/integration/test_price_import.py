"""Price import through the real store: atomic, idempotent, safe under concurrency."""

import asyncio
from pathlib import Path

import numpy as np
import pytest

from adapters.csv_prices import CsvPriceSource, write_prices
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.import_prices import ImportPrices
from domain.errors import InvalidPriceDataError
from tests.conftest import make_market
from tests.storage import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    return fresh_database(request.param, tmp_path)


def _csv(tmp_path: Path, name: str, **kwargs) -> Path:
    path = tmp_path / name
    with path.open("w", newline="") as handle:
        write_prices(make_market(**kwargs).history, handle)
    return path


async def _summary(url: str):
    engine = make_engine(url)
    try:
        async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
            return [(s.ticker, s.first, s.last, s.rows) for s in await uow.prices.summary()]
    finally:
        await engine.dispose()


async def _import(url: str, path: Path):
    engine = make_engine(url)
    try:
        return await ImportPrices(SqlAlchemyUnitOfWorkFactory(engine)).execute(CsvPriceSource(path))
    finally:
        await engine.dispose()


def test_reimport_changes_nothing(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path, "p.csv", n_assets=4, n_days=50, seed=1)
    report = asyncio.run(_import(url, path))
    assert (report.rows, report.added, report.changed, report.unchanged) == (200, 200, 0, False)
    before = asyncio.run(_summary(url))
    again = asyncio.run(_import(url, path))
    assert (again.rows, again.added, again.changed, again.unchanged) == (200, 0, 0, True)
    assert asyncio.run(_summary(url)) == before


def test_reimport_counts_new_and_changed_prices(url: str, tmp_path: Path) -> None:
    path = _csv(tmp_path, "p.csv", n_assets=3, n_days=40, seed=1)
    asyncio.run(_import(url, path))
    lines = path.read_text().splitlines()
    cells = lines[5].split(",")
    cells[1] = str(float(cells[1]) * 1.01)  # one close revised
    lines[5] = ",".join(cells)
    extra = _csv(tmp_path, "more.csv", n_assets=3, n_days=41, seed=1).read_text().splitlines()
    path.write_text("\n".join([*lines, extra[-1]]) + "\n")  # and one more day
    report = asyncio.run(_import(url, path))
    assert (report.rows, report.added, report.changed) == (123, 3, 1)
    assert [rows for *_, rows in asyncio.run(_summary(url))] == [41, 41, 41]


def test_one_bad_row_in_the_middle_leaves_the_store_as_it_was(url: str, tmp_path: Path) -> None:
    asyncio.run(_import(url, _csv(tmp_path, "good.csv", n_assets=3, n_days=30, seed=2)))
    before = asyncio.run(_summary(url))
    bad = _csv(tmp_path, "bad.csv", n_assets=3, n_days=60, seed=3)
    lines = bad.read_text().splitlines()
    cells = lines[30].split(",")
    cells[2] = "-4.0"
    lines[30] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidPriceDataError, match=r"bad\.csv line 31, column 'FIN02'"):
        asyncio.run(_import(url, bad))
    assert asyncio.run(_summary(url)) == before


def test_concurrent_overlapping_imports_leave_no_duplicates(url: str, tmp_path: Path) -> None:
    a = _csv(tmp_path, "a.csv", n_assets=6, n_days=300, seed=4)
    b = _csv(tmp_path, "b.csv", n_assets=6, n_days=300, seed=5)  # same tickers and dates

    async def both():
        return await asyncio.gather(_import(url, a), _import(url, b))

    reports = asyncio.run(both())
    assert all(r.rows == 1800 for r in reports)
    summary = asyncio.run(_summary(url))
    assert len(summary) == 6
    assert all(rows == 300 for *_, rows in summary)


def test_loaded_back_equals_the_file(url: str, tmp_path: Path) -> None:
    market = make_market(n_assets=5, n_days=40, seed=6, gap_rate=0.05)
    path = tmp_path / "g.csv"
    with path.open("w", newline="") as handle:
        write_prices(market.history, handle)
    asyncio.run(_import(url, path))

    async def load():
        engine = make_engine(url)
        try:
            async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
                return await uow.prices.load(list(market.history.tickers))
        finally:
            await engine.dispose()

    loaded = asyncio.run(load())
    assert loaded.dates == market.history.dates
    np.testing.assert_allclose(loaded.closes, market.history.closes, equal_nan=True)
