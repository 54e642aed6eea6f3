"""Risk attribution of a fixed portfolio from its price history."""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from application.estimate_universe import EstimationSettings
from domain.covariance import ensure_psd
from domain.errors import ValidationError
from domain.estimation import expected_returns
from domain.model import Universe
from domain.ports import PriceSource, RiskEstimator
from domain.returns import simple_returns
from domain.risk import (
    AssetAttribution,
    FactorAttribution,
    TailRisk,
    asset_attribution,
    beta_and_correlation,
    effective_number_of_bets,
    factor_attribution,
    herfindahl,
    max_drawdown,
    tail_risk,
)
from domain.types import FloatArray

DEFAULT_FACTORS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeRiskCommand:
    weights: Mapping[str, float]
    """Decimal weights by ticker; they need not sum to 1 (a warning says so)."""
    estimation: EstimationSettings = field(default_factory=EstimationSettings)
    n_factors: int = DEFAULT_FACTORS
    benchmark: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class RiskReport:
    tickers: tuple[str, ...]
    weights: FloatArray
    expected_return: float
    assets: AssetAttribution
    factors: FactorAttribution | None
    tail: tuple[tuple[int, TailRisk], ...]
    """(horizon in periods, figures): 1 day and one year of periods; empty without prices."""
    max_drawdown: float | None
    beta: float | None
    correlation: float | None
    effective_bets: float
    herfindahl: float
    start: dt.date | None
    end: dt.date | None
    n_observations: int
    warnings: tuple[str, ...]


def attribute_universe(universe: Universe, weights: Mapping[str, float]) -> RiskReport:
    """Attribution on a caller's own risk model (dense or factor B, F, D): per asset, and per
    factor when a factor model is given. Tail figures need a return history, so none here."""
    missing = [t for t in weights if t not in universe.tickers]
    if missing:
        raise ValidationError(f"weights: {missing[0]!r} is not in the universe", field="weights")
    w = np.array([weights.get(t, 0.0) for t in universe.tickers], dtype=float)
    if not np.all(np.isfinite(w)):
        raise ValidationError("weights must be finite numbers", field="weights")
    assets = asset_attribution(w, universe.covariance)
    model = universe.factor_model
    warnings = () if abs(w.sum() - 1.0) <= 1e-9 else (f"weights sum to {w.sum():.6g}, not 1",)
    return RiskReport(
        tickers=universe.tickers,
        weights=w,
        expected_return=float(universe.expected_returns @ w),
        assets=assets,
        factors=None if model is None else factor_attribution(w, model),
        tail=(),
        max_drawdown=None,
        beta=None,
        correlation=None,
        effective_bets=effective_number_of_bets(assets.percent),
        herfindahl=herfindahl(w),
        start=None,
        end=None,
        n_observations=0,
        warnings=warnings,
    )


def _weights(cmd: AttributeRiskCommand) -> tuple[list[str], FloatArray]:
    if len(cmd.weights) < 1:
        raise ValidationError("weights: give at least one ticker=weight", field="weights")
    tickers = list(cmd.weights)
    w = np.array([cmd.weights[t] for t in tickers], dtype=float)
    bad = [t for t, x in zip(tickers, w, strict=True) if not math.isfinite(x)]
    if bad:
        raise ValidationError(f"weight of {bad[0]!r} is not a finite number", field="weights")
    return tickers, w


class AttributeRisk:
    """Where a portfolio's risk comes from: per asset, per statistical factor, in the tails."""

    def __init__(self, prices: PriceSource, estimator: RiskEstimator) -> None:
        self._prices, self._estimator = prices, estimator

    def execute(self, cmd: AttributeRiskCommand) -> RiskReport:
        tickers, w = _weights(cmd)
        s = cmd.estimation
        wanted = tickers + (
            [cmd.benchmark] if cmd.benchmark and cmd.benchmark not in tickers else []
        )
        window = simple_returns(self._prices.load(wanted, s.start, s.end), s.min_observations)
        columns = [window.tickers.index(t) for t in tickers]
        returns = window.returns[:, columns]
        ppy = s.periods_per_year
        if s.factors is not None:  # the run's own PCA model, as estimate_universe builds it
            dense = self._estimator.factor_model(returns, s.factors).scaled(ppy).dense()
            cov, repair = dense, None
        else:
            cov, repair = ensure_psd(self._estimator.covariance(returns, s.covariance) * ppy)
        warnings = [*window.warnings, *([repair] if repair else [])]
        if abs(w.sum() - 1.0) > 1e-9:
            warnings.append(f"weights sum to {w.sum():.6g}, not 1")
        assets = asset_attribution(w, cov)
        factors = None
        k = min(cmd.n_factors, len(tickers) - 1, returns.shape[0] - 2)
        if k >= 1:
            model = self._estimator.factor_model(returns, k).scaled(ppy)
            factors = factor_attribution(w, model)
        portfolio = returns @ w
        tail = tuple((h, tail_risk(portfolio, c, h)) for h in (1, ppy) for c in (0.95, 0.99))
        beta = correlation = None
        if cmd.benchmark:
            bench = window.returns[:, window.tickers.index(cmd.benchmark)]
            beta, correlation = beta_and_correlation(portfolio, bench)
        mu = expected_returns(returns, s.returns, ppy, s.ema_span)
        return RiskReport(
            tickers=tuple(tickers),
            weights=w,
            expected_return=float(mu @ w),
            assets=assets,
            factors=factors,
            tail=tail,
            max_drawdown=max_drawdown(portfolio),
            beta=beta,
            correlation=correlation,
            effective_bets=effective_number_of_bets(assets.percent),
            herfindahl=herfindahl(w),
            start=window.start,
            end=window.end,
            n_observations=window.n_observations,
            warnings=tuple(warnings),
        )
