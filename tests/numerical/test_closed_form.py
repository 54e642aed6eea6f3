"""Solutions against closed-form answers, on every real solver that takes the problem class and
on the production solver (``ExactFirstSolver`` as the container builds it)."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from application.allocate import allocate
from domain.constraints import Budget, LongOnly
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance, TargetReturn, TargetRisk
from tests.conftest import random_universe
from tests.numerical.production import (
    assert_engine,
    production_solver,
    reference_solver,
)

PRODUCTION = "production"
QP_CHAINS = [("OSQP",), ("CLARABEL",), ("ECOS",), None, pytest.param(PRODUCTION, id=PRODUCTION)]
CONE_CHAINS = [("CLARABEL",), ("ECOS",), None, pytest.param(PRODUCTION, id=PRODUCTION)]
TOL = 1e-6
EXACT_TOL = 1e-10
"""The critical-line engine's answers are exact to rounding: held to closed forms at 1e-10."""
# ECOS, the third fallback, stops up to ~1e-5 from the optimum on unconstrained (short-selling)
# problems even at 1e-10 tolerances: its answers are checked to 5e-5 there.
ECOS_TOL = 5e-5


def _tol(chain, allocation=None) -> float:
    if allocation is not None and allocation.solver == "critical_line":
        return EXACT_TOL
    return ECOS_TOL if chain == ("ECOS",) else TOL


def _solve(universe: Universe, objective, chain, *constraints):
    if chain == PRODUCTION:
        solver = production_solver()
    else:
        solver = CvxpySolver(chain=chain) if chain else CvxpySolver()
    lc = compile_constraints(universe.tickers, constraints)
    allocation = allocate(solver, universe, lc, objective)
    if chain == PRODUCTION:
        assert_engine(allocation, objective, lc)
    return allocation


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_two_asset_min_variance(chain) -> None:
    s1, s2, rho = 0.2, 0.3, 0.25
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    expected = (s2**2 - cov[0, 1]) / (s1**2 + s2**2 - 2 * cov[0, 1])
    a = _solve(Universe(["X", "Y"], [0.05, 0.08], cov), MinVariance(), chain, LongOnly())
    np.testing.assert_allclose(a.weights, [expected, 1 - expected], atol=_tol(chain, a))


def _inverse_ones(cov):
    x = np.linalg.solve(cov, np.ones(len(cov)))
    return x / x.sum()


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_unconstrained_min_variance_is_inv_s_ones(chain) -> None:
    u = random_universe(15, seed=11)
    a = _solve(u, MinVariance(), chain)
    np.testing.assert_allclose(a.weights, _inverse_ones(u.covariance), atol=_tol(chain, a))


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_long_only_min_variance_when_no_bound_binds(chain) -> None:
    cov = np.array([[0.04, 0.006, 0.004], [0.006, 0.09, 0.01], [0.004, 0.01, 0.0625]])
    closed = _inverse_ones(cov)
    assert closed.min() > 0
    a = _solve(Universe(["X", "Y", "Z"], [0.05, 0.08, 0.07], cov), MinVariance(), chain, LongOnly())
    np.testing.assert_allclose(a.weights, closed, atol=_tol(chain, a))


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_tangency_portfolio_with_shorts(chain) -> None:
    u, rf = random_universe(10, seed=12), 0.01
    x = np.linalg.solve(u.covariance, u.expected_returns - rf)
    a = _solve(u, MaxSharpe(rf), chain)
    np.testing.assert_allclose(a.weights, x / x.sum(), atol=_tol(chain, a))


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_quadratic_utility_with_shorts(chain) -> None:
    u, delta = random_universe(10, seed=13), 3.0
    inv_mu = np.linalg.solve(u.covariance, u.expected_returns)
    inv_one = np.linalg.solve(u.covariance, np.ones(10))
    w = inv_mu / delta + (1 - inv_mu.sum() / delta) / inv_one.sum() * inv_one
    a = _solve(u, MaxUtility(delta), chain)
    np.testing.assert_allclose(a.weights, w, atol=_tol(chain, a))


def _frontier_weights(u: Universe, target: float):
    inv_mu = np.linalg.solve(u.covariance, u.expected_returns)
    inv_one = np.linalg.solve(u.covariance, np.ones(u.n_assets))
    A, B, C = inv_one.sum(), inv_mu.sum(), u.expected_returns @ inv_mu
    D = A * C - B * B
    return ((C - B * target) * inv_one + (A * target - B) * inv_mu) / D, (A, B, C, D)


@pytest.mark.parametrize("chain", QP_CHAINS)
def test_target_return_with_shorts_is_the_two_fund_frontier(chain) -> None:
    u = random_universe(10, seed=14)
    w, _ = _frontier_weights(u, 0.15)
    a = _solve(u, TargetReturn(0.15), chain)
    np.testing.assert_allclose(a.weights, w, atol=min(TOL, _tol(chain, a)))
    assert a.metrics.expected_return == pytest.approx(0.15, abs=1e-8)


@pytest.mark.parametrize("chain", CONE_CHAINS)
def test_target_risk_with_shorts_is_the_upper_frontier(chain) -> None:
    u = random_universe(10, seed=15)
    _, (A, B, C, D) = _frontier_weights(u, 0.0)
    sigma = 1.5 * np.sqrt(1 / A)  # above the global minimum volatility
    # sigma^2 = (A r^2 - 2 B r + C) / D, upper root
    r = (B + np.sqrt(B * B - A * (C - D * sigma**2))) / A
    w, _ = _frontier_weights(u, r)
    a = _solve(u, TargetRisk(sigma), chain)
    np.testing.assert_allclose(a.weights, w, atol=1e-5)
    assert a.metrics.volatility == pytest.approx(sigma, rel=1e-6)


@pytest.mark.parametrize("chain", CONE_CHAINS)
def test_leverage_caps_gross_exposure(chain) -> None:
    u = random_universe(10, seed=16)
    free = _solve(u, MaxSharpe(0.0), chain)
    assert np.abs(free.weights).sum() > 1.5
    capped = _solve(u, MaxSharpe(0.0), chain, Budget(leverage=1.5))
    assert np.abs(capped.weights).sum() <= 1.5 + 1e-6
    assert capped.weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert capped.metrics.sharpe < free.metrics.sharpe


def test_production_leverage_cap_matches_the_reference() -> None:
    """The capped half of the test above on the production solver, which the bug does not
    touch: CVXPY answers (the engine declines a cap) and agrees with tight Clarabel."""
    u = random_universe(10, seed=16)
    capped = _solve(u, MaxSharpe(0.0), PRODUCTION, Budget(leverage=1.5))
    ref = _solve(u, MaxSharpe(0.0), ("CLARABEL",), Budget(leverage=1.5))
    lc = compile_constraints(u.tickers, [Budget(leverage=1.5)])
    tight = allocate(reference_solver(), u, lc, MaxSharpe(0.0))
    assert capped.solver != "critical_line"
    assert np.abs(capped.weights).sum() == pytest.approx(1.5, abs=1e-6)
    np.testing.assert_allclose(capped.weights, tight.weights, atol=TOL)
    np.testing.assert_allclose(ref.weights, tight.weights, atol=TOL)
    assert capped.metrics.sharpe == pytest.approx(tight.metrics.sharpe, rel=1e-9)
