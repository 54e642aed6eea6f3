"""CSV exports of runs (CLI and HTTP), and JSON price rows for the price upload."""

import csv
import datetime as dt
import io
from typing import Any

import msgspec
import numpy as np

from domain.errors import InvalidPriceDataError
from domain.prices import PriceHistory
from domain.records import OptimizationRecord


class PriceRowBody(msgspec.Struct, forbid_unknown_fields=True):
    date: dt.date
    ticker: str
    close: float


def rows_to_history(rows: list[PriceRowBody]) -> PriceHistory:
    """Long rows to a history; a duplicate (ticker, date) names both row numbers."""
    if not rows:
        raise InvalidPriceDataError("prices: no rows", field="prices")
    seen: dict[tuple[str, dt.date], int] = {}
    for k, row in enumerate(rows):
        if (row.ticker, row.date) in seen:
            raise InvalidPriceDataError(
                f"prices[{k}]: duplicate price for {row.ticker} on {row.date.isoformat()} "
                f"(also prices[{seen[row.ticker, row.date]}])",
                field=f"prices[{k}]",
            )
        seen[row.ticker, row.date] = k
    tickers = list(dict.fromkeys(r.ticker for r in rows))
    dates = sorted({r.date for r in rows})
    closes = np.full((len(dates), len(tickers)), np.nan)
    row_of, col_of = {d: i for i, d in enumerate(dates)}, {t: j for j, t in enumerate(tickers)}
    for r in rows:
        closes[row_of[r.date], col_of[r.ticker]] = r.close
    return PriceHistory(dates, tickers, closes)


def frontier_csv(results: dict[str, Any]) -> str:
    """Frontier points, one row each: metrics, status and the weight of every ticker. Takes the
    JSON form of a frontier (a stored result or a ``FrontierResponse`` as builtins)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tickers = list(results.get("min_variance", {}).get("weights") or {})
    writer.writerow(
        ["target_return", "expected_return", "volatility", "sharpe", "status", *tickers]
    )
    for p in results.get("points", []):
        weights = p.get("weights") or {}
        writer.writerow(
            [
                p["target_return"],
                p["expected_return"],
                p["volatility"],
                p["sharpe"],
                p["status"],
                *(weights.get(t, "") for t in tickers),
            ]
        )
    return out.getvalue()


def record_csv(record: OptimizationRecord) -> str:
    """A stored run as CSV: frontier points, or ``ticker,weight`` for a single run."""
    if record.kind == "frontier":
        return frontier_csv(record.results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ticker", "weight"])
    writer.writerows((record.results.get("weights") or {}).items())
    return out.getvalue()
