"""The batch store on SQLite and PostgreSQL alike: rows written twice are stored once (COPY and
ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite), pages come in the batch's order, a
cancel asked is seen by the batch's next progress write, and another owner's batch is not
found."""

import pytest

from adapters.storage.batches import SqlAlchemyBatchStore
from adapters.storage.engines import make_sync_engine
from domain.batch import AccountOutcome, BatchState
from domain.errors import NotFoundError
from tests.storage import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    e = make_sync_engine(fresh_database(request.param, tmp_path))
    yield e
    e.dispose()


def _outcomes(n: int, start: int = 0) -> list[AccountOutcome]:
    return [
        AccountOutcome(
            f"a{i:03d}",
            i,
            "ok" if i % 5 else "failed",
            {"X": 0.25, "Y": 0.75} if i % 5 else {},
            {"expected_return": 0.1, "volatility": 0.2, "sharpe": None},
            "daqp" if i % 5 else None,
            None if i % 5 else {"code": "infeasible", "detail": 'd\'x "q"\n', "field": "turnover"},
            1.5,
        )
        for i in range(start, start + n)
    ]


def test_rows_are_stored_once_and_read_in_order(engine) -> None:
    store = SqlAlchemyBatchStore(engine, owner="o1")
    store.create(BatchState("b1", "running", 30, owner="o1", params={"accounts": 30}))
    assert store.write("b1", _outcomes(20)) == 20
    assert store.write("b1", _outcomes(20, start=10)) == 10  # 10..19 again: no-ops
    assert store.write("b1", []) == 0
    rows, count = store.results("b1")
    assert count == 30 and [r.position for r in rows] == list(range(30))
    assert rows[1].weights == {"X": 0.25, "Y": 0.75} and rows[1].measures["sharpe"] is None
    assert rows[0].error["detail"] == 'd\'x "q"\n'
    page, count = store.results("b1", offset=5, limit=5, status="failed")
    assert count == 6 and [r.position for r in page] == [25]
    assert store.progress("b1", 30, 6) is False
    store.request_cancel("b1")
    assert store.progress("b1", 30, 6) is True
    store.finish(BatchState("b1", "cancelled", 30, 30, 6, summary={"wall_s": 1.0}))
    state = store.get("b1")
    assert (state.status, state.done, state.failed, state.summary) == (
        "cancelled",
        30,
        6,
        {"wall_s": 1.0},
    )
    assert [s.id for s in store.list()] == ["b1"]


def test_another_owners_batch_is_not_found(engine) -> None:
    SqlAlchemyBatchStore(engine, owner="o1").create(BatchState("b2", "running", 1, owner="o1"))
    other = SqlAlchemyBatchStore(engine, owner="o2")
    with pytest.raises(NotFoundError):
        other.get("b2")
    with pytest.raises(NotFoundError):
        other.results("b2")
    assert other.list() == []
