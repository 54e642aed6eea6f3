"""Pre-solve checks that explain an infeasible setup in the user's words.

They catch the common conflicts (bounds that cannot sum to 1, sector minima over the budget)
cheaply and with a precise message; what they cannot decide is left to the solver, whose
infeasibility verdict the application then words.
"""

from collections.abc import Sequence

import numpy as np

from domain.errors import InfeasibleError
from domain.linear import LinearConstraints, LinearRow
from domain.units import share

TOLERANCE = 1e-9


def _fmt(x: float) -> str:
    return share(x)


WHOLE = _fmt(1.0)
"""The budget, fully invested."""


def _check_assets(tickers: Sequence[str], lc: LinearConstraints) -> None:
    for i, ticker in enumerate(tickers):
        if lc.lower[i] > lc.upper[i] + TOLERANCE:
            raise InfeasibleError(
                f"{ticker!r}: minimum weight {_fmt(lc.lower[i])} is above its maximum "
                f"{_fmt(lc.upper[i])}",
                field="bounds",
            )
    low, high = float(np.sum(lc.lower)), float(np.sum(lc.upper))
    if low > 1 + TOLERANCE:
        raise InfeasibleError(
            f"sum of per-asset minimum weights is {_fmt(low)} > {WHOLE}", field="min_weight"
        )
    if high < 1 - TOLERANCE:
        raise InfeasibleError(
            f"sum of per-asset maximum weights is {_fmt(high)} < {WHOLE}, so the "
            "portfolio cannot be "
            f"fully invested (with {len(tickers)} assets a common cap needs at least "
            f"{_fmt(1 / len(tickers))})",
            field="max_weight",
        )


def _check_group(row: LinearRow, lc: LinearConstraints) -> None:
    members = list(row.members or ())
    can_hold = float(np.sum(lc.upper[members]))
    must_hold = float(np.sum(lc.lower[members]))
    if row.lower > can_hold + TOLERANCE:
        raise InfeasibleError(
            f"{row.label} min {_fmt(row.lower)} is more than its {len(members)} asset(s) can "
            f"hold (their maximum weights sum to {_fmt(can_hold)})",
            field="sector_limits",
        )
    if row.upper < must_hold - TOLERANCE:
        raise InfeasibleError(
            f"{row.label} max {_fmt(row.upper)} is below the sum of its assets' minimum "
            f"weights {_fmt(must_hold)}",
            field="sector_limits",
        )


def _check_family(groups: Sequence[LinearRow], lc: LinearConstraints) -> None:
    """Budget checks across the disjoint groups of one family (e.g. all sector limits)."""
    with_min = [row for row in groups if row.lower > 0]
    total_min = sum(row.lower for row in with_min)
    if total_min > 1 + TOLERANCE:
        terms = " + ".join(f"{row.label} min {_fmt(row.lower)}" for row in with_min)
        raise InfeasibleError(
            f"{terms} exceed the budget: {_fmt(total_min)} > {WHOLE}", field="sector_limits"
        )
    grouped = {i for row in groups for i in row.members or ()}
    ungrouped = [i for i in range(lc.n_assets) if i not in grouped]
    room = sum(min(row.upper, float(np.sum(lc.upper[list(row.members or ())]))) for row in groups)
    room += float(np.sum(lc.upper[ungrouped]))
    if room < 1 - TOLERANCE:
        raise InfeasibleError(
            f"{groups[0].family} maxima and asset maxima together allow at most {_fmt(room)} "
            f"< {WHOLE} of the budget",
            field="sector_limits",
        )


def _check_groups(lc: LinearConstraints) -> None:
    families: dict[str, list[LinearRow]] = {}
    for row in lc.groups:
        _check_group(row, lc)
        families.setdefault(row.family or "", []).append(row)
    for groups in families.values():
        _check_family(groups, lc)


def precheck(tickers: Sequence[str], lc: LinearConstraints) -> None:
    """Raise ``InfeasibleError`` naming the conflict when bounds or groups rule out sum(w) = 1."""
    _check_assets(tickers, lc)
    _check_groups(lc)
