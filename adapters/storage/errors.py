"""Driver and SQLAlchemy failures as the domain's errors, decided here for every store.

A lost, refused or stalled connection is an outage the client may retry (503). A value the
column cannot hold is the request's fault (422): the API validates first, so reaching the
database with one is a gap in that validation, but the client must still not be told to retry.
Anything else (a syntax error, a missing table) is a bug and stays an exception (500, logged).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from domain.errors import ConflictError, DomainError, StorageUnavailableError, ValidationError

UNAVAILABLE = "the database is unavailable; retry shortly"


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def unavailable(error: BaseException) -> StorageUnavailableError:
    return StorageUnavailableError(UNAVAILABLE, field="database", reason=_reason(error))


def is_outage(error: BaseException) -> bool:
    """A connection failure, a pool or statement timeout, a locked SQLite file: the database
    (or the way to it) is down or stalled, not the request."""
    import sqlite3

    from sqlalchemy import exc

    if isinstance(error, OSError | TimeoutError | exc.TimeoutError | exc.DisconnectionError):
        return True
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    orig = getattr(error, "orig", error)
    if isinstance(orig, sqlite3.OperationalError | sqlite3.InterfaceError):
        return True
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    psycopg = _psycopg()
    return psycopg is not None and isinstance(
        orig, psycopg.OperationalError | psycopg.InterfaceError
    )


def is_bad_value(error: BaseException) -> bool:
    """A value the database refused: too long for its column, out of a numeric's range, a NUL
    byte in text (psycopg refuses it before sending: a ``DataError``)."""
    import sqlite3

    from sqlalchemy import exc

    orig = getattr(error, "orig", error)
    if isinstance(error, exc.DataError) or isinstance(orig, sqlite3.DataError):
        return True
    psycopg = _psycopg()
    return psycopg is not None and isinstance(orig, psycopg.DataError)


def _psycopg():  # loaded only where PostgreSQL is in use
    import sys

    return sys.modules.get("psycopg")


def from_database(error: BaseException) -> bool:
    """Raised by SQLAlchemy or a driver (not by the caller's own code in a transaction)."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    psycopg = _psycopg()
    drivers = (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)
    return isinstance(error, (SQLAlchemyError, *drivers))


def storage_error(error: BaseException) -> DomainError | None:
    """The domain's error for a database failure, or None for a bug (it stays as raised)."""
    if is_outage(error):
        return unavailable(error)
    if is_bad_value(error):
        return bad_value(error)
    return None


@contextmanager
def storage_errors() -> Iterator[None]:
    """Raise the domain's error for a database failure inside the block (sync or async code:
    an ``await`` inside the block is covered). Integrity errors pass through, for the caller
    that knows what clashed."""
    try:
        yield
    except DomainError:
        raise
    except Exception as error:  # a block of database calls: an OSError is the connection's
        mapped = storage_error(error)
        if mapped is None:
            raise
        raise mapped from error


def bad_value(error: BaseException) -> DomainError:
    return ValidationError(
        f"the database cannot store a value of this request ({_reason(error)})", field="body"
    )


def clash() -> ConflictError:
    return ConflictError("the change clashes with stored data", field="database")
