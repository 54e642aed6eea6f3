"""Price store benchmark: import 500 tickers x 2520 days (1.26 M rows), then load 500 tickers x
5 years back into a returns matrix, on PostgreSQL and SQLite, beside pandas ``to_sql`` /
``read_sql`` on the same data and database measured in the same run.

    PFOPT_BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        python -m tests.benchmarks.bench_store

The PostgreSQL database is emptied (schema downgraded and upgraded) first: do not point it at
data you keep. Not a test: timings belong here, not in CI.
"""

import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine

from adapters.csv_prices import CsvPriceSource, write_prices
from adapters.migrations import downgrade, upgrade
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.generate_sample_prices import GenerateSamplePrices, GenerateSamplePricesCommand
from application.import_prices import ImportPrices
from domain.returns import simple_returns


async def _import(url: str, path: Path) -> float:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        await ImportPrices(SqlAlchemyUnitOfWorkFactory(engine)).execute(CsvPriceSource(path))
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def _load(url: str, tickers: list[str], start: dt.date) -> tuple[float, tuple[int, int]]:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
            history = await uow.prices.load(tickers, start=start)
        returns = simple_returns(history).returns
        return time.perf_counter() - started, returns.shape
    finally:
        await engine.dispose()


def _pandas(url: str, path: Path, tickers: list[str], start: dt.date) -> tuple[float, float]:
    """The peer: pandas to_sql (multi-row INSERTs) into a fresh table, read_sql + pivot back."""
    engine = create_engine(url.replace("+aiosqlite", ""))
    wide = pd.read_csv(path, parse_dates=["date"])
    started = time.perf_counter()
    long = wide.melt(id_vars="date", var_name="ticker", value_name="close").dropna()
    long.to_sql(
        "bench_pandas_prices",
        engine,
        if_exists="replace",
        index=False,
        method="multi",
        chunksize=10000,
    )
    imported = time.perf_counter() - started
    started = time.perf_counter()
    frame = pd.read_sql(
        f"SELECT ticker, date, close FROM bench_pandas_prices WHERE date >= '{start.isoformat()}'",
        engine,
    )
    frame.pivot(index="date", columns="ticker", values="close")[tickers].pct_change().dropna()
    loaded = time.perf_counter() - started
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_pandas_prices")
    engine.dispose()
    return imported, loaded


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "prices.csv"
    market = GenerateSamplePrices().execute(
        GenerateSamplePricesCommand(n_assets=500, n_days=2520, seed=11)
    )
    with path.open("w", newline="") as handle:
        write_prices(market.history, handle)
    tickers = list(market.history.tickers)
    start = market.history.dates[-1260]
    targets = [("SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}")]
    if os.environ.get("PFOPT_BENCH_POSTGRES"):
        targets.insert(0, ("PostgreSQL", os.environ["PFOPT_BENCH_POSTGRES"]))
    print(f"{np.count_nonzero(~np.isnan(market.history.closes))} prices, 500 tickers x 2520 days")
    print(
        "| database | pfopt import | pfopt load 500 x 5 y -> returns | pandas to_sql | "
        "pandas read_sql + pivot |"
    )
    print("|---|---|---|---|---|")
    for name, url in targets:
        if name == "PostgreSQL":
            downgrade(url, "base")
        upgrade(url)
        imported = asyncio.run(_import(url, path))
        reimported = asyncio.run(_import(url, path))
        loaded, shape = asyncio.run(_load(url, tickers, start))
        peer_import, peer_load = _pandas(url, path, tickers, start)
        print(
            f"| {name} | {imported:.1f} s (re-import {reimported:.1f} s) | {loaded:.2f} s "
            f"{shape} | {peer_import:.1f} s | {peer_load:.2f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
