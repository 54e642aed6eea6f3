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
