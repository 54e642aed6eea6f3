"""Constraints compiled against a universe into one canonical linear form.

Solvers (the CVXPY adapter, the active-set engine) and the feasibility pre-checks read only this
form, so a new constraint type needs one compile arm here and nothing in the solvers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
from domain.types import FloatArray, frozen_array


@dataclass(frozen=True, slots=True, eq=False)
class LinearRow:
    """``lower <= coefficients @ w <= upper``.

    A group (0/1) row also has ``members`` (asset indices) and ``family`` (e.g. "sector"): the
    groups of one family are disjoint, which the budget pre-checks rely on.
    """

    label: str
    coefficients: FloatArray
    lower: float
    upper: float
    members: tuple[int, ...] | None = None
    family: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class LinearConstraints:
    """sum(w) = 1, ``lower <= w <= upper``, every row's range, and sum|w| <= ``leverage``.

    ``lower``/``upper`` have shape (n_assets,) and may hold -inf/inf (no bound).
    """

    lower: FloatArray
    upper: FloatArray
    rows: tuple[LinearRow, ...] = ()
    leverage: float | None = None

    @property
    def n_assets(self) -> int:
        return int(self.lower.shape[0])

    @property
    def long_only(self) -> bool:
        return bool(np.all(self.lower >= 0.0))

    @property
    def groups(self) -> tuple[LinearRow, ...]:
        return tuple(row for row in self.rows if row.members is not None)

    def matrix(self) -> FloatArray:
        """Rows stacked, shape (n_rows, n_assets)."""
        if not self.rows:
            return np.zeros((0, self.n_assets))
        return np.vstack([row.coefficients for row in self.rows])


def _index(tickers: Sequence[str]) -> dict[str, int]:
    return {ticker: i for i, ticker in enumerate(tickers)}


def _group_rows(tickers: Sequence[str], limit: GroupLimits) -> list[LinearRow]:
    index = _index(tickers)
    rows = []
    for name, (lower, upper) in limit.limits.items():
        mapped = [t for t, g in limit.groups.items() if g == name]
        if not mapped:
            raise InvalidConstraintError(
                f"{limit.kind}_limits: no asset is in {limit.kind} {name!r}",
                field=f"{limit.kind}_limits",
            )
        members = tuple(sorted(index[t] for t in mapped if t in index))
        coefficients = np.zeros(len(tickers))
        coefficients[list(members)] = 1.0
        rows.append(
            LinearRow(
                f"{limit.kind} {name!r}",
                frozen_array(coefficients),
                lower,
                upper,
                members,
                limit.kind,
            )
        )
    return rows


def _factor_rows(tickers: Sequence[str], bounds: FactorBounds) -> list[LinearRow]:
    missing = [t for t in tickers if t not in bounds.loadings]
    if missing:
        raise InvalidConstraintError(
            f"factor loadings missing for {missing[0]!r}", field="factor_loadings"
        )
    loadings = np.array([bounds.loadings[t] for t in tickers], dtype=float)
    rows = []
    for name, (lower, upper) in bounds.limits.items():
        k = bounds.factors.index(name)
        rows.append(
            LinearRow(f"factor {name!r} exposure", frozen_array(loadings[:, k]), lower, upper)
        )
    return rows


def compile_constraints(
    tickers: Sequence[str], constraints: Sequence[Constraint]
) -> LinearConstraints:
    """Intersect every constraint into bounds, rows and a leverage cap for these tickers."""
    n = len(tickers)
    index = _index(tickers)
    lower = np.full(n, -math.inf)
    upper = np.full(n, math.inf)
    rows: list[LinearRow] = []
    leverage: float | None = None
    for constraint in constraints:
        match constraint:
            case Budget(leverage=cap):
                if cap is not None:
                    leverage = cap if leverage is None else min(leverage, cap)
            case LongOnly():
                np.maximum(lower, 0.0, out=lower)
            case WeightBounds(min_weight=lo, max_weight=hi):
                if lo is not None:
                    np.maximum(lower, lo, out=lower)
                if hi is not None:
                    np.minimum(upper, hi, out=upper)
            case AssetBounds(bounds=bounds):
                for ticker, (lo, hi) in bounds.items():
                    if ticker not in index:
                        raise InvalidConstraintError(
                            f"bounds: unknown ticker {ticker!r}", field="bounds"
                        )
                    i = index[ticker]
                    lower[i], upper[i] = max(lower[i], lo), min(upper[i], hi)
            case GroupLimits():
                rows.extend(_group_rows(tickers, constraint))
            case FactorBounds():
                rows.extend(_factor_rows(tickers, constraint))
    return LinearConstraints(frozen_array(lower), frozen_array(upper), tuple(rows), leverage)


IMPLIED_SLACK = 1e-12
"""A bound this close to what the others already force counts as implied."""


def row_bounds(lc: LinearConstraints) -> tuple[FloatArray, FloatArray]:
    """Every row's (lower, upper), a side that the budget and the per-asset bounds already
    imply set to -inf/inf. Only group rows of a long-only book are judged (their reachable
    total is closed-form: at most min(sum of the members' caps, 1 - the others' floors), at
    least max(sum of the members' floors, 1 - the others' caps)); other rows keep both sides.
    An implied side never binds, and kept it makes the active rows linearly dependent when the
    path meets it (a sector capped at 100 % made the engine's KKT system singular)."""
    lower = np.array([r.lower for r in lc.rows], dtype=float)
    upper = np.array([r.upper for r in lc.rows], dtype=float)
    if not lc.long_only or not np.all(np.isfinite(lc.upper)):
        return lower, upper
    floor, cap = float(lc.lower.sum()), float(lc.upper.sum())
    for k, row in enumerate(lc.rows):
        if row.members is None:
            continue
        inside = list(row.members)
        low_in, up_in = float(lc.lower[inside].sum()), float(lc.upper[inside].sum())
        most = min(up_in, 1.0 - (floor - low_in))
        least = max(low_in, 1.0 - (cap - up_in))
        if upper[k] >= most - IMPLIED_SLACK:
            upper[k] = math.inf
        if lower[k] <= least + IMPLIED_SLACK:
            lower[k] = -math.inf
    return lower, upper
