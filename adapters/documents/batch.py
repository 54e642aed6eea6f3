"""A batch as its caller words it: a JSON document (the HTTP body, a CLI file), or an accounts
table (CSV or Parquet, one row per account and ticker) with the batch's settings given beside.

The structure is checked up front (a malformed file is refused whole, naming the line and
column, or the JSON path); each account's own values are checked when it becomes a domain
value, and an account whose values are wrong becomes that account's failed outcome, so one
bad account never fails the batch."""

import csv
import datetime as dt
import io
import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from adapters.documents.constraints import ConstraintsDocument, Document, to_constraints
from adapters.documents.objectives import (
    MinVarianceDocument,
    Objectives,
    objective_from,
    to_objective,
)
from adapters.documents.rebalance import RebalanceDocument, to_rebalance
from adapters.documents.specs import InlineUniverseBody
from domain.batch import AccountOutcome, BatchAccount
from domain.errors import DomainError, ValidationError


class AccountDocument(Document):
    """One account; what it leaves out it takes from the batch (``objective``,
    ``constraints``, ``rebalance``: the account's own replaces the batch's whole)."""

    id: str
    tickers: list[str] | None = None
    objective: Objectives | None = None
    constraints: ConstraintsDocument | None = None
    rebalance: RebalanceDocument | None = None


class BatchUniverseDocument(Document):
    """The shared universe: stored prices of ``tickers`` (none: every ticker an account
    names) over ``start``..``end``, or the caller's own ``inline`` model."""

    tickers: list[str] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    inline: InlineUniverseBody | None = None


SWEEPABLE = {
    "objective": ("risk_aversion", "target_return", "target_risk", "risk_free_rate"),
    "constraints": ("max_weight", "min_weight"),
    "rebalance": ("turnover", "max_trade", "cost_bps"),
}


class BatchDocument(Document):
    """``accounts``, or ``sweep``: the batch's own spec over every combination of the values
    given (``{"risk_aversion": [1, 2, 4], "turnover": [0.05, 0.1]}``: six accounts)."""

    universe: BatchUniverseDocument = msgspec.field(default_factory=BatchUniverseDocument)
    objective: Objectives = msgspec.field(default_factory=MinVarianceDocument)
    constraints: ConstraintsDocument = msgspec.field(default_factory=ConstraintsDocument)
    rebalance: RebalanceDocument | None = None
    accounts: list[AccountDocument] = msgspec.field(default_factory=list)
    sweep: dict[str, list[float]] | None = None


def read_document(data: bytes, name: str = "batch") -> BatchDocument:
    """``data`` as a batch document; a malformed one is an error naming where."""
    try:
        return msgspec.json.decode(data, type=BatchDocument)
    except msgspec.ValidationError as error:
        raise ValidationError(f"{name}: {error}", field="accounts") from None
    except msgspec.DecodeError as error:
        raise ValidationError(f"{name}: not valid JSON ({error})", field="accounts") from None


def _swept(doc: BatchDocument) -> list[AccountDocument]:
    grid = doc.sweep or {}
    where = {f: part for part, fields in SWEEPABLE.items() for f in fields}
    for key, values in grid.items():
        if key not in where:
            raise ValidationError(
                f"sweep: {key!r} cannot be swept; choose from {', '.join(sorted(where))}",
                field=f"sweep.{key}",
            )
        if not values:
            raise ValidationError(f"sweep: {key} lists no values", field=f"sweep.{key}")
    out = []
    keys = list(grid)
    for combination in itertools.product(*(grid[k] for k in keys)):
        parts: dict[str, Any] = {
            "objective": msgspec.to_builtins(doc.objective),
            "constraints": msgspec.to_builtins(doc.constraints),
            "rebalance": msgspec.to_builtins(doc.rebalance or RebalanceDocument()),
        }
        for key, value in zip(keys, combination, strict=True):
            parts[where[key]][key] = value
        label = ",".join(f"{k}={v:g}" for k, v in zip(keys, combination, strict=True))
        try:
            out.append(msgspec.convert({"id": label or "base", **parts}, AccountDocument))
        except msgspec.ValidationError as error:
            raise ValidationError(f"sweep {label}: {error}", field="sweep") from None
    return out


def _account(doc: BatchDocument, a: AccountDocument) -> BatchAccount:
    objective_doc = a.objective or doc.objective
    rebalance_doc = a.rebalance or doc.rebalance
    return BatchAccount(
        a.id,
        to_objective(objective_doc),
        None if a.tickers is None else tuple(a.tickers),
        to_constraints(a.constraints or doc.constraints),
        None if rebalance_doc is None else to_rebalance(rebalance_doc),
        objective_doc.risk_free_rate,
    )


def to_accounts(doc: BatchDocument) -> list[BatchAccount | AccountOutcome]:
    """Each account as a domain value, or, where its values are wrong, its failed outcome."""
    if doc.sweep is not None and doc.accounts:
        raise ValidationError("give accounts or a sweep, not both", field="sweep")
    listed = _swept(doc) if doc.sweep is not None else doc.accounts
    out: list[BatchAccount | AccountOutcome] = []
    for position, a in enumerate(listed):
        try:
            out.append(_account(doc, a))
        except DomainError as error:
            detail = {"code": error.code, "detail": error.detail, "field": error.field}
            out.append(AccountOutcome(a.id, position, "failed", error=detail))
    return out


# --- accounts tables (CSV, Parquet) ---------------------------------------------------------

TABLE_REQUIRED = ("account", "ticker")
TABLE_NUMBERS = (
    "weight",
    "cash",
    "turnover",
    "max_trade",
    "cost_bps",
    "max_weight",
    "min_weight",
    "risk_aversion",
    "target_return",
    "target_risk",
    "risk_free_rate",
)
TABLE_COLUMNS = (*TABLE_REQUIRED, "objective", *TABLE_NUMBERS)
PER_ACCOUNT = tuple(c for c in TABLE_COLUMNS if c not in ("account", "ticker", "weight"))


def _number(text: str, where: str) -> float | None:
    if text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{where}: {text[:40]!r} is not a number", field="accounts") from None
    if not math.isfinite(value):
        raise ValidationError(f"{where}: {text[:40]!r} is not finite", field="accounts")
    return value


def read_table(path: Path, defaults: Mapping[str, Any]) -> BatchDocument:
    """An accounts table: one row per (account, ticker) with the holding's ``weight``, and
    per-account settings (objective, turnover, max_weight, ...) in optional columns, equal on
    every row of an account. ``defaults``: the batch's settings for what the table leaves
    out (the CLI's options)."""
    rows = _parquet_rows(path) if path.suffix.lower() == ".parquet" else _csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise ValidationError(f"{path.name}: the file is empty", field="accounts")
    header = [h.strip() for h in header]
    for column in TABLE_REQUIRED:
        if column not in header:
            raise ValidationError(
                f"{path.name}: line 1: no {column!r} column (the table needs "
                f"{', '.join(TABLE_REQUIRED)}; optional: {', '.join(TABLE_COLUMNS[2:])})",
                field="accounts",
            )
    unknown = [h for h in header if h not in TABLE_COLUMNS]
    if unknown:
        raise ValidationError(
            f"{path.name}: line 1: unknown column {unknown[0]!r}; columns are "
            f"{', '.join(TABLE_COLUMNS)}",
            field="accounts",
        )
    accounts: dict[str, dict[str, Any]] = {}
    for line, values in enumerate(rows, start=2):
        if len(values) != len(header):
            raise ValidationError(
                f"{path.name}: line {line}: {len(values)} fields for {len(header)} columns",
                field="accounts",
            )
        cell = dict(zip(header, values, strict=True))
        name, ticker = cell["account"].strip(), cell["ticker"].strip()
        if not name or not ticker:
            column = "account" if not name else "ticker"
            raise ValidationError(
                f"{path.name}: line {line}, column {column}: empty", field="accounts"
            )
        a = accounts.setdefault(name, {"tickers": [], "holdings": {}, "line": line})
        if ticker in a["holdings"]:
            raise ValidationError(
                f"{path.name}: line {line}: {ticker} appears twice for account {name}",
                field="accounts",
            )
        a["tickers"].append(ticker)
        weight = _number(cell.get("weight", ""), f"{path.name}: line {line}, column weight")
        a["holdings"][ticker] = weight or 0.0
        for column in PER_ACCOUNT:
            text = cell.get(column, "").strip()
            if not text:
                continue
            where = f"{path.name}: line {line}, column {column}"
            value: Any = text if column == "objective" else _number(text, where)
            if a.get(column, value) != value:
                raise ValidationError(
                    f"{where}: {text!r} differs from line {a['line']} of account {name}; "
                    "a setting is one per account",
                    field="accounts",
                )
            a[column] = value
    return _table_document(accounts, defaults)


def _table_document(accounts: Mapping[str, Mapping[str, Any]], defaults: Mapping[str, Any]):
    listed = []
    for name, a in accounts.items():
        v = {**defaults, **{k: a[k] for k in PER_ACCOUNT if k in a}}
        kind = str(v.get("objective") or "min_variance").replace("-", "_")
        objective = _objective(kind, v)
        constraints = ConstraintsDocument(
            max_weight=v.get("max_weight"), min_weight=v.get("min_weight")
        )
        held = sum(a["holdings"].values())
        cash = v.get("cash")
        rebalance = RebalanceDocument(
            holdings=a["holdings"],
            cash=max(0.0, 1.0 - held) if cash is None else cash,
            turnover=v.get("turnover"),
            max_trade=v.get("max_trade"),
            cost_bps=v.get("cost_bps") or 0.0,
        )
        listed.append(
            AccountDocument(
                id=name,
                tickers=a["tickers"],
                objective=objective,
                constraints=constraints,
                rebalance=rebalance,
            )
        )
    return BatchDocument(accounts=listed)


def _objective(kind: str, v: Mapping[str, Any]) -> Any:
    """The objective document of ``kind`` from the account's numbers it takes (a table's
    columns serve every kind: ``risk_aversion`` is no error on a min-variance account)."""
    from adapters.documents.objectives import KINDS

    if kind not in KINDS:
        raise ValidationError(f"objective {kind!r} is not one pfopt knows", field="objective")
    takes = KINDS[kind].document.__struct_fields__
    fields = ("risk_aversion", "target_return", "target_risk", "risk_free_rate")
    return objective_from(kind, **{f: v.get(f) for f in fields if f in takes})


def _csv_rows(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file", field="accounts") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not UTF-8 text", field="accounts") from None
    return iter(csv.reader(io.StringIO(text)))


def _parquet_rows(path: Path):
    import polars as pl  # reads Parquet without pyarrow

    try:
        frame = pl.read_parquet(path)
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file", field="accounts") from None
    except Exception as error:  # polars' own error types vary by version
        raise ValidationError(
            f"{path.name}: not a Parquet file ({error})", field="accounts"
        ) from None
    columns = frame.columns
    yield columns
    for row in frame.iter_rows():
        yield ["" if x is None else str(x) for x in row]
