"""The storage ports on SQLAlchemy 2.0: SQLite (aiosqlite, and the standard library's driver for
the synchronous twin) or PostgreSQL (psycopg 3).

Every SQLAlchemy and driver error is translated in this package: a broken connection becomes
``StorageUnavailableError``, a unique-key clash ``ConflictError``; nothing leaks past the ports.
``engines`` makes both engines, one module holds each repository, ``journal`` the history writer
for worker threads, ``run_store`` what a run reads and writes from its thread (synchronously),
``copy`` PostgreSQL's bulk price path.
"""

from adapters.database_url import default_database_url
from adapters.storage.engines import make_engine, make_sync_engine
from adapters.storage.run_store import SqlAlchemyRunStore
from adapters.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory

__all__ = [
    "SqlAlchemyRunStore",
    "SqlAlchemyUnitOfWorkFactory",
    "default_database_url",
    "make_engine",
    "make_sync_engine",
]
