"""The ``RiskEstimator`` port on scikit-learn's shrinkage estimators."""

import numpy as np
from sklearn.covariance import OAS, LedoitWolf

from domain.errors import ValidationError
from domain.estimation import COVARIANCE_METHODS, CovarianceMethod
from domain.types import FloatArray


class SklearnRiskEstimator:
    """Ledoit-Wolf (default) and OAS shrinkage towards a scaled identity, or the sample covariance.

    Both shrinkage estimators fit the mean (``assume_centered=False``), as does the sample
    covariance (unbiased, ddof=1); the result is per period, the caller annualizes.
    """

    def covariance(self, returns: FloatArray, method: CovarianceMethod) -> FloatArray:
        if method == "ledoit_wolf":
            return np.asarray(LedoitWolf().fit(returns).covariance_, dtype=float)
        if method == "oas":
            return np.asarray(OAS().fit(returns).covariance_, dtype=float)
        if method == "sample":
            return np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))
        raise ValidationError(
            f"covariance method must be one of {', '.join(COVARIANCE_METHODS)}, got {method!r}",
            field="covariance",
        )
