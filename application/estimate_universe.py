"""Turn stored or supplied prices, or a caller's own risk model, into the universe the optimizer
sees."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.covariance import ensure_psd
from domain.errors import ValidationError
from domain.estimation import (
    DEFAULT_EMA_SPAN,
    PERIODS_PER_YEAR,
    CovarianceMethod,
    ReturnsMethod,
    expected_returns,
)
from domain.model import Universe
from domain.ports import PriceSource, RiskEstimator
from domain.returns import DEFAULT_MIN_OBSERVATIONS, ReturnsWindow, simple_returns
from domain.types import FloatArray


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimationSettings:
    """How to estimate mu and S. Ledoit-Wolf shrinkage is the default: the sample covariance of
    many assets over a few years is ill-conditioned and its errors are what a mean-variance
    optimizer exploits first."""

    covariance: CovarianceMethod = "ledoit_wolf"
    returns: ReturnsMethod = "mean"
    periods_per_year: int = PERIODS_PER_YEAR
    ema_span: int = DEFAULT_EMA_SPAN
    min_observations: int = DEFAULT_MIN_OBSERVATIONS
    factors: int | None = None
    """Use a PCA factor model with this many factors instead of the dense covariance."""
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True, slots=True, eq=False)
class EstimatedUniverse:
    """The universe (annualized) with the window it came from and what was noticed on the way."""

    universe: Universe
    window: ReturnsWindow | None
    """None for a caller's own risk model, which has no prices."""
    warnings: tuple[str, ...]

    @property
    def start(self) -> dt.date | None:
        return None if self.window is None else self.window.start

    @property
    def end(self) -> dt.date | None:
        return None if self.window is None else self.window.end

    @property
    def n_observations(self) -> int:
        return 0 if self.window is None else self.window.n_observations

    @property
    def last_prices(self) -> FloatArray | None:
        """Closes on the window's last day (None for a caller's own model)."""
        return None if self.window is None else self.window.last_prices


class ModelSource(Protocol):
    """Where a run's universe comes from: estimated from prices, or given by the caller. The
    optimize and frontier use cases take either, so an inline model runs the same use case."""

    def estimate(
        self, tickers: Sequence[str] | None, settings: EstimationSettings
    ) -> EstimatedUniverse: ...


class FromPrices:
    """The universe estimated from a price source (a file, the store)."""

    def __init__(self, prices: PriceSource, estimator: RiskEstimator) -> None:
        self._prices, self._estimator = prices, estimator

    def estimate(
        self, tickers: Sequence[str] | None, settings: EstimationSettings
    ) -> EstimatedUniverse:
        return estimate_universe(self._prices, self._estimator, tickers, settings)


class GivenModel:
    """A caller's own risk model (annualized), its dense covariance made PSD if it is not, with
    the warning saying so. Estimation settings do not apply to it."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe

    def estimate(
        self, tickers: Sequence[str] | None, settings: EstimationSettings
    ) -> EstimatedUniverse:
        universe = self.universe
        if tickers is not None and tuple(tickers) != universe.tickers:
            raise ValidationError(
                "an inline model's tickers are its own: give no other tickers",
                field="tickers",
            )
        if universe.factor_model is not None:
            return EstimatedUniverse(universe, None, ())
        cov, repair = ensure_psd(universe.covariance)
        if not repair:
            return EstimatedUniverse(universe, None, ())
        repaired = Universe(universe.tickers, universe.expected_returns, cov)
        return EstimatedUniverse(repaired, None, (repair,))


def estimate_universe(
    prices: PriceSource,
    estimator: RiskEstimator,
    tickers: Sequence[str] | None,
    settings: EstimationSettings,
) -> EstimatedUniverse:
    """Load prices, apply the missing-data policy, estimate and annualize mu and S."""
    history = prices.load(tickers, settings.start, settings.end)
    window = simple_returns(history, settings.min_observations)
    mu = expected_returns(
        window.returns, settings.returns, settings.periods_per_year, settings.ema_span
    )
    if settings.factors is not None:
        model = estimator.factor_model(window.returns, settings.factors)
        universe = Universe(
            window.tickers, mu, factor_model=model.scaled(settings.periods_per_year)
        )
        return EstimatedUniverse(universe, window, window.warnings)
    covariance = estimator.covariance(window.returns, settings.covariance)
    covariance, repair = ensure_psd(covariance * settings.periods_per_year)
    warnings = window.warnings + ((repair,) if repair else ())
    return EstimatedUniverse(Universe(window.tickers, mu, covariance), window, warnings)
