"""Optimize one portfolio on its universe (estimated from prices, or the caller's own)."""

import datetime as dt
import time
from dataclasses import dataclass, field, replace

from application.allocate import Allocation, allocate
from application.estimate_universe import EstimationSettings, ModelSource
from domain.constraints import AssetBounds
from domain.errors import DomainError, InvalidConstraintError
from domain.linear import compile_constraints
from domain.model import Portfolio, Universe
from domain.objectives import MaxSharpe, Objective, check_rate
from domain.ports import Solver
from domain.rebalance import Rebalance, RebalanceSpec, compile_rebalance
from domain.shares import ShareAllocator, allocate_shares

WHOLE_SHARES_TIME_LIMIT_S = 10.0
"""Seconds HiGHS may spend on a whole-share allocation (it reports its gap if stopped)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptimizePortfolioCommand:
    portfolio: Portfolio
    objective: Objective = field(default_factory=MaxSharpe)
    estimation: EstimationSettings = field(default_factory=EstimationSettings)
    risk_free_rate: float = 0.0
    """Annualized decimal, for the reported Sharpe ratio (MaxSharpe uses its own rate)."""
    rebalance: RebalanceSpec | None = None
    """The holdings to start from and the trading limits and costs, by ticker."""

    def __post_init__(self) -> None:
        check_rate(self.risk_free_rate)


@dataclass(frozen=True, slots=True, eq=False)
class OptimizationResult:
    """An allocation with the data window it was estimated on and the wall time it took."""

    objective: Objective
    allocation: Allocation
    start: dt.date | None
    end: dt.date | None
    """The price window (None for a caller-supplied universe, which has no prices)."""
    n_observations: int
    duration_ms: float


class OptimizePortfolio:
    """Take the portfolio's universe from ``models`` and solve for its optimal weights."""

    def __init__(
        self, models: ModelSource, solver: Solver, shares: ShareAllocator | None = None
    ) -> None:
        self._models, self._solver, self._shares = models, solver, shares

    def execute(self, cmd: OptimizePortfolioCommand) -> OptimizationResult:
        started = time.perf_counter()
        spec, index = cmd.rebalance, None
        if spec is not None and spec.index is not None:
            if spec.index in cmd.portfolio.tickers:  # one of the assets: weights on it
                spec = replace(spec, benchmark={spec.index: 1.0}, index=None)
            else:
                index = spec.index
        estimated = self._estimate(cmd, index)
        tickers = estimated.universe.tickers
        extra: tuple = () if index is None else (AssetBounds({index: (0.0, 0.0)}),)
        constraints = compile_constraints(tickers, (*cmd.portfolio.constraints, *extra))
        rebalance = None
        if spec is not None:
            if index is not None:
                spec = replace(spec, benchmark={index: 1.0}, index=None)
            rebalance = compile_rebalance(
                tickers, spec, constraints.long_only, estimated.last_prices
            )
        allocation = allocate(
            self._solver,
            estimated.universe,
            constraints,
            cmd.objective,
            cmd.risk_free_rate,
            estimated.warnings,
            rebalance,
        )
        if rebalance is not None and rebalance.lots is not None:
            allocation = self._in_whole_lots(estimated.universe, allocation, rebalance)
        if index is not None:
            allocation = without_asset(allocation, tickers.index(index))
        return OptimizationResult(
            objective=cmd.objective,
            allocation=allocation,
            start=estimated.start,
            end=estimated.end,
            n_observations=estimated.n_observations,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _estimate(self, cmd: OptimizePortfolioCommand, index: str | None):
        """The run's universe, with the index's prices beside its assets when it tracks
        one (an index without prices is the benchmark's error, not the assets')."""
        if index is None:
            return self._models.estimate(cmd.portfolio.tickers, cmd.estimation)
        try:
            return self._models.estimate((*cmd.portfolio.tickers, index), cmd.estimation)
        except DomainError as error:
            if index not in error.detail:
                raise
            raise InvalidConstraintError(
                f"index {index}: {error.detail} (the benchmark needs prices over the run's window)",
                field="index",
            ) from None

    def _in_whole_lots(
        self, universe: Universe, allocation: Allocation, rebalance: Rebalance
    ) -> Allocation:
        """The target rounded into whole lots for the book's value, with how far the
        rounding moves it (allocation error, tracking error against the target)."""
        assert rebalance.prices is not None and rebalance.lots is not None
        assert rebalance.value is not None and allocation.rebalance is not None
        rounded = allocate_shares(
            allocation.weights,
            rebalance.prices,
            rebalance.value,
            rebalance.lots,
            rebalance.allocation,
            self._shares,
            WHOLE_SHARES_TIME_LIMIT_S,
        )
        if rebalance.held_shares is not None:
            rounded = replace(rounded, held=rebalance.held_shares)
        drift = universe.portfolio_variance(rounded.weights - allocation.weights)
        report = replace(
            allocation.rebalance, shares=rounded, rounding_tracking_error=max(drift, 0.0) ** 0.5
        )
        return replace(allocation, rebalance=report)


def without_asset(allocation: Allocation, i: int) -> Allocation:
    """``allocation`` without asset ``i`` (a tracked index, held at 0): its weights, trades
    and whole-share rows; the metrics stand (the asset's weight was 0)."""
    keep = [k for k in range(len(allocation.tickers)) if k != i]
    report = allocation.rebalance
    if report is not None:
        gone = allocation.tickers[i]
        trades = tuple(t for t in report.trades if t.ticker != gone)
        shares = report.shares
        if shares is not None:
            held = None if shares.held is None else shares.held[keep]
            shares = replace(
                shares,
                shares=shares.shares[keep],
                prices=shares.prices[keep],
                lots=shares.lots[keep],
                weights=shares.weights[keep],
                held=held,
            )
        report = replace(report, trades=trades, shares=shares)
    return replace(
        allocation,
        tickers=tuple(allocation.tickers[k] for k in keep),
        weights=allocation.weights[keep],
        rebalance=report,
    )
