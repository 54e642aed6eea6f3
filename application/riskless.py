"""Portfolios without risk: with a singular covariance (a sample covariance of fewer days than
assets, a singular inline model, a factor model with a zero specific variance) a feasible
portfolio may have zero variance, and if it earns more than the risk-free rate the Sharpe
ratio has no maximum. The exact path skips zero-variance points, so without this check a
single max-Sharpe run and a frontier's flagged point would name a finite, wrong tangency."""

import numpy as np

from domain.errors import InfeasibleError
from domain.model import Universe
from domain.types import FloatArray

SINGULAR = 1e-12
"""A covariance is singular when its smallest Cholesky pivot, squared, is at most this times
its largest variance; a portfolio is riskless when its variance is (annualized)."""


EXCESS_TOLERANCE = 1e-9
"""Excess returns (annualized) at most this count as none, as allocate's return checks do."""


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def largest_variance(universe: Universe) -> float:
    model = universe.factor_model
    if model is None:
        return float(np.max(np.diag(universe.covariance)))
    b = model.loadings
    diagonal = np.einsum("ij,jk,ik->i", b, model.factor_covariance, b) + model.specific_variance
    return float(np.max(diagonal))


def singular(universe: Universe) -> bool:
    """Whether some portfolio may have zero variance: a factor model with a zero specific
    variance, or a dense covariance without a full-rank Cholesky factor. O(n^3 / 3): ~30 us
    at 20 assets, ~3.5 ms at 500."""
    model = universe.factor_model
    if model is not None:  # B F B' + D is positive definite when every D > 0
        return bool(np.any(model.specific_variance <= 0.0))
    try:
        pivots = np.diag(np.linalg.cholesky(universe.covariance))
    except np.linalg.LinAlgError:
        return True
    return bool(float(np.min(pivots)) ** 2 <= SINGULAR * largest_variance(universe))


def riskless_error(
    universe: Universe, floor: FloatArray, risk_free_rate: float
) -> InfeasibleError | None:
    """The error to give when ``floor``, the least risky feasible portfolio, has no risk and
    earns more than ``risk_free_rate`` (annualized decimals); None otherwise."""
    excess = float(universe.expected_returns @ floor) - risk_free_rate
    riskless = universe.portfolio_variance(floor) <= SINGULAR * largest_variance(universe)
    if not riskless or excess <= EXCESS_TOLERANCE:
        return None
    return InfeasibleError(
        f"max Sharpe has no maximum: a portfolio with zero variance under these constraints "
        f"returns {_fmt(excess)} above the risk-free rate {_fmt(risk_free_rate)} (the "
        "covariance is singular); use a shrinkage covariance (Ledoit-Wolf or OAS), or "
        "constrain the portfolio",
        field="covariance",
    )
