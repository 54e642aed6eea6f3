"""Compute the efficient frontier, point by point, with progress and cancellation."""

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from application.estimate_universe import EstimationSettings, ModelSource
from application.riskless import riskless_error
from domain.charts import AssetPoints, asset_points
from domain.cleaning import clean_weights
from domain.errors import (
    InfeasibleError,
    SolverFailedError,
    SolverTimeoutError,
    UnboundedError,
)
from domain.feasibility import precheck
from domain.frontier import (
    DEFAULT_POINTS,
    CancellationToken,
    Frontier,
    FrontierPoint,
    FrontierResult,
    FrontierSolver,
    NeverCancelled,
    ProgressReporter,
    check_points,
)
from domain.linear import LinearConstraints, compile_constraints
from domain.metrics import universe_metrics
from domain.model import Portfolio, Universe
from domain.objectives import check_rate
from domain.problem import Solution


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeFrontierCommand:
    portfolio: Portfolio
    n_points: int = DEFAULT_POINTS
    targets: tuple[float, ...] | None = None
    """Explicit target returns (annualized decimals) instead of an even grid of n_points."""
    risk_free_rate: float = 0.0
    estimation: EstimationSettings = field(default_factory=EstimationSettings)

    def __post_init__(self) -> None:
        """Checked when the command is made, so an HTTP job is refused before it starts."""
        check_points(self.n_points, self.targets)
        check_rate(self.risk_free_rate)


@dataclass(frozen=True, slots=True, eq=False)
class FrontierRun:
    """A frontier with the data window it was estimated on and the wall time it took."""

    frontier: FrontierResult
    start: dt.date | None
    end: dt.date | None
    """The price window (None for a caller-supplied universe, which has no prices)."""
    n_observations: int
    warnings: tuple[str, ...]
    duration_ms: float
    assets: AssetPoints
    """Each asset alone, for the scatter behind a frontier chart."""


def _point(
    universe: Universe, lc: LinearConstraints, target: float, solution: Solution, rf: float
) -> FrontierPoint:
    weights, _ = clean_weights(solution.weights, lc)
    metrics = universe_metrics(universe, weights, rf)
    return FrontierPoint(
        target, solution.status, solution.solver, weights, metrics, solution.kkt_residual
    )


def _solve_point(
    frontier: Frontier, universe: Universe, lc: LinearConstraints, target: float, rf: float
) -> FrontierPoint:
    """One point; an infeasible or failed point is marked, never raised."""
    try:
        return _point(universe, lc, target, frontier.at_return(target), rf)
    except InfeasibleError as error:
        return FrontierPoint(target, "infeasible", frontier.method, detail=error.detail)
    except (SolverFailedError, SolverTimeoutError) as error:
        return FrontierPoint(target, "failed", frontier.method, detail=error.detail)


def _targets(frontier: Frontier, n_points: int, targets: Sequence[float] | None):
    span = frontier.return_range()
    if not math.isfinite(span.highest):
        raise UnboundedError(
            "the highest reachable return is unbounded (shorts without bounds or a leverage "
            "cap), so the frontier has no top: set --max-weight/--min-weight or --leverage",
            field="leverage",
        )
    if targets is not None:
        return span, sorted(targets)
    return span, list(np.linspace(span.lowest, span.highest, n_points))


def trace_frontier(
    solver: FrontierSolver,
    universe: Universe,
    lc: LinearConstraints,
    *,
    n_points: int = DEFAULT_POINTS,
    targets: Sequence[float] | None = None,
    risk_free_rate: float = 0.0,
    progress: ProgressReporter | None = None,
    cancel: CancellationToken | None = None,
) -> FrontierResult:
    """The frontier of one universe: points from the minimum-variance return to the highest
    reachable one, the exact max-Sharpe and min-variance portfolios, progress after each point
    and a check for cancellation before each."""
    check_points(n_points, targets)
    check_rate(risk_free_rate)
    precheck(universe.tickers, lc)
    frontier = solver.prepare(universe, lc)
    span, grid = _targets(frontier, n_points, targets)
    notes = list(frontier.notes)
    low = frontier.min_variance()
    min_variance = _point(
        universe, lc, float(universe.expected_returns @ low.weights), low, risk_free_rate
    )
    try:
        unbounded = riskless_error(universe, low.weights, risk_free_rate)
        if unbounded is not None:
            raise unbounded
        best = frontier.max_sharpe(risk_free_rate)
        max_sharpe = _point(
            universe, lc, float(universe.expected_returns @ best.weights), best, risk_free_rate
        )
    except InfeasibleError as error:
        max_sharpe = None
        notes.append(f"no max-Sharpe portfolio: {error.detail}")
    points: list[FrontierPoint] = []
    cancel = cancel or NeverCancelled()
    for k, target in enumerate(grid, start=1):
        if cancel.is_cancelled():
            break
        points.append(_solve_point(frontier, universe, lc, float(target), risk_free_rate))
        if progress is not None:
            progress.report(k, len(grid), f"Calculating portfolio {k}/{len(grid)}")
    status = "complete" if len(points) == len(grid) else "cancelled"
    return FrontierResult(
        universe.tickers,
        tuple(points),
        max_sharpe,
        min_variance,
        span,
        risk_free_rate,
        status,
        frontier.method,
        tuple(notes),
    )


class ComputeFrontier:
    """Take the portfolio's universe from ``models`` and trace its efficient frontier."""

    def __init__(
        self, models: ModelSource, frontier_solver: FrontierSolver, progress: ProgressReporter
    ) -> None:
        self._models, self._solver, self._progress = models, frontier_solver, progress

    def execute(
        self, cmd: ComputeFrontierCommand, cancel: CancellationToken | None = None
    ) -> FrontierRun:
        started = time.perf_counter()
        estimated = self._models.estimate(cmd.portfolio.tickers, cmd.estimation)
        universe = estimated.universe
        lc = compile_constraints(universe.tickers, cmd.portfolio.constraints)
        result = trace_frontier(
            self._solver,
            universe,
            lc,
            n_points=cmd.n_points,
            targets=cmd.targets,
            risk_free_rate=cmd.risk_free_rate,
            progress=self._progress,
            cancel=cancel,
        )
        return FrontierRun(
            result,
            estimated.start,
            estimated.end,
            estimated.n_observations,
            estimated.warnings,
            (time.perf_counter() - started) * 1000.0,
            asset_points(universe),
        )
