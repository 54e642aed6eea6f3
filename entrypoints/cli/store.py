"""Opening the store for one CLI command: schema check (or migration), engine lifecycle."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters.migrations import current, head, upgrade
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from domain.errors import StorageUnavailableError

T = TypeVar("T")


async def _state(url: str) -> tuple[str | None, bool]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return await current(engine), bool(tables)
    except (OperationalError, DBAPIError, OSError) as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        raise StorageUnavailableError(
            f"the database is unavailable: {reason}", field="database"
        ) from None
    finally:
        await engine.dispose()


def prepare(url: str, migrate: bool) -> None:
    """Upgrade when asked, or when the embedded SQLite file is new and empty; otherwise refuse a
    schema that is not this code's, naming the command to run."""
    found, has_tables = asyncio.run(_state(url))
    wanted = head(url)
    if found == wanted:
        return
    if migrate or (url.startswith("sqlite") and found is None and not has_tables):
        upgrade(url)
        return
    raise StorageUnavailableError(
        f"the database schema is at {found or 'no revision'} but pfopt needs {wanted}: "
        f"run `pfopt db upgrade` (or pass --migrate)",
        field="database",
    )


def with_store(container, work: Callable[[SqlAlchemyUnitOfWorkFactory], Awaitable[T]]) -> T:
    """Check (or migrate) the schema of the container's database, then run ``work`` with a
    unit-of-work factory on one engine, in one event loop, disposed afterwards."""
    url = container.config.database_url()
    prepare(url, container.config.migrate())

    async def go() -> T:
        engine = make_engine(url)
        try:
            return await work(SqlAlchemyUnitOfWorkFactory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())
