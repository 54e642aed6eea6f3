"""The critical-line frontier against CVXPY (Clarabel at tight tolerances) and its own laws."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cvxpy_frontier import CvxpyFrontierSolver
from adapters.cvxpy_solver import CvxpySolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from application.allocate import allocate
from application.compute_frontier import trace_frontier
from domain.constraints import Budget, FactorBounds, GroupLimits, LongOnly, WeightBounds
from domain.errors import InfeasibleError
from domain.linear import LinearConstraints, compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe
from tests.conftest import random_universe
from tests.reference import TIGHT

WEIGHT_TOL = 1e-6


def reference() -> CvxpyFrontierSolver:
    return CvxpyFrontierSolver(chain=("CLARABEL",), options=TIGHT)


def exact() -> CriticalLineFrontierSolver:
    return CriticalLineFrontierSolver(fallback=reference())


def _feasible(w: np.ndarray, lc: LinearConstraints, tol: float = 1e-9) -> bool:
    ok = abs(w.sum() - 1) <= tol and np.all(w >= lc.lower - tol) and np.all(w <= lc.upper + tol)
    return bool(ok and all(r.lower - tol <= r.coefficients @ w <= r.upper + tol for r in lc.rows))


def _sectors(tickers) -> dict[str, str]:
    return {t: f"S{i % 3}" for i, t in enumerate(tickers)}


CASES = {
    "long-only": lambda t: [LongOnly()],
    "cap-10%": lambda t: [LongOnly(), WeightBounds(max_weight=0.1)],
    "cap+sectors": lambda t: [
        LongOnly(),
        WeightBounds(max_weight=0.12),
        GroupLimits(_sectors(t), {"S0": (0.1, 0.3), "S1": (0.0, 0.25), "S2": (0.2, 1.0)}),
    ],
    "shorts-boxed": lambda t: [WeightBounds(-0.2, 0.4)],
}


@pytest.fixture(params=sorted(CASES))
def problem(request) -> tuple[Universe, LinearConstraints]:
    u = random_universe(30, seed=7)
    return u, compile_constraints(u.tickers, CASES[request.param](u.tickers))


def test_frontier_laws(problem) -> None:
    u, lc = problem
    result = trace_frontier(exact(), u, lc, n_points=25, risk_free_rate=0.01)
    assert result.method == "critical_line"
    vols = [p.metrics.volatility for p in result.points]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(vols))
    for p in result.points:
        assert p.status == "optimal"
        assert _feasible(p.weights, lc)
        assert p.metrics.expected_return >= p.target_return - 1e-9
        assert p.kkt_residual <= 1e-9
    best = result.max_sharpe.metrics.sharpe
    assert all(best >= p.metrics.sharpe - 1e-8 for p in result.points)
    assert result.min_variance.metrics.volatility <= vols[0] + 1e-12


def test_matches_clarabel_reference(problem) -> None:
    u, lc = problem
    ours, ref = exact().prepare(u, lc), reference().prepare(u, lc)
    lo, hi = ours.return_range().lowest, ours.return_range().highest
    assert ref.return_range().highest == pytest.approx(hi, abs=1e-9)
    for target in np.linspace(lo, hi, 9)[1:-1]:
        a, b = ours.at_return(target), ref.at_return(target)
        np.testing.assert_allclose(a.weights, b.weights, atol=WEIGHT_TOL)
        va, vb = a.weights @ u.covariance @ a.weights, b.weights @ u.covariance @ b.weights
        assert va <= vb * (1 + 1e-8)
    np.testing.assert_allclose(
        ours.min_variance().weights, ref.min_variance().weights, atol=WEIGHT_TOL
    )


def test_max_sharpe_matches_the_convex_reformulation(problem) -> None:
    u, lc = problem
    ours = exact().prepare(u, lc).max_sharpe(0.01).weights
    convex = allocate(CvxpySolver(chain=("CLARABEL",), options=TIGHT), u, lc, MaxSharpe(0.01))
    np.testing.assert_allclose(ours, convex.weights, atol=WEIGHT_TOL)


@pytest.mark.parametrize("rf", [0.0, 0.04, 0.1])
def test_max_sharpe_alone_stops_early_and_agrees_with_the_whole_path(problem, rf) -> None:
    u, lc = problem
    try:
        whole = exact().prepare(u, lc).max_sharpe(rf).weights
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            exact().max_sharpe(u, lc, rf)
        return
    np.testing.assert_allclose(exact().max_sharpe(u, lc, rf).weights, whole, atol=1e-12)


def test_target_above_the_top_is_an_infeasible_point(problem) -> None:
    u, lc = problem
    top = exact().prepare(u, lc).return_range().highest
    result = trace_frontier(exact(), u, lc, targets=(top - 0.01, top + 0.01))
    assert [p.status for p in result.points] == ["optimal", "infeasible"]
    with pytest.raises(InfeasibleError, match="above the highest return reachable"):
        exact().prepare(u, lc).at_return(top + 0.01)


def test_warm_and_cold_cvxpy_routes_agree() -> None:
    u = random_universe(15, seed=9)
    lc = compile_constraints(u.tickers, [LongOnly(), WeightBounds(max_weight=0.2)])
    warm = CvxpyFrontierSolver(chain=("OSQP",)).prepare(u, lc)
    lo, hi = warm.return_range().lowest, warm.return_range().highest
    for target in np.linspace(lo, hi, 6):
        cold = CvxpyFrontierSolver(chain=("OSQP",)).prepare(u, lc).at_return(target)
        np.testing.assert_allclose(warm.at_return(target).weights, cold.weights, atol=WEIGHT_TOL)


def test_leverage_cap_falls_back_to_cvxpy_and_says_so() -> None:
    u = random_universe(8, seed=3)
    lc = compile_constraints(u.tickers, [WeightBounds(-0.5, 0.8), Budget(leverage=1.5)])
    result = trace_frontier(exact(), u, lc, n_points=4)
    assert result.method == "cvxpy"
    assert "critical line not used (a gross leverage cap is not a linear bound)" in result.notes[0]
    for p in result.points:
        assert np.abs(p.weights).sum() <= 1.5 + 1e-6
    alone = exact().max_sharpe(u, lc, 0.01).weights  # the CVXPY route answers here too
    convex = allocate(CvxpySolver(chain=("CLARABEL",), options=TIGHT), u, lc, MaxSharpe(0.01))
    np.testing.assert_allclose(alone, convex.weights, atol=WEIGHT_TOL)


def test_deliberate_ties_duplicate_assets_and_equal_returns() -> None:
    """Exact duplicates (same returns and risk) and equal expected returns make breakpoints
    coincide; the tie-break must still land on the reference frontier."""
    base = random_universe(6, seed=5)
    mu = np.r_[base.expected_returns, base.expected_returns[:2]]
    mu[3] = mu[4]  # equal expected returns
    idx = [0, 1, 2, 3, 4, 5, 0, 1]
    cov = base.covariance[np.ix_(idx, idx)] + np.eye(8) * 1e-3  # duplicates, still PD
    u = Universe([f"D{i}" for i in range(8)], mu, cov)
    for constraints in ([LongOnly()], [LongOnly(), WeightBounds(max_weight=0.3)]):
        lc = compile_constraints(u.tickers, constraints)
        ours = exact().prepare(u, lc)
        assert ours.method == "critical_line"
        ref = reference().prepare(u, lc)
        lo, hi = ours.return_range().lowest, ours.return_range().highest
        for target in np.linspace(lo, hi, 7)[1:-1]:
            np.testing.assert_allclose(
                ours.at_return(target).weights, ref.at_return(target).weights, atol=WEIGHT_TOL
            )


@st.composite
def random_problems(draw):
    n = draw(st.integers(4, 25))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    u = random_universe(n, seed=seed)
    if draw(st.booleans()):  # duplicate an asset: ties in returns and in risk
        mu = u.expected_returns.copy()
        mu[-1] = mu[0]
        idx = [*range(n - 1), 0]
        cov = u.covariance[np.ix_(idx, idx)] + np.eye(n) * 1e-3
        u = Universe(u.tickers, mu, cov)
    constraints: list = [LongOnly(), WeightBounds(max_weight=draw(st.floats(2.0 / n, 1.0)))]
    if draw(st.booleans()):
        constraints.append(GroupLimits(_sectors(u.tickers), {"S0": (0.0, 0.5), "S1": (0.1, 1)}))
    if draw(st.booleans()):
        loadings = {t: [float(x)] for t, x in zip(u.tickers, rng.normal(1, 0.5, n), strict=True)}
        constraints.append(FactorBounds(("F",), loadings, {"F": (0.6, 1.2)}))
    return u, compile_constraints(u.tickers, constraints)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_random_problems_match_reference(problem) -> None:
    u, lc = problem
    try:
        ours = exact().prepare(u, lc)
        lo, hi = ours.return_range().lowest, ours.return_range().highest
    except InfeasibleError:
        return
    ref = reference().prepare(u, lc)
    for target in np.linspace(lo, hi, 5)[1:-1]:
        a, b = ours.at_return(target), ref.at_return(target)
        assert _feasible(a.weights, lc)
        if b.status == "optimal":  # an inaccurate reference is only an upper bound on variance
            np.testing.assert_allclose(a.weights, b.weights, atol=WEIGHT_TOL)
        va, vb = a.weights @ u.covariance @ a.weights, b.weights @ u.covariance @ b.weights
        assert va <= vb + 1e-12
