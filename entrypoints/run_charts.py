"""The charts of one run, drawn from its two documents (params and results) as history keeps
them: the CLI (right after the run) and the server (from a stored record) draw the same
pictures with the same caption. No matplotlib here: the renderer is passed in."""

from typing import Any

import numpy as np

from adapters.documents.codec import read
from adapters.documents.describe import run_caption
from adapters.documents.results import FrontierResponse
from adapters.documents.specs import run_estimation
from application.attribute_risk import RiskReport, attribute_universe
from application.estimate_universe import EstimationSettings, estimate_universe
from domain.charts import RUN_CHARTS, ChartFormat, ChartRenderer
from domain.errors import NotFoundError
from domain.ports import PriceSource, RiskEstimator

KINDS = RUN_CHARTS
"""The charts each kind of run has; ``risk`` needs the run's prices again."""


Document = dict[str, Any]


def kinds_of(kind: str, results: Document) -> tuple[str, ...]:
    """The charts this run has: ``trades`` only when it started from holdings."""
    return tuple(k for k in KINDS.get(kind, ()) if k != "trades" or results.get("rebalance"))


def sectors_of(params: Document) -> dict[str, str]:
    """Ticker -> sector from the run's constraints document (empty when none was given)."""
    return dict((params.get("constraints") or {}).get("sectors") or {})


def estimation_of(params: Document, results: Document) -> EstimationSettings:
    """The run's estimation settings over the window it actually used."""
    if not results.get("window"):
        raise NotFoundError(
            "the risk chart needs the run's price window (this run used an inline risk model)",
            field="chart",
        )
    return run_estimation(params, results)


def risk_report(
    prices: PriceSource, estimator: RiskEstimator, params: Document, results: Document
) -> RiskReport:
    """Risk attribution with the run's own model: all its tickers over its window with its
    estimation settings (covariance and returns method, factors), and every weight, zeros
    included; so the attribution's volatility is the run's reported volatility."""
    settings = estimation_of(params, results)
    universe = estimate_universe(prices, estimator, params["tickers"], settings).universe
    return attribute_universe(universe, results["weights"])


def _frontier(results: Document):
    frontier, assets = read(results, FrontierResponse).to_domain()
    if assets is None:
        raise NotFoundError(
            "this frontier run was saved without its asset data; run it again to chart it",
            field="chart",
        )
    return frontier, assets


def draw(
    charts: ChartRenderer,
    kind: str,
    params: Document,
    results: Document,
    fmt: ChartFormat,
    report: RiskReport | None = None,
) -> bytes:
    """One chart of the run (``kind`` from ``KINDS``; ``report`` from ``risk_report`` for
    ``risk``). A frontier run's sector chart is of its max-Sharpe portfolio (else its
    minimum-variance one)."""
    caption = run_caption(params, results)
    if kind == "frontier":
        return charts.efficient_frontier(*_frontier(results), fmt, caption=caption)
    if kind == "composition":
        return charts.frontier_composition(_frontier(results)[0], fmt, caption=caption)
    if kind == "trades":
        r = results.get("rebalance")
        if not r:
            raise NotFoundError(
                "this run started from cash with no trading terms: it has no trades chart",
                field="chart",
            )
        names = list(results["weights"])
        before = {t["ticker"]: t["weight_from"] for t in r["trades"]}
        target = np.array([results["weights"][t] for t in names], dtype=float)
        current = np.array([before.get(t, results["weights"][t]) for t in names], dtype=float)
        return charts.trades(names, current, target, fmt, caption=caption)
    if kind == "risk":
        assert report is not None, "the risk chart needs the run's risk report"
        return charts.risk_contributions(
            report.tickers, report.weights, report.assets.percent, fmt, caption=caption
        )
    title = "Weight by sector"
    if params.get("kind") == "frontier" or "points" in results:
        point = results.get("max_sharpe") or results["min_variance"]
        label = "max-Sharpe" if results.get("max_sharpe") else "minimum-variance"
        title = f"Weight by sector: the {label} portfolio"
        weights = point["weights"] or {}
    else:
        weights = results["weights"]
    tickers, values = list(weights), np.array(list(weights.values()), dtype=float)
    if kind == "weights":
        return charts.weights(tickers, values, fmt, caption=caption)
    if kind == "sectors":
        return charts.sectors(
            tickers, values, sectors_of(params), fmt, caption=caption, title=title
        )
    raise NotFoundError(f"no {kind} chart", field="chart")
