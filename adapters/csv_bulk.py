"""Large price CSVs read column by column with polars, checked in bulk.

The row reader in ``adapters.csv_prices`` is the reference: it names the file, line, column
and value of the first problem. It spends a Python call per cell, about a second for 500
tickers x 1260 days. polars (a well-kept columnar CSV reader in Rust, chosen over pyarrow for
its faster import, ~0.2 s against ~0.25 s, and read) parses the same file in ~50 ms; this
module accepts its result only when it is certainly what the row reader would return, and
otherwise answers None so that the row reader runs and words the error:

- the text is UTF-8 without blank lines, the header passes the row reader's checks;
- dates are exactly ``YYYY-MM-DD`` (the row reader's ``date.fromisoformat`` accepts more
  ISO forms, which it then reads itself), valid and distinct;
- prices are decimals polars and Python read alike, or one of the common spellings of a
  missing price; every price is finite and positive.

polars is imported only here, for files of at least ``BULK_BYTES``: a small file reads faster
row by row than polars takes to import.
"""

import datetime as dt
import io

import numpy as np

from domain.prices import HIGHEST_PRICE, LOWEST_PRICE, PriceHistory

BULK_BYTES = 1_000_000
"""Files from this size up are read in bulk (about 100k cells: ~0.2 s row by row)."""
NULLS = ["", "na", "NA", "n/a", "N/A", "nan", "NaN", "NAN", "null", "NULL", "none", "None"]
"""Spellings of a missing price polars turns into null; any other spelling of the row reader's
MISSING set (" NA", "nUll") fails the bulk read and goes row by row."""
DATE = r"^\d{4}-\d{2}-\d{2}$"
LONG = ("date", "ticker", "close")


def read_bulk(data: bytes, header: list[str], long: bool) -> PriceHistory | None:
    """The prices of a CSV file's bytes, or None when the row reader must decide (see the
    module docstring). ``header`` is the row reader's stripped, checked header; ``long`` its
    choice of format."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\n\n" in data or b"\n\r\n" in data or b"\r\r" in data or b"\0" in data:
        return None  # blank lines (the row reader skips them) or NUL: its call
    if b'"' in data or not _same_width(data, len(header)):
        return None  # quoted cells, or a line of another width (polars pads short lines)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    import polars as pl

    try:
        if long:
            return _long(pl, data, header)
        return _wide(pl, data, header)
    except (pl.exceptions.PolarsError, ValueError, OverflowError):
        return None


def _same_width(data: bytes, width: int) -> bool:
    """Whether the file has ``width - 1`` commas per line on average (no quotes: checked).
    polars pads a short line with nulls but refuses a long one, so a short line passes this
    count only beside a long line, which polars then refuses."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return data.count(b",") == lines * (width - 1)


def _dates(pl, column) -> np.ndarray | None:
    """The column as datetime64[D] when every value is an exact, valid YYYY-MM-DD."""
    if column.null_count() or not column.str.contains(DATE).all():
        return None
    days = column.str.to_date("%Y-%m-%d", strict=True)
    return days.to_numpy().astype("datetime64[D]")


def _as_dates(days: np.ndarray) -> list[dt.date]:
    return days.astype(object).tolist()


def _positive(values: np.ndarray) -> bool:
    """Every present close within the stored range (else the row reader names the cell)."""
    present = values[~np.isnan(values)]
    return bool(np.all((present >= LOWEST_PRICE) & (present <= HIGHEST_PRICE)))


def _wide(pl, data: bytes, header: list[str]) -> PriceHistory | None:
    schema = {name: (pl.String if k == 0 else pl.Float64) for k, name in enumerate(header)}
    frame = pl.read_csv(
        io.BytesIO(data),
        has_header=True,
        new_columns=header,
        schema_overrides=schema,
        null_values=NULLS,
        infer_schema=False,
        raise_if_empty=True,
        truncate_ragged_lines=False,
    )
    if frame.width != len(header) or frame.height == 0:
        return None
    days = _dates(pl, frame.get_column(header[0]))
    if days is None:
        return None
    sorted_days = np.sort(days)
    if np.any(sorted_days[1:] == sorted_days[:-1]):
        return None
    closes = frame.select(header[1:]).to_numpy().astype(float, copy=False)
    if not _positive(closes):
        return None
    order = np.argsort(days, kind="stable")
    return PriceHistory(_as_dates(days[order]), header[1:], np.ascontiguousarray(closes[order]))


def _long(pl, data: bytes, header: list[str]) -> PriceHistory | None:
    names = {name.lower(): name for name in header}
    schema = dict.fromkeys(header, pl.String)
    schema[names["close"]] = pl.Float64
    frame = pl.read_csv(
        io.BytesIO(data),
        has_header=True,
        new_columns=header,
        schema_overrides=schema,
        null_values=[""],
        infer_schema=False,
        raise_if_empty=True,
        truncate_ragged_lines=False,
    )
    if frame.height == 0:
        return None
    tickers = frame.get_column(names["ticker"])
    if tickers.null_count() or (tickers.str.strip_chars() != tickers).any():
        return None  # empty or padded tickers: the row reader words or strips them
    close = frame.get_column(names["close"])
    if close.null_count():
        return None
    days = _dates(pl, frame.get_column(names["date"]))
    if days is None:
        return None
    values = close.to_numpy().astype(float, copy=False)
    if np.isnan(values).any() or not _positive(values):
        return None  # a "nan" close: polars reads NaN, the row reader calls it an empty price
    order = tickers.unique(maintain_order=True)
    codes = tickers.replace_strict(order, pl.Series(range(order.len())), return_dtype=pl.Int64)
    column = codes.to_numpy()
    distinct, row = np.unique(days, return_inverse=True)
    cell = row.astype(np.int64) * order.len() + column
    ordered = np.sort(cell)  # (np.unique hashes int64 here: ten times slower than a sort)
    if np.any(ordered[1:] == ordered[:-1]):
        return None  # a ticker priced twice on one day: the row reader names both lines
    closes = np.full((distinct.size, order.len()), np.nan)
    closes.flat[cell] = values
    return PriceHistory(_as_dates(distinct), order.to_list(), closes)
