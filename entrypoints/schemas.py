"""Wire formats shared by the CLI's ``--json`` output and (later) the HTTP API.

Explicit msgspec Structs with ``from_domain`` mappers: numpy values are converted to builtins
here, and the field names are the public contract. Rates are annualized decimals.
"""

import msgspec

from application.optimize_portfolio import OptimizationResult
from domain.objectives import Objective


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
    window: WindowBody
    duration_ms: float

    @classmethod
    def from_domain(
        cls, result: OptimizationResult, risk_free_rate: float
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
            window=WindowBody(
                result.start.isoformat(), result.end.isoformat(), result.n_observations
            ),
            duration_ms=round(result.duration_ms, 3),
        )


def objective_parameters(objective: Objective) -> dict[str, float]:
    """The objective's numeric parameters by name (target_return, risk_aversion...)."""
    fields = ("target_return", "target_volatility", "risk_free_rate", "risk_aversion")
    return {name: float(getattr(objective, name)) for name in fields if hasattr(objective, name)}
