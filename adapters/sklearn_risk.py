"""The ``RiskEstimator`` port on scikit-learn's shrinkage estimators."""

import numpy as np
from sklearn.covariance import OAS, LedoitWolf
from sklearn.decomposition import PCA

from adapters.shrinkage_risk import ShrinkageRiskEstimator
from domain.errors import ValidationError
from domain.estimation import CovarianceMethod
from domain.risk_model import FactorModel
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
        return ShrinkageRiskEstimator().covariance(returns, method)  # sample, or the error

    def factor_model(self, returns: FloatArray, n_factors: int) -> FactorModel:
        """Statistical factor model from PCA: the first ``n_factors`` principal components are
        the factors (loadings B = components, F = diag(explained variances)); D is each asset's
        residual variance after removing them. Per period, unbiased (ddof=1)."""
        n_observations, n_assets = returns.shape
        limit = min(n_assets, n_observations - 1)
        if not 1 <= n_factors < limit:
            raise ValidationError(
                f"factors must be between 1 and {limit - 1} for {n_assets} assets and "
                f"{n_observations} observations, got {n_factors}",
                field="factors",
            )
        pca = PCA(n_components=n_factors).fit(returns)
        loadings = pca.components_.T
        centered = returns - returns.mean(axis=0)
        residual = centered - (centered @ loadings) @ loadings.T
        specific = residual.var(axis=0, ddof=1)
        return FactorModel(loadings, np.diag(pca.explained_variance_), specific)
