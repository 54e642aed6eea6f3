"""One builder of a portfolio's constraints from the words the CLI and the HTTP API share.

Each interface checks what only it can (flag combinations, body fields) and parses its own
syntax; the constraint list itself is assembled here, in one order, for both.
"""

from collections.abc import Mapping, Sequence

from domain.constraints import (
    AssetBounds,
    Budget,
    Constraint,
    FactorBounds,
    GroupLimits,
    LongOnly,
    Range,
    WeightBounds,
    check_decimal_weight,
)


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
