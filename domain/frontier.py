"""The efficient frontier: points, the flagged max-Sharpe and min-variance portfolios, and the
ports that compute it. Returns and volatilities are annualized decimals."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from domain.errors import ValidationError
from domain.linear import LinearConstraints
from domain.metrics import PortfolioMetrics
from domain.model import Universe
from domain.problem import ReturnRange, Solution
from domain.types import FloatArray

PointStatus: TypeAlias = Literal["optimal", "optimal_inaccurate", "infeasible", "failed"]
FrontierStatus: TypeAlias = Literal["complete", "cancelled"]
MIN_POINTS, MAX_POINTS, DEFAULT_POINTS = 2, 200, 25


def check_points(n_points: int, targets: Sequence[float] | None) -> None:
    """A frontier of 2 to 200 points, or explicit finite target returns."""
    if targets is None and not MIN_POINTS <= n_points <= MAX_POINTS:
        raise ValidationError(
            f"points must be between {MIN_POINTS} and {MAX_POINTS}, got {n_points}",
            field="points",
        )
    if targets is not None and (not targets or not all(math.isfinite(t) for t in targets)):
        raise ValidationError("targets must be finite numbers", field="targets")


@dataclass(frozen=True, slots=True, eq=False)
class FrontierPoint:
    """One portfolio on (or requested of) the frontier.

    ``weights`` (shape (n_assets,), decimal) and ``metrics`` are None when ``status`` is
    ``infeasible`` or ``failed``; ``detail`` then says why.
    """

    target_return: float
    status: PointStatus
    solver: str
    weights: FloatArray | None = None
    metrics: PortfolioMetrics | None = None
    kkt_residual: float | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class FrontierResult:
    """Frontier points in increasing target return, with the exact max-Sharpe and
    minimum-variance portfolios flagged for charts. ``method`` names the engine that traced it
    and ``notes`` say why a fallback was used, if one was."""

    tickers: tuple[str, ...]
    points: tuple[FrontierPoint, ...]
    max_sharpe: FrontierPoint | None
    min_variance: FrontierPoint
    return_range: ReturnRange
    risk_free_rate: float
    status: FrontierStatus
    method: str
    notes: tuple[str, ...] = ()


class Frontier(Protocol):
    """One universe and its constraints, prepared once for many solves along the frontier."""

    @property
    def method(self) -> str:
        """The engine, e.g. ``critical_line`` or ``cvxpy``."""
        ...

    @property
    def notes(self) -> tuple[str, ...]:
        """Why this engine was chosen when it is a fallback; empty otherwise."""
        ...

    def return_range(self) -> ReturnRange:
        """The minimum-variance portfolio's return and the highest reachable return."""
        ...

    def min_variance(self) -> Solution: ...

    def max_sharpe(self, risk_free_rate: float) -> Solution:
        """The exact tangency portfolio under the constraints (not the best grid point)."""
        ...

    def at_return(self, target_return: float) -> Solution:
        """Minimum variance with expected return >= ``target_return``.

        Raises ``InfeasibleError`` above the highest reachable return, ``SolverFailedError``
        when every solver failed for this point.
        """
        ...


class FrontierSolver(Protocol):
    def prepare(self, universe: Universe, constraints: LinearConstraints) -> Frontier:
        """Do the work shared by every point (factorizations, the whole exact path)."""
        ...


class ProgressReporter(Protocol):
    def report(self, current: int, total: int, message: str) -> None:
        """Called after each frontier point: ``current`` of ``total`` done."""
        ...


class CancellationToken(Protocol):
    def is_cancelled(self) -> bool:
        """True once the caller wants the job stopped; checked between points."""
        ...


class NeverCancelled:
    def is_cancelled(self) -> bool:
        return False
