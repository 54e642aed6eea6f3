"""Which schema revision a database is at, read without Alembic.

Every CLI command checks the schema before it works; loading Alembic's script directory for
that costs about 0.2 s (Alembic, Mako, pygments), a quarter of a whole ``pfopt optimize``. The
head this code needs is written here instead, and a test holds it to Alembic's own head, so a
new migration cannot land without it.
"""

from typing import TYPE_CHECKING

from adapters.storage.errors import unavailable

if TYPE_CHECKING:
    from sqlalchemy import Engine

SCHEMA_HEAD = "0008"
"""The newest migration in ``migrations/versions``."""


def schema_state(url: str, engine: "Engine | None" = None) -> tuple[str | None, bool]:
    """The database's revision and whether it has any table, read synchronously (a CLI
    command checks its schema without an event loop, on the engine it then runs on).
    SQLAlchemy is imported here: ``SCHEMA_HEAD`` is read by runs on an SQLite file, which do
    without it (``adapters.storage.sqlite_native``)."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError, OperationalError

    from adapters.storage.engines import make_sync_engine

    own = engine is None
    engine = make_sync_engine(url) if engine is None else engine
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            if "alembic_version" not in tables:
                return None, bool(tables)
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            revisions = list(found)
            return (revisions[0] if len(revisions) == 1 else None), True
    except (OperationalError, DBAPIError, OSError) as error:
        raise unavailable(error) from None
    finally:
        if own:
            engine.dispose()
