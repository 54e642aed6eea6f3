"""Migrations on both engines: up, down to base, up again; and no drift from the models."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from adapters.migrations import current, downgrade, head, upgrade
from adapters.orm import Base
from adapters.schema_version import SCHEMA_HEAD, schema_state
from adapters.storage import make_engine
from tests.storage import postgres_url

TABLES = {
    "portfolio",
    "portfolio_asset",
    "optimization",
    "price_data",
    "asset",
    "frontier_session",
    "api_key",
}


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/m.db"
    found = postgres_url()
    downgrade(found, "base")
    return found


def _inspect(url: str):
    async def go():
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await connection.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
                )
            return tables, diff, await current(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_stairway_up_down_up(url: str) -> None:
    upgrade(url)
    tables, _, revision = _inspect(url)
    assert tables >= TABLES
    assert revision == head(url)
    downgrade(url, "base")
    tables, _, revision = _inspect(url)
    assert not (TABLES & tables)
    assert revision is None
    upgrade(url)
    assert _inspect(url)[2] == head(url)


def test_models_and_migrations_do_not_drift(url: str) -> None:
    upgrade(url)
    _, diff, _ = _inspect(url)
    assert diff == []


def test_the_schema_check_knows_the_newest_migration(url: str) -> None:
    """``SCHEMA_HEAD`` (what the CLI's schema check reads without Alembic) is Alembic's head,
    and the check reads each state as Alembic does."""
    assert head(url) == SCHEMA_HEAD
    assert schema_state(url)[0] is None
    upgrade(url, "0002")
    assert schema_state(url) == ("0002", True)
    upgrade(url)
    assert schema_state(url) == (SCHEMA_HEAD, True)
