"""The ``Solver`` port answered exactly where it can be: minimum variance, a target return and
the maximum Sharpe ratio are points of the critical-line path, so the exact engine gives them
(to ~1e-15 in the optimality conditions, about a millisecond at 20 assets) and CVXPY takes the
rest (target risk, quadratic utility) and every problem the engine declines (a gross leverage
cap), or all of them when the caller names a solver chain of its own."""

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from adapters import daqp_trading
from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.highs_lp import highest_return as lp_highest_return
from adapters.risk_budgeting import risk_budget_weights
from adapters.solver_defaults import TRADING_CHAIN
from domain.errors import InfeasibleError, InvalidObjectiveError
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import (
    HierarchicalRiskParity,
    MaxSharpe,
    MinVariance,
    RiskBudget,
    TargetReturn,
)
from domain.problem import Problem, Solution, SolverAttempt
from domain.units import share

if TYPE_CHECKING:
    from adapters.cvxpy_solver import CvxpySolver


def _long_only_book(problem: Problem, what: str) -> None:
    """Risk budgeting and HRP take a long-only book with per-asset bounds only."""
    lc, r = problem.constraints, problem.rebalance
    if not lc.long_only or lc.rows or (r is not None and r.shapes_problem):
        raise InvalidObjectiveError(
            f"{what} takes a long-only book with per-asset bounds only (no sector or factor "
            "limits, shorts or trading limits yet)",
            field="objective",
        )


def _within_bounds(problem: Problem, weights: np.ndarray, what: str) -> None:
    lc, tickers = problem.constraints, problem.universe.tickers
    over, under = weights > lc.upper + 1e-12, weights < lc.lower - 1e-12
    if over.any() or under.any():
        i = int(np.argmax(over | under))
        side = "above its cap" if over[i] else "below its floor"
        raise InfeasibleError(
            f"the {what} portfolio holds {tickers[i]} at {share(float(weights[i]), 4)}, "
            f"{side}: {what} under binding weight bounds is not solved yet; loosen the bounds",
            field="max_weight" if over[i] else "min_weight",
        )


def risk_budget_solution(problem: Problem) -> Solution:
    """Risk budgeting (``adapters.risk_budgeting``) on a long-only, fully invested book."""
    universe, objective = problem.universe, problem.objective
    assert isinstance(objective, RiskBudget)
    _long_only_book(problem, "risk budgeting")
    tickers = universe.tickers
    if objective.budgets is None:
        budgets = np.full(len(tickers), 1.0 / len(tickers))
    else:
        unknown = sorted(set(objective.budgets) - set(tickers))
        missing = [t for t in tickers if t not in objective.budgets]
        if unknown or missing:
            what = (
                f"{unknown[0]!r} is not one of the run's assets"
                if unknown
                else (f"no budget for {missing[0]} (give one for every asset)")
            )
            raise InvalidObjectiveError(f"budgets: {what}", field="budgets")
        budgets = np.array([objective.budgets[t] for t in tickers], dtype=float)
    weights, error, _ = risk_budget_weights(universe.covariance, budgets)
    _within_bounds(problem, weights, "risk-budget")
    return Solution(weights, "newton_risk_budget", "optimal", kkt_residual=error)


def hrp_solution(problem: Problem) -> Solution:
    """Hierarchical risk parity (``adapters.hierarchical``) on a long-only book, its splits
    clipped to the per-asset bounds."""
    objective = problem.objective
    assert isinstance(objective, HierarchicalRiskParity)
    _long_only_book(problem, "HRP")
    from adapters.hierarchical import hrp_weights  # SciPy: only for this objective

    lc = problem.constraints
    weights = hrp_weights(problem.universe.covariance, objective.linkage, lc.lower, lc.upper)
    _within_bounds(problem, weights, "HRP")  # met whenever the bounds are (the pre-checks)
    return Solution(weights, f"hrp_{objective.linkage}", "optimal")


class ExactFirstSolver:
    def __init__(
        self,
        exact: CriticalLineFrontierSolver,
        fallback: "CvxpySolver",
        exact_first: bool = True,
        time_limit_s: float = 0.0,
    ) -> None:
        self._exact, self._fallback, self._exact_first = exact, fallback, exact_first
        self._time_limit_s = time_limit_s
        """For the dual active set (0: none)."""

    def solve(self, problem: Problem) -> Solution:
        objective, universe, lc = problem.objective, problem.universe, problem.constraints
        if isinstance(objective, RiskBudget):  # Newton's method whatever the chain
            return risk_budget_solution(problem)
        if isinstance(objective, HierarchicalRiskParity):
            return hrp_solution(problem)
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
            # to the dual active set when it states them, else the interior-point solver first
            if daqp_trading.fits(problem):
                try:
                    return daqp_trading.solve(problem, self._time_limit_s)
                except daqp_trading.UnsolvedError as stopped:
                    attempt = SolverAttempt("daqp", str(stopped))
                    found = self._fallback.solve(problem, TRADING_CHAIN)
                    return replace(found, attempts=(attempt, *found.attempts))
            return self._fallback.solve(problem, TRADING_CHAIN)
        return self._fallback.solve(problem)

    def highest_return(self, universe: Universe, constraints: LinearConstraints) -> float:
        """One LP (HiGHS); no CVXPY needed."""
        return lp_highest_return(universe.expected_returns, constraints)
