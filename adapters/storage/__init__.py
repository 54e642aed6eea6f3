"""The storage ports on SQLAlchemy 2.0: SQLite (aiosqlite, and the standard library's driver for
the synchronous twin) or PostgreSQL (psycopg 3).

Every SQLAlchemy and driver error is translated in this package: a broken connection becomes
``StorageUnavailableError``, a unique-key clash ``ConflictError``; nothing leaks past the ports.
``engines`` makes both engines, one module holds each repository, ``journal`` the history writer
for worker threads, ``run_store`` what a run reads and writes from its thread (synchronously),
``copy`` PostgreSQL's bulk price path.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.database_url import default_database_url
    from adapters.storage.engines import make_engine, make_sync_engine
    from adapters.storage.run_store import SqlAlchemyRunStore
    from adapters.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory

_HOMES = {
    "default_database_url": "adapters.database_url",
    "make_engine": "adapters.storage.engines",
    "make_sync_engine": "adapters.storage.engines",
    "SqlAlchemyRunStore": "adapters.storage.run_store",
    "SqlAlchemyUnitOfWorkFactory": "adapters.storage.unit_of_work",
}


def __getattr__(name: str) -> Any:
    """Each name from its module on first use: a CLI run imports ``run_store`` alone, not the
    async unit of work and SQLAlchemy's asyncio extension (PEP 562)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)


__all__ = [
    "SqlAlchemyRunStore",
    "SqlAlchemyUnitOfWorkFactory",
    "default_database_url",
    "make_engine",
    "make_sync_engine",
]
