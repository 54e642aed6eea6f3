"""History records and saved portfolios as documents (the API, the CLI's ``--json``)."""

import datetime as dt
from typing import Annotated, Any

import msgspec

from adapters.documents.constraints import ConstraintsDocument, constraints_document
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


class PortfolioDocument(msgspec.Struct, kw_only=True):
    """A saved portfolio. It can be sent back unchanged as the body of a PUT: ``id`` and the
    times are read-only (ignored there), ``sectors`` repeats ``constraints.sectors``."""

    id: str
    name: str
    tickers: list[str]
    sectors: dict[str, str]
    constraints: ConstraintsDocument
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def portfolio_document(stored: StoredPortfolio) -> PortfolioDocument:
    p = stored.portfolio
    return PortfolioDocument(
        id=stored.id,
        name=p.name,
        tickers=list(p.tickers),
        sectors=p.sectors,
        constraints=constraints_document(p.constraints, p.sectors),
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
    id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
