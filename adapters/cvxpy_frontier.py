"""The CVXPY route of the ``FrontierSolver`` port: the problem is compiled once with the
target return as a ``cp.Parameter`` (DPP), so each point only updates the parameter and
warm-starts the solver. Used when the critical line cannot trace a frontier (a gross leverage
cap, a singular KKT system); the result says so."""

from collections.abc import Mapping, Sequence

import cvxpy as cp
import numpy as np

from adapters.cvxpy_solver import CvxpySolver, constraint_list, variance_expression
from adapters.frontier_solvers import RETURN_TOLERANCE, _above_range, _no_excess_return
from adapters.highs_lp import extreme_portfolio
from adapters.solver_defaults import DEFAULT_CHAIN, DEFAULT_TIME_LIMIT_S
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance
from domain.problem import Problem, ReturnRange, Solution


class CvxpyFrontier:
    """Frontier by repeated solves of one compiled CVXPY program (target as a Parameter)."""

    method = "cvxpy"

    def __init__(
        self,
        universe: Universe,
        lc: LinearConstraints,
        solver: CvxpySolver,
        notes: tuple[str, ...] = (),
    ) -> None:
        self._universe, self._lc, self._solver, self.notes = universe, lc, solver, notes
        self._w = cp.Variable(universe.n_assets)
        self._target = cp.Parameter()
        self._program = cp.Problem(
            cp.Minimize(variance_expression(universe, self._w)),
            [
                *constraint_list(lc, self._w, 1.0),
                universe.expected_returns @ self._w >= self._target,
            ],
        )
        self._range: ReturnRange | None = None
        self._lowest: Solution | None = None

    def return_range(self) -> ReturnRange:
        if self._range is None:
            mu = self._universe.expected_returns
            lowest = float(mu @ self.min_variance().weights)
            self._range = ReturnRange(lowest, float(mu @ extreme_portfolio(-mu, self._lc)))
        return self._range

    def min_variance(self) -> Solution:
        """Solved once: the return range and the frontier's flagged point both need it."""
        if self._lowest is None:
            self._lowest = self._solver.solve(Problem(self._universe, self._lc, MinVariance()))
        return self._lowest

    def max_sharpe(self, risk_free_rate: float) -> Solution:
        highest = self.return_range().highest
        if highest <= risk_free_rate + RETURN_TOLERANCE:
            raise _no_excess_return(risk_free_rate, highest)
        return self._solver.solve(Problem(self._universe, self._lc, MaxSharpe(risk_free_rate)))

    def at_return(self, target_return: float) -> Solution:
        highest = self.return_range().highest
        if target_return > highest + RETURN_TOLERANCE:
            raise _above_range(target_return, highest)
        self._target.value = target_return
        return self._solver.run(self._program, lambda: np.asarray(self._w.value, dtype=float))


class CvxpyFrontierSolver:
    def __init__(
        self,
        chain: Sequence[str] = DEFAULT_CHAIN,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        self._solver = CvxpySolver(chain, time_limit_s, options)

    def prepare(
        self, universe: Universe, constraints: LinearConstraints, notes: tuple[str, ...] = ()
    ) -> CvxpyFrontier:
        return CvxpyFrontier(universe, constraints, self._solver, notes)
