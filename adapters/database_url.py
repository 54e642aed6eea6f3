"""Where the store lives by default, apart from the storage package so that reading it imports
no SQLAlchemy (every CLI command, ``--help`` included, asks)."""

import os
from pathlib import Path

from platformdirs import user_data_dir


def default_database_url() -> str:
    """``PFOPT_DATABASE_URL``, else an SQLite file in the user's data directory."""
    url = os.environ.get("PFOPT_DATABASE_URL")
    if url:
        return url
    folder = Path(user_data_dir("pfopt", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / 'pfopt.db'}"
