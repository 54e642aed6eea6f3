"""Batches: many accounts against one shared universe, on an executor, stored as they finish.

The universe is estimated once in the caller's process and sent to the workers once
(``BatchExecutor`` scatters it); each task solves a chunk of accounts with
``solve_accounts``, a plain function of picklable values, so an in-process loop, a process
pool and a Dask cluster run exactly the same code. Results stream back as tasks complete and
are written keyed by (batch, account), so a task that a lost worker makes the cluster run
again never stores an account twice. One account's error is that account's failed row, never
the batch's.
"""

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from application.allocate import allocate
from application.estimate_universe import EstimationSettings, ModelSource
from domain.batch import (
    AccountOutcome,
    BatchAccount,
    BatchState,
    check_accounts,
    chunk_size,
    chunks,
)
from domain.errors import DomainError, NotFoundError, RunCancelledError
from domain.frontier import CancellationToken, ProgressReporter
from domain.linear import compile_constraints
from domain.model import Universe
from domain.ports import Solver
from domain.rebalance import compile_rebalance
from domain.types import FloatArray

Chunk = list[tuple[int, BatchAccount]]


@dataclass(frozen=True, slots=True, eq=False)
class SharedModel:
    """What every task reads: the universe (annualized) and the last closes (for holdings
    given as shares)."""

    universe: Universe
    last_prices: FloatArray | None = None
    index: dict[str, int] = field(init=False)
    """Each ticker's position in the universe, made once for every account of a task."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.universe.tickers)})


def _outcome(
    make_solver: Callable[[], Solver], shared: SharedModel, position: int, a: BatchAccount
) -> AccountOutcome:
    started = time.perf_counter()
    universe = shared.universe
    index = shared.index
    tickers = a.tickers or universe.tickers
    missing = [t for t in tickers if t not in index]
    if missing:
        raise NotFoundError(
            f"ticker {missing[0]!r} is not in the batch's universe", field="tickers"
        )
    idx = [index[t] for t in tickers]
    mine = universe if a.tickers is None else universe.subset(idx)
    lc = compile_constraints(mine.tickers, a.constraints)
    prices = None if shared.last_prices is None else shared.last_prices[idx]
    rebalance = (
        None
        if a.rebalance is None
        else compile_rebalance(mine.tickers, a.rebalance, lc.long_only, prices)
    )
    allocation = allocate(make_solver(), mine, lc, a.objective, a.risk_free_rate, (), rebalance)
    m = allocation.metrics
    measures: dict[str, Any] = {
        "expected_return": m.expected_return,
        "volatility": m.volatility,
        "sharpe": m.sharpe,
    }
    report = allocation.rebalance
    if report is not None:
        measures.update(
            turnover=report.turnover,
            cost=report.cost,
            expected_return_net=report.expected_return_net,
            tracking_error=report.tracking_error,
            trades=len(report.trades),
        )
    weights = {
        t: float(w) for t, w in zip(allocation.tickers, allocation.weights, strict=True) if w != 0
    }
    return AccountOutcome(
        a.account,
        position,
        "ok",
        weights,
        measures,
        allocation.solver,
        None,
        (time.perf_counter() - started) * 1000.0,
    )


def solve_accounts(
    make_solver: Callable[[], Solver], shared: SharedModel, chunk: Chunk
) -> list[AccountOutcome]:
    """One task: every account of ``chunk`` solved on ``shared`` (what an executor runs on a
    worker). A domain error is the account's failed outcome; anything else is a bug and
    fails the task, which the batch then records for each of its accounts."""
    out = []
    for position, account in chunk:
        try:
            out.append(_outcome(make_solver, shared, position, account))
        except DomainError as error:
            detail = {"code": error.code, "detail": error.detail, "field": error.field}
            out.append(AccountOutcome(account.account, position, "failed", error=detail))
    return out


class BatchExecutor(Protocol):
    """Runs tasks somewhere (this process, a process pool, a Dask cluster)."""

    name: str
    workers: int

    def open(self) -> None:
        """Connect or start workers; ``ClusterUnavailableError`` when they cannot be had."""
        ...

    def close(self) -> None: ...

    def run(
        self,
        task: Callable[..., list[AccountOutcome]],
        head: tuple[Any, ...],
        chunks: Sequence[Chunk],
        cancel: CancellationToken | None = None,
    ) -> Iterator[tuple[int, list[AccountOutcome] | BaseException]]:
        """``task(*head, chunk)`` for every chunk, ``head`` sent to each worker once; yields
        (chunk index, its outcomes, or the exception its task raised) as tasks finish.
        Once ``cancel`` is set, tasks not yet finished are cancelled and the iteration
        ends."""
        ...


class BatchStore(Protocol):
    """Batches and their account rows, synchronously (the batch's own thread)."""

    def create(self, state: BatchState) -> None: ...

    def write(self, batch_id: str, outcomes: Sequence[AccountOutcome]) -> int:
        """Store outcomes not stored yet for (batch, account); returns how many were new."""
        ...

    def progress(self, batch_id: str, done: int, failed: int) -> bool:
        """Record the counts; returns whether a cancel was asked (by any process)."""
        ...

    def finish(self, state: BatchState) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchCommand:
    accounts: Sequence[BatchAccount | AccountOutcome]
    """In the batch's order; an ``AccountOutcome`` is an account already refused while it
    was read (its values wrong): stored as failed, never solved."""
    tickers: tuple[str, ...] | None = None
    """The shared universe's tickers (None: every ticker the source has; an inline model's
    are its own)."""
    estimation: EstimationSettings = field(default_factory=EstimationSettings)
    params: dict[str, Any] = field(default_factory=dict)
    """The batch as its document states it, kept with the batch."""
    owner: str | None = None
    batch_id: str | None = None
    max_accounts: int = 100_000


@dataclass(frozen=True, slots=True, eq=False)
class BatchRun:
    state: BatchState
    outcomes: list[AccountOutcome]
    """Every account's outcome, in the batch's order."""


class _Cancelled:
    def __init__(self, outer: CancellationToken | None) -> None:
        self.outer, self.asked = outer, False

    def is_cancelled(self) -> bool:
        return self.asked or (self.outer is not None and self.outer.is_cancelled())


class RunBatch:
    """Estimate once, fan the accounts out in chunks, store outcomes as they stream back."""

    def __init__(
        self,
        models: ModelSource,
        executor: BatchExecutor,
        store: BatchStore,
        make_solver: Callable[[], Solver],
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._models, self._executor, self._store = models, executor, store
        self._make_solver, self._new_id = make_solver, new_id

    def execute(
        self,
        command: BatchCommand,
        progress: ProgressReporter | None = None,
        cancel: CancellationToken | None = None,
    ) -> BatchRun:
        check_accounts(command.accounts, command.max_accounts)
        self._executor.open()  # an unreachable cluster is refused before anything is stored
        try:
            return self._execute(command, progress, cancel)
        finally:
            self._executor.close()

    def _execute(
        self,
        command: BatchCommand,
        progress: ProgressReporter | None,
        cancel: CancellationToken | None,
    ) -> BatchRun:
        started = time.perf_counter()
        estimated = self._models.estimate(command.tickers, command.estimation)
        shared = SharedModel(estimated.universe, estimated.last_prices)
        estimate_s = time.perf_counter() - started
        total = len(command.accounts)
        ex = self._executor
        state = BatchState(
            command.batch_id or self._new_id(),
            "running",
            total,
            executor=ex.name,
            workers=ex.workers,
            owner=command.owner,
            params=command.params,
        )
        self._store.create(state)
        refused = [
            replace(a, position=i)
            for i, a in enumerate(command.accounts)
            if isinstance(a, AccountOutcome)
        ]
        outcomes: dict[int, AccountOutcome] = {o.position: o for o in refused}
        failed = len(refused)
        self._store.write(state.id, refused)
        store_s = 0.0
        stop = _Cancelled(cancel)
        todo = [(i, a) for i, a in enumerate(command.accounts) if isinstance(a, BatchAccount)]
        parts = chunks(todo, chunk_size(len(todo), ex.workers))
        status, error = "done", None
        solve_started = time.perf_counter()
        try:
            for index, result in ex.run(solve_accounts, (self._make_solver, shared), parts, stop):
                if isinstance(result, BaseException):  # a bug in a task: its accounts fail
                    detail = {"code": "internal_error", "detail": repr(result), "field": None}
                    result = [
                        AccountOutcome(a.account, p, "failed", error=detail)
                        for p, a in parts[index]
                    ]
                fresh = [o for o in result if o.position not in outcomes]
                for o in fresh:
                    outcomes[o.position] = o
                failed += sum(o.status == "failed" for o in fresh)
                t = time.perf_counter()
                self._store.write(state.id, fresh)
                stop.asked = self._store.progress(state.id, len(outcomes), failed) or stop.asked
                store_s += time.perf_counter() - t
                if progress is not None:
                    progress.report(len(outcomes), total, f"{len(outcomes)} of {total} accounts")
            if len(outcomes) < total:
                status = "cancelled" if stop.is_cancelled() else "failed"
        except RunCancelledError:
            status = "cancelled"
        except Exception as exc:  # the executor itself broke (a cluster gone): say so
            status = "failed"
            code = exc.code if isinstance(exc, DomainError) else "internal_error"
            detail = exc.detail if isinstance(exc, DomainError) else repr(exc)
            error = {"code": code, "detail": detail, "field": getattr(exc, "field", None)}
        wall = time.perf_counter() - started
        summary = {
            "estimate_s": round(estimate_s, 4),
            "solve_s": round(time.perf_counter() - solve_started - store_s, 4),
            "store_s": round(store_s, 4),
            "wall_s": round(wall, 4),
            "accounts_per_s": round(len(outcomes) / wall, 1) if wall > 0 else None,
            "tasks": len(parts),
            "chunk": len(parts[0]) if parts else 0,
            "mean_account_ms": round(
                float(np.mean([o.duration_ms for o in outcomes.values()] or [0.0])), 4
            ),
        }
        final = BatchState(
            state.id,
            status,  # type: ignore[arg-type]
            total,
            len(outcomes),
            failed,
            ex.name,
            ex.workers,
            command.owner,
            command.params,
            summary,
            error,
        )
        self._store.finish(final)
        return BatchRun(final, [outcomes[k] for k in sorted(outcomes)])
