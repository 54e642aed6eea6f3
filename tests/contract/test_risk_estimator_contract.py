"""The same assertions on both ``RiskEstimator`` adapters: the closed-form numpy shrinkage (the
default) and scikit-learn's estimators it replaces at start-up; and the two agree to 1e-12."""

import numpy as np
import pytest

from adapters.shrinkage_risk import ShrinkageRiskEstimator
from adapters.sklearn_risk import SklearnRiskEstimator
from domain.errors import ValidationError

ESTIMATORS = pytest.mark.parametrize(
    "estimator", [ShrinkageRiskEstimator(), SklearnRiskEstimator()], ids=["numpy", "sklearn"]
)
SHAPES = [(1260, 20), (60, 200), (30, 1), (8, 8), (40, 1100)]  # 1100: sklearn's blocked path


def _returns(t: int, n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, size=(t, 1))
    return market * rng.uniform(0.5, 1.5, n) + rng.normal(0.0, 0.015, size=(t, n))


@ESTIMATORS
@pytest.mark.parametrize("method", ["ledoit_wolf", "oas", "sample"])
def test_a_symmetric_positive_definite_covariance(estimator, method) -> None:
    cov = estimator.covariance(_returns(300, 12), method)
    assert cov.shape == (12, 12)
    np.testing.assert_allclose(cov, cov.T, atol=0)
    assert np.linalg.eigvalsh(cov).min() > 0


@ESTIMATORS
def test_an_unknown_method_names_the_field(estimator) -> None:
    with pytest.raises(ValidationError) as caught:
        estimator.covariance(_returns(50, 3), "shrunk")
    assert caught.value.field == "covariance"


@ESTIMATORS
def test_the_factor_model_is_pca(estimator) -> None:
    model = estimator.factor_model(_returns(300, 12), 3)
    assert model.loadings.shape == (12, 3)


@pytest.mark.parametrize(("t", "n"), SHAPES)
@pytest.mark.parametrize("method", ["ledoit_wolf", "oas", "sample"])
def test_numpy_shrinkage_equals_sklearn(t: int, n: int, method: str) -> None:
    returns = _returns(t, n, seed=t + n)
    ours = ShrinkageRiskEstimator().covariance(returns, method)
    theirs = SklearnRiskEstimator().covariance(returns, method)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12 * np.abs(theirs).max())
