"""Charts of stored runs, rendered on first request and then served from a disk cache."""

import asyncio
import datetime as dt
import os
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


async def render(
    record: OptimizationRecord,
    kind: str,
    fmt: ChartFormat,
    uow: UnitOfWorkFactory,
    estimator,
    charts: ChartRenderer,
) -> bytes:
    if kind not in KINDS.get(record.kind, ()):
        raise NotFoundError(
            f"a {record.kind} run has no {kind} chart (it has: "
            f"{', '.join(KINDS.get(record.kind, ()))})",
            field="chart",
        )
    cached = cache_dir() / f"{record.id}_{kind}.{fmt}"
    if cached.exists():
        return cached.read_bytes()
    if kind == "frontier":
        frontier, assets = frontier_of(record)
        data = await asyncio.to_thread(charts.efficient_frontier, frontier, assets, fmt)
    elif kind == "weights":
        weights = read_results(record).weights  # type: ignore[union-attr]
        values = np.array(list(weights.values()))
        data = await asyncio.to_thread(charts.weights, list(weights), values, fmt)
    else:
        data = await _risk_chart(record, uow, estimator, charts, fmt)
    cached.write_bytes(data)
    return data
