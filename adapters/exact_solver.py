"""The ``Solver`` port answered exactly where it can be: minimum variance, a target return and
the maximum Sharpe ratio are points of the critical-line path, so the exact engine gives them
(to ~1e-15 in the optimality conditions, about a millisecond at 20 assets) and CVXPY takes the
rest (target risk, quadratic utility) and every problem the engine declines (a gross leverage
cap), or all of them when the caller names a solver chain of its own."""

from typing import TYPE_CHECKING

from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.highs_lp import highest_return as lp_highest_return
from adapters.solver_defaults import TRADING_CHAIN
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance, TargetReturn
from domain.problem import Problem, Solution

if TYPE_CHECKING:
    from adapters.cvxpy_solver import CvxpySolver


class ExactFirstSolver:
    def __init__(
        self,
        exact: CriticalLineFrontierSolver,
        fallback: "CvxpySolver",
        exact_first: bool = True,
    ) -> None:
        self._exact, self._fallback, self._exact_first = exact, fallback, exact_first

    def solve(self, problem: Problem) -> Solution:
        objective, universe, lc = problem.objective, problem.universe, problem.constraints
        if self._exact_first and problem.exact_fits:
            if isinstance(objective, MaxSharpe):
                return self._exact.max_sharpe(universe, lc, objective.risk_free_rate)
            if isinstance(objective, MinVariance):
                quick = self._exact.guessed(universe, lc, "min_variance")
                return quick or self._exact.prepare(universe, lc).min_variance()
            if isinstance(objective, TargetReturn):
                target = objective.target_return
                quick = self._exact.guessed(universe, lc, "target_return", target)
                return quick or self._exact.prepare(universe, lc).at_return(target)
        if self._exact_first and not problem.exact_fits:  # no chain named: trading terms go
            # to the interior-point solver first
            return self._fallback.solve(problem, TRADING_CHAIN)
        return self._fallback.solve(problem)

    def highest_return(self, universe: Universe, constraints: LinearConstraints) -> float:
        """One LP (HiGHS); no CVXPY needed."""
        return lp_highest_return(universe.expected_returns, constraints)
