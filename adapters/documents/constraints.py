"""Constraints as the API and the CLI's ``--json`` word them, both ways: the request body, a
saved portfolio's document and a run's stored parameters are this one shape, so what is read
can be sent back unchanged."""

import math

import msgspec

from domain.constraints import (
    AssetBounds,
    Budget,
    Constraint,
    FactorBounds,
    GroupLimits,
    LongOnly,
    Range,
    WeightBounds,
    build_constraints,
)
from domain.errors import ValidationError

Pair = tuple[float | None, float | None]
"""(min, max); null is no bound on that side."""


class Document(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Unknown fields are refused: a misspelt ``max_wieght`` must not mean no cap."""


class ConstraintsDocument(Document):
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


def _range(pair: Pair) -> Range:
    lo, hi = pair
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


def _pair(pair: Range) -> Pair:
    lo, hi = pair
    return (None if math.isinf(lo) else lo, None if math.isinf(hi) else hi)


def to_constraints(doc: ConstraintsDocument) -> tuple[Constraint, ...]:
    if doc.leverage is not None and doc.long_only:
        raise ValidationError(
            "leverage needs long_only false (a long-only portfolio's gross exposure is always 1)",
            field="constraints.leverage",
        )
    return build_constraints(
        long_only=doc.long_only,
        leverage=doc.leverage,
        min_weight=doc.min_weight,
        max_weight=doc.max_weight,
        bounds={t: _range(p) for t, p in doc.bounds.items()},
        sectors=doc.sectors,
        sector_limits={s: _range(p) for s, p in doc.sector_limits.items()},
        factors=doc.factor_names,
        loadings=doc.factor_loadings,
        factor_limits={f: _range(p) for f, p in doc.factor_bounds.items()},
    )


def constraints_document(
    constraints: tuple[Constraint, ...], sectors: dict[str, str] | None = None
) -> ConstraintsDocument:
    """The inverse of ``to_constraints``: ``to_constraints(constraints_document(c)) == c``.
    ``sectors`` are the assets' sectors (the ones sector limits use win)."""
    doc = ConstraintsDocument(long_only=False, sectors=dict(sectors or {}))
    for c in constraints:
        match c:
            case Budget(leverage=leverage):
                doc.leverage = leverage
            case LongOnly():
                doc.long_only = True
            case WeightBounds(min_weight=lo, max_weight=hi):
                doc.min_weight, doc.max_weight = lo, hi
            case AssetBounds(bounds=bounds):
                doc.bounds = {t: _pair(p) for t, p in bounds.items()}
            case GroupLimits(groups=groups, limits=limits):
                doc.sectors = {**doc.sectors, **groups}
                doc.sector_limits = {s: _pair(p) for s, p in limits.items()}
            case FactorBounds(factors=factors, loadings=loadings, limits=limits):
                doc.factor_names = list(factors)
                doc.factor_loadings = {t: list(v) for t, v in loadings.items()}
                doc.factor_bounds = {f: _pair(p) for f, p in limits.items()}
    return doc
