"""Storage ports. Async because the database adapters are (SQLAlchemy async sessions); a unit
of work commits or rolls back everything a use case changed as one transaction."""

import datetime as dt
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol

from domain.prices import PriceHistory
from domain.records import ApiKeyRecord, OptimizationRecord, StoredPortfolio, TickerSummary


class PortfolioRepository(Protocol):
    async def add(self, stored: StoredPortfolio) -> None:
        """Raises ``ConflictError`` when the owner already has a portfolio of that name."""
        ...

    async def get(self, portfolio_id: str) -> StoredPortfolio:
        """Raises ``NotFoundError``."""
        ...

    async def get_by_name(self, name: str, owner: str | None = None) -> StoredPortfolio:
        """Raises ``NotFoundError``."""
        ...

    async def list(self, owner: str | None = None) -> list[StoredPortfolio]: ...

    async def replace(self, stored: StoredPortfolio) -> None:
        """Overwrite name, assets and constraints of an existing portfolio.
        Raises ``NotFoundError``, or ``ConflictError`` when the new name is taken."""
        ...

    async def delete(self, portfolio_id: str) -> None:
        """Removes the portfolio and its assets; its history stays, unlinked. NotFoundError."""
        ...


class OptimizationRepository(Protocol):
    async def add(self, record: OptimizationRecord) -> None: ...

    async def get(self, optimization_id: str) -> OptimizationRecord:
        """Raises ``NotFoundError``."""
        ...

    async def list(
        self,
        portfolio_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        kind: str | None = None,
    ) -> list[OptimizationRecord]:
        """Newest first; ``kind`` (``single`` or ``frontier``) keeps that kind only."""
        ...


class PriceRepository(Protocol):
    async def upsert(self, history: PriceHistory) -> int:
        """Insert or update every present price; returns the number of rows written."""
        ...

    async def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        """Prices on the union of the tickers' dates (NaN where one has none).
        Raises ``NotFoundError`` naming a ticker with no stored price."""
        ...

    async def summary(self) -> list[TickerSummary]:
        """Every stored ticker with its date range, row count and sector (if one is known)."""
        ...

    async def set_sectors(self, sectors: Mapping[str, str]) -> None:
        """Record (or change) the sector of each ticker; other tickers keep theirs."""
        ...


class ApiKeyRepository(Protocol):
    async def add(self, record: ApiKeyRecord) -> None: ...

    async def get(self, key_id: str) -> ApiKeyRecord:
        """Raises ``NotFoundError``."""
        ...

    async def list(self) -> list[ApiKeyRecord]:
        """Oldest first, revoked ones included."""
        ...

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        """Marks the key revoked now (once; revoking again keeps the first time). NotFoundError."""
        ...

    async def any_active(self) -> bool: ...


class UnitOfWork(Protocol):
    """Portfolios and optimizations are those of the factory's owner when it has one (see
    ``UnitOfWorkFactory.for_owner``); prices and keys are shared."""

    portfolios: PortfolioRepository
    optimizations: OptimizationRepository
    prices: PriceRepository
    keys: ApiKeyRepository

    async def __aenter__(self) -> "UnitOfWork": ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Rolls back whatever was not committed."""
        ...

    async def commit(self) -> None: ...


class RunJournal(Protocol):
    """Appends finished runs to history from the worker thread that computed them.

    Synchronous on purpose: the run was just computed in that thread, so writing it there costs
    no hop back to the event loop. Through the async unit of work every statement on SQLite is a
    round trip to aiosqlite's thread, and one history write cost about 0.8 ms of an API call's
    overhead; a synchronous insert and commit costs about 0.15 ms.
    """

    def append(self, record: OptimizationRecord) -> None:
        """Commits the record as the owner's (see ``UnitOfWorkFactory.for_owner``) before it
        returns. Raises ``StorageUnavailableError`` when the database cannot be reached and
        ``ConflictError`` when the record clashes with stored data (its portfolio was deleted
        meanwhile); nothing is written then."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    def journal(self) -> RunJournal:
        """The history writer for worker threads, with this factory's owner."""
        ...

    def for_owner(self, owner: str | None) -> "UnitOfWorkFactory":
        """Units of work that see and write only ``owner``'s portfolios and optimizations
        (another owner's ids are simply not found); ``None`` sees everything."""
        ...
