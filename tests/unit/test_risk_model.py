import numpy as np
import pytest

from domain.errors import InvalidUniverseError
from domain.model import Universe
from domain.risk_model import FactorModel

RNG = np.random.default_rng(3)
MODEL = FactorModel(
    RNG.normal(size=(7, 2)), [[0.04, 0.01], [0.01, 0.02]], RNG.uniform(0.01, 0.05, 7)
)


def test_structure_matches_the_dense_matrix() -> None:
    dense = MODEL.dense()
    np.testing.assert_allclose(MODEL.rows(np.array([4, 1])), dense[[4, 1]])
    np.testing.assert_allclose(MODEL.diagonal(), np.diag(dense))
    w = RNG.normal(size=7)
    np.testing.assert_allclose(MODEL.matvec(w), dense @ w)
    g = MODEL.factor_root()
    np.testing.assert_allclose(g.T @ g + np.diag(MODEL.specific_variance), dense, atol=1e-15)
    np.testing.assert_allclose(MODEL.scaled(252).dense(), dense * 252)


def test_universe_with_a_factor_model_forms_the_dense_matrix_only_on_demand() -> None:
    u = Universe([f"T{i}" for i in range(7)], np.linspace(0.02, 0.1, 7), factor_model=MODEL)
    w = np.full(7, 1 / 7)
    assert u._dense is None
    assert u.portfolio_variance(w) == pytest.approx(w @ MODEL.dense() @ w)
    assert u._dense is None
    np.testing.assert_allclose(u.covariance, MODEL.dense())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones((3, 2)), np.eye(3), np.ones(3)), "factor_covariance has shape (3, 3)"),
        ((np.ones((3, 2)), np.eye(2), np.ones(4)), "specific_variance has 4 values for 3"),
        ((np.ones((3, 2)), np.eye(2), -np.ones(3)), "specific_variance must be >= 0"),
        ((np.ones((3, 2)), [[1, 2], [2, 1]], np.ones(3)), "not positive semi-definite"),
        ((np.full((3, 2), np.nan), np.eye(2), np.ones(3)), "loadings has NaN or inf"),
    ],
)
def test_bad_factor_models_name_the_field(args, message: str) -> None:
    with pytest.raises(InvalidUniverseError) as caught:
        FactorModel(*args)
    assert message in caught.value.detail


def test_universe_needs_exactly_one_risk_model() -> None:
    with pytest.raises(InvalidUniverseError, match="either a covariance or a factor model"):
        Universe(["A", "B"], [0.1, 0.2])
    with pytest.raises(InvalidUniverseError, match="factor model has 7 assets for 2 tickers"):
        Universe(["A", "B"], [0.1, 0.2], factor_model=MODEL)
