"""Constraint types a user states about a portfolio.

All weights are decimals of the portfolio's value (0.1 is 10 %). Every pfopt portfolio is fully
invested: the weights sum to 1 whether or not a ``Budget`` is listed; ``Budget(leverage=L)`` adds
a cap on gross exposure, the sum of |w|, which only bites when shorts are allowed.
Constraints are compiled against a universe's tickers by ``domain.linear.compile_constraints``.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from domain.errors import InvalidConstraintError

Range: TypeAlias = tuple[float, float]
"""(lower, upper) in decimal weight; ``-inf``/``inf`` mean no bound on that side."""


def check_range(value: Sequence[float], name: str, field: str | None = None) -> Range:
    """Validate a (lower, upper) pair, naming ``name`` in the message and ``field`` (``name``
    when not given) as the field in error."""
    field = field or name
    if len(value) != 2:
        raise InvalidConstraintError(f"{name}: expected (lower, upper), got {value!r}", field=field)
    lower, upper = float(value[0]), float(value[1])
    if math.isnan(lower) or math.isnan(upper):
        raise InvalidConstraintError(f"{name}: bounds must be numbers, got NaN", field=field)
    if lower > upper:
        raise InvalidConstraintError(
            f"{name}: lower bound {lower:g} is above upper bound {upper:g}", field=field
        )
    return lower, upper


def check_decimal_weight(value: float | None, name: str, field: str) -> None:
    """A long-only weight (or a group's total) lies in [0, 1]: a bound above 1 is a percent
    typed where a decimal was meant (25 for 25 %), which would silently mean "no cap"."""
    if value is not None and math.isfinite(value) and abs(value) > 1.0:
        raise InvalidConstraintError(
            f"{name} is {value:g}, above 1: weights are decimals (0.25 means 25 %), and a "
            f"long-only portfolio's weights lie between 0 and 1",
            field=field,
        )


@dataclass(frozen=True, slots=True)
class Budget:
    """Fully invested (weights sum to 1), with an optional gross cap sum|w| <= leverage."""

    leverage: float | None = None

    def __post_init__(self) -> None:
        if self.leverage is not None and not (
            self.leverage >= 1.0 and math.isfinite(self.leverage)
        ):
            raise InvalidConstraintError(
                f"leverage must be a finite number >= 1 (it caps sum |w|, which the budget "
                f"already makes at least 1), got {self.leverage:g}",
                field="leverage",
            )


@dataclass(frozen=True, slots=True)
class LongOnly:
    """No short positions: every weight >= 0."""


@dataclass(frozen=True, slots=True)
class WeightBounds:
    """The same minimum and/or maximum weight for every asset."""

    min_weight: float | None = None
    max_weight: float | None = None

    def __post_init__(self) -> None:
        lower = -math.inf if self.min_weight is None else self.min_weight
        upper = math.inf if self.max_weight is None else self.max_weight
        if self.min_weight is not None and not math.isfinite(self.min_weight):
            raise InvalidConstraintError("min_weight must be finite", field="min_weight")
        if self.max_weight is not None and not math.isfinite(self.max_weight):
            raise InvalidConstraintError("max_weight must be finite", field="max_weight")
        check_range((lower, upper), "min_weight/max_weight", field="min_weight")


@dataclass(frozen=True, slots=True)
class AssetBounds:
    """Per-asset (min, max) weights, by ticker; they tighten any global bounds."""

    bounds: Mapping[str, Range]

    def __post_init__(self) -> None:
        for ticker, pair in self.bounds.items():
            check_range(pair, f"bounds[{ticker}]")


@dataclass(frozen=True, slots=True)
class GroupLimits:
    """Total weight of each group (sector, region...) within [min, max].

    ``groups`` maps ticker to group name (each ticker in at most one group); ``limits`` maps group
    name to its (min, max). ``kind`` only words the messages ("sector 'Tech' ...").
    """

    groups: Mapping[str, str]
    limits: Mapping[str, Range]
    kind: str = "sector"

    def __post_init__(self) -> None:
        for name, pair in self.limits.items():
            check_range(pair, f"{self.kind}_limits[{name}]")


@dataclass(frozen=True, slots=True)
class FactorBounds:
    """Portfolio exposure to each factor, sum_i loading[i, k] * w_i, within [lower_k, upper_k].

    ``loadings`` maps ticker to its loadings, one per name in ``factors``; ``limits`` maps a
    factor name to its (lower, upper) exposure. Factors without a limit are not constrained.
    """

    factors: tuple[str, ...]
    loadings: Mapping[str, Sequence[float]]
    limits: Mapping[str, Range]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.limits) - set(self.factors))
        if unknown:
            raise InvalidConstraintError(
                f"factor_limits: unknown factor {unknown[0]!r} (known: {', '.join(self.factors)})",
                field="factor_limits",
            )
        for name, pair in self.limits.items():
            check_range(pair, f"factor_limits[{name}]")
        for ticker, row in self.loadings.items():
            if len(row) != len(self.factors) or not all(math.isfinite(x) for x in row):
                raise InvalidConstraintError(
                    f"factor loadings of {ticker!r}: need {len(self.factors)} finite numbers",
                    field="factor_loadings",
                )


Constraint: TypeAlias = Budget | LongOnly | WeightBounds | AssetBounds | GroupLimits | FactorBounds


def build_constraints(
    *,
    long_only: bool,
    leverage: float | None = None,
    min_weight: float | None = None,
    max_weight: float | None = None,
    bounds: Mapping[str, Range] | None = None,
    sectors: Mapping[str, str] | None = None,
    sector_limits: Mapping[str, Range] | None = None,
    factors: Sequence[str] = (),
    loadings: Mapping[str, Sequence[float]] | None = None,
    factor_limits: Mapping[str, Range] | None = None,
) -> tuple[Constraint, ...]:
    """A portfolio's constraints from the words the CLI and the API share, in one order. On a
    long-only portfolio a weight above 1 is a percent typed for a decimal, and is refused."""
    if long_only:
        _check_decimals(min_weight, max_weight, bounds or {}, sector_limits or {})
    out: list[Constraint] = [Budget(leverage)]
    if long_only:
        out.append(LongOnly())
    if min_weight is not None or max_weight is not None:
        out.append(WeightBounds(min_weight, max_weight))
    if bounds:
        out.append(AssetBounds(bounds))
    if sector_limits:
        out.append(GroupLimits(sectors or {}, sector_limits))
    if factor_limits:
        out.append(FactorBounds(tuple(factors), loadings or {}, factor_limits))
    return tuple(out)


def _check_decimals(
    min_weight: float | None,
    max_weight: float | None,
    bounds: Mapping[str, Range],
    sector_limits: Mapping[str, Range],
) -> None:
    check_decimal_weight(min_weight, "min_weight", "min_weight")
    check_decimal_weight(max_weight, "max_weight", "max_weight")
    for family, ranges in (("bounds", bounds), ("sector_limits", sector_limits)):
        for name, pair in ranges.items():
            for value in pair:
                check_decimal_weight(value, f"{family}[{name}]", family)
