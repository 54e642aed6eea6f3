"""Optimize one portfolio on its universe (estimated from prices, or the caller's own)."""

import datetime as dt
import time
from dataclasses import dataclass, field, replace

from application.allocate import Allocation, allocate
from application.estimate_universe import EstimationSettings, ModelSource
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
        estimated = self._models.estimate(cmd.portfolio.tickers, cmd.estimation)
        tickers = estimated.universe.tickers
        constraints = compile_constraints(tickers, cmd.portfolio.constraints)
        rebalance = None
        if cmd.rebalance is not None:
            rebalance = compile_rebalance(
                tickers, cmd.rebalance, constraints.long_only, estimated.last_prices
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
        return OptimizationResult(
            objective=cmd.objective,
            allocation=allocation,
            start=estimated.start,
            end=estimated.end,
            n_observations=estimated.n_observations,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

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
