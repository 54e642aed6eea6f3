"""Where the store lives by default, apart from the storage package so that reading it imports
no SQLAlchemy (every CLI command, ``--help`` included, asks)."""

import os
import re
from pathlib import Path

from platformdirs import user_data_dir

SUPPORTED = re.compile(r"(sqlite|postgresql)(\+[a-z0-9_]+)?://.*", re.DOTALL)


def checked_database_url(url: str) -> str:
    """``url`` if it names a database pfopt runs on, else a ``ValidationError`` saying which
    (read with a pattern: SQLAlchemy is not imported by every command)."""
    from domain.errors import ValidationError

    if not SUPPORTED.fullmatch(url):
        raise ValidationError(
            f"database URL {url[:60]!r} is not one pfopt can use: give sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE",
            field="database-url",
        )
    return url


def default_database_url() -> str:
    """``PFOPT_DATABASE_URL``, else an SQLite file in the user's data directory."""
    url = os.environ.get("PFOPT_DATABASE_URL")
    if url:
        return url
    folder = Path(user_data_dir("pfopt", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / 'pfopt.db'}"
