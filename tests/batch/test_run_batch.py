"""``RunBatch`` on fakes: the in-process executor, a memory store. Failed accounts are rows, a
task that runs twice stores nothing twice, progress only rises, a cancel stops the batch, and an
executor that cannot start stores nothing."""

import pytest

from adapters.executors import InProcessExecutor
from application.batches import BatchCommand, RunBatch, SharedModel, solve_accounts
from domain.batch import AccountOutcome, BatchAccount, chunk_size
from domain.constraints import build_constraints
from domain.errors import ClusterUnavailableError, ValidationError
from domain.objectives import MinVariance
from domain.rebalance import RebalanceSpec
from entrypoints.container import batch_solver
from tests.batch.accounts import accounts, model, shared_universe


class MemoryStore:
    def __init__(self) -> None:
        self.batches: dict = {}
        self.rows: dict = {}
        self.cancel = False

    def create(self, state) -> None:
        self.batches[state.id] = state

    def write(self, batch_id, outcomes) -> int:
        new = 0
        for o in outcomes:
            if (batch_id, o.account) not in self.rows:
                self.rows[(batch_id, o.account)] = o
                new += 1
        return new

    def progress(self, batch_id, done, failed) -> bool:
        return self.cancel

    def finish(self, state) -> None:
        self.batches[state.id] = state


class Twice(InProcessExecutor):
    """Yields every chunk twice (a task the cluster ran again after a worker was lost)."""

    def run(self, task, head, chunks, cancel=None):
        for i, result in super().run(task, head, chunks, cancel):
            yield i, result
            yield i, result


class Recorder:
    def __init__(self, on_first=None) -> None:
        self.seen: list[int] = []
        self.on_first = on_first

    def report(self, current, total, message) -> None:
        if not self.seen and self.on_first:
            self.on_first()
        self.seen.append(current)


U = shared_universe(30)


def _run(executor=None, listed=None, store=None, progress=None, cancel=None):
    store = store or MemoryStore()
    use_case = RunBatch(model(U), executor or InProcessExecutor(), store, batch_solver)
    command = BatchCommand(accounts=listed or accounts(U, 40, 8), tickers=U.tickers)
    return use_case.execute(command, progress, cancel), store


def test_every_account_is_solved_and_stored_once_in_order() -> None:
    run, store = _run(Twice())
    assert run.state.status == "done" and run.state.done == 40 and run.state.failed == 0
    assert len(store.rows) == 40
    assert [o.position for o in run.outcomes] == list(range(40))
    for o in run.outcomes:
        assert o.solver == "daqp"
        assert abs(sum(o.weights.values()) - 1.0) < 1e-9
        assert o.measures["turnover"] <= 0.2 + 1e-9


def test_a_bad_account_fails_alone_with_its_error() -> None:
    good = accounts(U, 5, 6)
    unknown = BatchAccount("nope", MinVariance(), ("T0001", "ZZZ"))
    tight = BatchAccount(
        "tight",
        MinVariance(),
        ("T0001", "T0002", "T0003"),
        build_constraints(long_only=True, max_weight=0.2),  # 3 x 20 % < 100 %
    )
    refused = AccountOutcome("refused", 0, "failed", error={"code": "x", "detail": "bad"})
    run, store = _run(listed=[*good, unknown, tight, refused])
    by = {o.account: o for o in run.outcomes}
    assert run.state.status == "done" and run.state.failed == 3 and len(store.rows) == 8
    assert by["nope"].error["field"] == "tickers" and "ZZZ" in by["nope"].error["detail"]
    assert by["tight"].error["code"] == "infeasible"
    assert by["refused"].position == 7
    assert all(by[a.account].status == "ok" for a in good)


def test_progress_only_rises_and_ends_at_the_total() -> None:
    progress = Recorder()
    _run(progress=progress)
    assert progress.seen == sorted(progress.seen) and progress.seen[-1] == 40


def test_a_cancel_stops_the_remaining_tasks() -> None:
    store = MemoryStore()
    progress = Recorder(on_first=lambda: setattr(store, "cancel", True))
    run, _ = _run(store=store, progress=progress)
    assert run.state.status == "cancelled"
    assert 0 < run.state.done < 40 and len(store.rows) == run.state.done


def test_an_executor_that_cannot_start_stores_nothing() -> None:
    class Down(InProcessExecutor):
        def open(self) -> None:
            raise ClusterUnavailableError("no scheduler at tcp://x:1", field="scheduler")

    store = MemoryStore()
    with pytest.raises(ClusterUnavailableError):
        _run(Down(), store=store)
    assert not store.batches and not store.rows


def test_a_task_that_breaks_fails_its_accounts_not_the_batch() -> None:
    class Broken(InProcessExecutor):
        def run(self, task, head, chunks, cancel=None):
            for i, _ in enumerate(chunks):
                yield i, (RuntimeError("worker bug") if i == 0 else task(*head, chunks[i]))

    run, _ = _run(Broken())
    assert run.state.status == "done"
    failed = [o for o in run.outcomes if o.status == "failed"]
    assert failed and all(o.error["code"] == "internal_error" for o in failed)
    assert len(run.outcomes) == 40


def test_limits_on_the_accounts() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        RunBatch(model(U), InProcessExecutor(), MemoryStore(), batch_solver).execute(
            BatchCommand(accounts=[], tickers=U.tickers)
        )
    twice = accounts(U, 2, 5)
    twice[1] = BatchAccount(twice[0].account, MinVariance(), twice[0].tickers)
    with pytest.raises(ValidationError, match="appears twice"):
        _run(listed=twice)
    with pytest.raises(ValidationError, match="at most 3 accounts"):
        RunBatch(model(U), InProcessExecutor(), MemoryStore(), batch_solver).execute(
            BatchCommand(accounts=accounts(U, 4, 5), tickers=U.tickers, max_accounts=3)
        )


def test_chunks_are_sized_for_the_workers() -> None:
    assert chunk_size(10_000, 2) == 250
    assert chunk_size(500, 2) == 63
    assert chunk_size(3, 8) == 1


def test_the_task_function_is_the_same_everywhere() -> None:
    """What a worker runs is a plain function of the shared model and a chunk."""
    listed = accounts(U, 3, 5)
    spec = RebalanceSpec(holdings={"T0001": 0.5}, cash=0.5, turnover=0.5)
    listed.append(BatchAccount("cash", MinVariance(), ("T0001", "T0002"), (), spec))
    out = solve_accounts(batch_solver, SharedModel(U), list(enumerate(listed)))
    assert [o.status for o in out] == ["ok"] * 4
