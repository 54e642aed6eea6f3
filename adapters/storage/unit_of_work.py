"""One session, one transaction; the factory hands out units of work and journals."""

from types import TracebackType

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.storage.api_keys import SqlAlchemyApiKeyRepository
from adapters.storage.engines import sync_twin
from adapters.storage.errors import clash, unavailable
from adapters.storage.journal import SqlAlchemyRunJournal, run_journal
from adapters.storage.optimizations import SqlAlchemyOptimizationRepository
from adapters.storage.portfolios import SqlAlchemyPortfolioRepository
from adapters.storage.prices import SqlAlchemyPriceRepository
from adapters.storage.run_store import SqlAlchemyRunStore


class SqlAlchemyUnitOfWork:
    """One session, one transaction: ``commit`` or everything is rolled back on exit."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], owner: str | None = None):
        self._sessions, self._owner = sessions, owner

    async def __aenter__(self) -> "SqlAlchemyUnitOfWork":
        self._session = self._sessions()
        self.portfolios = SqlAlchemyPortfolioRepository(self._session, self._owner)
        self.optimizations = SqlAlchemyOptimizationRepository(self._session, self._owner)
        self.prices = SqlAlchemyPriceRepository(self._session)
        self.keys = SqlAlchemyApiKeyRepository(self._session)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._session.in_transaction():  # nothing to undo after a commit
                await self._session.rollback()
            await self._session.close()
        except (OperationalError, DBAPIError, OSError) as lost:
            # The connection died (a database restart): its transaction is gone with it, so
            # there is nothing left to roll back; what the caller sees is the outage.
            await self._session.invalidate()
            error = error if isinstance(error, OperationalError | DBAPIError) else lost
        if isinstance(error, OperationalError | DBAPIError) and not isinstance(
            error, IntegrityError
        ):
            raise unavailable(error) from error

    async def commit(self) -> None:
        try:
            await self._session.commit()
        except IntegrityError:
            raise clash() from None


class SqlAlchemyUnitOfWorkFactory:
    def __init__(
        self,
        engine: AsyncEngine,
        owner: str | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.engine, self.owner = engine, owner
        self._sessions = sessions or async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions, self.owner)

    def for_owner(self, owner: str | None) -> "SqlAlchemyUnitOfWorkFactory":
        return SqlAlchemyUnitOfWorkFactory(self.engine, owner, self._sessions)

    def journal(self) -> SqlAlchemyRunJournal:
        return run_journal(sync_twin(self.engine), self.owner)

    def run_store(self) -> SqlAlchemyRunStore:
        """The owner's store for runs in worker threads (on the synchronous twin)."""
        return SqlAlchemyRunStore(sync_twin(self.engine), self.owner)
