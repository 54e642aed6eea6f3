"""Small per-ticker CSV tables: the sector map (``ticker,sector``), factor loadings
(``ticker,<factor>,<factor>...``) and weights (``ticker,weight``: holdings, a benchmark)."""

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from adapters.csv_prices import open_text
from domain.errors import ValidationError


def _rows(path: Path, first: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader, [])]
        if not header or header[0].lower() != first:
            raise ValidationError(
                f"{path.name} line 1: the first column must be {first!r}", field=path.name
            )
        rows = [(line, [c.strip() for c in row]) for line, row in enumerate(reader, start=2) if row]
    seen: dict[str, int] = {}
    for line, row in rows:
        if len(row) != len(header):
            raise ValidationError(
                f"{path.name} line {line}: {len(row)} cells, header has {len(header)}",
                field=path.name,
            )
        if row[0] in seen:
            raise ValidationError(
                f"{path.name} line {line}: duplicate ticker {row[0]!r} (also line {seen[row[0]]})",
                field=path.name,
            )
        seen[row[0]] = line
    return header, rows


def read_sector_map(path: Path) -> dict[str, str]:
    """Ticker to sector from a ``ticker,sector`` CSV."""
    header, rows = _rows(path, "ticker")
    if len(header) != 2 or header[1].lower() != "sector":
        raise ValidationError(
            f"{path.name} line 1: expected columns ticker,sector", field=path.name
        )
    for line, (ticker, sector) in rows:
        if not ticker or not sector:
            raise ValidationError(
                f"{path.name} line {line}: empty ticker or sector", field=path.name
            )
    return {ticker: sector for _, (ticker, sector) in rows}


def read_weights(path: Path, column: str = "weight") -> dict[str, float]:
    """A number by ticker from a ``ticker,<column>`` CSV: weights (decimals) or shares; a
    ``CASH`` row is the cash, returned under that name for the caller to take out."""
    header, rows = _rows(path, "ticker")
    if len(header) != 2 or header[1].lower() != column:
        raise ValidationError(
            f"{path.name} line 1: expected columns ticker,{column}", field=path.name
        )
    out: dict[str, float] = {}
    for line, (ticker, cell) in rows:
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        if not ticker or not math.isfinite(value):
            raise ValidationError(
                f"{path.name} line {line}: {column} {cell!r} of {ticker!r} is not a number",
                field=path.name,
            )
        out[ticker] = value
    return out


def read_factor_loadings(path: Path) -> tuple[tuple[str, ...], dict[str, list[float]]]:
    """Factor names and each ticker's loadings from a ``ticker,F1,F2,...`` CSV."""
    header, rows = _rows(path, "ticker")
    if len(header) < 2:
        raise ValidationError(f"{path.name} line 1: no factor columns", field=path.name)
    loadings: dict[str, list[float]] = {}
    for line, row in rows:
        values = []
        for name, cell in zip(header[1:], row[1:], strict=True):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ValidationError(
                    f"{path.name} line {line}, column {name!r}: not a finite number: {cell!r}",
                    field=path.name,
                )
            values.append(value)
        loadings[row[0]] = values
    return tuple(header[1:]), loadings


def write_sector_map(sectors: Mapping[str, str], handle: TextIO) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["ticker", "sector"])
    writer.writerows(sectors.items())
