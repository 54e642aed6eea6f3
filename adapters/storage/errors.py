"""Driver and SQLAlchemy failures as the domain's errors."""

from domain.errors import ConflictError, StorageUnavailableError


def unavailable(error: Exception) -> StorageUnavailableError:
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    return StorageUnavailableError(f"the database is unavailable: {reason}", field="database")


def clash() -> ConflictError:
    return ConflictError("the change clashes with stored data", field="database")
