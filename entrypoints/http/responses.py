"""Response bodies of the routes that are not run documents (those live in
``adapters.documents``): explicit Structs, so ``/schema`` documents every response. Dates are
ISO text, rates and weights decimals."""

import datetime as dt
from typing import Any

import msgspec

from adapters.documents.results import FrontierResponse
from domain.records import ImportReport, TickerSummary


class Problem(msgspec.Struct, kw_only=True):
    """An error (RFC 9457, ``application/problem+json``): ``code`` is stable for programs,
    ``detail`` says what is wrong and how to fix it, ``field`` names the input it is about."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None = None


class Health(msgspec.Struct):
    status: str
    database: str


class PricePoint(msgspec.Struct):
    date: dt.date
    close: float


class StoredTicker(msgspec.Struct, kw_only=True):
    """A stored ticker: first and last day, number of daily closes, sector (null if unknown)."""

    ticker: str
    first: dt.date
    last: dt.date
    rows: int
    sector: str | None = None

    @classmethod
    def from_domain(cls, s: TickerSummary) -> "StoredTicker":
        return cls(ticker=s.ticker, first=s.first, last=s.last, rows=s.rows, sector=s.sector)


class PriceImport(msgspec.Struct, kw_only=True):
    """What an import read and wrote: price rows in the file, the tickers they cover and their
    date range; how many prices were new to the store (``added``) or replaced a different
    close (``changed``), and how many sectors changed. All three 0: nothing was written."""

    rows: int
    tickers: list[str]
    first: dt.date
    last: dt.date
    added: int
    changed: int
    sectors_changed: int

    @classmethod
    def from_domain(cls, r: ImportReport) -> "PriceImport":
        return cls(
            rows=r.rows,
            tickers=list(r.tickers),
            first=r.first,
            last=r.last,
            added=r.added,
            changed=r.changed,
            sectors_changed=r.sectors_changed,
        )


class SectorsUpdated(msgspec.Struct):
    updated: int


class FrontierAccepted(msgspec.Struct):
    """A frontier job was started: follow ``status_url`` or ``ws_url``."""

    session_id: str
    status_url: str
    ws_url: str


class JobError(msgspec.Struct, kw_only=True):
    code: str
    detail: str
    field: str | None = None


class FrontierJob(msgspec.Struct, kw_only=True):
    """A frontier job's status: ``running`` with its progress (``current`` of ``total`` points),
    then ``done`` (``result`` is the stored frontier document), ``failed`` (``error``) or
    ``cancelled``. ``?wait=true`` answers with this same document, done. ``seq`` counts the
    job's changes."""

    session_id: str
    status: str
    current: int
    total: int
    message: str
    seq: int
    optimization_id: str | None = None
    error: JobError | None = None
    result: FrontierResponse | None = None


def job_document(state: dict[str, Any], result: dict[str, Any] | None = None) -> FrontierJob:
    """A job's state (as the job board keeps it) and its stored result as the document."""
    known = {k: v for k, v in state.items() if k in FrontierJob.__struct_fields__}
    return msgspec.convert({**known, "result": result}, FrontierJob)
