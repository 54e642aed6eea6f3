"""Price reading benchmark: pfopt's CSV reader and stored-price load beside pandas, same run.

    python -m tests.benchmarks.bench_prices [--runs 9] [--assets 500] [--days 1260]
    PFOPT_BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/<scratch database> \\
        python -m tests.benchmarks.bench_prices

Builds deterministic synthetic prices (``pfopt sample-data``'s generator, seed 2026, a few late
starters and 1 % scattered holes), writes them with ``write_prices`` as a wide CSV and as a long
one (``date,ticker,close``) into a temporary folder, and times, alternately, after one warm-up,
the median of ``--runs``:

- ``read_prices`` (in process) beside ``pandas.read_csv(path, index_col=0, parse_dates=True)``
  (long: ``read_csv`` + ``pivot``), and the row-by-row reference reader ``parse_prices`` that every
  file took before the bulk reader;
- the stored load (SQLite file, and PostgreSQL if ``PFOPT_BENCH_POSTGRES`` is set: its schema
  is downgraded and upgraded first, so do not point it at data you keep) through the unit of
  work and through the synchronous ``StoredPriceSource``, beside ``pandas.read_sql`` of the
  same rows + ``pivot``.

The CSV target is 100 ms for the wide file. Not a test: timings belong here, not in CI.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from adapters.csv_prices import CsvPriceSource, open_text, parse_prices, read_prices, write_prices
from adapters.migrations import upgrade
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine, make_sync_engine
from adapters.storage.run_store import StoredPriceSource
from application.generate_sample_prices import GenerateSamplePrices, GenerateSamplePricesCommand
from application.import_prices import ImportPrices
from domain.prices import PriceHistory
from tests.storage import empty_postgres

TARGET_MS = 100.0


def alternate(runs: int, **contenders: Callable[[], object]) -> dict[str, float]:
    """Median milliseconds of each contender, timed in turn run after run after one warm-up."""
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) * 1000.0 for name, t in times.items()}


def write_long(history: PriceHistory, path: Path) -> None:
    with path.open("w", newline="") as handle:
        handle.write("date,ticker,close\n")
        for day, row in zip(history.dates, history.closes, strict=True):
            iso = day.isoformat()
            handle.writelines(
                f"{iso},{t},{x:.4f}\n"
                for t, x in zip(history.tickers, row, strict=True)
                if not np.isnan(x)
            )


def same(a: PriceHistory, b: PriceHistory) -> bool:
    return (
        a.dates == b.dates
        and a.tickers == b.tickers
        and np.array_equal(a.closes, b.closes, equal_nan=True)
    )


def by_rows(path: Path) -> PriceHistory:
    with open_text(path) as handle:
        return parse_prices(handle, path.name)


def csv_rows(wide: Path, long: Path, runs: int) -> None:
    import pandas as pd

    if not (same(read_prices(wide), by_rows(wide)) and same(read_prices(long), by_rows(long))):
        raise SystemExit("the bulk reader and the row reader disagree")
    tickers = list(read_prices(long).tickers)

    def pandas_long() -> object:
        frame = pd.read_csv(long, parse_dates=["date"])
        return frame.pivot(index="date", columns="ticker", values="close")[tickers]

    for label, path, peer in (
        ("wide", wide, lambda: pd.read_csv(wide, index_col=0, parse_dates=True)),
        ("long", long, pandas_long),
    ):
        ms = alternate(runs, pfopt=lambda p=path: read_prices(p), pandas=peer)
        rows = alternate(max(3, runs // 3), rows=lambda p=path: by_rows(p))["rows"]
        verdict = ""
        if label == "wide":
            verdict = "meets" if ms["pfopt"] <= TARGET_MS else "MISSES"
            verdict = f" | {verdict} the {TARGET_MS:.0f} ms target"
        print(
            f"| CSV {label} ({path.stat().st_size / 1e6:.1f} MB) | {ms['pfopt']:.1f} ms | "
            f"{ms['pandas']:.1f} ms | {rows:.0f} ms{verdict} |",
            flush=True,
        )


async def _import(url: str, path: Path) -> None:
    engine = make_engine(url)
    try:
        await ImportPrices(SqlAlchemyUnitOfWorkFactory(engine)).execute(CsvPriceSource(path))
    finally:
        await engine.dispose()


def stored(name: str, url: str, wide: Path, history: PriceHistory, runs: int) -> None:
    import pandas as pd
    from sqlalchemy import create_engine

    if name == "PostgreSQL":
        empty_postgres(url)
    upgrade(url)
    asyncio.run(_import(url, wide))
    tickers = list(history.tickers)
    sync_engine = make_sync_engine(url)
    peer_engine = create_engine(sync_engine.url)
    loop = asyncio.new_event_loop()
    engine = make_engine(url)

    async def through_unit_of_work() -> PriceHistory:
        async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
            return await uow.prices.load(tickers)

    def pandas_sql() -> object:
        frame = pd.read_sql(
            "SELECT ticker, date, CAST(close AS FLOAT) AS close FROM price_data", peer_engine
        )
        return frame.pivot(index="date", columns="ticker", values="close")[tickers]

    try:
        loaded = loop.run_until_complete(through_unit_of_work())
        if not same(loaded, history):
            raise SystemExit(f"{name}: the stored load differs from the file")
        ms = alternate(
            runs,
            uow=lambda: loop.run_until_complete(through_unit_of_work()),
            sync=lambda: StoredPriceSource(sync_engine).load(tickers),
            pandas=pandas_sql,
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
        sync_engine.dispose()
        peer_engine.dispose()
    print(
        f"| stored load, {name} | {ms['uow']:.0f} ms (sync {ms['sync']:.0f} ms) | "
        f"{ms['pandas']:.0f} ms (read_sql + pivot) | |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--days", type=int, default=1260)
    parser.add_argument("--no-store", action="store_true")
    args = parser.parse_args()
    history = (
        GenerateSamplePrices()
        .execute(
            GenerateSamplePricesCommand(
                n_assets=args.assets, n_days=args.days, seed=2026, late_starters=25, gap_rate=0.01
            )
        )
        .history
    )
    with tempfile.TemporaryDirectory() as folder:
        wide, long = Path(folder) / "wide.csv", Path(folder) / "long.csv"
        with wide.open("w", newline="") as handle:
            write_prices(history, handle)
        write_long(history, long)
        present = int(np.count_nonzero(~np.isnan(history.closes)))
        print(f"{args.assets} tickers x {args.days} days, {present} prices; median of {args.runs}")
        print("| reading | pfopt | pandas | row by row (before) |")
        print("|---|---|---|---|")
        csv_rows(wide, long, args.runs)
        if args.no_store:
            return
        targets = [("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")]
        if os.environ.get("PFOPT_BENCH_POSTGRES"):
            targets.append(("PostgreSQL", os.environ["PFOPT_BENCH_POSTGRES"]))
        for name, url in targets:
            stored(name, url, wide, read_prices(wide), args.runs)


if __name__ == "__main__":
    main()
