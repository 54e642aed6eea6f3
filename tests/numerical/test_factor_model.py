"""A factor risk model gives the same answers as its dense matrix, through every route."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.sklearn_risk import SklearnRiskEstimator
from application.allocate import allocate
from application.compute_frontier import trace_frontier
from domain.constraints import LongOnly, WeightBounds
from domain.errors import ValidationError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance, TargetRisk
from domain.returns import simple_returns
from tests.conftest import make_market


@pytest.fixture(scope="module")
def pair() -> tuple[Universe, Universe]:
    window = simple_returns(make_market(n_assets=40, n_days=600, seed=4).history)
    model = SklearnRiskEstimator().factor_model(window.returns, 4).scaled(252)
    mu = window.returns.mean(axis=0) * 252
    return (
        Universe(window.tickers, mu, factor_model=model),
        Universe(window.tickers, mu, model.dense()),
    )


def test_pca_model_reproduces_variances_and_leading_structure() -> None:
    returns = simple_returns(make_market(n_assets=12, n_days=800, seed=5).history).returns
    model = SklearnRiskEstimator().factor_model(returns, 3)
    sample = np.cov(returns, rowvar=False)
    np.testing.assert_allclose(model.diagonal(), np.diag(sample), rtol=1e-10)
    assert np.linalg.norm(model.dense() - sample) < 0.5 * np.linalg.norm(sample)


@pytest.mark.parametrize("k", [0, 12])
def test_factor_count_is_validated(k: int) -> None:
    returns = np.random.default_rng(0).normal(size=(100, 12))
    with pytest.raises(ValidationError, match="factors must be between 1 and 11"):
        SklearnRiskEstimator().factor_model(returns, k)


def test_frontier_on_factor_model_equals_dense(pair) -> None:
    factor, dense = pair
    lc = compile_constraints(factor.tickers, [LongOnly(), WeightBounds(max_weight=0.1)])
    a = trace_frontier(CriticalLineFrontierSolver(), factor, lc, n_points=10, risk_free_rate=0.01)
    b = trace_frontier(CriticalLineFrontierSolver(), dense, lc, n_points=10, risk_free_rate=0.01)
    assert a.method == b.method == "critical_line"
    assert factor._dense is None  # the engine never formed the dense matrix
    for p, q in zip(a.points, b.points, strict=True):
        np.testing.assert_allclose(p.weights, q.weights, atol=1e-10)
    np.testing.assert_allclose(a.max_sharpe.weights, b.max_sharpe.weights, atol=1e-10)


@pytest.mark.parametrize("objective", [MinVariance(), MaxSharpe(0.01), TargetRisk(0.2)])
def test_cvxpy_on_factor_model_equals_dense(pair, objective) -> None:
    factor, dense = pair
    lc = compile_constraints(factor.tickers, [LongOnly()])
    solver = CvxpySolver(chain=("CLARABEL",))
    a, b = allocate(solver, factor, lc, objective), allocate(solver, dense, lc, objective)
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-5)
    assert a.metrics.volatility == pytest.approx(b.metrics.volatility, rel=1e-6)
