"""From prices to a clean matrix of simple daily returns, with the missing-data policy.

Policy (documented in the README, "Missing prices"):

1. **Common window.** Returns are estimated over the dates where every asset has traded: from the
   latest first price to the earliest last price. An asset that starts later (leading empty
   cells) or stops earlier shortens the window for all; a warning names it and the rows dropped.
   This keeps every estimate on the same dates, so the covariance stays consistent.
2. **Holes inside the window** (a missing price between two present ones) drop that date for
   every asset; the next return then spans the gap (e.g. a two-day return), the same span for
   every asset. Nothing is forward-filled and nothing is filled with zero.
3. At least ``min_observations`` returns must remain; otherwise ``InsufficientHistoryError``
   names the assets that shortened the window.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.errors import InsufficientHistoryError
from domain.prices import PriceHistory
from domain.types import FloatArray, frozen_array

DEFAULT_MIN_OBSERVATIONS = 60
"""About three months of daily data: fewer makes any covariance estimate mostly noise."""


@dataclass(frozen=True, slots=True, eq=False)
class ReturnsWindow:
    """Simple returns p_t / p_{t-1} - 1, shape (n_observations, n_assets), per period (daily)."""

    tickers: tuple[str, ...]
    returns: FloatArray
    start: dt.date
    end: dt.date
    warnings: tuple[str, ...] = ()
    last_prices: FloatArray | None = None
    """Each asset's close on ``end`` (currency per share): what holdings in shares are valued
    at and what whole shares are bought at."""

    @property
    def n_observations(self) -> int:
        return int(self.returns.shape[0])


def _list(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _window(history: PriceHistory) -> tuple[int, int, list[str]]:
    present = ~np.isnan(history.closes)
    warnings: list[str] = []
    empty = [t for t, has in zip(history.tickers, present.any(axis=0), strict=True) if not has]
    if empty:
        raise InsufficientHistoryError(
            f"no prices at all for {_list(empty)}", field=f"prices.{empty[0]}"
        )
    first = present.argmax(axis=0)
    last = len(history.dates) - 1 - present[::-1].argmax(axis=0)
    begin, finish = int(first.max()), int(last.min())
    late = [t for t, f in zip(history.tickers, first, strict=True) if f == begin and begin > 0]
    if late:
        warnings.append(
            f"common window starts {history.dates[begin].isoformat()} because "
            f"{_list(late)} started trading then; {begin} earlier date(s) not used"
        )
    ended = len(history.dates) - 1 - finish
    early = [t for t, f in zip(history.tickers, last, strict=True) if f == finish and ended > 0]
    if early:
        warnings.append(
            f"common window ends {history.dates[finish].isoformat()} because {_list(early)} "
            f"has no later prices; {ended} later date(s) not used"
        )
    if finish <= begin:
        apart = late or early
        raise InsufficientHistoryError(
            f"the assets share no trading dates ({_list(apart)} do not overlap the rest)"
            if apart
            else f"the prices have {finish - begin + 1} trading date(s) in common; returns need "
            "at least two",
            field="prices",
        )
    return begin, finish, warnings


def simple_returns(
    history: PriceHistory, min_observations: int = DEFAULT_MIN_OBSERVATIONS
) -> ReturnsWindow:
    """Apply the missing-data policy above and return simple per-period returns."""
    begin, finish, warnings = _window(history)
    closes = history.closes[begin : finish + 1]
    complete = ~np.isnan(closes).any(axis=1)
    holes = int((~complete).sum())
    if holes:
        counts = np.isnan(closes).sum(axis=0)
        worst = [f"{t}: {int(c)}" for t, c in zip(history.tickers, counts, strict=True) if c]
        warnings.append(
            f"{holes} date(s) inside the window had a missing price and were skipped for every "
            f"asset ({_list(worst)}); returns span those gaps"
        )
    kept = closes[complete]
    dates = [d for d, ok in zip(history.dates[begin : finish + 1], complete, strict=True) if ok]
    returns = kept[1:] / kept[:-1] - 1.0
    if returns.shape[0] < min_observations:
        shortest = [
            t
            for t, f in zip(
                history.tickers, (~np.isnan(history.closes)).argmax(axis=0), strict=True
            )
            if f == begin
        ]
        raise InsufficientHistoryError(
            f"only {returns.shape[0]} return observation(s) in the common window "
            f"{dates[0].isoformat()}..{dates[-1].isoformat()} (need at least {min_observations}); "
            f"the window is set by {_list(shortest)}; lower min_observations "
            "(--min-observations) or give a longer history",
            field="prices",
        )
    return ReturnsWindow(
        history.tickers,
        frozen_array(returns),
        dates[0],
        dates[-1],
        tuple(warnings),
        frozen_array(kept[-1]),
    )
