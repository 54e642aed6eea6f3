"""A real Dask cluster on loopback: ``dask scheduler`` and two ``dask worker`` processes started
here. A 500-account batch on it equals the in-process run to 1e-12 and is stored once per
account; a worker killed (SIGKILL) mid-batch costs time, not accounts; a cancel stops the
rest; an unreachable scheduler is refused before anything is stored."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.executors import DaskExecutor, InProcessExecutor
from adapters.migrations import upgrade
from adapters.storage.batches import SqlAlchemyBatchStore
from adapters.storage.engines import make_sync_engine
from application.batches import BatchCommand, RunBatch
from domain.errors import ClusterUnavailableError
from entrypoints.container import batch_solver
from tests.batch.accounts import accounts, model, shared_universe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
U = shared_universe(120)
ACCOUNTS = accounts(U, 500, 30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture
def cluster(tmp_path):
    """(address, worker processes); every process stopped afterwards."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    log = (tmp_path / "dask.log").open("w")
    common = {"cwd": ROOT, "env": env, "stdout": log, "stderr": subprocess.STDOUT}
    scheduler = subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        **common,
    )
    workers = [
        subprocess.Popen(
            [BIN / "dask", "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
            **common,
        )
        for _ in range(2)
    ]
    try:
        from distributed import Client

        def ready() -> bool:
            try:
                with Client(address, timeout=2) as c:
                    return len(c.scheduler_info()["workers"]) == 2
            except OSError:
                return False

        _wait(ready, 60, "two workers joining the scheduler")
        yield address, workers
    finally:
        for p in [*workers, scheduler]:
            p.kill()
            p.wait(10)
        log.close()


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/store.db"
    upgrade(url)
    e = make_sync_engine(url)
    yield e
    e.dispose()


def _run(executor, engine, progress=None, cancel=None):
    store = SqlAlchemyBatchStore(engine)
    command = BatchCommand(accounts=ACCOUNTS, tickers=U.tickers)
    return RunBatch(model(U), executor, store, batch_solver).execute(command, progress, cancel)


class Progress:
    def __init__(self, on_first=None) -> None:
        self.seen: list[int] = []
        self.on_first = on_first

    def report(self, current, total, message) -> None:
        if not self.seen and self.on_first is not None:
            self.on_first()
        self.seen.append(current)


def _rows(engine, batch_id):
    return SqlAlchemyBatchStore(engine).results(batch_id)


def test_a_cluster_batch_equals_the_in_process_one(cluster, engine) -> None:
    address, _ = cluster
    here = _run(InProcessExecutor(), engine)
    there = _run(DaskExecutor(address=address), engine)
    assert there.state.status == "done" and there.state.executor == "dask"
    assert there.state.workers == 2
    assert here.state.done == there.state.done == 500
    assert here.state.failed == there.state.failed
    for a, b in zip(here.outcomes, there.outcomes, strict=True):
        assert (a.account, a.status, a.solver) == (b.account, b.status, b.solver)
        assert a.weights.keys() == b.weights.keys()
        assert max(abs(a.weights[t] - b.weights[t]) for t in a.weights) <= 1e-12
    rows, count = _rows(engine, there.state.id)
    assert count == 500 and len({r.account for r in rows}) == 500


def test_a_worker_killed_mid_batch_costs_no_account(cluster, engine) -> None:
    address, workers = cluster
    victim = workers[0]
    progress = Progress(on_first=lambda: victim.send_signal(signal.SIGKILL))
    run = _run(DaskExecutor(address=address), engine, progress)
    assert victim.wait(10) == -signal.SIGKILL
    assert run.state.status == "done" and run.state.done == 500
    assert progress.seen == sorted(progress.seen) and progress.seen[-1] == 500
    rows, count = _rows(engine, run.state.id)
    assert count == 500 and len({r.account for r in rows}) == 500


def test_a_cancel_stops_the_rest(cluster, engine) -> None:
    address, _ = cluster

    class Flag:
        set = False

        def is_cancelled(self) -> bool:
            return self.set

    flag = Flag()
    progress = Progress(on_first=lambda: setattr(flag, "set", True))
    run = _run(DaskExecutor(address=address), engine, progress, flag)
    assert run.state.status == "cancelled"
    assert 0 < run.state.done < 500
    stored = SqlAlchemyBatchStore(engine).get(run.state.id)
    assert stored.status == "cancelled" and stored.done == run.state.done
    assert _rows(engine, run.state.id)[1] == run.state.done


def test_an_unreachable_scheduler_is_refused_and_nothing_is_stored(engine) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    executor = DaskExecutor(address=address)
    executor_timeout = 1.0
    import adapters.executors as ex

    before, ex.CONNECT_TIMEOUT_S = ex.CONNECT_TIMEOUT_S, executor_timeout
    try:
        with pytest.raises(ClusterUnavailableError, match=address):
            _run(executor, engine)
    finally:
        ex.CONNECT_TIMEOUT_S = before
    assert SqlAlchemyBatchStore(engine).list() == []


def test_an_embedded_local_cluster(engine) -> None:
    run = _run(DaskExecutor(workers=2), engine)
    assert run.state.status == "done" and run.state.done == 500 and run.state.workers == 2
