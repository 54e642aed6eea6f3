"""Single optimizations through the exact engine against tight Clarabel on the same inputs, and
the cases that must still go to CVXPY."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe, MaxUtility, MinVariance, TargetReturn, TargetRisk
from domain.problem import Problem
from tests.conftest import random_universe
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
