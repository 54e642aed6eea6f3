"""What pfopt keeps: saved portfolios, the optimization history and price-store summaries."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from domain.model import Portfolio

RunKind: TypeAlias = Literal["single", "frontier"]


@dataclass(frozen=True, slots=True)
class StoredPortfolio:
    """A portfolio with its identity. ``owner`` is None until API keys exist. ``settings``: the
    run settings it was saved with (a JSON-ready ``RunSettings`` document: objective,
    estimation, risk-free rate, points), so it can be opened and rerun as it was; None when
    saved without them."""

    id: str
    portfolio: Portfolio
    owner: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    settings: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class OptimizationRecord:
    """One optimization or frontier run as it is kept in history.

    ``params`` and ``results`` are JSON-ready builtins (decimals, annualized; weights by ticker).
    ``portfolio_id`` is None for ad-hoc runs on a file or a list of tickers.
    """

    id: str
    kind: RunKind
    objective: str
    params: dict[str, Any]
    results: dict[str, Any]
    status: str
    duration_ms: float
    portfolio_id: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class TickerSummary:
    ticker: str
    first: dt.date
    last: dt.date
    rows: int
    sector: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a price import did: rows read from the file, the tickers they cover, and how many
    of those prices were new to the store or replaced a different close (both 0: nothing
    changed, and nothing was written)."""

    rows: int
    tickers: tuple[str, ...]
    first: dt.date
    last: dt.date
    added: int = 0
    changed: int = 0
    sectors_changed: int = 0

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.changed == 0 and self.sectors_changed == 0


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as it is stored: never the secret, only ``digest`` = SHA-256 of salt + secret.

    ``name`` is the owner: every key with that name sees the same portfolios, runs and jobs, so
    a key is rotated by creating a new one under the same name and revoking the old one.
    """

    id: str
    name: str
    salt: str
    digest: str
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
