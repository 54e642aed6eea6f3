"""Run an optimization or a frontier on stored or supplied prices and keep it in history.

The solve is CPU-bound and synchronous, so it runs in a worker thread, and the record is
appended to history from that same thread (``RunJournal``); prices are loaded through the unit of
work before.
"""

import asyncio
import dataclasses
import math
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from application.allocate import allocate
from application.compute_frontier import (
    ComputeFrontier,
    ComputeFrontierCommand,
    FrontierRun,
    frontier_run,
)
from application.history_source import HistoryPriceSource
from application.optimize_portfolio import (
    OptimizationResult,
    OptimizePortfolio,
    OptimizePortfolioCommand,
)
from domain.constraints import Constraint
from domain.covariance import ensure_psd
from domain.frontier import CancellationToken, FrontierPoint, FrontierSolver, ProgressReporter
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import Objective
from domain.ports import PriceSource, RiskEstimator, Solver
from domain.records import OptimizationRecord, RunKind
from domain.repositories import UnitOfWorkFactory

R = TypeVar("R")


def jsonable(value: Any) -> Any:
    """Builtins for a JSON column: dataclasses as dicts with their type, dates as ISO text,
    infinite or NaN floats as None (JSON has neither)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _weights(tickers, weights) -> dict[str, float] | None:
    return None if weights is None else {t: float(w) for t, w in zip(tickers, weights, strict=True)}


def _point(point: FrontierPoint, tickers) -> dict[str, Any]:
    m = point.metrics
    return jsonable(
        {
            "target_return": point.target_return,
            "status": point.status,
            "solver": point.solver,
            "expected_return": m.expected_return if m else None,
            "volatility": m.volatility if m else None,
            "sharpe": m.sharpe if m else None,
            "weights": _weights(tickers, point.weights),
            "detail": point.detail,
        }
    )


def _window(start: Any, end: Any, n_observations: int) -> dict[str, Any] | None:
    if start is None:
        return None
    return {"start": start, "end": end, "n_observations": n_observations}


def _allocation_results(result: OptimizationResult) -> dict[str, Any]:
    a = result.allocation
    return jsonable(
        {
            "weights": _weights(a.tickers, a.weights),
            "metrics": a.metrics,
            "solver": a.solver,
            "status": a.status,
            "warnings": list(a.warnings),
            "window": _window(result.start, result.end, result.n_observations),
        }
    )


def _params(cmd: OptimizePortfolioCommand | ComputeFrontierCommand, source: str) -> dict:
    """What the run was asked, before ``jsonable`` (which runs in the worker thread)."""
    return {
        "source": source,
        "tickers": list(cmd.portfolio.tickers),
        "constraints": list(cmd.portfolio.constraints),
        "estimation": cmd.estimation,
        "risk_free_rate": cmd.risk_free_rate,
        **(
            {"objective": cmd.objective}
            if isinstance(cmd, OptimizePortfolioCommand)
            else {"n_points": cmd.n_points}
        ),
    }


Outcome = tuple[R, dict[str, Any], str, float]
"""What a run returns: its result, the results to keep (JSON-ready), status, duration in ms."""


class RecordedRuns:
    """Each run is computed and appended to history in one worker thread (``RunJournal``), so
    an API call costs one hop off the event loop and the record is committed before it returns."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        estimator: RiskEstimator,
        solver: Solver,
        frontier_solver: FrontierSolver,
    ) -> None:
        self._uow, self._estimator = uow, estimator
        self._solver, self._frontier_solver = solver, frontier_solver

    async def _source(self, cmd, source: PriceSource | None) -> PriceSource:
        if source is not None:
            return source
        async with self._uow() as uow:
            history = await uow.prices.load(
                cmd.portfolio.tickers, cmd.estimation.start, cmd.estimation.end
            )
        return HistoryPriceSource(history)

    async def _kept(
        self,
        run: Callable[[], Outcome[R]],
        kind: RunKind,
        objective: str,
        params: dict[str, Any],
        portfolio_id: str | None = None,
    ) -> tuple[R, str]:
        """``run`` in a worker thread and its record appended there; the result and the
        record's id."""
        journal = self._uow.journal()

        def work() -> tuple[R, str]:
            result, results, status, duration_ms = run()
            record = OptimizationRecord(
                str(uuid.uuid4()),
                kind,
                objective,
                jsonable(params),
                results,
                status,
                duration_ms,
                portfolio_id,
            )
            journal.append(record)
            return result, record.id

        return await asyncio.to_thread(work)

    async def optimize(
        self,
        cmd: OptimizePortfolioCommand,
        source: PriceSource | None = None,
        source_name: str = "store",
        portfolio_id: str | None = None,
    ) -> tuple[OptimizationResult, str]:
        use_case = OptimizePortfolio(await self._source(cmd, source), self._estimator, self._solver)

        def run() -> Outcome[OptimizationResult]:
            result = use_case.execute(cmd)
            return result, _allocation_results(result), result.allocation.status, result.duration_ms

        params = _params(cmd, source_name)
        return await self._kept(run, "single", cmd.objective.name, params, portfolio_id)

    async def optimize_universe(
        self,
        universe: Universe,
        constraints: tuple[Constraint, ...],
        objective: Objective,
        risk_free_rate: float = 0.0,
    ) -> tuple[OptimizationResult, str]:
        """For callers who bring their own risk model (no prices involved)."""

        def run() -> Outcome[OptimizationResult]:
            started = time.perf_counter()
            model, warnings = _repaired(universe)
            lc = compile_constraints(model.tickers, constraints)
            allocation = allocate(self._solver, model, lc, objective, risk_free_rate, warnings)
            duration_ms = (time.perf_counter() - started) * 1000.0
            result = OptimizationResult(objective, allocation, None, None, 0, duration_ms)
            return result, _allocation_results(result), allocation.status, duration_ms

        params = {
            "source": "inline",
            "tickers": list(universe.tickers),
            "constraints": list(constraints),
            "objective": objective,
            "risk_free_rate": risk_free_rate,
        }
        return await self._kept(run, "single", objective.name, params)

    async def frontier(
        self,
        cmd: ComputeFrontierCommand,
        progress: ProgressReporter,
        source: PriceSource | None = None,
        source_name: str = "store",
        portfolio_id: str | None = None,
        cancel: CancellationToken | None = None,
    ) -> tuple[FrontierRun, str]:
        prices = await self._source(cmd, source)
        use_case = ComputeFrontier(prices, self._estimator, self._frontier_solver, progress)

        def run() -> Outcome[FrontierRun]:
            done = use_case.execute(cmd, cancel)
            return done, _frontier_results(done), done.frontier.status, done.duration_ms

        params = _params(cmd, source_name)
        return await self._kept(run, "frontier", "frontier", params, portfolio_id)

    async def frontier_universe(
        self,
        universe: Universe,
        cmd: ComputeFrontierCommand,
        progress: ProgressReporter,
        cancel: CancellationToken | None = None,
    ) -> tuple[FrontierRun, str]:
        """The frontier of a caller's own risk model (no prices involved); ``cmd`` carries the
        constraints (on a portfolio of the universe's tickers), points and rate."""

        def run() -> Outcome[FrontierRun]:
            model, warnings = _repaired(universe)
            done = frontier_run(
                self._frontier_solver, model, cmd, progress, cancel, warnings=warnings
            )
            return done, _frontier_results(done), done.frontier.status, done.duration_ms

        params = {**_params(cmd, "inline"), "estimation": None}
        return await self._kept(run, "frontier", "frontier", params)


def _repaired(universe: Universe) -> tuple[Universe, tuple[str, ...]]:
    """A caller's dense covariance made PSD if it is not, with the warning saying so."""
    if universe.factor_model is not None:
        return universe, ()
    cov, repair = ensure_psd(universe.covariance)
    if not repair:
        return universe, ()
    return Universe(universe.tickers, universe.expected_returns, cov), (repair,)


def _frontier_results(run: FrontierRun) -> dict[str, Any]:
    f = run.frontier
    return jsonable(
        {
            "method": f.method,
            "notes": list(f.notes),
            "return_range": f.return_range,
            "points": [_point(p, f.tickers) for p in f.points],
            "max_sharpe": None if f.max_sharpe is None else _point(f.max_sharpe, f.tickers),
            "min_variance": _point(f.min_variance, f.tickers),
            "risk_free_rate": f.risk_free_rate,
            "assets": {
                "tickers": list(run.assets.tickers),
                "volatilities": run.assets.volatilities.tolist(),
                "expected_returns": run.assets.expected_returns.tolist(),
            },
            "window": _window(run.start, run.end, run.n_observations),
        }
    )
