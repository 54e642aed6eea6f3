"""Expected-return estimators and annualization.

Inputs are per-period simple returns (daily for pfopt's price files); outputs are annualized
decimals. ``periods_per_year`` is 252 trading days by default.
"""

from typing import Literal, TypeAlias

import numpy as np

from domain.errors import ValidationError
from domain.types import FloatArray

ReturnsMethod: TypeAlias = Literal["mean", "geometric", "ema"]
CovarianceMethod: TypeAlias = Literal["ledoit_wolf", "oas", "sample"]
RETURNS_METHODS: tuple[ReturnsMethod, ...] = ("mean", "geometric", "ema")
COVARIANCE_METHODS: tuple[CovarianceMethod, ...] = ("ledoit_wolf", "oas", "sample")
PERIODS_PER_YEAR = 252
DEFAULT_EMA_SPAN = 500
"""Span in periods of the exponential weighting (about two years of days), as PyPortfolioOpt."""


def expected_returns(
    returns: FloatArray,
    method: ReturnsMethod = "mean",
    periods_per_year: int = PERIODS_PER_YEAR,
    ema_span: int = DEFAULT_EMA_SPAN,
) -> FloatArray:
    """Annualized expected returns, shape (n_assets,), from ``returns`` (n_observations, n_assets).

    - ``mean``: arithmetic mean x periods_per_year (the input mean-variance theory expects);
    - ``geometric``: compounded growth, prod(1 + r) ** (periods_per_year / n_observations) - 1;
    - ``ema``: exponentially weighted mean with span ``ema_span`` (recent returns count more,
      alpha = 2 / (span + 1), weights normalized as pandas' ``ewm(adjust=True)``), annualized.
    """
    if periods_per_year <= 0:
        raise ValidationError(
            f"periods_per_year must be > 0, got {periods_per_year}", field="periods_per_year"
        )
    n_observations = returns.shape[0]
    if method == "mean":
        return returns.mean(axis=0) * periods_per_year
    if method == "geometric":
        growth = np.prod(1.0 + returns, axis=0)
        return growth ** (periods_per_year / n_observations) - 1.0
    if method == "ema":
        if ema_span < 1:
            raise ValidationError(f"ema_span must be >= 1, got {ema_span}", field="ema_span")
        alpha = 2.0 / (ema_span + 1.0)
        weights = (1.0 - alpha) ** np.arange(n_observations - 1, -1, -1, dtype=float)
        return (weights @ returns) / weights.sum() * periods_per_year
    raise ValidationError(
        f"returns method must be one of {', '.join(RETURNS_METHODS)}, got {method!r}",
        field="returns",
    )
