"""Daily price history as the optimizer receives it."""

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.errors import InvalidPriceDataError
from domain.model import TICKER, check_tickers
from domain.types import FloatArray, frozen_array

LOWEST_PRICE = 1e-8
HIGHEST_PRICE = 1e15
"""Closes outside these are refused, on every engine alike: below a hundred-millionth of a unit
or above a quadrillion no instrument trades, and such a value is a unit mistake or a corrupt
cell; between them every close is stored exactly (a float column) and every return between
two of them (at most 1e23) is finite."""


@dataclass(frozen=True, slots=True, eq=False)
class PriceHistory:
    """Closing prices, one row per date and one column per ticker.

    ``closes`` has shape (n_dates, n_assets), in the instrument's currency; NaN marks a missing
    price (the asset had not started trading, was suspended, or the file has a hole). Dates are
    strictly increasing. Every present price is finite and > 0: a zero would make every return
    after it infinite, so it is rejected, never read as "missing".
    """

    dates: tuple[dt.date, ...]
    tickers: tuple[str, ...]
    closes: FloatArray

    def __init__(self, dates: Sequence[dt.date], tickers: Sequence[str], closes: object) -> None:
        names = check_tickers(tickers, minimum=1)
        for name in names:
            if not TICKER.fullmatch(name):
                raise InvalidPriceDataError(
                    f"ticker {name[:40]!r}: use 1..32 letters, digits or . _ ^ = / : -",
                    field="tickers",
                )
        values = frozen_array(closes, ndim=2)
        if values.shape != (len(dates), len(names)):
            raise InvalidPriceDataError(
                f"prices have shape {values.shape}, expected ({len(dates)}, {len(names)})",
                field="prices",
            )
        for a, b in itertools.pairwise(dates):
            if b <= a:
                raise InvalidPriceDataError(
                    f"dates must be strictly increasing: {b.isoformat()} follows {a.isoformat()}",
                    field="date",
                )
        bad = ~np.isnan(values) & ~((values >= LOWEST_PRICE) & (values <= HIGHEST_PRICE))
        if np.any(bad):
            row, col = (int(x) for x in np.argwhere(bad)[0])
            value = float(values[row, col])
            raise InvalidPriceDataError(
                f"price of {names[col]!r} on {dates[row].isoformat()} is {value!r}; prices "
                f"must be positive finite numbers from {LOWEST_PRICE:g} to {HIGHEST_PRICE:g}",
                field=f"prices.{names[col]}",
            )
        object.__setattr__(self, "dates", tuple(dates))
        object.__setattr__(self, "tickers", names)
        object.__setattr__(self, "closes", values)

    def between(self, start: dt.date | None, end: dt.date | None) -> "PriceHistory":
        """The rows dated from ``start`` to ``end`` inclusive (None: open on that side)."""
        keep = [
            i
            for i, d in enumerate(self.dates)
            if (start is None or d >= start) and (end is None or d <= end)
        ]
        rows = self.closes[keep].reshape(len(keep), len(self.tickers))
        return PriceHistory([self.dates[i] for i in keep], self.tickers, rows)

    def select(self, tickers: Sequence[str]) -> "PriceHistory":
        """The same history restricted to ``tickers``, in that order."""
        index = {t: i for i, t in enumerate(self.tickers)}
        columns = [index[t] for t in tickers]
        return PriceHistory(self.dates, tickers, self.closes[:, columns])


def price_changes(stored: PriceHistory | None, new: PriceHistory) -> tuple[int, int, int]:
    """How many prices ``new`` holds (present), how many of them the store lacks (added) and
    how many it holds at a different close (changed), so a re-import of the same file can say
    that nothing changed.
    ``stored``: the store's prices of those of ``new``'s tickers it has (None: it has none)."""
    present = ~np.isnan(new.closes)
    old = np.full(new.closes.shape, np.nan)
    if stored is not None:
        rows = {day: i for i, day in enumerate(stored.dates)}
        mine = [i for i, day in enumerate(new.dates) if day in rows]
        theirs = [rows[new.dates[i]] for i in mine]
        columns = {t: j for j, t in enumerate(stored.tickers)}
        for j, ticker in enumerate(new.tickers):
            if ticker in columns:
                old[mine, j] = stored.closes[theirs, columns[ticker]]
    held = present & ~np.isnan(old)
    changed = held & (old != np.where(held, new.closes, np.nan))
    return int(present.sum()), int((present & ~held).sum()), int(changed.sum())
