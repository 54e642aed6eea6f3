"""The same invariants for the fake and every real solver behind the ``Solver`` port."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from domain.constraints import LongOnly, WeightBounds
from domain.errors import InfeasibleError
from domain.linear import LinearConstraints, compile_constraints
from domain.objectives import MinVariance
from domain.ports import Solver
from domain.problem import Problem
from tests.conftest import random_universe
from tests.fakes import FakeSolver

UNIVERSE = random_universe(12, seed=4)


@pytest.fixture(params=["fake", "exact", "OSQP", "CLARABEL", "ECOS", "SCS"])
def solver(request) -> Solver:
    if request.param == "fake":
        return FakeSolver()
    if request.param == "exact":
        return ExactFirstSolver(CriticalLineFrontierSolver(), CvxpySolver())
    return CvxpySolver(chain=(request.param,))


def _problem(*constraints) -> Problem:
    return Problem(UNIVERSE, compile_constraints(UNIVERSE.tickers, constraints), MinVariance())


def test_weights_sum_to_one_and_respect_bounds(solver: Solver) -> None:
    problem = _problem(LongOnly(), WeightBounds(max_weight=0.2))
    solution = solver.solve(problem)
    assert solution.weights.shape == (12,)
    assert abs(solution.weights.sum() - 1.0) < 1e-6
    assert solution.weights.min() >= -1e-6
    assert solution.weights.max() <= 0.2 + 1e-6
    assert solution.status in ("optimal", "optimal_inaccurate")
    assert solution.attempts[-1].solver == solution.solver


def test_contradictory_bounds_raise_infeasible(solver: Solver) -> None:
    with pytest.raises(InfeasibleError):
        solver.solve(_problem(LongOnly(), WeightBounds(min_weight=0.1)))


def test_the_highest_return_under_long_only_is_the_best_asset(solver: Solver) -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly()])
    highest = solver.highest_return(UNIVERSE, lc)
    assert highest == pytest.approx(UNIVERSE.expected_returns.max(), abs=1e-7)


def test_the_highest_return_under_a_cap_is_the_greedy_fill(solver: Solver) -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly(), WeightBounds(max_weight=0.25)])
    top = np.sort(UNIVERSE.expected_returns)[::-1][:4]
    assert solver.highest_return(UNIVERSE, lc) == pytest.approx(0.25 * top.sum(), abs=1e-7)


def test_the_closed_form_extreme_portfolio_is_the_lp_vertex() -> None:
    """Bounds and budget only: the greedy fill equals HiGHS' vertex, in both directions."""
    from scipy.optimize import linprog

    from adapters import highs_lp

    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        lower = rng.uniform(0.0, 0.5 / n, n)
        upper = lower + rng.uniform(0.5 / n, 3.0 / n, n)
        lc = LinearConstraints(lower, upper)
        if upper.sum() < 1:
            continue
        for cost in (rng.normal(size=n), -rng.normal(size=n)):
            greedy = highs_lp._greedy(cost, lc)
            assert greedy is not None
            lp = linprog(
                cost, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=np.column_stack([lower, upper])
            )
            assert cost @ greedy == pytest.approx(lp.fun, abs=1e-12)
            assert np.max(np.abs(greedy - lp.x)) < 1e-9
