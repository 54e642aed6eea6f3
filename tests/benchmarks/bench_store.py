"""Price store benchmark: import 500 tickers x 2520 days (1.26 M rows) from a CSV file, then
load 500 tickers x 5 years back into a returns matrix, on PostgreSQL and SQLite, beside a
like-for-like peer on the same table in the same run.

    PFOPT_BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/<scratch database> \\
        python -m tests.benchmarks.bench_store [--runs 3]

Import: pfopt's ``ImportPrices`` on the file (parse, validate, upsert in one transaction) into
an empty price table, and again over the same rows (a re-import). The peer reads the file with
pandas and upserts into pfopt's own ``price_data`` table in one transaction: on PostgreSQL
psycopg 3 ``cursor.copy`` (CSV) into a temporary staging table, then the INSERT ... ON CONFLICT
DO UPDATE pfopt runs; on SQLite ``executemany`` of the INSERT ... ON CONFLICT DO UPDATE pfopt
runs, with pfopt's pragmas. Load: pfopt's price repository + ``simple_returns`` beside
``pandas.read_sql`` + pivot + ``pct_change`` (dates where any ticker is missing dropped first,
pfopt's policy); both matrices are checked against the one computed from the file. Each side
takes ``--runs`` turns in alternation (pfopt first, then the peer first); medians printed.
Only public APIs of pfopt are used. The PostgreSQL database is emptied (schema downgraded and
upgraded) first: do not point it at data you keep. Not a test: timings belong here, not in CI.
"""

import argparse
import asyncio
import datetime as dt
import io
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, make_url, text

from adapters.csv_prices import CsvPriceSource, write_prices
from adapters.migrations import upgrade
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.generate_sample_prices import GenerateSamplePrices, GenerateSamplePricesCommand
from application.import_prices import ImportPrices
from domain.returns import simple_returns
from tests.storage import empty_postgres

UPSERT = (
    "INSERT INTO price_data (ticker, date, close) {source} "
    "ON CONFLICT (ticker, date) DO UPDATE SET close = excluded.close"
)
PG_UPSERT = (
    UPSERT.format(source="SELECT ticker, date, close FROM peer_staging ORDER BY ticker, date")
    + " WHERE price_data.close IS DISTINCT FROM excluded.close"
)
"""pfopt's statement on PostgreSQL (``adapters/storage/copy.py``), on the peer's staging."""
SQLITE_UPSERT = UPSERT.format(source="VALUES (?, ?, ?)")


def pfopt_import(url: str, path: Path) -> float:
    async def run() -> float:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            await ImportPrices(SqlAlchemyUnitOfWorkFactory(engine)).execute(CsvPriceSource(path))
            return time.perf_counter() - started
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _long(path: Path) -> pd.DataFrame:
    wide = pd.read_csv(path, dtype={"date": str})
    return wide.melt(id_vars="date", var_name="ticker", value_name="close").dropna()[
        ["ticker", "date", "close"]
    ]


def _postgres_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def peer_import_postgres(url: str, path: Path) -> float:
    import psycopg

    started = time.perf_counter()
    buffer = io.StringIO()
    _long(path).to_csv(buffer, index=False, header=False)
    with psycopg.connect(_postgres_dsn(url)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE peer_staging (ticker varchar(32), date date, "
            "close numeric(20, 8)) ON COMMIT DROP"
        )
        with cursor.copy("COPY peer_staging (ticker, date, close) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(PG_UPSERT)
        connection.commit()
    return time.perf_counter() - started


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    assert database is not None
    return database


def peer_import_sqlite(url: str, path: Path) -> float:
    started = time.perf_counter()
    rows = list(_long(path).itertuples(index=False, name=None))
    connection = sqlite3.connect(_sqlite_path(url), timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        with connection:  # one transaction
            connection.executemany(SQLITE_UPSERT, rows)
    finally:
        connection.close()
    return time.perf_counter() - started


def empty_prices(url: str) -> None:
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        statement = (
            "TRUNCATE price_data" if url.startswith("postgresql") else "DELETE FROM price_data"
        )
        connection.execute(text(statement))
    engine.dispose()


def pfopt_load(url: str, tickers: list[str], start: dt.date) -> tuple[float, np.ndarray]:
    async def run() -> tuple[float, np.ndarray]:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
                history = await uow.prices.load(tickers, start=start)
            returns = simple_returns(history).returns
            return time.perf_counter() - started, returns
        finally:
            await engine.dispose()

    return asyncio.run(run())


def peer_load(url: str, tickers: list[str], start: dt.date) -> tuple[float, np.ndarray]:
    engine = create_engine(url.replace("+aiosqlite", ""))
    started = time.perf_counter()
    frame = pd.read_sql(
        text("SELECT ticker, date, close FROM price_data WHERE date >= :start"),
        engine,
        params={"start": start},
    )
    wide = frame.pivot(index="date", columns="ticker", values="close")[tickers]
    returns = wide.astype(float).dropna().pct_change().iloc[1:].to_numpy()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, returns


def in_turn(pairs: list[tuple[Callable[[], float], Callable[[], float]]], runs: int):
    """``runs`` rounds of (pfopt steps, peer steps), pfopt first on even rounds and the peer
    first on odd ones; each step returns its time. Returns the times per side and step."""
    ours: list[list[float]] = [[] for _ in pairs]
    theirs: list[list[float]] = [[] for _ in pairs]
    for r in range(runs):
        sides = [(0, ours), (1, theirs)]
        for side, times in sides if r % 2 == 0 else sides[::-1]:
            for k, pair in enumerate(pairs):
                times[k].append(pair[side]())
    return ours, theirs


def bench(name: str, url: str, path: Path, tickers: list[str], start, expected, runs: int):
    if name == "PostgreSQL":
        empty_postgres(url)
    upgrade(url)
    peer_import = peer_import_postgres if name == "PostgreSQL" else peer_import_sqlite

    def fresh(importer: Callable[[str, Path], float]) -> Callable[[], float]:
        def run() -> float:
            empty_prices(url)
            return importer(url, path)

        return run

    def again(importer: Callable[[str, Path], float]) -> Callable[[], float]:
        return lambda: importer(url, path)

    ours, theirs = in_turn(
        [(fresh(pfopt_import), fresh(peer_import)), (again(pfopt_import), again(peer_import))],
        runs,
    )
    # the table now holds the last importer's rows; both loads read them, in turn
    loads: dict[str, list[float]] = {"pfopt": [], "peer": []}
    answers: dict[str, np.ndarray] = {}
    for r in range(runs + 1):  # the first round is a warm-up
        for side, load in (("pfopt", pfopt_load), ("peer", peer_load))[:: 1 if r % 2 else -1]:
            elapsed, answers[side] = load(url, tickers, start)
            if r:
                loads[side].append(elapsed)
    checks = {
        side: "ok"
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-12)
        else f"DIFFERS {got.shape}"
        for side, got in answers.items()
    }
    med = statistics.median
    print(
        f"| {name} | {med(ours[0]):.1f} s | {med(theirs[0]):.1f} s | {med(ours[1]):.1f} s | "
        f"{med(theirs[1]):.1f} s | {med(loads['pfopt']):.2f} s ({checks['pfopt']}) | "
        f"{med(loads['peer']):.2f} s ({checks['peer']}) |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    path = folder / "prices.csv"
    market = GenerateSamplePrices().execute(
        GenerateSamplePricesCommand(n_assets=500, n_days=2520, seed=11)
    )
    with path.open("w", newline="") as handle:
        write_prices(market.history, handle)
    tickers = list(market.history.tickers)
    start = market.history.dates[-1260]
    started = time.perf_counter()
    from_file = CsvPriceSource(path).load(tickers, start=start)
    parse = time.perf_counter() - started
    expected = simple_returns(from_file).returns
    targets = [("SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}")]
    if os.environ.get("PFOPT_BENCH_POSTGRES"):
        targets.insert(0, ("PostgreSQL", os.environ["PFOPT_BENCH_POSTGRES"]))
    print(
        f"{np.count_nonzero(~np.isnan(market.history.closes))} prices, 500 tickers x 2520 days; "
        f"medians of {args.runs} runs in turn; pfopt's CSV parse alone: {parse:.1f} s; load "
        f"checked against the returns from the file, shape {expected.shape}"
    )
    print(
        "| database | pfopt import | peer import (pandas + COPY / executemany, same upsert) | "
        "pfopt re-import | peer re-import | pfopt load 500 x 5 y -> returns | "
        "peer read_sql + pivot + pct_change |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, url in targets:
        bench(name, url, path, tickers, start, expected, args.runs)


if __name__ == "__main__":
    main()
