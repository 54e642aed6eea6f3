"""A run's results: the HTTP response, the stored ``results`` of a history record, the CLI's
``--json``, and the input of its charts and CSV export are these documents. NaN and infinite
floats never occur in them (a metric that does not exist is null)."""

import datetime as dt

import msgspec
import numpy as np

from adapters.documents import SCHEMA_VERSION
from adapters.documents.rebalance import RebalanceBody
from application.compute_frontier import FrontierRun
from application.optimize_portfolio import OptimizationResult
from domain.charts import AssetPoints
from domain.frontier import FrontierPoint, FrontierResult
from domain.metrics import PortfolioMetrics
from domain.objectives import Objective
from domain.problem import ReturnRange


class SolverAttemptBody(msgspec.Struct):
    solver: str
    outcome: str


class WindowBody(msgspec.Struct):
    """The price window a run was estimated on: first and last day (ISO dates), and the number
    of daily returns used."""

    start: str
    end: str
    n_observations: int


def _window(start: dt.date | None, end: dt.date | None, n: int) -> WindowBody | None:
    if start is None or end is None:
        return None
    return WindowBody(start.isoformat(), end.isoformat(), n)


def _weights(tickers, weights) -> dict[str, float]:
    return {t: float(w) for t, w in zip(tickers, weights, strict=True)}


def objective_parameters(objective: Objective) -> dict[str, float]:
    """The objective's numeric parameters by name (target_return, risk_aversion...)."""
    fields = ("target_return", "target_volatility", "risk_free_rate", "risk_aversion")
    return {name: float(getattr(objective, name)) for name in fields if hasattr(objective, name)}


class OptimizationResponse(msgspec.Struct, kw_only=True):
    """One optimal portfolio: weights by ticker, annualized expected return and volatility, the
    Sharpe ratio at ``risk_free_rate``, which solver answered and what was noticed."""

    schema_version: int = SCHEMA_VERSION
    objective: str
    parameters: dict[str, float]
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float | None
    risk_free_rate: float
    solver: str
    status: str
    solver_attempts: list[SolverAttemptBody]
    warnings: list[str]
    window: WindowBody | None
    duration_ms: float
    optimization_id: str | None = None
    rebalance: RebalanceBody | None = None
    """The trades from the holdings and what they come to (runs that started from holdings
    or tracked a benchmark)."""

    @classmethod
    def from_domain(
        cls, result: OptimizationResult, risk_free_rate: float, optimization_id: str | None = None
    ) -> "OptimizationResponse":
        a = result.allocation
        return cls(
            objective=result.objective.name,
            parameters=objective_parameters(result.objective),
            weights=_weights(a.tickers, a.weights),
            expected_return=a.metrics.expected_return,
            volatility=a.metrics.volatility,
            sharpe=a.metrics.sharpe,
            risk_free_rate=getattr(result.objective, "risk_free_rate", risk_free_rate),
            solver=a.solver,
            status=a.status,
            solver_attempts=[SolverAttemptBody(x.solver, x.outcome) for x in a.attempts],
            warnings=list(a.warnings),
            window=_window(result.start, result.end, result.n_observations),
            duration_ms=round(result.duration_ms, 3),
            optimization_id=optimization_id,
            rebalance=None
            if a.rebalance is None
            else RebalanceBody.from_domain(a.rebalance, a.tickers),
        )


class FrontierPointBody(msgspec.Struct, kw_only=True):
    """A frontier point; ``weights`` and the metrics are null when it is infeasible or failed
    (``detail`` says why)."""

    target_return: float
    status: str
    solver: str
    expected_return: float | None = None
    volatility: float | None = None
    sharpe: float | None = None
    kkt_residual: float | None = None
    weights: dict[str, float] | None = None
    detail: str | None = None

    @classmethod
    def from_domain(cls, point: FrontierPoint, tickers: tuple[str, ...]) -> "FrontierPointBody":
        m, w = point.metrics, point.weights
        return cls(
            target_return=point.target_return,
            status=point.status,
            solver=point.solver,
            expected_return=m.expected_return if m else None,
            volatility=m.volatility if m else None,
            sharpe=m.sharpe if m else None,
            kkt_residual=point.kkt_residual,
            weights=None if w is None else _weights(tickers, w),
            detail=point.detail,
        )

    def to_domain(self) -> FrontierPoint:
        metrics = None
        if self.volatility is not None and self.expected_return is not None:
            metrics = PortfolioMetrics(self.expected_return, self.volatility, self.sharpe)
        weights = None if self.weights is None else np.array(list(self.weights.values()))
        return FrontierPoint(
            self.target_return,
            self.status,  # type: ignore[arg-type]
            self.solver,
            weights,
            metrics,
            self.kkt_residual,
            self.detail,
        )


class ReturnRangeBody(msgspec.Struct):
    lowest: float
    highest: float


class AssetsBody(msgspec.Struct):
    """Each asset alone (annualized volatility and expected return), for the scatter behind a
    frontier chart."""

    tickers: list[str]
    volatilities: list[float]
    expected_returns: list[float]


class FrontierResponse(msgspec.Struct, kw_only=True):
    """An efficient frontier: its points from the minimum-variance return up, the exact
    max-Sharpe (null if the rate leaves none) and min-variance portfolios, and each asset."""

    schema_version: int = SCHEMA_VERSION
    status: str
    method: str
    risk_free_rate: float
    return_range: ReturnRangeBody
    points: list[FrontierPointBody]
    max_sharpe: FrontierPointBody | None
    min_variance: FrontierPointBody
    notes: list[str]
    warnings: list[str]
    window: WindowBody | None
    duration_ms: float
    assets: AssetsBody | None = None
    """Null only in runs stored before assets were kept (they cannot be charted)."""
    optimization_id: str | None = None

    @classmethod
    def from_domain(
        cls, run: FrontierRun, optimization_id: str | None = None
    ) -> "FrontierResponse":
        f, a = run.frontier, run.assets
        return cls(
            status=f.status,
            method=f.method,
            risk_free_rate=f.risk_free_rate,
            return_range=ReturnRangeBody(f.return_range.lowest, f.return_range.highest),
            points=[FrontierPointBody.from_domain(p, f.tickers) for p in f.points],
            max_sharpe=None
            if f.max_sharpe is None
            else FrontierPointBody.from_domain(f.max_sharpe, f.tickers),
            min_variance=FrontierPointBody.from_domain(f.min_variance, f.tickers),
            notes=list(f.notes),
            warnings=list(run.warnings),
            window=_window(run.start, run.end, run.n_observations),
            duration_ms=round(run.duration_ms, 3),
            assets=AssetsBody(
                list(a.tickers), a.volatilities.tolist(), a.expected_returns.tolist()
            ),
            optimization_id=optimization_id,
        )

    def to_domain(self) -> tuple[FrontierResult, AssetPoints | None]:
        """The frontier and asset points for a chart of this document."""
        tickers = (
            tuple(self.assets.tickers) if self.assets else tuple(self.min_variance.weights or {})
        )
        frontier = FrontierResult(
            tickers,
            tuple(p.to_domain() for p in self.points),
            None if self.max_sharpe is None else self.max_sharpe.to_domain(),
            self.min_variance.to_domain(),
            ReturnRange(self.return_range.lowest, self.return_range.highest),
            self.risk_free_rate,
            self.status,  # type: ignore[arg-type]
            self.method,
            tuple(self.notes),
        )
        if self.assets is None:
            return frontier, None
        a = self.assets
        points = AssetPoints(
            tuple(a.tickers), np.array(a.volatilities), np.array(a.expected_returns)
        )
        return frontier, points
