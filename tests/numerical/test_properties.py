"""Property tests on random PSD problems: constraints hold, max Sharpe beats any feasible mix; on
the default CVXPY chain and on the production solver (``ExactFirstSolver`` as the container
builds it), whose answers are also held to tight Clarabel's objective values."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cvxpy_solver import CvxpySolver
from adapters.highs_lp import extreme_portfolio
from application.allocate import allocate
from domain.constraints import Budget, FactorBounds, GroupLimits, LongOnly, WeightBounds
from domain.errors import InfeasibleError
from domain.linear import LinearConstraints, compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance, TargetReturn
from tests.numerical.production import assert_engine, production_solver, reference_solver

TOL = 1e-6
OBJECTIVE_TOL = 1e-9
"""Production objective values may trail tight Clarabel's by this much (absolute)."""
SOLVERS = pytest.mark.parametrize("solver_name", ["cvxpy", "production"])
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    n = draw(st.integers(3, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    exposures = rng.normal(0, 0.15, (n, 2))
    cov = exposures @ exposures.T + np.diag(rng.uniform(0.01, 0.09, n))
    if draw(st.booleans()):  # a singular (rank-deficient) PSD matrix
        cov = exposures @ exposures.T + np.diag(np.r_[0.0, rng.uniform(0.01, 0.09, n - 1)])
    universe = Universe([f"T{i}" for i in range(n)], rng.uniform(0.01, 0.2, n), cov)
    constraints: list = [Budget(draw(st.sampled_from([None, 1.3, 2.0])))]
    if draw(st.booleans()):
        constraints.append(LongOnly())
        cap = draw(st.floats(1.0 / n, 1.0))
        constraints.append(WeightBounds(max_weight=min(1.0, cap + 0.02)))
    else:
        constraints.append(WeightBounds(-0.5, 0.8))
    if draw(st.booleans()):
        sectors = {t: f"S{i % 3}" for i, t in enumerate(universe.tickers)}
        limit = draw(st.floats(0.4, 1.0))
        constraints.append(GroupLimits(sectors, {"S0": (0.0, limit), "S1": (0.1, 1.0)}))
    if draw(st.booleans()):
        loadings = {
            t: [float(x)] for t, x in zip(universe.tickers, exposures[:, 0] * 5, strict=True)
        }
        constraints.append(FactorBounds(("F",), loadings, {"F": (-0.3, 0.6)}))
    return universe, compile_constraints(universe.tickers, constraints)


def _assert_feasible(w: np.ndarray, lc: LinearConstraints) -> None:
    assert abs(w.sum() - 1.0) <= TOL
    assert np.all(w >= lc.lower - TOL)
    assert np.all(w <= lc.upper + TOL)
    for row in lc.rows:
        value = row.coefficients @ w
        assert row.lower - TOL <= value <= row.upper + TOL, row.label
    if lc.leverage is not None:
        assert np.abs(w).sum() <= lc.leverage + TOL


def _solver(name: str):
    return production_solver() if name == "production" else CvxpySolver()


def _check_production(name: str, allocation, universe: Universe, lc, objective) -> None:
    """The production answer came from the right engine and is no worse than the reference."""
    if name != "production":
        return
    assert_engine(allocation, objective, lc)
    reference = allocate(reference_solver(), universe, lc, objective)
    mu, cov = universe.expected_returns, universe.covariance

    def value(w):  # lower is better
        if isinstance(objective, MaxSharpe):
            return -(mu @ w - objective.risk_free_rate) / np.sqrt(w @ cov @ w)
        if isinstance(objective, MaxUtility):
            return -(mu @ w - objective.risk_aversion / 2 * (w @ cov @ w))
        return w @ cov @ w

    assert value(allocation.weights) <= value(reference.weights) + OBJECTIVE_TOL


def _is_infeasible(lc: LinearConstraints, n: int) -> bool:
    try:
        extreme_portfolio(np.zeros(n), lc)
    except InfeasibleError:
        return True
    return False


@SOLVERS
@SETTINGS
@given(problems(), st.sampled_from(["min_variance", "max_utility", "target_return"]))
def test_every_constraint_holds(solver_name, problem, kind) -> None:
    universe, lc = problem
    if kind == "target_return":
        objective = TargetReturn(float(np.median(universe.expected_returns)))
    else:
        objective = MinVariance() if kind == "min_variance" else MaxUtility(2.0)
    try:
        allocation = allocate(_solver(solver_name), universe, lc, objective)
    except InfeasibleError:
        if kind != "target_return":
            assert _is_infeasible(lc, universe.n_assets)
        return
    _assert_feasible(allocation.weights, lc)
    _check_production(solver_name, allocation, universe, lc, objective)


@SOLVERS
@SETTINGS
@given(problems())
def test_max_sharpe_beats_200_random_feasible_portfolios(solver_name, problem) -> None:
    universe, lc = problem
    try:
        best = allocate(_solver(solver_name), universe, lc, MaxSharpe(0.0))
    except InfeasibleError:
        assert _is_infeasible(lc, universe.n_assets)
        return
    _assert_feasible(best.weights, lc)
    _check_production(solver_name, best, universe, lc, MaxSharpe(0.0))
    rng = np.random.default_rng(0)
    vertices = np.array(
        [extreme_portfolio(rng.normal(size=universe.n_assets), lc) for _ in range(25)]
    )
    mixes = rng.dirichlet(np.ones(len(vertices)) * 0.5, size=200) @ vertices
    mu, cov = universe.expected_returns, universe.covariance
    vols = np.sqrt(np.einsum("ij,jk,ik->i", mixes, cov, mixes))
    sharpes = (mixes @ mu) / vols
    assert best.metrics.sharpe is not None
    assert best.metrics.sharpe >= sharpes.max() - 1e-8


def test_property_generator_reaches_infeasible_and_feasible_cases() -> None:
    """Guard against a generator that only ever yields one kind of case."""
    n = 3
    lc = compile_constraints(["A", "B", "C"], [LongOnly(), WeightBounds(max_weight=0.3)])
    assert _is_infeasible(lc, n)
    assert not _is_infeasible(compile_constraints(["A", "B", "C"], [LongOnly()]), n)
    with pytest.raises(InfeasibleError):
        allocate(CvxpySolver(), Universe(["A", "B", "C"], [0.1] * 3, np.eye(3)), lc, MinVariance())
