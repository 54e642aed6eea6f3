"""Charts of stored runs, rendered on first request and then served from a disk cache."""

import asyncio
import datetime as dt
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from platformdirs import user_cache_dir

from adapters.documents.codec import read_results
from application.attribute_risk import RiskReport
from application.history_source import HistoryPriceSource
from domain.charts import ChartFormat, ChartRenderer
from domain.errors import NotFoundError
from domain.ports import RiskEstimator
from domain.records import OptimizationRecord
from domain.repositories import UnitOfWorkFactory
from entrypoints.http.gate import OwnedGate
from entrypoints.run_charts import KINDS, risk_report
from entrypoints.run_charts import draw as draw_chart


def cache_dir() -> Path:
    """``PFOPT_CHARTS_DIR``, else the user's cache directory."""
    folder = Path(os.environ.get("PFOPT_CHARTS_DIR") or user_cache_dir("pfopt", appauthor=False))
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    return folder / "charts"


async def risk_report_of(
    record: OptimizationRecord, uow: UnitOfWorkFactory, estimator: RiskEstimator
) -> RiskReport:
    """The run's risk attribution on its own model: every ticker of the run (held or not)
    over its window, with its estimation settings (``run_charts.risk_report``)."""
    window = record.results.get("window")
    if record.params.get("source") != "store" or not window:
        raise NotFoundError(
            "the risk chart needs the run's prices in the store (this run "
            "used a file or an inline risk model)",
            field="chart",
        )
    tickers = list(record.params["tickers"])
    start, end = dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
    async with uow() as u:
        history = await u.prices.load(tickers, start, end)
    return await asyncio.to_thread(
        risk_report, HistoryPriceSource(history), estimator, record.params, record.results
    )


_RENDERING: dict[Path, "asyncio.Future[bytes]"] = {}
"""Renders in progress in this process, by cache file: a second request for the same chart
waits for the first one's bytes (30 concurrent first requests for one 300-asset chart rendered
it 30 times, 28 s of CPU, while other tenants waited)."""


async def render(
    record: OptimizationRecord,
    kind: str,
    fmt: ChartFormat,
    uow: UnitOfWorkFactory,
    estimator: RiskEstimator,
    charts: ChartRenderer,
    gate: OwnedGate,
) -> bytes:
    """The chart from the disk cache, else drawn once (through admission, as a solve is) while
    identical requests wait for it."""
    if kind not in KINDS.get(record.kind, ()):
        raise NotFoundError(
            f"a {record.kind} run has no {kind} chart (it has: "
            f"{', '.join(KINDS.get(record.kind, ()))})",
            field="chart",
        )

    async def draw() -> bytes:
        report = await risk_report_of(record, uow, estimator) if kind == "risk" else None

        def work() -> bytes:  # reading a large frontier document is work too: off the loop
            read_results(record)  # a document this version cannot read is a 404 saying so
            return draw_chart(charts, kind, record.params, record.results, fmt, report)

        return await asyncio.to_thread(work)

    return await _once(cache_dir() / f"{record.id}_{kind}.{fmt}", gate, draw)


async def _once(cached: Path, gate: OwnedGate, draw: Callable[[], Awaitable[bytes]]) -> bytes:
    """``cached``'s bytes, else ``draw()`` in an admitted slot, shared with every request for
    the same file meanwhile, then written atomically (another process never reads half)."""
    if cached.exists():
        return cached.read_bytes()
    running = _RENDERING.get(cached)
    if running is not None:
        return await asyncio.shield(running)
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    _RENDERING[cached] = future
    try:
        async with gate.slot():
            data = await draw()
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        partial.write_bytes(data)
        partial.replace(cached)
        future.set_result(data)
        return data
    except BaseException as error:
        future.set_exception(error)
        future.exception()  # retrieved: the waiters, if any, raise it themselves
        raise
    finally:
        del _RENDERING[cached]
