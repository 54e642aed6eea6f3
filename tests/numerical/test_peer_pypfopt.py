"""Cross-check against PyPortfolioOpt on the same mu and covariance (long-only, budget), on the
default CVXPY chain and on the production solver (``ExactFirstSolver`` as the container builds
it), which is also held to tight Clarabel."""

import numpy as np
import pytest
from pypfopt import EfficientFrontier

from adapters.cvxpy_solver import CvxpySolver
from adapters.sklearn_risk import SklearnRiskEstimator
from application.allocate import allocate
from domain.constraints import LongOnly
from domain.estimation import expected_returns
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance, TargetReturn
from domain.returns import simple_returns
from tests.conftest import make_market, random_universe
from tests.numerical.production import assert_engine, production_solver, reference_solver

WEIGHT_TOL = 1e-4
OBJECTIVE_RTOL = 1e-6


def _estimated(n_assets: int, seed: int) -> Universe:
    history = make_market(n_assets=n_assets, n_days=1000, seed=seed).history
    window = simple_returns(history)
    cov = SklearnRiskEstimator().covariance(window.returns, "ledoit_wolf") * 252
    return Universe(history.tickers, expected_returns(window.returns), cov)


DATASETS = {
    "random-8": lambda: random_universe(8, seed=21),
    "sample-25": lambda: _estimated(25, seed=5),
    "sample-120": lambda: _estimated(120, seed=6),
}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def universe(request) -> Universe:
    return DATASETS[request.param]()


REFERENCE_TOL = 1e-6
"""The production solver's exact answers against tight Clarabel (weights, absolute)."""


@pytest.fixture(params=["cvxpy", "production"])
def solve(request):
    """Solve long-only on one solver; production answers are checked against the reference."""

    def run(u: Universe, objective):
        lc = compile_constraints(u.tickers, [LongOnly()])
        if request.param == "cvxpy":
            return allocate(CvxpySolver(), u, lc, objective).weights
        allocation = allocate(production_solver(), u, lc, objective)
        assert_engine(allocation, objective, lc)
        reference = allocate(reference_solver(), u, lc, objective)
        np.testing.assert_allclose(allocation.weights, reference.weights, atol=REFERENCE_TOL)
        return allocation.weights

    return run


def _peer(u: Universe) -> EfficientFrontier:
    return EfficientFrontier(u.expected_returns, u.covariance, weight_bounds=(0, 1))


def _variance(u: Universe, w) -> float:
    return float(w @ u.covariance @ w)


def test_min_variance_matches(universe: Universe, solve) -> None:
    peer = np.array(list(_peer(universe).min_volatility().values()))
    ours = solve(universe, MinVariance())
    np.testing.assert_allclose(ours, peer, atol=WEIGHT_TOL)
    assert _variance(universe, ours) <= _variance(universe, peer) * (1 + OBJECTIVE_RTOL)
    assert _variance(universe, ours) == pytest.approx(_variance(universe, peer), rel=OBJECTIVE_RTOL)


def test_max_sharpe_matches(universe: Universe, solve) -> None:
    rf = 0.02
    peer = np.array(list(_peer(universe).max_sharpe(risk_free_rate=rf).values()))
    ours = solve(universe, MaxSharpe(rf))
    mu = universe.expected_returns

    def sharpe(w):
        return (mu @ w - rf) / np.sqrt(_variance(universe, w))

    np.testing.assert_allclose(ours, peer, atol=WEIGHT_TOL)
    assert sharpe(ours) >= sharpe(peer) * (1 - OBJECTIVE_RTOL)
    assert sharpe(ours) == pytest.approx(sharpe(peer), rel=OBJECTIVE_RTOL)


def test_target_return_matches(universe: Universe, solve) -> None:
    mu = universe.expected_returns
    target = float(np.quantile(mu, 0.8))
    peer = np.array(list(_peer(universe).efficient_return(target).values()))
    ours = solve(universe, TargetReturn(target))
    np.testing.assert_allclose(ours, peer, atol=WEIGHT_TOL)
    assert mu @ ours >= target - 1e-9
    assert _variance(universe, ours) == pytest.approx(_variance(universe, peer), rel=OBJECTIVE_RTOL)
