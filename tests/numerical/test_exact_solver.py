"""Single optimizations through the exact engine against tight Clarabel on the same inputs, and
the cases that must still go to CVXPY."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from application.allocate import allocate
from domain.constraints import Budget, GroupLimits, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance, TargetReturn, TargetRisk
from domain.problem import Problem
from tests.conftest import random_universe
from tests.numerical.production import production_solver, reference_solver
from tests.reference import TIGHT

UNIVERSE = random_universe(30, seed=11)
CAPPED = compile_constraints(UNIVERSE.tickers, [Budget(), LongOnly(), WeightBounds(max_weight=0.1)])
REFERENCE = CvxpySolver(chain=("CLARABEL",), options=TIGHT)


def exact() -> ExactFirstSolver:
    return ExactFirstSolver(CriticalLineFrontierSolver(), CvxpySolver())


@pytest.mark.parametrize(
    "objective", [MinVariance(), MaxSharpe(0.01), TargetReturn(0.12)], ids=lambda o: o.name
)
def test_exact_objectives_match_the_reference(objective) -> None:
    problem = Problem(UNIVERSE, CAPPED, objective)
    ours, ref = exact().solve(problem), REFERENCE.solve(problem)
    assert ours.solver == "critical_line"
    assert ours.kkt_residual is not None and ours.kkt_residual < 1e-12
    assert np.max(np.abs(ours.weights - ref.weights)) < 1e-6
    if not isinstance(objective, MaxSharpe):  # the exact answer is never worse
        cov = UNIVERSE.covariance
        assert ours.weights @ cov @ ours.weights <= ref.weights @ cov @ ref.weights * (1 + 1e-9)


@pytest.mark.parametrize("objective", [TargetRisk(0.2), MaxUtility(2.0)], ids=lambda o: o.name)
def test_other_objectives_go_to_cvxpy(objective) -> None:
    solution = exact().solve(Problem(UNIVERSE, CAPPED, objective))
    assert solution.solver in ("OSQP", "CLARABEL", "ECOS", "SCS")


def test_a_named_chain_skips_the_exact_engine() -> None:
    solver = ExactFirstSolver(CriticalLineFrontierSolver(), CvxpySolver(chain=("CLARABEL",)), False)
    assert solver.solve(Problem(UNIVERSE, CAPPED, MinVariance())).solver == "CLARABEL"


def test_a_leverage_cap_falls_back_to_cvxpy() -> None:
    lc = compile_constraints(UNIVERSE.tickers, [Budget(leverage=1.5), WeightBounds(-0.2, 0.3)])
    solution = exact().solve(Problem(UNIVERSE, lc, MaxSharpe(0.0)))
    assert solution.solver != "critical_line"
    assert np.abs(solution.weights).sum() <= 1.5 + 1e-6


def test_max_sharpe_does_not_slide_along_the_top_vertex() -> None:
    """Regression (found by the property tests): the top segment of the path reaches lam = inf
    at a portfolio that does not move, but its direction carried ~1e-16 of rounding. The
    early-stopping max-Sharpe search evaluated it at lam ~ 7e14, where the rounding was a 10 %
    weight change: an infeasible answer (a sector floor of 0 broken) reported as optimal, and it
    stopped there. The exact answer is the one the full path and Clarabel give."""
    rng = np.random.default_rng(1)
    exposures = rng.normal(0, 0.15, (3, 2))
    cov = exposures @ exposures.T + np.diag(rng.uniform(0.01, 0.09, 3))
    universe = Universe(["T0", "T1", "T2"], rng.uniform(0.01, 0.2, 3), cov)
    sectors = {"T0": "S0", "T1": "S1", "T2": "S2"}
    lc = compile_constraints(
        universe.tickers,
        [Budget(), WeightBounds(-0.5, 0.8), GroupLimits(sectors, {"S0": (0.0, 1.0)})],
    )
    exact = allocate(production_solver(), universe, lc, MaxSharpe(0.0))
    reference = allocate(reference_solver(), universe, lc, MaxSharpe(0.0))
    assert exact.solver == "critical_line"
    assert exact.weights[0] >= -1e-12  # the sector floor holds
    assert exact.metrics.sharpe == pytest.approx(reference.metrics.sharpe, rel=1e-9)
    full = CriticalLineFrontierSolver().prepare(universe, lc).max_sharpe(0.0)
    np.testing.assert_allclose(exact.weights, full.weights, atol=1e-12)
