"""The one orchestrator: any ``RunSpec`` resolved, computed and kept in history.

``Runs`` is synchronous: a CLI command calls it directly (no event loop), the server calls it
from a worker thread through ``AsyncRuns``, and a remote worker could call it as it is. The
portfolio lookup, the price load, the solve and the history append all happen in that one
thread, on the store's synchronous side.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import TypeAlias

from application.compute_frontier import ComputeFrontier, ComputeFrontierCommand, FrontierRun
from application.estimate_universe import FromPrices, GivenModel, ModelSource
from application.optimize_portfolio import (
    OptimizationResult,
    OptimizePortfolio,
    OptimizePortfolioCommand,
)
from application.ports import PriceFiles, RunCodec, RunStore, SolverFactory
from application.specs import Frontier, InlineModel, Optimize, PricesFile, RunSpec, SavedPortfolio
from domain.frontier import CancellationToken, ProgressReporter
from domain.linear import compile_constraints
from domain.model import Asset, Portfolio
from domain.ports import PriceSource, RiskEstimator
from domain.rebalance import RebalanceSpec
from domain.records import OptimizationRecord
from domain.shares import ShareAllocator

RunResult: TypeAlias = OptimizationResult | FrontierRun


@dataclass(frozen=True, slots=True, eq=False)
class ResolvedRun:
    """A spec with what it names looked up: the portfolio (a saved one's assets and
    constraints, or the ad-hoc selection on the data's tickers), where its universe comes from
    and the source's name for history (``store``, the file's name, ``inline``)."""

    spec: RunSpec
    portfolio: Portfolio
    portfolio_id: str | None
    models: ModelSource
    source: str


@dataclass(frozen=True, slots=True, eq=False)
class RunOutcome:
    """A finished run: its history id, its result and its results document as stored."""

    id: str
    run: ResolvedRun
    result: RunResult
    document: dict


class _Silent:
    def report(self, current: int, total: int, message: str) -> None:
        return None


def _from_holdings(spec: RunSpec, portfolio: Portfolio) -> RunSpec:
    """A single run on a saved portfolio that keeps holdings rebalances from them (its own
    holdings or shares, when the run gives some, win); the rest of the book is cash."""
    held = portfolio.current_weights
    task = spec.task
    if not held or not isinstance(task, Optimize):
        return spec
    given = task.rebalance
    if given is not None and given.holds_something:
        return spec
    cash = max(0.0, 1.0 - sum(held.values()))
    base = given or RebalanceSpec()
    rebalance = replace(base, holdings=dict(held), cash=cash)
    return replace(spec, task=replace(task, rebalance=rebalance))


class Runs:
    """Runs any spec on one owner's store. The use cases are injected (``optimize``,
    ``frontier``: factories taking the model source and the solver), so the inline path and the
    stored one are the same use case, and tests can swap either."""

    def __init__(
        self,
        store: RunStore,
        files: PriceFiles,
        estimator: RiskEstimator,
        solvers: SolverFactory,
        codec: RunCodec,
        *,
        optimize: Callable[..., OptimizePortfolio] = OptimizePortfolio,
        frontier: Callable[..., ComputeFrontier] = ComputeFrontier,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        shares: ShareAllocator | None = None,
    ) -> None:
        self._shares = shares
        self._store, self._files, self._estimator = store, files, estimator
        self._solvers, self._codec = solvers, codec
        self._optimize, self._frontier, self._new_id = optimize, frontier, new_id

    def resolve(self, spec: RunSpec) -> ResolvedRun:
        """Look up what ``spec`` names; every error a run can know before computing is raised
        here (a missing portfolio, constraints naming unknown tickers of an inline model), so
        a server refuses a frontier job before it starts."""
        models, source, prices = self._models(spec)
        if isinstance(spec.assets, SavedPortfolio):
            stored = self._store.portfolio(spec.assets.ref)
            spec = _from_holdings(spec, stored.portfolio)
            return ResolvedRun(spec, stored.portfolio, stored.id, models, source)
        a = spec.assets
        tickers = a.tickers
        if tickers is None:
            tickers = (
                spec.data.universe.tickers
                if isinstance(spec.data, InlineModel)
                else prices.load().tickers
            )
        assets = tuple(Asset(t, a.sectors.get(t)) for t in tickers)
        portfolio = Portfolio(a.name, assets, a.constraints)
        if isinstance(spec.data, InlineModel):
            compile_constraints(spec.data.universe.tickers, portfolio.constraints)
        return ResolvedRun(spec, portfolio, None, models, source)

    def _models(self, spec: RunSpec) -> tuple[ModelSource, str, PriceSource]:
        data = spec.data
        if isinstance(data, InlineModel):
            return GivenModel(data.universe), "inline", self._store.prices
        if isinstance(data, PricesFile):
            prices = self._files.open(data.path)
            return FromPrices(prices, self._estimator), PurePath(data.path).name, prices
        return FromPrices(self._store.prices, self._estimator), "store", self._store.prices

    def execute(
        self,
        run: ResolvedRun,
        progress: ProgressReporter | None = None,
        cancel: CancellationToken | None = None,
    ) -> RunOutcome:
        """Compute ``run`` and append it to history; the outcome carries the stored document."""
        spec = run.spec
        result: RunResult
        if isinstance(spec.task, Optimize):
            solver = self._solvers.single(spec.solver, cancel)
            optimized = self._optimize(run.models, solver, self._shares).execute(
                OptimizePortfolioCommand(
                    portfolio=run.portfolio,
                    objective=spec.task.objective,
                    estimation=spec.estimation,
                    risk_free_rate=spec.risk_free_rate,
                    rebalance=spec.task.rebalance,
                )
            )
            result, status = optimized, optimized.allocation.status
        else:
            task: Frontier = spec.task
            use_case = self._frontier(
                run.models, self._solvers.frontier(spec.solver, cancel), progress or _Silent()
            )
            traced = use_case.execute(
                ComputeFrontierCommand(
                    portfolio=run.portfolio,
                    n_points=task.n_points,
                    targets=task.targets,
                    risk_free_rate=spec.risk_free_rate,
                    estimation=spec.estimation,
                ),
                cancel,
            )
            result, status = traced, traced.frontier.status
        run_id = self._new_id()
        document = self._codec.results(run, result, run_id)
        self._store.append(
            OptimizationRecord(
                run_id,
                spec.kind,
                spec.objective_name,
                self._codec.params(run),
                document,
                status,
                result.duration_ms,
                run.portfolio_id,
            )
        )
        return RunOutcome(run_id, run, result, document)

    def run(
        self,
        spec: RunSpec,
        progress: ProgressReporter | None = None,
        cancel: CancellationToken | None = None,
    ) -> RunOutcome:
        return self.execute(self.resolve(spec), progress, cancel)


class AsyncRuns:
    """The server's shell over ``Runs``: each call is one hop to a worker thread, so the event
    loop keeps answering while a run resolves, solves and is written."""

    def __init__(self, runs: Runs) -> None:
        self._runs = runs

    async def resolve(self, spec: RunSpec) -> ResolvedRun:
        return await asyncio.to_thread(self._runs.resolve, spec)

    async def execute(
        self,
        run: ResolvedRun,
        progress: ProgressReporter | None = None,
        cancel: CancellationToken | None = None,
    ) -> RunOutcome:
        return await asyncio.to_thread(self._runs.execute, run, progress, cancel)

    async def run(self, spec: RunSpec, cancel: CancellationToken | None = None) -> RunOutcome:
        """Resolve and execute in one hop (a hop costs ~80 us of CPU)."""
        return await asyncio.to_thread(self._runs.run, spec, None, cancel)
