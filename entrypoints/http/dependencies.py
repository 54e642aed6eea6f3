"""What handlers receive, made once per process in the lifespan (``app.state``) and handed out
per request: the store as the caller's owner sees it, the run orchestrator, the solve gate,
the frontier jobs and the container. ``scope`` and ``state`` exist for HTTP and WebSocket
connections alike.

Each provider reads ``state`` and ``scope`` itself rather than naming another dependency:
Litestar resolves the dependencies of one level concurrently in an anyio task group when
there are several (owner and container, under uow, under runs), and a task group per request
cost more than the providers themselves. ``Solving`` hands the optimize handler its runs and
gate as one dependency for the same reason."""

from dataclasses import dataclass
from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from adapters.storage import SqlAlchemyUnitOfWorkFactory
from application.frontier_jobs import FrontierJobs
from application.runs import AsyncRuns
from domain.errors import ValidationError
from entrypoints.container import runs_on
from entrypoints.http.gate import OwnedGate

Owner = NamedDependency[str | None]


def provide_owner(scope: Scope) -> str | None:
    """The API key's owner (None when keys are off), set by ``auth_middleware``."""
    return scope.get("pfopt_owner")  # type: ignore[return-value]


def provide_uow(state: State, scope: Scope) -> SqlAlchemyUnitOfWorkFactory:
    """The store as the caller's owner sees it (everything when keys are off)."""
    return state.uow.for_owner(provide_owner(scope))


def provide_container(state: State) -> Any:
    """The container (typed ``Any``: Litestar checks dependency values by their annotation, and
    a dependency-injector container is no type it knows)."""
    return state.container


def provide_runs(state: State, scope: Scope) -> AsyncRuns:
    return AsyncRuns(runs_on(state.container, provide_uow(state, scope).run_store()))


@dataclass(frozen=True, slots=True)
class Solving:
    """What a solve handler needs: the runs as the caller sees them, and the solve gate."""

    runs: AsyncRuns
    gate: OwnedGate


def provide_solving(state: State, scope: Scope) -> Solving:
    return Solving(provide_runs(state, scope), provide_gate(state, scope))


def provide_gate(state: State, scope: Scope) -> OwnedGate:
    """The solve gate, fair across owners: this request's owner is filled in."""
    return OwnedGate(state.gate, provide_owner(scope))


def provide_jobs(state: State) -> FrontierJobs:
    return state.jobs


DEPENDENCIES = {
    "owner": Provide(provide_owner, sync_to_thread=False),
    "uow": Provide(provide_uow, sync_to_thread=False),
    "container": Provide(provide_container, sync_to_thread=False),
    "runs": Provide(provide_runs, sync_to_thread=False),
    "gate": Provide(provide_gate, sync_to_thread=False),
    "jobs": Provide(provide_jobs, sync_to_thread=False),
    "solving": Provide(provide_solving, sync_to_thread=False),
}

Uow = NamedDependency[SqlAlchemyUnitOfWorkFactory]
Runs = NamedDependency[AsyncRuns]
Gate = NamedDependency[OwnedGate]
Jobs = NamedDependency[FrontierJobs]
Solve = NamedDependency[Solving]
Services = NamedDependency[Any]
"""The container (``entrypoints.container.Container``)."""

MAX_OFFSET = 1_000_000_000


def check_page(limit: int, offset: int, most: int) -> None:
    """Pagination within what the database can take (a huge offset overflowed it: a 500)."""
    if not 1 <= limit <= most:
        raise ValidationError(f"limit must be 1..{most}, got {limit}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset must be 0..{MAX_OFFSET}, got {offset}", field="offset")
