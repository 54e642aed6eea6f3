"""Solve one allocation with clear explanations when it cannot be done.

Shared by the single-portfolio use case and, later, the frontier: pre-checks in the user's
words, the solve through the ``Solver`` port, deterministic clean-up and the metrics.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from application.riskless import riskless_error, singular
from domain.cleaning import clean_weights
from domain.errors import InfeasibleError
from domain.feasibility import precheck
from domain.linear import LinearConstraints
from domain.metrics import PortfolioMetrics, universe_metrics
from domain.model import Universe
from domain.objectives import (
    MaxSharpe,
    MinVariance,
    Objective,
    TargetReturn,
    TargetRisk,
    check_rate,
)
from domain.ports import Solver
from domain.problem import Problem, SolverAttempt, SolveStatus
from domain.types import FloatArray
from domain.units import share

RETURN_TOLERANCE = 1e-9
"""Slack (annualized decimal) when comparing a target with the reachable extreme."""


@dataclass(frozen=True, slots=True, eq=False)
class Allocation:
    """Cleaned weights (shape (n_assets,), decimal, sum 1) with metrics and solver provenance."""

    tickers: tuple[str, ...]
    weights: FloatArray
    metrics: PortfolioMetrics
    solver: str
    status: SolveStatus
    attempts: tuple[SolverAttempt, ...]
    warnings: tuple[str, ...]


def _fmt(x: float) -> str:
    return share(x, 4)


def _check_target(solver: Solver, universe: Universe, lc: LinearConstraints, objective: Objective):
    if isinstance(objective, TargetReturn):
        highest = solver.highest_return(universe, lc)
        if objective.target_return > highest + RETURN_TOLERANCE:
            raise InfeasibleError(
                f"target return {_fmt(objective.target_return)} is above the highest return "
                f"reachable under these constraints, {_fmt(highest)}",
                field="target_return",
            )
    if isinstance(objective, MaxSharpe):
        rf = objective.risk_free_rate
        if not np.any(universe.expected_returns > rf):
            raise InfeasibleError(
                f"max Sharpe needs at least one asset with expected return above the risk-free "
                f"rate {_fmt(rf)}; the best is {_fmt(float(universe.expected_returns.max()))}",
                field="risk_free_rate",
            )
        highest = solver.highest_return(universe, lc)
        if highest <= rf + RETURN_TOLERANCE:
            raise InfeasibleError(
                f"max Sharpe needs a portfolio returning more than the risk-free rate {_fmt(rf)}, "
                f"but the highest return reachable under these constraints is {_fmt(highest)}",
                field="risk_free_rate",
            )
        if singular(universe):  # then the least risky portfolio may be riskless
            floor = solver.solve(Problem(universe, lc, MinVariance())).weights
            unbounded = riskless_error(universe, floor, rf)
            if unbounded is not None:
                raise unbounded


def _solve(solver: Solver, problem: Problem):
    try:
        return solver.solve(problem)
    except InfeasibleError:
        objective = problem.objective
        if not isinstance(objective, TargetRisk):
            raise
        floor = solver.solve(Problem(problem.universe, problem.constraints, MinVariance()))
        lowest = universe_metrics(problem.universe, floor.weights).volatility
        raise InfeasibleError(
            f"target risk {_fmt(objective.target_volatility)} is below the lowest volatility "
            f"reachable under these constraints, {_fmt(lowest)}",
            field="target_risk",
        ) from None


def allocate(
    solver: Solver,
    universe: Universe,
    constraints: LinearConstraints,
    objective: Objective,
    risk_free_rate: float = 0.0,
    warnings: Sequence[str] = (),
) -> Allocation:
    """Pre-check, solve, clean and measure one allocation.

    ``risk_free_rate`` (annualized decimal) is used for the reported Sharpe ratio; a
    ``MaxSharpe`` objective uses its own rate for both.
    """
    check_rate(risk_free_rate)
    precheck(universe.tickers, constraints)
    _check_target(solver, universe, constraints, objective)
    solution = _solve(solver, Problem(universe, constraints, objective))
    weights, residual = clean_weights(solution.weights, constraints)
    notes = [*warnings, *([residual] if residual else [])]
    if solution.status == "optimal_inaccurate":
        notes.append(f"{solution.solver} reached only reduced accuracy (optimal_inaccurate)")
    rf = objective.risk_free_rate if isinstance(objective, MaxSharpe) else risk_free_rate
    metrics = universe_metrics(universe, weights, rf)
    if (
        isinstance(objective, TargetReturn)
        and metrics.expected_return > objective.target_return + RETURN_TOLERANCE
    ):
        notes.append(
            f"target return {_fmt(objective.target_return)} is below the minimum-variance "
            f"portfolio's return, {_fmt(metrics.expected_return)}: the target does not bind, "
            "so this is the minimum-variance portfolio"
        )
    return Allocation(
        universe.tickers,
        weights,
        metrics,
        solution.solver,
        solution.status,
        solution.attempts,
        tuple(notes),
    )
