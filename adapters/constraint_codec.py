"""Constraints to and from JSON, for the ``portfolio.constraints`` column."""

import math
from typing import Any

from domain.constraints import (
    AssetBounds,
    Budget,
    Constraint,
    FactorBounds,
    GroupLimits,
    LongOnly,
    WeightBounds,
)
from domain.errors import InvalidConstraintError


def _num(x: float) -> float | None:
    return None if math.isinf(x) else x


def _pair(pair: Any) -> tuple[float, float]:
    lo, hi = pair
    return (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))


def encode(constraints: tuple[Constraint, ...]) -> dict[str, Any]:
    """JSON-ready form; infinite bounds become null."""
    items: list[dict[str, Any]] = []
    for c in constraints:
        match c:
            case Budget(leverage=lev):
                items.append({"type": "budget", "leverage": lev})
            case LongOnly():
                items.append({"type": "long_only"})
            case WeightBounds(min_weight=lo, max_weight=hi):
                items.append({"type": "weight_bounds", "min_weight": lo, "max_weight": hi})
            case AssetBounds(bounds=b):
                items.append(
                    {
                        "type": "asset_bounds",
                        "bounds": {t: [_num(lo), _num(hi)] for t, (lo, hi) in b.items()},
                    }
                )
            case GroupLimits(groups=g, limits=lim, kind=kind):
                items.append(
                    {
                        "type": "group_limits",
                        "kind": kind,
                        "groups": dict(g),
                        "limits": {k: [_num(lo), _num(hi)] for k, (lo, hi) in lim.items()},
                    }
                )
            case FactorBounds(factors=f, loadings=ld, limits=lim):
                items.append(
                    {
                        "type": "factor_bounds",
                        "factors": list(f),
                        "loadings": {t: list(v) for t, v in ld.items()},
                        "limits": {k: [_num(lo), _num(hi)] for k, (lo, hi) in lim.items()},
                    }
                )
    return {"version": 1, "items": items}


def decode(document: dict[str, Any]) -> tuple[Constraint, ...]:
    out: list[Constraint] = []
    for item in document.get("items", []):
        kind = item.get("type")
        if kind == "budget":
            out.append(Budget(item.get("leverage")))
        elif kind == "long_only":
            out.append(LongOnly())
        elif kind == "weight_bounds":
            out.append(WeightBounds(item.get("min_weight"), item.get("max_weight")))
        elif kind == "asset_bounds":
            out.append(AssetBounds({t: _pair(p) for t, p in item["bounds"].items()}))
        elif kind == "group_limits":
            out.append(
                GroupLimits(
                    dict(item["groups"]),
                    {k: _pair(p) for k, p in item["limits"].items()},
                    item.get("kind", "sector"),
                )
            )
        elif kind == "factor_bounds":
            out.append(
                FactorBounds(
                    tuple(item["factors"]),
                    dict(item["loadings"]),
                    {k: _pair(p) for k, p in item["limits"].items()},
                )
            )
        else:
            raise InvalidConstraintError(
                f"unknown stored constraint type {kind!r}", field="constraints"
            )
    return tuple(out)
