"""The ``RiskEstimator`` port with the shrinkage covariances in closed form on numpy.

Ledoit-Wolf and OAS are a few array reductions each, while importing scikit-learn (which
pulls in SciPy's statistics and pandas) costs about 1.4 s of a 3 s ``pfopt optimize``. The
formulas are scikit-learn's (``assume_centered=False``), and a contract test holds them to its
results to 1e-12 relative; the PCA factor model still comes from scikit-learn, imported when
a factor model is asked for.
"""

import numpy as np

from domain.errors import ValidationError
from domain.estimation import COVARIANCE_METHODS, CovarianceMethod
from domain.risk_model import FactorModel
from domain.types import FloatArray


def _centered(returns: FloatArray) -> FloatArray:
    x = np.asarray(returns, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return x - x.mean(axis=0)


def _towards_identity(empirical: FloatArray, shrinkage: float) -> FloatArray:
    """(1 - s) S + s (tr S / n) I: shrink towards the scaled identity."""
    n = empirical.shape[0]
    shrunk = (1.0 - shrinkage) * empirical
    shrunk.flat[:: n + 1] += shrinkage * float(np.trace(empirical)) / n
    return shrunk


def ledoit_wolf(returns: FloatArray) -> FloatArray:
    """Ledoit & Wolf (2004): the shrinkage intensity minimizing the expected Frobenius loss,
    estimated from the data. Per period, like the returns; the empirical part is the biased
    (1/T) covariance, as scikit-learn's."""
    x = _centered(returns)
    t, n = x.shape
    empirical = x.T @ x / t
    if n == 1:
        return empirical
    squared = x**2
    mu = float(np.trace(empirical)) / n
    beta_sum = float(np.sum(squared.T @ squared))
    delta_sum = float(np.sum(empirical**2))
    beta = (beta_sum / t - delta_sum) / (n * t)
    delta = (delta_sum - 2.0 * mu * float(np.trace(empirical)) + n * mu**2) / n
    beta = min(beta, delta)
    return _towards_identity(empirical, 0.0 if beta == 0.0 else beta / delta)


def oas(returns: FloatArray) -> FloatArray:
    """Oracle Approximating Shrinkage (Chen et al. 2010), in scikit-learn's form. Per period."""
    x = _centered(returns)
    t, n = x.shape
    empirical = x.T @ x / t
    if n == 1:
        return empirical
    mu = float(np.trace(empirical)) / n
    alpha = float(np.mean(empirical**2))
    numerator = alpha + mu**2
    denominator = (t + 1.0) * (alpha - mu**2 / n)
    shrinkage = 1.0 if denominator == 0.0 else min(numerator / denominator, 1.0)
    return _towards_identity(empirical, shrinkage)


class ShrinkageRiskEstimator:
    """Ledoit-Wolf (default) and OAS shrinkage towards a scaled identity, or the sample
    covariance (unbiased, ddof=1); per period, the caller annualizes. Factor models: PCA."""

    def covariance(self, returns: FloatArray, method: CovarianceMethod) -> FloatArray:
        if method == "ledoit_wolf":
            return ledoit_wolf(returns)
        if method == "oas":
            return oas(returns)
        if method == "sample":
            return np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))
        raise ValidationError(
            f"covariance method must be one of {', '.join(COVARIANCE_METHODS)}, got {method!r}",
            field="covariance",
        )

    def factor_model(self, returns: FloatArray, n_factors: int) -> FactorModel:
        from adapters.sklearn_risk import SklearnRiskEstimator

        return SklearnRiskEstimator().factor_model(returns, n_factors)
