"""Charts of stored runs, rendered on first request and then served from a disk cache."""

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_dir

from application.attribute_risk import AttributeRisk, AttributeRiskCommand
from application.estimate_universe import EstimationSettings
from application.history_source import HistoryPriceSource
from domain.charts import AssetPoints, ChartFormat, ChartRenderer
from domain.errors import NotFoundError
from domain.frontier import FrontierPoint, FrontierResult
from domain.metrics import PortfolioMetrics
from domain.problem import ReturnRange
from domain.records import OptimizationRecord
from domain.repositories import UnitOfWorkFactory

KINDS = {"single": ("weights", "risk"), "frontier": ("frontier",)}


def cache_dir() -> Path:
    """``PFOPT_CHARTS_DIR``, else the user's cache directory."""
    folder = Path(os.environ.get("PFOPT_CHARTS_DIR") or user_cache_dir("pfopt", appauthor=False))
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    return folder / "charts"


def _point(d: dict[str, Any]) -> FrontierPoint:
    metrics = None
    if d.get("volatility") is not None:
        metrics = PortfolioMetrics(d["expected_return"], d["volatility"], d["sharpe"])
    weights = np.array(list(d["weights"].values())) if d.get("weights") else None
    return FrontierPoint(d["target_return"], d["status"], d["solver"], weights, metrics)


def frontier_from_results(results: dict[str, Any]) -> tuple[FrontierResult, AssetPoints]:
    assets = results.get("assets")
    if not assets:
        raise NotFoundError(
            "this frontier run was saved without its asset data; run it again to chart it",
            field="chart",
        )
    best = results.get("max_sharpe")
    span = results["return_range"]
    frontier = FrontierResult(
        tuple(assets["tickers"]),
        tuple(_point(p) for p in results["points"]),
        None if best is None else _point(best),
        _point(results["min_variance"]),
        ReturnRange(span["lowest"], span["highest"]),
        results.get("risk_free_rate", 0.0),
        "complete",
        results["method"],
    )
    points = AssetPoints(
        tuple(assets["tickers"]),
        np.array(assets["volatilities"]),
        np.array(assets["expected_returns"]),
    )
    return frontier, points


async def _risk_chart(
    record: OptimizationRecord,
    uow: UnitOfWorkFactory,
    estimator,
    charts: ChartRenderer,
    fmt: ChartFormat,
) -> bytes:
    window = record.results.get("window")
    if record.params.get("source") != "store" or not window:
        raise NotFoundError(
            "the risk chart needs the run's prices in the store (this run "
            "used a file or an inline risk model)",
            field="chart",
        )
    weights = record.results["weights"]

    start, end = dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
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
        frontier, assets = frontier_from_results(record.results)
        data = await asyncio.to_thread(charts.efficient_frontier, frontier, assets, fmt)
    elif kind == "weights":
        weights = record.results["weights"]
        values = np.array(list(weights.values()))
        data = await asyncio.to_thread(charts.weights, list(weights), values, fmt)
    else:
        data = await _risk_chart(record, uow, estimator, charts, fmt)
    cached.write_bytes(data)
    return data
