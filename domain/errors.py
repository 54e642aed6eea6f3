"""Typed domain errors.

Every error carries a stable machine ``code`` and a human ``detail`` that names the field and
the reason; entrypoints map the classes to HTTP statuses and CLI exit codes in one place each.
"""

from typing import ClassVar


class DomainError(Exception):
    """Base of every error pfopt raises on purpose."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ValidationError(DomainError):
    """The input is malformed or violates a rule that holds regardless of the data."""

    code = "invalid_input"


class InvalidUniverseError(ValidationError):
    """Tickers, expected returns or covariance are unusable (duplicates, NaN, < 2 assets)."""

    code = "invalid_universe"


class InvalidConstraintError(ValidationError):
    """A constraint is malformed (unknown ticker, lower above upper, leverage below 1...)."""

    code = "invalid_constraint"


class InvalidObjectiveError(ValidationError):
    """An objective parameter is out of range (negative target risk, zero risk aversion...)."""

    code = "invalid_objective"


class InvalidPriceDataError(ValidationError):
    """Price data are unusable: non-positive, non-finite, unparsable or duplicated."""

    code = "invalid_prices"


class InsufficientHistoryError(ValidationError):
    """Too few return observations to estimate the risk model."""

    code = "insufficient_history"


class NotFoundError(DomainError):
    """A named thing (ticker, file, stored record) does not exist."""

    code = "not_found"


class OptimizationError(DomainError):
    """The optimization could not produce a portfolio."""

    code = "optimization_failed"


class InfeasibleError(OptimizationError):
    """The constraints (with the objective's target) admit no portfolio."""

    code = "infeasible"


class UnboundedError(OptimizationError):
    """The objective can improve without limit under these constraints."""

    code = "unbounded"


class SolverFailedError(OptimizationError):
    """Every solver in the chain failed numerically; ``detail`` names the solvers tried."""

    code = "solver_failed"


class SolverTimeoutError(OptimizationError):
    """The per-solve time limit ran out before any solver finished."""

    code = "solver_timeout"


class RunCancelledError(DomainError):
    """The caller stopped the run (a cancel, or the client went away) before it finished;
    nothing of it was stored."""

    code = "cancelled"


class ConflictError(DomainError):
    """The change clashes with what is stored (a duplicate name, a concurrent edit)."""

    code = "conflict"


class StorageUnavailableError(DomainError):
    """The database cannot be reached or is not at the schema this code expects.

    ``reason`` is the driver's own words (host, port, server message): for the operator's log
    and the local CLI, never for an HTTP client, which learns only that it may retry."""

    code = "storage_unavailable"

    def __init__(self, detail: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(detail, field=field)
        self.reason = reason


class ClusterUnavailableError(DomainError):
    """The compute cluster a batch names cannot be reached (its scheduler address is in the
    detail: the caller chose it); nothing of the batch was stored."""

    code = "cluster_unavailable"


class ChartError(DomainError):
    """A chart could not be drawn; the optimization that asked for it still stands."""

    code = "chart_failed"


class BusyError(DomainError):
    """The service is at its limit of concurrent solves; try again shortly."""

    code = "busy"


class TooManyRequestsError(BusyError):
    """This owner already has its share of the server's solves admitted; others still get
    theirs. Try again when one of yours ends."""

    code = "too_many_requests"


class TooManyJobsError(BusyError):
    """This owner already runs as many jobs as one owner may; try again when one ends."""

    code = "too_many_jobs"


class UnauthorizedError(DomainError):
    """No API key, an unknown one or a revoked one, where the service requires a key."""

    code = "unauthorized"
