"""Wire formats shared by the CLI's ``--json`` output and (later) the HTTP API.

Explicit msgspec Structs with ``from_domain`` mappers: numpy values are converted to builtins
here, and the field names are the public contract. Rates are annualized decimals.
"""

from typing import Any

import msgspec

from application.attribute_risk import RiskReport
from application.compute_frontier import FrontierRun
from application.optimize_portfolio import OptimizationResult
from application.recorded_runs import jsonable
from domain.frontier import FrontierPoint
from domain.objectives import Objective
from domain.records import StoredPortfolio


class SolverAttemptBody(msgspec.Struct):
    solver: str
    outcome: str


class WindowBody(msgspec.Struct):
    start: str
    end: str
    n_observations: int


class OptimizationResponse(msgspec.Struct, kw_only=True):
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

    @classmethod
    def from_domain(
        cls, result: OptimizationResult, risk_free_rate: float, optimization_id: str | None = None
    ) -> "OptimizationResponse":
        a = result.allocation
        return cls(
            objective=result.objective.name,
            parameters=objective_parameters(result.objective),
            weights={t: float(w) for t, w in zip(a.tickers, a.weights, strict=True)},
            expected_return=a.metrics.expected_return,
            volatility=a.metrics.volatility,
            sharpe=a.metrics.sharpe,
            risk_free_rate=getattr(result.objective, "risk_free_rate", risk_free_rate),
            solver=a.solver,
            status=a.status,
            solver_attempts=[SolverAttemptBody(x.solver, x.outcome) for x in a.attempts],
            warnings=list(a.warnings),
            window=None
            if result.start is None or result.end is None
            else WindowBody(
                result.start.isoformat(), result.end.isoformat(), result.n_observations
            ),
            duration_ms=round(result.duration_ms, 3),
            optimization_id=optimization_id,
        )


def objective_parameters(objective: Objective) -> dict[str, float]:
    """The objective's numeric parameters by name (target_return, risk_aversion...)."""
    fields = ("target_return", "target_volatility", "risk_free_rate", "risk_aversion")
    return {name: float(getattr(objective, name)) for name in fields if hasattr(objective, name)}


class FrontierPointBody(msgspec.Struct, kw_only=True):
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
            weights=None if w is None else {t: float(x) for t, x in zip(tickers, w, strict=True)},
            detail=point.detail,
        )


class ReturnRangeBody(msgspec.Struct):
    lowest: float
    highest: float


class FrontierResponse(msgspec.Struct, kw_only=True):
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
    optimization_id: str | None = None

    @classmethod
    def from_domain(
        cls, run: FrontierRun, optimization_id: str | None = None
    ) -> "FrontierResponse":
        f = run.frontier
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
            window=None
            if run.start is None or run.end is None
            else WindowBody(run.start.isoformat(), run.end.isoformat(), run.n_observations),
            duration_ms=round(run.duration_ms, 3),
            optimization_id=optimization_id,
        )


def portfolio_document(stored: StoredPortfolio) -> dict[str, Any]:
    """A saved portfolio as JSON builtins (CLI ``portfolios show`` and the HTTP API)."""
    p = stored.portfolio
    return jsonable(
        {
            "id": stored.id,
            "name": p.name,
            "tickers": list(p.tickers),
            "sectors": p.sectors,
            "constraints": list(p.constraints),
            "created_at": stored.created_at,
        }
    )


def report_document(r: RiskReport) -> dict[str, Any]:
    a = r.assets
    assets = {
        t: {"weight": float(w), "mctr": float(m), "ctr": float(c), "percent": float(p)}
        for t, w, m, c, p in zip(
            r.tickers, r.weights, a.marginal, a.component, a.percent, strict=True
        )
    }
    factors = None
    if r.factors is not None:
        f = r.factors
        factors = {
            "exposures": f.exposures.tolist(),
            "variance": f.factor_variance.tolist(),
            "share": f.factor_share.tolist(),
            "specific_variance": f.specific_variance,
            "specific_share": f.specific_share,
            "total_variance": f.total_variance,
        }
    tail = [
        {
            "horizon_periods": h,
            "confidence": t.confidence,
            "parametric_var": t.parametric_var,
            "parametric_cvar": t.parametric_cvar,
            "historical_var": t.historical_var,
            "historical_cvar": t.historical_cvar,
        }
        for h, t in r.tail
    ]
    return jsonable(
        {
            "volatility": a.volatility,
            "expected_return": r.expected_return,
            "assets": assets,
            "factors": factors,
            "tail": tail,
            "max_drawdown": r.max_drawdown,
            "beta": r.beta,
            "correlation": r.correlation,
            "effective_number_of_bets": r.effective_bets,
            "herfindahl": r.herfindahl,
            "warnings": list(r.warnings),
            "window": None
            if r.start is None
            else {"start": r.start, "end": r.end, "n_observations": r.n_observations},
        }
    )
