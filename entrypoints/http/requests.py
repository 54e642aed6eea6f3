"""Request bodies: explicit msgspec Structs (unknown fields are rejected), mapped to domain
objects here. Field names are the CLI's flag words in snake_case; rates are annualized decimals."""

import datetime as dt
import math
import os
from typing import Annotated, Literal

import msgspec

from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from domain.constraints import (
    Constraint,
)
from domain.errors import ValidationError
from domain.estimation import DEFAULT_EMA_SPAN
from domain.model import Asset, Portfolio, Universe
from domain.objectives import (
    MaxSharpe,
    MaxUtility,
    MinVariance,
    Objective,
    TargetReturn,
    TargetRisk,
)
from domain.returns import DEFAULT_MIN_OBSERVATIONS
from domain.risk_model import FactorModel
from entrypoints.constraints import build_constraints

Pair = tuple[float | None, float | None]
MAX_ASSETS = int(os.environ.get("PFOPT_MAX_ASSETS", "5000"))
"""Largest universe the API accepts (``PFOPT_MAX_ASSETS``); larger ones get a 422."""
MAX_TIME_LIMIT_S = float(os.environ.get("PFOPT_MAX_TIME_LIMIT_S", "120"))
"""Longest solver time limit a request may ask for (``PFOPT_MAX_TIME_LIMIT_S``), seconds."""


def check_size(tickers: list[str] | None, field: str) -> None:
    if tickers is not None and len(tickers) > MAX_ASSETS:
        raise ValidationError(
            f"{field} has {len(tickers)} assets; the limit is {MAX_ASSETS} (PFOPT_MAX_ASSETS)",
            field=field,
        )


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class ObjectiveBody(Body):
    kind: Literal["min_variance", "max_sharpe", "target_return", "target_risk", "max_utility"] = (
        "max_sharpe"
    )
    risk_free_rate: float = 0.0
    target_return: float | None = None
    target_risk: float | None = None
    risk_aversion: Annotated[float, msgspec.Meta(gt=0)] = 1.0


class ConstraintsBody(Body):
    long_only: bool = True
    min_weight: float | None = None
    max_weight: float | None = None
    bounds: dict[str, Pair] = {}
    sectors: dict[str, str] = {}
    sector_limits: dict[str, Pair] = {}
    leverage: float | None = None
    factor_names: list[str] = []
    factor_loadings: dict[str, list[float]] = {}
    factor_bounds: dict[str, Pair] = {}


class EstimationBody(Body):
    covariance: Literal["ledoit_wolf", "oas", "sample"] = "ledoit_wolf"
    returns: Literal["mean", "geometric", "ema"] = "mean"
    periods_per_year: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 252
    ema_span: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = DEFAULT_EMA_SPAN
    min_observations: Annotated[int, msgspec.Meta(ge=2, le=10_000_000)] = DEFAULT_MIN_OBSERVATIONS
    factors: Annotated[int, msgspec.Meta(ge=1)] | None = None


class InlineUniverseBody(Body):
    tickers: list[str]
    expected_returns: list[float]
    covariance: list[list[float]] | None = None
    loadings: list[list[float]] | None = None
    factor_covariance: list[list[float]] | None = None
    specific_variance: list[float] | None = None


class SolverBody(Body):
    time_limit_s: Annotated[float, msgspec.Meta(gt=0)] | None = None
    chain: list[str] | None = None

    def settings(self) -> SolverSettings:
        """The run's solver settings, within the server's time-limit ceiling."""
        chain = None if self.chain is None else tuple(self.chain)
        return SolverSettings(chain, self.time_limit_s).capped(MAX_TIME_LIMIT_S)


class OptimizeRequest(Body):
    portfolio_id: str | None = None
    tickers: list[str] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    inline: InlineUniverseBody | None = None
    objective: ObjectiveBody = msgspec.field(default_factory=ObjectiveBody)
    constraints: ConstraintsBody = msgspec.field(default_factory=ConstraintsBody)
    estimation: EstimationBody = msgspec.field(default_factory=EstimationBody)
    solver: SolverBody = msgspec.field(default_factory=SolverBody)


class FrontierRequest(Body):
    portfolio_id: str | None = None
    tickers: list[str] | None = None
    inline: InlineUniverseBody | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    risk_free_rate: float = 0.0
    points: int = 25
    session_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._~-]{1,64}$")] | None = None
    constraints: ConstraintsBody = msgspec.field(default_factory=ConstraintsBody)
    estimation: EstimationBody = msgspec.field(default_factory=EstimationBody)


class PortfolioRequest(Body):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    tickers: Annotated[list[str], msgspec.Meta(min_length=2)]
    constraints: ConstraintsBody = msgspec.field(default_factory=ConstraintsBody)


class RiskRequest(Body):
    weights: dict[str, float] | None = None
    inline: InlineUniverseBody | None = None
    optimization_id: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    estimation: EstimationBody = msgspec.field(default_factory=EstimationBody)
    factors: Annotated[int, msgspec.Meta(ge=1)] = 5
    benchmark: str | None = None


def _pair(pair: Pair) -> tuple[float, float]:
    lo, hi = pair
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


def to_constraints(body: ConstraintsBody) -> tuple[Constraint, ...]:
    if body.leverage is not None and body.long_only:
        raise ValidationError(
            "leverage needs long_only false (a long-only portfolio's gross exposure is always 1)",
            field="constraints.leverage",
        )
    return build_constraints(
        long_only=body.long_only,
        leverage=body.leverage,
        min_weight=body.min_weight,
        max_weight=body.max_weight,
        bounds={t: _pair(p) for t, p in body.bounds.items()},
        sectors=body.sectors,
        sector_limits={s: _pair(p) for s, p in body.sector_limits.items()},
        factors=body.factor_names,
        loadings=body.factor_loadings,
        factor_limits={f: _pair(p) for f, p in body.factor_bounds.items()},
    )


def to_objective(body: ObjectiveBody) -> Objective:
    if body.kind in ("target_return", "target_risk") and getattr(body, body.kind) is None:
        raise ValidationError(
            f"objective.{body.kind} is required with kind {body.kind}",
            field=f"objective.{body.kind}",
        )
    match body.kind:
        case "min_variance":
            return MinVariance()
        case "target_return":
            return TargetReturn(body.target_return)  # type: ignore[arg-type]
        case "target_risk":
            return TargetRisk(body.target_risk)  # type: ignore[arg-type]
        case "max_utility":
            return MaxUtility(body.risk_aversion)
    return MaxSharpe(body.risk_free_rate)


def to_estimation(
    body: EstimationBody, start: dt.date | None, end: dt.date | None
) -> EstimationSettings:
    return EstimationSettings(
        covariance=body.covariance,
        returns=body.returns,
        periods_per_year=body.periods_per_year,
        ema_span=body.ema_span,
        min_observations=body.min_observations,
        factors=body.factors,
        start=start,
        end=end,
    )


def to_portfolio(name: str, tickers: list[str], body: ConstraintsBody) -> Portfolio:
    check_size(tickers, "tickers")
    return Portfolio(
        name, tuple(Asset(t, body.sectors.get(t)) for t in tickers), to_constraints(body)
    )


def to_universe(body: InlineUniverseBody) -> Universe:
    check_size(body.tickers, "inline.tickers")
    factor = None
    if body.loadings is not None:
        if body.factor_covariance is None or body.specific_variance is None:
            raise ValidationError(
                "inline: loadings need factor_covariance and specific_variance",
                field="inline.factor_covariance",
            )
        factor = FactorModel(body.loadings, body.factor_covariance, body.specific_variance)
    return Universe(body.tickers, body.expected_returns, body.covariance, factor)
