"""Charts of stored runs, rendered on first request and then served from a disk cache."""

import asyncio
import datetime as dt
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
from platformdirs import user_cache_dir

from adapters.documents.codec import read_results
from adapters.documents.results import FrontierResponse, OptimizationResponse
from application.attribute_risk import AttributeRisk, AttributeRiskCommand
from application.estimate_universe import EstimationSettings
from application.history_source import HistoryPriceSource
from domain.charts import AssetPoints, ChartFormat, ChartRenderer
from domain.errors import NotFoundError
from domain.frontier import FrontierResult
from domain.records import OptimizationRecord
from domain.repositories import UnitOfWorkFactory
from entrypoints.http.gate import OwnedGate

KINDS = {"single": ("weights", "risk"), "frontier": ("frontier",)}


def cache_dir() -> Path:
    """``PFOPT_CHARTS_DIR``, else the user's cache directory."""
    folder = Path(os.environ.get("PFOPT_CHARTS_DIR") or user_cache_dir("pfopt", appauthor=False))
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    return folder / "charts"


def frontier_of(record: OptimizationRecord) -> tuple[FrontierResult, AssetPoints]:
    """The frontier and its asset scatter, read from the run's stored document."""
    doc = read_results(record)
    assert isinstance(doc, FrontierResponse)
    frontier, assets = doc.to_domain()
    if assets is None:
        raise NotFoundError(
            "this frontier run was saved without its asset data; run it again to chart it",
            field="chart",
        )
    return frontier, assets


async def _risk_chart(
    record: OptimizationRecord,
    uow: UnitOfWorkFactory,
    estimator,
    charts: ChartRenderer,
    fmt: ChartFormat,
) -> bytes:
    doc = read_results(record)
    assert isinstance(doc, OptimizationResponse)
    if record.params.get("source") != "store" or doc.window is None:
        raise NotFoundError(
            "the risk chart needs the run's prices in the store (this run "
            "used a file or an inline risk model)",
            field="chart",
        )
    weights = doc.weights
    start = dt.date.fromisoformat(doc.window.start)
    end = dt.date.fromisoformat(doc.window.end)
    async with uow() as u:
        history = await u.prices.load(list(weights), None, end)
    use_case = AttributeRisk(HistoryPriceSource(history), estimator)
    command = AttributeRiskCommand(
        weights=weights, estimation=EstimationSettings(start=start, end=end)
    )
    report = await asyncio.to_thread(use_case.execute, command)
    return await asyncio.to_thread(
        charts.risk_contributions, report.tickers, report.weights, report.assets.percent, fmt
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
    estimator,
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
        if kind == "frontier":

            def frontier() -> bytes:  # reading a large frontier document is work too
                return charts.efficient_frontier(*frontier_of(record), fmt)

            return await asyncio.to_thread(frontier)
        if kind == "weights":
            weights = read_results(record).weights  # type: ignore[union-attr]
            values = np.array(list(weights.values()))
            return await asyncio.to_thread(charts.weights, list(weights), values, fmt)
        return await _risk_chart(record, uow, estimator, charts, fmt)

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
