"""A risk attribution report as its document (the API's response and the CLI's ``--json``)."""

import math
from typing import Any

import msgspec

from adapters.documents.results import WindowBody
from application.attribute_risk import RiskReport


class AssetRisk(msgspec.Struct):
    """Weight, marginal and component contribution to volatility, and share of the risk."""

    weight: float
    mctr: float
    ctr: float
    percent: float


class FactorRisk(msgspec.Struct, kw_only=True):
    exposures: list[float]
    variance: list[float]
    share: list[float]
    specific_variance: float
    specific_share: float
    total_variance: float


class TailRisk(msgspec.Struct, kw_only=True):
    """Value at risk and expected shortfall over ``horizon_periods`` (losses, decimals)."""

    horizon_periods: int
    confidence: float
    parametric_var: float | None
    parametric_cvar: float | None
    historical_var: float | None
    historical_cvar: float | None


class RiskReportBody(msgspec.Struct, kw_only=True):
    """Risk attribution of a portfolio (annualized volatility and return)."""

    volatility: float
    expected_return: float | None
    assets: dict[str, AssetRisk]
    factors: FactorRisk | None
    tail: list[TailRisk]
    max_drawdown: float | None
    beta: float | None
    correlation: float | None
    effective_number_of_bets: float | None
    herfindahl: float | None
    warnings: list[str]
    window: WindowBody | None


def _finite(x: Any) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def report_document(r: RiskReport) -> RiskReportBody:
    a = r.assets
    assets = {
        t: AssetRisk(float(w), float(m), float(c), float(p))
        for t, w, m, c, p in zip(
            r.tickers, r.weights, a.marginal, a.component, a.percent, strict=True
        )
    }
    factors = None
    if r.factors is not None:
        f = r.factors
        factors = FactorRisk(
            exposures=f.exposures.tolist(),
            variance=f.factor_variance.tolist(),
            share=f.factor_share.tolist(),
            specific_variance=f.specific_variance,
            specific_share=f.specific_share,
            total_variance=f.total_variance,
        )
    tail = [
        TailRisk(
            horizon_periods=h,
            confidence=t.confidence,
            parametric_var=_finite(t.parametric_var),
            parametric_cvar=_finite(t.parametric_cvar),
            historical_var=_finite(t.historical_var),
            historical_cvar=_finite(t.historical_cvar),
        )
        for h, t in r.tail
    ]
    window = None
    if r.start is not None and r.end is not None:
        window = WindowBody(r.start.isoformat(), r.end.isoformat(), r.n_observations)
    return RiskReportBody(
        volatility=a.volatility,
        expected_return=_finite(r.expected_return),
        assets=assets,
        factors=factors,
        tail=tail,
        max_drawdown=_finite(r.max_drawdown),
        beta=_finite(r.beta),
        correlation=_finite(r.correlation),
        effective_number_of_bets=_finite(r.effective_bets),
        herfindahl=_finite(r.herfindahl),
        warnings=list(r.warnings),
        window=window,
    )
