"""One session, one transaction; the factory hands out units of work and journals."""

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.storage.api_keys import SqlAlchemyApiKeyRepository
from adapters.storage.deadline import Deadline, limit_holds
from adapters.storage.engines import sync_twin
from adapters.storage.errors import clash, from_database, storage_error, unavailable
from adapters.storage.journal import SqlAlchemyRunJournal, run_journal
from adapters.storage.optimizations import SqlAlchemyOptimizationRepository
from adapters.storage.portfolios import SqlAlchemyPortfolioRepository
from adapters.storage.prices import SqlAlchemyPriceRepository
from adapters.storage.run_store import SqlAlchemyRunStore


class SqlAlchemyUnitOfWork:
    """One session, one transaction: ``commit`` or everything is rolled back on exit."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        owner: str | None = None,
        deadline_s: float | None = None,
    ):
        self._sessions, self._owner = sessions, owner
        self._deadline = None if deadline_s is None else Deadline(deadline_s)

    async def __aenter__(self) -> "SqlAlchemyUnitOfWork":
        if self._deadline is not None:
            self._deadline.start()
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
        deadline = self._deadline
        if deadline is not None:
            deadline.stop()
            if deadline.expired:
                deadline.settle()
                await self._session.invalidate()  # its sockets are closed already
                stalled = TimeoutError(f"no answer within {deadline.seconds:g} s")
                raise unavailable(stalled) from error
        try:
            if self._session.in_transaction():  # nothing to undo after a commit
                await self._session.rollback()
            await self._session.close()
        except (OperationalError, DBAPIError, OSError) as lost:
            # The connection died (a database restart): its transaction is gone with it, so
            # there is nothing left to roll back; what the caller sees is the outage.
            await self._session.invalidate()
            if error is None or not from_database(error):
                raise unavailable(lost) from lost
        mapped = None if error is None or not from_database(error) else storage_error(error)
        if mapped is not None:
            raise mapped from error

    async def commit(self) -> None:
        try:
            await self._session.commit()
        except IntegrityError:
            raise clash() from None


class SqlAlchemyUnitOfWorkFactory:
    """Units of work on one engine. ``deadline_s`` (None: none, as the CLI runs) bounds each
    unit of work: a server's requests must not wait on a stalled database."""

    def __init__(
        self,
        engine: AsyncEngine,
        owner: str | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self.engine, self.owner, self.deadline_s = engine, owner, deadline_s
        self._sessions = sessions or async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions, self.owner, self.deadline_s)

    def for_owner(self, owner: str | None) -> "SqlAlchemyUnitOfWorkFactory":
        return SqlAlchemyUnitOfWorkFactory(self.engine, owner, self._sessions, self.deadline_s)

    def with_deadline(self, seconds: float | None) -> "SqlAlchemyUnitOfWorkFactory":
        """The same units of work with another deadline (a large import needs longer)."""
        return SqlAlchemyUnitOfWorkFactory(self.engine, self.owner, self._sessions, seconds)

    def journal(self) -> SqlAlchemyRunJournal:
        return run_journal(self._twin(), self.owner)

    def run_store(self) -> SqlAlchemyRunStore:
        """The owner's store for runs in worker threads (on the synchronous twin)."""
        return SqlAlchemyRunStore(self._twin(), self.owner)

    def _twin(self) -> Engine:
        """The synchronous twin; with a deadline, its connections are held no longer than it
        (worker threads cannot be cancelled: a stalled read must fail instead)."""
        twin = sync_twin(self.engine)
        if self.deadline_s is not None and twin.dialect.name == "postgresql":
            limit_holds(twin, self.deadline_s)
        return twin
