"""What the run orchestrator needs from outside: synchronous store access, price files, solvers
for a run's settings and the codec that turns a run into its stored documents. Protocols in
application types (``domain.ports`` holds the ones in domain types only)."""

from typing import TYPE_CHECKING, Any, Protocol

from application.solver_settings import SolverSettings
from domain.frontier import CancellationToken, FrontierSolver
from domain.ports import PriceSource, Solver
from domain.records import OptimizationRecord, StoredPortfolio

if TYPE_CHECKING:
    from application.runs import ResolvedRun, RunResult


class RunStore(Protocol):
    """The store as one owner sees it, synchronously: a run reads and writes from the worker
    thread (or CLI command) that computes it, with no event loop."""

    prices: PriceSource
    """Stored daily closes."""

    def portfolio(self, ref: str) -> StoredPortfolio:
        """The saved portfolio named ``ref``, else the one with id ``ref``; ``NotFoundError``
        (field ``portfolio``)."""
        ...

    def append(self, record: OptimizationRecord) -> None:
        """Keep a finished run in history (committed when this returns)."""
        ...


class PriceFiles(Protocol):
    def open(self, path: str) -> PriceSource:
        """A price source on the CSV at ``path`` (wide or long format)."""
        ...


class SolverFactory(Protocol):
    """Solvers for a run's ``SolverSettings`` over the configured defaults."""

    def single(
        self, settings: SolverSettings, cancel: CancellationToken | None = None
    ) -> Solver: ...

    def frontier(
        self, settings: SolverSettings, cancel: CancellationToken | None = None
    ) -> FrontierSolver: ...


class RunCodec(Protocol):
    """A run's one serialized form: its parameters (the spec as resolved) and its results, as
    JSON-ready builtins with a schema version; the HTTP response and the CLI's ``--json`` are
    the same documents."""

    def params(self, run: "ResolvedRun") -> dict[str, Any]: ...

    def results(self, run: "ResolvedRun", result: "RunResult", run_id: str) -> dict[str, Any]: ...
