"""Opening the store for one CLI command: schema check (or migration), engine lifecycle.

Runs (optimize, frontier) use the synchronous side only (``with_run_store``: no event loop);
the other commands use the async unit of work (``with_store``). SQLAlchemy and Alembic are
imported when a command first opens the store, not for ``--help``."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import StorageUnavailableError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adapters.storage import SqlAlchemyUnitOfWorkFactory
    from application.ports import RunStore

T = TypeVar("T")


def prepare(
    url: str,
    migrate: bool,
    engine: "Engine | None" = None,
    state: tuple[str | None, bool] | None = None,
) -> None:
    """Upgrade when asked, or when the embedded SQLite file is new and empty; otherwise refuse a
    schema that is not this code's, naming the command to run. ``engine``: a synchronous engine
    on ``url`` to check with (one is made for the check otherwise); ``state``: the revision
    and whether there are tables, when already read."""
    from adapters.schema_version import SCHEMA_HEAD, schema_state

    found, has_tables = state if state is not None else schema_state(url, engine)
    wanted = SCHEMA_HEAD
    if found == wanted:
        return
    if migrate or (url.startswith("sqlite") and found is None and not has_tables):
        from adapters.migrations import upgrade

        upgrade(url)
        return
    raise StorageUnavailableError(
        f"the database schema is at {found or 'no revision'} but pfopt needs {wanted}: "
        f"run `pfopt db upgrade` (or pass --migrate)",
        field="database",
    )


def with_store(container: Any, work: Callable[["SqlAlchemyUnitOfWorkFactory"], Awaitable[T]]) -> T:
    """Check (or migrate) the schema of the container's database, then run ``work`` with a
    unit-of-work factory on one engine, in one event loop, disposed afterwards."""
    from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine

    url = container.config.database_url()
    prepare(url, container.config.migrate())

    async def go() -> T:
        engine = make_engine(url)
        try:
            return await work(SqlAlchemyUnitOfWorkFactory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def with_run_store(container: Any, work: Callable[["RunStore"], T]) -> T:
    """Check (or migrate) the schema, then run ``work`` on the store's synchronous side: one
    engine, no event loop; on a plain SQLite file, one ``sqlite3`` connection and no
    SQLAlchemy (``adapters.storage.sqlite_native``)."""
    from adapters.storage.sqlite_native import sqlite_file

    url = container.config.database_url()
    path = sqlite_file(url)
    if path is not None:
        from adapters.storage.sqlite_native import SqliteRunStore, connect, schema_state

        connection = connect(path)
        try:
            prepare(url, container.config.migrate(), state=schema_state(connection))
            return work(SqliteRunStore(connection, url))
        finally:
            connection.close()
    from adapters.storage.engines import make_sync_engine
    from adapters.storage.run_store import SqlAlchemyRunStore

    engine = make_sync_engine(url)
    try:
        prepare(url, container.config.migrate(), engine)
        return work(SqlAlchemyRunStore(engine))
    finally:
        engine.dispose()


class Unsaved:
    """The run store of ``--no-save``: a run on a prices file that touches no database (none
    is opened, checked or migrated) and is kept nowhere. Anything that needs the store (a
    saved portfolio, stored prices) is refused naming the option."""

    class _NoPrices:
        def load(self, tickers=None, start=None, end=None):
            raise ValidationError(
                "--no-save runs on a PRICES file only: stored prices need the database",
                field="no_save",
            )

    prices = _NoPrices()

    def portfolio(self, ref: str):
        raise ValidationError(
            "--no-save runs on a PRICES file only: --portfolio needs the database",
            field="no_save",
        )

    def append(self, record) -> None:
        return None


def run_without_store(work: Callable[["RunStore"], T]) -> T:
    """``work`` on the ``Unsaved`` store (``--no-save``)."""
    return work(Unsaved())


def with_file_run_store(container: Any, work: Callable[["RunStore"], T], prices: object) -> T:
    """``with_run_store`` for a command that may run on a prices file: when the database is
    unreachable or behind, the error says that ``--no-save`` runs the file without it."""
    try:
        return with_run_store(container, work)
    except StorageUnavailableError as error:
        if prices is None:
            raise
        raise StorageUnavailableError(
            f"{error.detail}; pass --no-save to run this file without saving it to history",
            field=error.field,
            reason=error.reason,
        ) from error
