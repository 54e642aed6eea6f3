"""The embedded SQLite store as a CLI run sees it, on the standard library's driver alone.

A CLI run on a file or on stored tickers checks the schema, reads packed price series and
appends one history row; importing SQLAlchemy for that is ~0.2 s, a quarter of
``pfopt optimize``. So for a plain ``sqlite:///FILE`` URL these three go through ``sqlite3``
directly. The row written is the one ``SqlAlchemyRunJournal`` writes (the same columns, JSON
by ``json.dumps`` and times in SQLAlchemy's SQLite format: a contract test holds the two rows
equal); the pragmas are the engine's; a saved portfolio is read through SQLAlchemy, imported
then. Any other URL (a query string, ``:memory:``, PostgreSQL) takes the SQLAlchemy store.
"""

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from adapters.storage import price_series
from adapters.storage.errors import clash, unavailable
from adapters.storage.history_rows import record_row
from domain.errors import NotFoundError
from domain.prices import PriceHistory
from domain.records import OptimizationRecord, StoredPortfolio

_PLAIN = re.compile(r"^sqlite(\+(aiosqlite|pysqlite))?:///(?P<path>[^?]+)$")
TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
"""The tables SQLAlchemy's inspector lists on SQLite (not its own ``sqlite_`` ones)."""
TIMEOUT_S = 30.0
"""The busy timeout, as the engines set it."""

COLUMNS = (
    "id",
    "portfolio_id",
    "kind",
    "objective",
    "params_json",
    "results_json",
    "status",
    "duration_ms",
    "created_at",
    "owner",
)
INSERT = f"INSERT INTO optimization ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def sqlite_file(url: str) -> str | None:
    """The file of a plain SQLite URL, else None (another database, options, in memory)."""
    found = _PLAIN.match(url)
    if found is None or found["path"] in ("", ":memory:"):
        return None
    return found["path"]


def connect(path: str) -> sqlite3.Connection:
    """A connection with the engines' pragmas (``adapters.storage.engines``)."""
    try:
        connection = sqlite3.connect(path, timeout=TIMEOUT_S)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as error:
        raise unavailable(error) from None
    return connection


def schema_state(connection: sqlite3.Connection) -> tuple[str | None, bool]:
    """The revision and whether the file has any table, as ``schema_version.schema_state``."""
    try:
        tables = {row[0] for row in connection.execute(TABLES)}
        if "alembic_version" not in tables:
            return None, bool(tables)
        found = connection.execute("SELECT version_num FROM alembic_version")
        revisions = [row[0] for row in found]
    except sqlite3.Error as error:
        raise unavailable(error) from None
    return (revisions[0] if len(revisions) == 1 else None), True


def _stored(value: Any) -> Any:
    """A column value as SQLAlchemy binds it on SQLite: JSON text, a time in its format."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.datetime):
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
        )
    return value


class SqlitePriceSource:
    """``PriceSource`` over the packed series (``adapters.storage.price_series``)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        try:
            if tickers is None:
                found = self._connection.execute("SELECT ticker FROM price_series ORDER BY ticker")
                tickers = [row[0] for row in found]
            names = list(tickers)
            if not names:
                raise NotFoundError("no tickers to load (the store has no prices)", field="tickers")
            rows = self._connection.execute(
                "SELECT ticker, days, closes FROM price_series WHERE ticker IN "
                f"({', '.join('?' * len(names))})",
                names,
            ).fetchall()
        except sqlite3.Error as error:
            raise unavailable(error) from None
        return price_series.load(names, rows, start, end)


class SqliteRunStore:
    """``RunStore`` on one SQLite file for one owner (None: keys off), on ``sqlite3``."""

    def __init__(self, connection: sqlite3.Connection, url: str, owner: str | None = None):
        self._connection, self._url, self._owner = connection, url, owner
        self.prices = SqlitePriceSource(connection)

    def portfolio(self, ref: str) -> StoredPortfolio:
        """Through SQLAlchemy's store (a saved portfolio is objects: the ORM's work)."""
        from adapters.storage.engines import make_sync_engine
        from adapters.storage.run_store import SqlAlchemyRunStore

        engine = make_sync_engine(self._url)
        try:
            return SqlAlchemyRunStore(engine, self._owner).portfolio(ref)
        finally:
            engine.dispose()

    def append(self, record: OptimizationRecord) -> None:
        row = record_row(record, self._owner)
        try:
            with self._connection:  # one transaction, committed on leaving
                self._connection.execute(INSERT, [_stored(row[c]) for c in COLUMNS])
        except sqlite3.IntegrityError:
            raise clash() from None
        except sqlite3.Error as error:
            raise unavailable(error) from None
