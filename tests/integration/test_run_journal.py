"""The synchronous history writer: database outages become domain errors, and its connections
close with the async engine it belongs to."""

import asyncio

import pytest

from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from adapters.storage.engines import sync_twin
from domain.errors import StorageUnavailableError
from domain.records import OptimizationRecord
from tests.storage import fresh_database

RECORD = OptimizationRecord("r1", "single", "max_sharpe", {}, {}, "optimal", 1.0)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:////nonexistent-folder/store.db",
        "postgresql+psycopg://postgres@127.0.0.1:1/test",
    ],
)
def test_unreachable_database_is_a_storage_error(url) -> None:
    engine = make_engine(url)
    try:
        with pytest.raises(StorageUnavailableError, match="database is unavailable") as caught:
            SqlAlchemyUnitOfWorkFactory(engine).journal().append(RECORD)
        assert caught.value.field == "database"
    finally:
        asyncio.run(engine.dispose())


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_writer_connections_close_with_the_engine(kind, tmp_path) -> None:
    url = fresh_database(kind, tmp_path)
    engine = make_engine(url)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    factory.journal().append(RECORD)
    twin = sync_twin(engine)
    assert factory.for_owner("alice").journal().engine is twin  # one per async engine
    assert twin.pool.checkedin() == 1
    asyncio.run(engine.dispose())
    assert twin.pool.checkedin() == 0
