"""Each ticker's whole price series as two packed arrays, kept beside the row table.

``price_data`` (one row per ticker and day) stays the record; ``price_series`` holds the same
prices read-optimized: per ticker its days (big-endian int32, days since 1970-01-01, ascending)
and closes (big-endian float64, the stored value as ``float8``), with the first and last day and
the count. A 500 x 1260 load then reads 500 rows and numpy decodes them, instead of a Python
object per price (SQLite's driver alone costs ~0.6 us a row: ~0.4 s for 630k prices, and the
grouped summary over the row table 1.3 s). Big-endian because PostgreSQL's ``int4send`` and
``float8send`` write it, so both dialects share one format.

The series is rewritten in the same transaction as every upsert into ``price_data`` (the only
write path), so a committed series always equals its rows; a contract test holds the loads from
both to each other on both dialects.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from domain.errors import NotFoundError
from domain.prices import PriceHistory

EPOCH = dt.date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()
DAYS, CLOSES = np.dtype(">i4"), np.dtype(">f8")
FIELDS = ("first_date", "last_date", "row_count", "days", "closes")
"""A series row's columns besides the ticker."""

Series = tuple[np.ndarray, np.ndarray]
"""(days since the epoch as int64, closes as float64), ascending by day."""

PG_REFRESH = (
    "INSERT INTO price_series (ticker, first_date, last_date, row_count, days, closes) "
    "SELECT ticker, min(date), max(date), count(*), "
    "string_agg(int4send((date - DATE '1970-01-01')::int4), ''::bytea ORDER BY date), "
    "string_agg(float8send(close::float8), ''::bytea ORDER BY date) "
    "FROM price_data WHERE ticker = ANY(%(tickers)s) GROUP BY ticker "
    "ON CONFLICT (ticker) DO UPDATE SET first_date = EXCLUDED.first_date, "
    "last_date = EXCLUDED.last_date, row_count = EXCLUDED.row_count, days = EXCLUDED.days, "
    "closes = EXCLUDED.closes"
)
"""PostgreSQL rebuilds the touched tickers' series from their rows, server-side: the rows hold
``numeric(20, 8)``, so only the server knows the values as stored."""

PG_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtext('pfopt.price_series'), hashtext(t)) "
    "FROM unnest(%(tickers)s::text[]) AS t ORDER BY t"
)
"""Two imports of one ticker's disjoint days would each rebuild its series without the other's
uncommitted rows, and the later write would lose the earlier's; a per-ticker lock held to the
commit, taken in one order, serializes them."""


def series_of(history: PriceHistory) -> dict[str, Series]:
    """The present prices of each ticker of ``history``, as series."""
    days = np.array([d.toordinal() - EPOCH_ORDINAL for d in history.dates], dtype=np.int64)
    out = {}
    for j, ticker in enumerate(history.tickers):
        column = history.closes[:, j]
        present = ~np.isnan(column)
        if present.any():
            order = np.argsort(days[present], kind="stable")
            out[ticker] = (days[present][order], column[present][order])
    return out


def merge(old: Series | None, new: Series) -> Series:
    """``old`` with ``new`` written over it: a day in both takes the new close."""
    if old is None:
        return new
    days = np.concatenate([new[0], old[0]])
    closes = np.concatenate([new[1], old[1]])
    kept, first = np.unique(days, return_index=True)  # the first occurrence is the new one
    return kept, closes[first]


def pack(ticker: str, series: Series) -> dict[str, Any]:
    """The ``price_series`` row of one series."""
    days, closes = series
    return {
        "ticker": ticker,
        "first_date": EPOCH + dt.timedelta(days=int(days[0])),
        "last_date": EPOCH + dt.timedelta(days=int(days[-1])),
        "row_count": int(days.size),
        "days": days.astype(DAYS).tobytes(),
        "closes": closes.astype(CLOSES).tobytes(),
    }


def unpack(days: bytes, closes: bytes) -> Series:
    return np.frombuffer(days, DAYS).astype(np.int64), np.frombuffer(closes, CLOSES).astype(float)


def window(series: Series, start: dt.date | None, end: dt.date | None) -> Series:
    """The part of a series in [start, end] (either open)."""
    days, closes = series
    lo = 0 if start is None else np.searchsorted(days, start.toordinal() - EPOCH_ORDINAL)
    hi = days.size
    if end is not None:
        hi = np.searchsorted(days, end.toordinal() - EPOCH_ORDINAL, "right")
    return days[lo:hi], closes[lo:hi]


def assemble(
    names: Sequence[str],
    rows: Iterable[tuple[str, bytes, bytes]],
    start: dt.date | None,
    end: dt.date | None,
) -> tuple[Mapping[str, Series], list[str]]:
    """The windowed series of ``names`` from ``(ticker, days, closes)`` rows, and the names
    with no price in the window."""
    series = {}
    for ticker, days, closes in rows:
        part = window(unpack(days, closes), start, end)
        if part[0].size:
            series[ticker] = part
    return series, [t for t in names if t not in series]


def load(
    names: Sequence[str],
    rows: Iterable[tuple[str, bytes, bytes]],
    start: dt.date | None,
    end: dt.date | None,
) -> PriceHistory:
    """The prices of ``names`` in [start, end] from their series rows, on the union of their
    days (NaN where one has none); a name with no price there is not found."""
    series, missing = assemble(names, rows, start, end)
    if missing:
        raise NotFoundError(
            f"no stored prices for {missing[0]!r} in that date range", field="tickers"
        )
    return history(names, series)


def history(names: Sequence[str], series: Mapping[str, Series]) -> PriceHistory:
    """Prices on the union of the series' days (NaN where one has none)."""
    days = np.unique(np.concatenate([series[t][0] for t in names]))
    closes = np.full((days.size, len(names)), np.nan)
    for j, ticker in enumerate(names):
        d, c = series[ticker]
        closes[np.searchsorted(days, d), j] = c
    dates = (np.datetime64("1970-01-01", "D") + days).astype(dt.date).tolist()
    return PriceHistory(dates, list(names), closes)
