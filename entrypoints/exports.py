"""CSV exports of runs (CLI and HTTP), and JSON price rows for the price upload."""

import csv
import datetime as dt
import io
import json

import msgspec
import numpy as np

from adapters.documents.codec import read_results
from adapters.documents.results import FrontierResponse, OptimizationResponse
from domain.errors import InvalidPriceDataError, ValidationError
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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A cell a spreadsheet would run as a formula when it begins with one of these (CSV injection:
an inline ticker ``=HYPERLINK(...)`` in someone's export)."""


def spreadsheet_safe(text: str) -> str:
    """Text as a spreadsheet shows it literally: a formula-like start gets a leading quote (the
    convention spreadsheets read as "this is text"). Numbers are written as numbers."""
    return "'" + text if text.startswith(FORMULA_START) else text


def frontier_csv(doc: FrontierResponse) -> str:
    """Frontier points, one row each: metrics, status and the weight of every ticker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tickers = list(doc.min_variance.weights or {})
    writer.writerow(
        [
            "target_return",
            "expected_return",
            "volatility",
            "sharpe",
            "status",
            *map(spreadsheet_safe, tickers),
        ]
    )
    for p in doc.points:
        weights = p.weights or {}
        writer.writerow(
            [
                p.target_return,
                p.expected_return,
                p.volatility,
                p.sharpe,
                p.status,
                *(weights.get(t, "") for t in tickers),
            ]
        )
    return out.getvalue()


def record_csv(record: OptimizationRecord, trades: bool = False) -> str:
    """A stored run as CSV, from its document: frontier points, or ``ticker,weight``; with
    ``trades``, a rebalancing run's trades (``trades_csv``)."""
    doc = read_results(record)
    if trades:
        if isinstance(doc, FrontierResponse):
            raise ValidationError("a frontier run has no trades", field="format")
        return trades_csv(doc)
    if isinstance(doc, FrontierResponse):
        return frontier_csv(doc)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ticker", "weight"])
    writer.writerows((spreadsheet_safe(t), w) for t, w in doc.weights.items())
    return out.getvalue()


def trades_csv(doc: OptimizationResponse) -> str:
    """The trades of a run from holdings, one row per asset held before or after: weights
    before and after and the change (decimals), side, one-off cost (decimal of the book),
    notional; and with whole shares the price and the shares held, targeted and traded."""
    r = doc.rebalance
    if r is None:
        raise ValidationError(
            "this run started from cash with no trading terms: it has no trades (give "
            "holdings, shares or a trading option)",
            field="format",
        )
    trades = {t.ticker: t for t in r.trades}
    shares = {row.ticker: row for row in (r.shares.rows if r.shares else [])}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["ticker", "side", "weight_from", "weight_to", "change", "cost", "notional"]
    if r.shares:
        header += ["price", "held_shares", "target_shares", "trade_shares"]
    writer.writerow(header)
    for ticker, weight in doc.weights.items():
        t = trades.get(ticker)
        before = t.weight_from if t else weight
        if before == 0 and weight == 0 and ticker not in shares:
            continue
        row: list = [spreadsheet_safe(ticker), t.side if t else "", before, weight]
        row += [t.change, t.cost, "" if t.notional is None else t.notional] if t else [0.0, 0.0, ""]
        if r.shares:
            s_row = shares.get(ticker)
            row += (
                ["", "", "", ""]
                if s_row is None
                else [s_row.price, _blank(s_row.held), s_row.target, _blank(s_row.trade)]
            )
        writer.writerow(row)
    return out.getvalue()


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


BATCH_MEASURES = ("expected_return", "volatility", "sharpe", "turnover", "cost", "trades")


def batch_rows(outcomes) -> list[dict]:
    """One flat row per account (the CSV/Parquet download; JSON keeps the same keys): its
    measures, its weights as a JSON object, and its error where it failed."""
    rows = []
    for o in outcomes:
        m = o.measures
        error = o.error or {}
        rows.append(
            {
                "account": o.account,
                "position": o.position,
                "status": o.status,
                "solver": o.solver or "",
                **{k: m.get(k) for k in BATCH_MEASURES},
                "weights": json.dumps(dict(o.weights), sort_keys=True),
                "error_code": error.get("code") or "",
                "error": error.get("detail") or "",
                "duration_ms": round(o.duration_ms, 4),
            }
        )
    return rows


def batch_csv(outcomes) -> str:
    out = io.StringIO()
    rows = batch_rows(outcomes)
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["account"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def batch_state(state) -> dict:
    """A batch's state as the CLI's ``--json`` and the HTTP API give it."""
    return {
        "id": state.id,
        "status": state.status,
        "total": state.total,
        "done": state.done,
        "failed": state.failed,
        "executor": state.executor,
        "workers": state.workers,
        "summary": dict(state.summary),
        "error": state.error,
        "cancel_requested": state.cancel_requested,
    }
