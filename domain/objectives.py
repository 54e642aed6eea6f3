"""What the optimizer is asked to achieve. All rates are annualized decimals (0.05 is 5 %/yr)."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from domain.errors import InvalidObjectiveError


def _finite(value: float, field: str) -> None:
    if not math.isfinite(value):
        raise InvalidObjectiveError(f"{field} must be a finite number, got {value!r}", field=field)


def check_rate(value: float, field: str = "risk_free_rate") -> None:
    """An annualized rate is a decimal: above 1 (100 %/yr) it is a percent typed for a
    decimal (4 for 4 %), which would leave no asset above the risk-free rate."""
    _finite(value, field)
    if abs(value) > 1.0:
        raise InvalidObjectiveError(
            f"{field} is {value:g}, above 1: rates are decimals (0.04 means 4 %/yr)", field=field
        )


@dataclass(frozen=True, slots=True)
class MinVariance:
    """The lowest-volatility fully invested portfolio under the constraints."""

    name = "min_variance"


@dataclass(frozen=True, slots=True)
class TargetReturn:
    """Minimum variance subject to expected return >= ``target_return`` (annualized)."""

    target_return: float
    name = "target_return"

    def __post_init__(self) -> None:
        _finite(self.target_return, "target_return")


@dataclass(frozen=True, slots=True)
class TargetRisk:
    """Maximum expected return subject to volatility <= ``target_volatility`` (annualized)."""

    target_volatility: float
    name = "target_risk"

    def __post_init__(self) -> None:
        _finite(self.target_volatility, "target_risk")
        if self.target_volatility <= 0:
            raise InvalidObjectiveError(
                f"target_risk must be > 0 (annualized volatility), got {self.target_volatility:g}",
                field="target_risk",
            )


@dataclass(frozen=True, slots=True)
class MaxSharpe:
    """Maximum (expected return - risk_free_rate) / volatility, solved exactly as a convex QP."""

    risk_free_rate: float = 0.0
    name = "max_sharpe"

    def __post_init__(self) -> None:
        check_rate(self.risk_free_rate)


@dataclass(frozen=True, slots=True)
class MaxUtility:
    """Maximum mu'w - (risk_aversion / 2) w'Sw (quadratic utility, annualized)."""

    risk_aversion: float = 1.0
    name = "max_utility"

    def __post_init__(self) -> None:
        _finite(self.risk_aversion, "risk_aversion")
        if self.risk_aversion <= 0:
            raise InvalidObjectiveError(
                f"risk_aversion must be > 0, got {self.risk_aversion:g}", field="risk_aversion"
            )


@dataclass(frozen=True, slots=True)
class MinTrackingError:
    """The portfolio closest to the run's benchmark in annualized tracking error,
    sqrt((w - b)'S(w - b)), under the constraints (needs a benchmark)."""

    name = "min_tracking_error"


@dataclass(frozen=True, slots=True)
class MinTurnover:
    """The portfolio that meets every constraint with the least one-way turnover from the
    holdings (needs holdings): bringing a book back within new limits with the least trading."""

    name = "min_turnover"


@dataclass(frozen=True, slots=True)
class RiskBudget:
    """The long-only portfolio whose risk contributions w_i (S w)_i are the shares ``budgets``
    of its variance (by ticker, positive, summing to 1; None: equal for every asset, equal
    risk contribution or "risk parity"). Solved exactly by Newton's method on the convex
    log-barrier form min 1/2 y'Sy - sum b_i log y_i, then w = y / sum(y)."""

    budgets: Mapping[str, float] | None = None
    risk_free_rate: float = 0.0
    name = "risk_budget"

    def __post_init__(self) -> None:
        check_rate(self.risk_free_rate)
        if self.budgets is None:
            return
        if not self.budgets:
            raise InvalidObjectiveError("budgets: give at least one", field="budgets")
        for ticker, b in self.budgets.items():
            if not (isinstance(b, int | float) and math.isfinite(b) and b > 0):
                raise InvalidObjectiveError(
                    f"budgets[{ticker}] must be a positive decimal, got {b!r}", field="budgets"
                )
        total = sum(self.budgets.values())
        if abs(total - 1.0) > 1e-6:
            percent = ": budgets are decimals (0.25 means 25 %)" if total > 1.5 else ""
            raise InvalidObjectiveError(
                f"budgets sum to {total:g}, not 1 (100 % of the risk){percent}",
                field="budgets",
            )


HRP_LINKAGES = ("single", "complete", "average", "weighted", "centroid", "median", "ward")


@dataclass(frozen=True, slots=True)
class HierarchicalRiskParity:
    """Lopez de Prado's hierarchical risk parity: assets clustered by correlation distance
    (``linkage``: how clusters merge), weights split down the tree in inverse proportion to
    the halves' variances. Long-only, fully invested; no expected returns used."""

    linkage: str = "single"
    risk_free_rate: float = 0.0
    name = "hrp"

    def __post_init__(self) -> None:
        check_rate(self.risk_free_rate)
        if self.linkage not in HRP_LINKAGES:
            raise InvalidObjectiveError(
                f"linkage {self.linkage!r}: choose from {', '.join(HRP_LINKAGES)}",
                field="linkage",
            )


Objective: TypeAlias = (
    MinVariance
    | TargetReturn
    | TargetRisk
    | MaxSharpe
    | MaxUtility
    | MinTrackingError
    | MinTurnover
    | RiskBudget
    | HierarchicalRiskParity
)
NEEDS_REBALANCE = ("min_tracking_error", "min_turnover")
"""Objectives measured from holdings or a benchmark: a run without them cannot ask for one."""
