"""History records and saved portfolios as documents (the API, the CLI's ``--json``)."""

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from adapters.documents.constraints import ConstraintsDocument, Document, constraints_document
from adapters.documents.specs import EstimationDocument
from domain.errors import ValidationError
from domain.records import OptimizationRecord, StoredPortfolio


class OptimizationRecordDocument(msgspec.Struct, kw_only=True):
    """One run in history: what it was asked (``params``, a ``RunParams`` document) and what it
    answered (``results``: an optimization or frontier document, as the API returned it)."""

    id: str
    kind: str
    objective: str
    params: dict[str, Any]
    results: dict[str, Any]
    status: str
    duration_ms: float
    portfolio_id: str | None = None
    created_at: dt.datetime | None = None


def record_document(record: OptimizationRecord) -> OptimizationRecordDocument:
    """The record as it is, field for field (the document names its fields as the record)."""
    fields = OptimizationRecordDocument.__struct_fields__
    return OptimizationRecordDocument(**{name: getattr(record, name) for name in fields})


class RunSummary(msgspec.Struct, kw_only=True):
    """A run in a history list, without its weights (``GET /api/optimizations/{id}`` and
    ``pfopt history show ID`` have them): what it ran on and its headline numbers, so runs can
    be compared in a list. ``expected_return``, ``volatility`` (annualized decimals) and
    ``sharpe`` are the single run's, or the frontier's max-Sharpe point's (None when it has
    none: a cancelled or failed frontier)."""

    id: str
    kind: str
    objective: str
    status: str
    portfolio_id: str | None
    source: str | None
    tickers: list[str]
    points: int
    expected_return: float | None
    volatility: float | None
    sharpe: float | None
    risk_free_rate: float | None
    window: dict[str, Any] | None
    duration_ms: float
    created_at: dt.datetime | None


def run_summary(r: OptimizationRecord) -> RunSummary:
    results = r.results
    headline = results if r.kind == "single" else (results.get("max_sharpe") or {})
    return RunSummary(
        id=r.id,
        kind=r.kind,
        objective=r.objective,
        status=r.status,
        portfolio_id=r.portfolio_id,
        source=r.params.get("source"),
        tickers=list(r.params.get("tickers", [])),
        points=len(results.get("points", [])),
        expected_return=headline.get("expected_return"),
        volatility=headline.get("volatility"),
        sharpe=headline.get("sharpe"),
        risk_free_rate=results.get("risk_free_rate"),
        window=results.get("window"),
        duration_ms=r.duration_ms,
        created_at=r.created_at,
    )


class RunSettingsDocument(Document):
    """How a saved portfolio is rerun, as the page's form holds it: the objective (the point a
    frontier selects), its ``target`` (annualized decimal: a return for target_return, a
    volatility for target_risk), the risk-free rate (annualized decimal), the number of
    frontier points, the estimation methods and the price window (null: all stored prices)."""

    objective: Literal["max_sharpe", "min_variance", "target_return", "target_risk"] = "max_sharpe"
    target: Annotated[float, msgspec.Meta(ge=-10, le=10)] | None = None
    risk_free_rate: Annotated[float, msgspec.Meta(ge=-1, le=1)] = 0.0
    points: Annotated[int, msgspec.Meta(ge=2, le=200)] = 25
    estimation: EstimationDocument = msgspec.field(default_factory=EstimationDocument)
    start: dt.date | None = None
    end: dt.date | None = None


class PortfolioDocument(msgspec.Struct, kw_only=True):
    """A saved portfolio. It can be sent back unchanged as the body of a PUT: ``id`` and the
    times are read-only (ignored there), ``sectors`` repeats ``constraints.sectors``.
    ``target_weights``: the weights it was saved with (decimals by ticker; empty when none);
    ``holdings``: what is held now (decimals of the book by ticker; the rest is cash), which a
    run on the portfolio rebalances from; ``settings``: how to rerun it (null when saved
    without them)."""

    id: str
    name: str
    tickers: list[str]
    sectors: dict[str, str]
    constraints: ConstraintsDocument
    target_weights: dict[str, float] = {}
    holdings: dict[str, float] = {}
    settings: RunSettingsDocument | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def settings_document(settings: dict[str, Any] | None) -> RunSettingsDocument | None:
    """Stored settings as their document (a key this version does not know is dropped, so an
    older server's row still reads)."""
    if settings is None:
        return None
    known = {k: v for k, v in settings.items() if k in RunSettingsDocument.__struct_fields__}
    return msgspec.convert(known, RunSettingsDocument)


def stored_settings(doc: RunSettingsDocument | None) -> dict[str, Any] | None:
    return None if doc is None else msgspec.to_builtins(doc)


def portfolio_document(stored: StoredPortfolio) -> PortfolioDocument:
    p = stored.portfolio
    return PortfolioDocument(
        id=stored.id,
        name=p.name,
        tickers=list(p.tickers),
        sectors=p.sectors,
        constraints=constraints_document(p.constraints, p.sectors),
        target_weights=dict(p.target_weights or {}),
        holdings=dict(p.current_weights or {}),
        settings=settings_document(stored.settings),
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


class PortfolioRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A portfolio to save. A document read with GET is accepted as it is: ``id``,
    ``created_at`` and ``updated_at`` are ignored, top-level ``sectors`` join
    ``constraints.sectors``."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    tickers: Annotated[list[str], msgspec.Meta(min_length=2)]
    constraints: ConstraintsDocument = msgspec.field(default_factory=ConstraintsDocument)
    sectors: dict[str, str] = {}
    target_weights: dict[str, float] = {}
    holdings: dict[str, float] = {}
    settings: RunSettingsDocument | None = None
    id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def point_weights(record: OptimizationRecord, point: str | int | None) -> dict[str, float]:
    """The weights of one portfolio of a stored run, every ticker of the run included (zeros
    too): a single run's own, or a frontier's point ``point`` (an index into ``points``, or
    ``max_sharpe`` / ``min_variance``)."""
    results = record.results
    if record.kind == "single":
        if point is not None:
            raise ValidationError("a single run has one portfolio: give no point", field="point")
        chosen: dict[str, Any] = results
    elif point is None:
        raise ValidationError(
            "a frontier run has many portfolios: give point (an index, max_sharpe or min_variance)",
            field="point",
        )
    elif isinstance(point, int):
        points = results.get("points") or []
        if point >= len(points):
            raise ValidationError(
                f"point {point} is past the run's {len(points)} points", field="point"
            )
        chosen = points[point]
    else:
        chosen = results.get(point) or {}
    weights = chosen.get("weights") or {}
    if not weights:
        raise ValidationError(
            "that portfolio of the run has no weights (it was infeasible or not reached)",
            field="point",
        )
    return dict(weights)
