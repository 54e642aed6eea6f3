"""``BatchExecutor`` adapters: this process, a local process pool, and Dask distributed.

Each runs ``task(*head, chunk)`` for every chunk and yields the results as tasks finish; the
head (the shared universe and the solver's recipe) reaches each worker once: a pool's
initializer, Dask's ``scatter(broadcast=True)``. Workers solve with one BLAS thread each (a
50-asset solve gains nothing from more, and two workers on two cores would fight over them):
the pool pins them with threadpoolctl, Dask's nanny sets ``OMP_NUM_THREADS=1`` and its
siblings before a worker starts.
"""

import concurrent.futures as cf
import multiprocessing
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from domain.errors import ClusterUnavailableError
from domain.frontier import CancellationToken

Result = Iterator[tuple[int, Any]]
CONNECT_TIMEOUT_S = 10.0


def _cancelled(cancel: CancellationToken | None) -> bool:
    return cancel is not None and cancel.is_cancelled()


class _Local:
    """An executor with nothing to connect to: its workers live and die with ``run``."""

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None


class InProcessExecutor(_Local):
    """Every chunk in this thread, in order: tests, tiny batches, and the reference the
    others are compared with."""

    name = "inprocess"
    workers = 1

    def run(
        self,
        task: Callable,
        head: tuple,
        chunks: Sequence[Any],
        cancel: CancellationToken | None = None,
    ) -> Result:
        for i, chunk in enumerate(chunks):
            if _cancelled(cancel):
                return
            try:
                yield i, task(*head, chunk)
            except Exception as error:
                yield i, error


_HEAD: tuple = ()


def _pool_start(head: tuple) -> None:
    global _HEAD
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _HEAD = head


def _pool_task(task: Callable, chunk: Any) -> Any:
    return task(*_HEAD, chunk)


class ProcessPoolExecutor(_Local):
    """A pool of ``workers`` processes on this machine (spawned: a server's threads are never
    forked), started for one batch and shut down after it."""

    name = "pool"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(
        self,
        task: Callable,
        head: tuple,
        chunks: Sequence[Any],
        cancel: CancellationToken | None = None,
    ) -> Result:
        pool = cf.ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_pool_start,
            initargs=(head,),
        )
        try:
            futures = {pool.submit(_pool_task, task, c): i for i, c in enumerate(chunks)}
            for future in cf.as_completed(futures):
                if _cancelled(cancel):
                    for f in futures:
                        f.cancel()
                    return
                error = future.exception()
                yield futures[future], (error if error is not None else future.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask_task(task: Callable, head: tuple, chunk: Any) -> Any:
    return task(*head, chunk)


class DaskExecutor:
    """Dask distributed: the cluster at ``address`` (``tcp://host:8786``), or a
    ``LocalCluster`` of ``workers`` processes with one thread each, started in this process
    for the batch. A task on a worker that dies is run again elsewhere (Dask's scheduler),
    so a lost worker delays a batch but does not fail it."""

    name = "dask"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address
        self._client: Any = None
        self._cluster: Any = None
        self.dashboard: str | None = None

    def open(self) -> None:
        """Connect (or start the local cluster); ``ClusterUnavailableError`` naming the
        address when its scheduler does not answer."""
        from distributed import Client, LocalCluster

        if self._client is not None:
            return
        if self.address is None:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as error:
                raise ClusterUnavailableError(
                    f"no Dask scheduler answers at {self.address} within "
                    f"{CONNECT_TIMEOUT_S:g} s ({type(error).__name__}); start it, or check "
                    "--scheduler / PFOPT_DASK_SCHEDULER",
                    field="scheduler",
                ) from None
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        services = self._client.scheduler_info().get("services", {})
        self.dashboard = self._client.dashboard_link if "dashboard" in services else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(
        self,
        task: Callable,
        head: tuple,
        chunks: Sequence[Any],
        cancel: CancellationToken | None = None,
    ) -> Result:
        from distributed import as_completed

        if self._client is None:
            self.open()
        client = self._client
        [shared] = client.scatter([head], broadcast=True)
        batch = uuid.uuid4().hex[:12]
        futures = [
            client.submit(_dask_task, task, shared, c, key=f"pfopt-{batch}-{i}", retries=2)
            for i, c in enumerate(chunks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                if _cancelled(cancel):
                    client.cancel(futures)
                    return
                try:
                    yield index[future.key], future.result()
                except Exception as error:  # KilledWorker after the retries, a task's bug
                    yield index[future.key], error
        finally:
            client.cancel([f for f in futures if not f.done()])
