"""Price files: read wide or long CSV into a ``PriceHistory`` (the ``PriceSource`` port), write
wide CSV.

Wide: a ``date`` column, then one column per ticker; an empty cell (or NA/NaN/null) is a missing
price. Long: columns ``date,ticker,close`` in any order, one price per row. Dates are ISO
``YYYY-MM-DD``. Errors name the file, the line and the column; nothing is guessed.
"""

import csv
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from adapters.csv_bulk import BULK_BYTES, read_bulk
from domain.errors import InvalidPriceDataError, NotFoundError
from domain.prices import HIGHEST_PRICE, LOWEST_PRICE, PriceHistory

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
LONG_COLUMNS = frozenset({"date", "ticker", "close"})


def open_text(path: Path) -> TextIO:
    """Open a user-named text file, turning OS errors into a domain error that names it."""
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"file not found: {path}", field="path") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror}", field="path") from None


class _Where:
    """Formats "file line N, column 'X'" for error messages."""

    def __init__(self, path: Path) -> None:
        self.name = path.name

    def error(self, line: int, column: str, reason: str) -> InvalidPriceDataError:
        return InvalidPriceDataError(
            f"{self.name} line {line}, column {column!r}: {reason}", field=column
        )


def _date(text: str, where: _Where, line: int, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise where.error(line, column, f"bad date {text!r} (expected YYYY-MM-DD)") from None


def _price(text: str, where: _Where, line: int, column: str, *, allow_missing: bool) -> float:
    if text.strip().lower() in MISSING:
        if allow_missing:
            return math.nan
        raise where.error(line, column, "empty price")
    try:
        value = float(text)
    except ValueError:
        raise where.error(line, column, f"not a number: {text!r}") from None
    if not LOWEST_PRICE <= value <= HIGHEST_PRICE:  # NaN and inf fail too
        limits = f"{LOWEST_PRICE:g} to {HIGHEST_PRICE:g}"
        raise where.error(line, column, f"price must be from {limits}, got {text.strip()}")
    return value


def _check_header(header: Sequence[str], where: _Where) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            raise where.error(1, f"#{position}", "empty column name")
        if name in seen:
            raise where.error(1, name, f"duplicate column (also column {seen[name]})")
        seen[name] = position


def _read_wide(rows: Iterable[list[str]], header: list[str], where: _Where) -> PriceHistory:
    tickers = header[1:]
    by_date: dict[dt.date, tuple[int, list[float]]] = {}
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise where.error(line, header[0], f"{len(row)} cells, header has {len(header)}")
        day = _date(row[0], where, line, header[0])
        if day in by_date:
            raise where.error(
                line, header[0], f"duplicate date {day.isoformat()} (also line {by_date[day][0]})"
            )
        values = [
            _price(cell, where, line, t, allow_missing=True)
            for cell, t in zip(row[1:], tickers, strict=True)
        ]
        by_date[day] = (line, values)
    return _history(by_date, tickers, where)


def _read_long(rows: Iterable[list[str]], header: list[str], where: _Where) -> PriceHistory:
    col = {name.lower(): i for i, name in enumerate(header)}
    seen: dict[tuple[str, dt.date], int] = {}
    prices: dict[str, dict[dt.date, float]] = {}
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise where.error(line, "ticker", f"{len(row)} cells, header has {len(header)}")
        ticker = row[col["ticker"]].strip()
        if not ticker:
            raise where.error(line, "ticker", "empty ticker")
        day = _date(row[col["date"]], where, line, "date")
        if (ticker, day) in seen:
            raise where.error(
                line,
                "date",
                f"duplicate price for {ticker} on {day.isoformat()} "
                f"(also line {seen[ticker, day]})",
            )
        seen[ticker, day] = line
        prices.setdefault(ticker, {})[day] = _price(
            row[col["close"]], where, line, "close", allow_missing=False
        )
    tickers = list(prices)
    dates = sorted({d for _, d in seen})
    table = {d: (0, [prices[t].get(d, math.nan) for t in tickers]) for d in dates}
    return _history(table, tickers, where)


def _history(
    by_date: dict[dt.date, tuple[int, list[float]]], tickers: Sequence[str], where: _Where
) -> PriceHistory:
    if not by_date:
        raise InvalidPriceDataError(f"{where.name}: no price rows", field="prices")
    dates = sorted(by_date)
    closes = np.array([by_date[d][1] for d in dates], dtype=float)
    return PriceHistory(dates, tickers, closes.reshape(len(dates), len(tickers)))


def _header(reader: Iterable[list[str]], where: _Where) -> tuple[list[str], bool]:
    """The stripped, checked header and whether the file is long (else wide)."""
    header = [cell.strip() for cell in next(iter(reader), [])]
    if not header:
        raise InvalidPriceDataError(f"{where.name}: the file is empty", field="prices")
    _check_header(header, where)
    if {h.lower() for h in header} >= LONG_COLUMNS:
        return header, True
    if header[0].lower() != "date":
        raise where.error(
            1,
            header[0],
            "the first column of a wide price file must be "
            "'date' (or use long columns date,ticker,close)",
        )
    return header, False


def parse_prices(handle: TextIO, name: str, data: bytes | None = None) -> PriceHistory:
    """Parse a wide or long price CSV from an open text stream; errors name ``name``. ``data``:
    the stream's bytes, when at hand: a large file is then read in bulk (``adapters.csv_bulk``)
    when that gives certainly the same prices; otherwise, and for every file with a problem to
    name, row by row."""
    where = _Where(Path(name))
    reader = csv.reader(handle)
    try:
        header, long = _header(reader, where)
        if data is not None and len(data) >= BULK_BYTES:
            bulk = read_bulk(data, header, long)
            if bulk is not None:
                return bulk
            handle.seek(0)
            reader = csv.reader(handle)
            _header(reader, where)
        if long:
            return _read_long(reader, header, where)
        return _read_wide(reader, header, where)
    except csv.Error as exc:
        raise where.error(reader.line_num, "?", f"malformed CSV: {exc}") from None


def read_prices(path: Path) -> PriceHistory:
    """Parse a wide or long price CSV file (see module docstring and ``parse_prices``)."""
    with open_text(path) as handle:
        data = path.read_bytes() if path.stat().st_size >= BULK_BYTES else None
        return parse_prices(handle, path.name, data)


class CsvPriceSource:
    """``PriceSource`` over one CSV file, parsed once on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._history: PriceHistory | None = None

    def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        if self._history is None:
            self._history = read_prices(self._path)
        history = self._history
        if tickers is not None:
            missing = [t for t in tickers if t not in history.tickers]
            if missing:
                raise NotFoundError(
                    f"ticker {missing[0]!r} is not in {self._path.name}", field="tickers"
                )
            history = history.select(tickers)
        return history.between(start, end)


class CsvPriceFiles:
    """``PriceFiles``: a ``CsvPriceSource`` per path."""

    def open(self, path: str) -> CsvPriceSource:
        return CsvPriceSource(Path(path))


def write_prices(history: PriceHistory, handle: TextIO) -> None:
    """Write wide CSV; a missing price is an empty cell."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["date", *history.tickers])
    for day, row in zip(history.dates, history.closes, strict=True):
        writer.writerow([day.isoformat(), *("" if math.isnan(x) else f"{x:.4f}" for x in row)])
