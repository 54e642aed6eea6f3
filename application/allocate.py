"""Solve one allocation with clear explanations when it cannot be done.

Shared by the single-portfolio use case and, later, the frontier: pre-checks in the user's
words, the solve through the ``Solver`` port, deterministic clean-up and the metrics.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from application.riskless import riskless_error, singular
from domain.cleaning import clean_weights
from domain.errors import DomainError, InfeasibleError
from domain.feasibility import precheck
from domain.linear import LinearConstraints
from domain.metrics import PortfolioMetrics, universe_metrics
from domain.model import Universe
from domain.objectives import (
    MaxSharpe,
    MinTrackingError,
    MinTurnover,
    MinVariance,
    Objective,
    TargetReturn,
    TargetRisk,
    check_rate,
)
from domain.ports import Solver
from domain.problem import Problem, Solution, SolverAttempt, SolveStatus
from domain.rebalance import Rebalance, RebalanceReport, rebalance_report
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
    rebalance: RebalanceReport | None = None
    """The trades from the holdings, their turnover and cost, and the tracking error (when
    the run started from holdings or tracks a benchmark)."""


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
        if problem.rebalance is not None and problem.rebalance.shapes_problem:
            raise _trading_infeasible(solver, problem) from None
        if not isinstance(objective, TargetRisk):
            raise
        floor = solver.solve(Problem(problem.universe, problem.constraints, MinVariance()))
        lowest = universe_metrics(problem.universe, floor.weights).volatility
        raise InfeasibleError(
            f"target risk {_fmt(objective.target_volatility)} is below the lowest volatility "
            f"reachable under these constraints, {_fmt(lowest)}",
            field="target_risk",
        ) from None


def _polish(solver: Solver, problem: Problem, found: Solution) -> Solution:
    """The mixed-integer answer chose which names to hold and trade; the continuous problem on
    that choice is solved again exactly (the exact engine where no trading term is left): a
    branch-and-bound solver stops at its own feasibility tolerance (1e-6), the polished answer
    at the engine's. The choice is kept as it is: held names stay at or above the minimum
    position, the others at 0, untraded names at their holdings."""
    r, lc = problem.rebalance, problem.constraints
    assert r is not None
    w = found.weights
    lower, upper = lc.lower.copy(), lc.upper.copy()
    if r.min_position is not None or r.max_names is not None:
        out = np.abs(w) <= 1e-7
        lower[out], upper[out] = 0.0, 0.0
        if r.min_position is not None:
            lower[~out] = np.maximum(lower[~out], r.min_position)
    if r.fee > 0:
        still = np.abs(w - r.holdings) <= 1e-7
        lower[still] = upper[still] = r.holdings[still]
    fixed = replace(r, min_position=None, max_names=None, fee=0.0)
    narrowed = replace(lc, lower=lower, upper=upper)
    try:
        polished = solver.solve(Problem(problem.universe, narrowed, problem.objective, fixed))
    except DomainError:  # the MIP's answer stands as it is
        return found
    return replace(
        polished,
        solver=f"{found.solver}, then {polished.solver} on its names",
        attempts=(*found.attempts, *polished.attempts),
        gap=found.gap,
    )


def _trading_infeasible(solver: Solver, problem: Problem) -> InfeasibleError:
    """Which trading limit cannot be met, with the least value the other constraints allow:
    the turnover cap against the least turnover, the per-asset trade cap against the least
    largest trade, the tracking-error cap against the least tracking error."""
    universe, lc, r = problem.universe, problem.constraints, problem.rebalance
    assert r is not None
    if r.max_names is not None:
        caps = np.minimum(np.where(np.isfinite(lc.upper), lc.upper, 1.0), 1.0)
        reach = float(np.sort(caps)[::-1][: r.max_names].sum())
        if reach < 1.0 - 1e-9:
            return InfeasibleError(
                f"max_names {r.max_names}: the {r.max_names} largest weight caps sum to "
                f"{_fmt(reach)}, so the portfolio cannot be fully invested; allow more names "
                "or raise the caps",
                field="max_names",
            )
    free = replace(r, turnover=None, max_trade=None, max_tracking_error=None)
    if r.turnover is not None or r.max_trade is not None:
        try:
            least = solver.solve(Problem(universe, lc, MinTurnover(), free)).weights
        except InfeasibleError:
            least = None
        if least is not None and r.turnover is not None:
            needed = free.turnover_of(least)
            if needed > r.turnover + 1e-9:
                return InfeasibleError(
                    f"turnover cap {_fmt(r.turnover)} is below the least turnover that meets "
                    f"the other constraints, {_fmt(needed)} (investing the cash and trading "
                    "back within the bounds and limits); raise the cap or relax a limit",
                    field="turnover",
                )
        if r.max_trade is not None:
            return InfeasibleError(
                f"max_trade {_fmt(r.max_trade)} per asset cannot reach a portfolio that meets "
                "the other constraints from these holdings (a holding outside its bounds, or "
                "cash to invest, needs a larger trade); raise it or relax a limit",
                field="max_trade",
            )
    if r.max_tracking_error is not None:
        keep = replace(r, max_tracking_error=None)
        try:
            closest = solver.solve(Problem(universe, lc, MinTrackingError(), keep)).weights
            b = r.benchmark
            te = float(universe.portfolio_variance(closest - b)) ** 0.5  # type: ignore[operator]
            detail = f", the least reachable is {_fmt(te)}"
        except InfeasibleError:
            detail = ""
        return InfeasibleError(
            f"max_tracking_error {_fmt(r.max_tracking_error)} cannot be met under these "
            f"constraints{detail}; raise it or relax a limit",
            field="max_tracking_error",
        )
    if isinstance(problem.objective, MaxSharpe) and not r.has_positions:
        rf = problem.objective.risk_free_rate
        try:  # the most any portfolio earns net of costs within the limits (no risk cap)
            best = solver.solve(Problem(universe, lc, TargetRisk(1e3), r)).weights
            net = float(universe.expected_returns @ best) - r.cost_of(best)
        except DomainError:
            net = None
        if net is not None and net <= rf + RETURN_TOLERANCE:
            return InfeasibleError(
                f"max Sharpe needs a portfolio earning more than the risk-free rate {_fmt(rf)} "
                f"net of costs, but within these trading limits the most any earns is "
                f"{_fmt(net)}; loosen the turnover or trade caps, or choose another objective",
                field="risk_free_rate",
            )
    return InfeasibleError(
        "no portfolio satisfies the constraints with these trading limits, position rules and "
        "costs (or, net of costs, none beats the risk-free rate); relax a limit or a rule, or "
        "lower the costs",
        field="constraints",
    )


def allocate(
    solver: Solver,
    universe: Universe,
    constraints: LinearConstraints,
    objective: Objective,
    risk_free_rate: float = 0.0,
    warnings: Sequence[str] = (),
    rebalance: Rebalance | None = None,
) -> Allocation:
    """Pre-check, solve, clean and measure one allocation.

    ``risk_free_rate`` (annualized decimal) is used for the reported Sharpe ratio; a
    ``MaxSharpe`` objective uses its own rate for both. ``rebalance``: the holdings it starts
    from and the limits and costs of trading (``domain.rebalance``).
    """
    check_rate(risk_free_rate)
    precheck(universe.tickers, constraints)
    _check_target(solver, universe, constraints, objective)
    solution = _solve(solver, Problem(universe, constraints, objective, rebalance))
    if rebalance is not None and rebalance.has_positions:
        solution = _polish(solver, Problem(universe, constraints, objective, rebalance), solution)
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
    report = None
    if rebalance is not None:
        report = _report(universe, weights, rebalance, metrics, objective, notes)
        if rebalance.has_positions:
            report = replace(report, mip_gap=solution.gap)
            if solution.gap is not None and solution.gap > 1e-9:
                notes.append(
                    f"{solution.solver} stopped with a relative gap of {share(solution.gap, 4)}"
                    " (the time limit): the position rules hold, the objective may be improvable"
                )
    return Allocation(
        universe.tickers,
        weights,
        metrics,
        solution.solver,
        solution.status,
        solution.attempts,
        tuple(notes),
        report,
    )


def _report(
    universe: Universe,
    weights: FloatArray,
    rebalance: Rebalance,
    metrics: PortfolioMetrics,
    objective: Objective,
    notes: list[str],
) -> RebalanceReport:
    if rebalance.has_costs and objective.name in ("min_variance", "min_tracking_error"):
        notes.append(
            f"trading costs do not change a {objective.name.replace('_', ' ')} portfolio "
            "(its objective has no return to charge them to); they are reported, and a "
            "turnover cap limits the trading"
        )
    b = rebalance.benchmark
    active = None if b is None else float(universe.portfolio_variance(weights - b))
    return rebalance_report(universe.tickers, weights, rebalance, metrics.expected_return, active)
