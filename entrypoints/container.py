"""The one place where adapters are wired to ports.

Entrypoints ask the container for use cases; tests override a provider with a fake
(``container.solver.override(providers.Object(FakeSolver()))``). Heavy adapters (CVXPY,
scikit-learn, matplotlib, the PostgreSQL job board) are imported when first made, so a command
imports only what it uses: ``pfopt --help`` and a run the exact engine answers load no CVXPY
and no matplotlib.
"""

import functools
import os

from adapters.csv_prices import CsvPriceFiles, CsvPriceSource
from adapters.documents.codec import MsgspecRunCodec
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.lazy import Lazy
from adapters.solver_defaults import DEFAULT_CHAIN, DEFAULT_TIME_LIMIT_S
from application.attribute_risk import AttributeRisk
from application.generate_sample_prices import GenerateSamplePrices
from application.import_prices import ImportPrices
from application.job_board import JobBoard, MemoryJobBoard
from application.manage_portfolios import ManagePortfolios
from application.ports import RunStore
from application.runs import Runs
from application.solver_settings import SolverSettings
from domain.frontier import CancellationToken
from entrypoints.injector import containers, providers

DEFAULTS = {
    "solver": {
        "chain": list(DEFAULT_CHAIN),
        "time_limit_s": float(os.environ.get("PFOPT_SOLVER_TIME_LIMIT_S", DEFAULT_TIME_LIMIT_S)),
    },
    "database_url": None,
    "migrate": False,
    "chart_dpi": int(os.environ.get("PFOPT_CHART_DPI", "120")),
    "job_ttl_s": float(os.environ.get("PFOPT_JOB_TTL_S", "600")),
    "job_lease_s": float(os.environ.get("PFOPT_JOB_LEASE_S", "30")),
    "ws_wait_s": float(os.environ.get("PFOPT_WS_WAIT_S", "3")),
    "ws_idle_s": float(os.environ.get("PFOPT_WS_IDLE_S", "300")),
    "max_jobs_per_owner": int(os.environ.get("PFOPT_MAX_JOBS_PER_OWNER", "4")),
    "shutdown_grace_s": float(os.environ.get("PFOPT_SHUTDOWN_GRACE_S", "10")),
    "db_deadline_s": float(os.environ.get("PFOPT_DB_DEADLINE_S", "5")),
    "auth_required": os.environ.get("PFOPT_AUTH", "").lower() == "required",
}


def job_board_for(engine, url: str, ttl_s: float, lease_s: float) -> JobBoard:
    """Frontier jobs shared through PostgreSQL when the store is PostgreSQL (several server
    processes, jobs of a dead one fail after ``lease_s``), in memory otherwise (SQLite: one
    process). ``engine`` is the server's async engine."""
    if url.startswith("postgresql"):
        from adapters.postgres_job_board import PostgresJobBoard

        return PostgresJobBoard(engine, url, ttl_s=ttl_s, lease_s=lease_s)
    return MemoryJobBoard(ttl_s=ttl_s)


def single_solver(
    settings: SolverSettings,
    chain: list[str],
    time_limit_s: float,
    cancel: CancellationToken | None = None,
):
    """The single-optimization solver for ``settings`` over the configured defaults: the exact
    engine first, CVXPY for the rest, or CVXPY alone on a chain the caller named. ``cancel``
    stops the exact engine between breakpoints."""
    fallback = Lazy(
        lambda: _cvxpy_solver(
            settings.chain or chain, settings.time_limit_s or time_limit_s, _options(settings)
        )
    )
    exact = frontier_engine(
        SolverSettings(time_limit_s=settings.time_limit_s, tolerance=settings.tolerance),
        chain,
        time_limit_s,
        cancel,
    )
    return ExactFirstSolver(
        exact,
        fallback,
        exact_first=settings.chain is None,
        time_limit_s=settings.time_limit_s or time_limit_s,
    )


def frontier_engine(
    settings: SolverSettings,
    chain: list[str],
    time_limit_s: float,
    cancel: CancellationToken | None = None,
):
    """The critical line, falling back to CVXPY on ``settings``' chain (or the default); the
    time limit holds on both, checked between the exact engine's breakpoints."""
    limit = settings.time_limit_s or time_limit_s
    fallback = Lazy(lambda: _cvxpy_frontier(settings.chain or chain, limit, _options(settings)))
    return CriticalLineFrontierSolver(  # type: ignore[arg-type]
        fallback, time_limit_s=limit, cancel=cancel
    )


def _options(settings: SolverSettings) -> dict | None:
    if settings.tolerance is None:
        return None
    from adapters.cvxpy_solver import tolerance_options

    return tolerance_options(settings.tolerance)


def _cvxpy_solver(*args):
    from adapters.cvxpy_solver import CvxpySolver

    return CvxpySolver(*args)


def _cvxpy_frontier(*args):
    from adapters.cvxpy_frontier import CvxpyFrontierSolver

    return CvxpyFrontierSolver(*args)


def _share_allocator():
    """HiGHS's MILP for whole shares (highspy is imported when it first solves)."""
    from adapters.highs_shares import HighsShareAllocator

    return HighsShareAllocator()


def _estimator():
    from adapters.shrinkage_risk import ShrinkageRiskEstimator

    return ShrinkageRiskEstimator()


def _charts(dpi: int):
    from adapters.matplotlib_charts import MatplotlibChartRenderer

    return MatplotlibChartRenderer(dpi=dpi)


class ProvidedSolvers:
    """``SolverFactory`` over the container's solver providers (so a test that overrides
    ``solver`` or ``frontier_solver`` reaches every run)."""

    def __init__(self, single: providers.Provider, frontier: providers.Provider) -> None:
        self._single, self._frontier = single, frontier

    def single(self, settings: SolverSettings, cancel: CancellationToken | None = None):
        return self._single(settings=settings, cancel=cancel)

    def frontier(self, settings: SolverSettings, cancel: CancellationToken | None = None):
        return self._frontier(settings=settings, cancel=cancel)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True, default=DEFAULTS)
    estimator = providers.ThreadSafeSingleton(_estimator)
    csv_prices = providers.Factory(CsvPriceSource)
    price_files = providers.Factory(CsvPriceFiles)
    codec = providers.Factory(MsgspecRunCodec)
    solver_settings = providers.Factory(SolverSettings)
    frontier_solver = providers.Factory(
        frontier_engine,
        settings=solver_settings,
        chain=config.solver.chain,
        time_limit_s=config.solver.time_limit_s,
    )
    solver = providers.Factory(
        single_solver,
        settings=solver_settings,
        chain=config.solver.chain,
        time_limit_s=config.solver.time_limit_s,
    )
    generate_sample_prices = providers.Factory(GenerateSamplePrices)
    charts = providers.Factory(_charts, dpi=config.chart_dpi)
    attribute_risk = providers.Factory(AttributeRisk, estimator=estimator)
    import_prices = providers.Factory(ImportPrices)
    manage_portfolios = providers.Factory(ManagePortfolios)
    job_board = providers.Factory(job_board_for, ttl_s=config.job_ttl_s, lease_s=config.job_lease_s)
    solvers = providers.Factory(
        ProvidedSolvers, single=solver.provider, frontier=frontier_solver.provider
    )
    shares = providers.Singleton(_share_allocator)
    runs = providers.Factory(
        Runs,
        files=price_files,
        estimator=estimator,
        solvers=solvers,
        codec=codec,
        shares=shares,
    )


def runs_on(container: Container, store: RunStore) -> Runs:
    """The run orchestrator on one owner's store (a CLI command's, or a request's)."""
    return container.runs(store=store)


@functools.cache
def batch_solver():
    """The production solver for a batch's accounts, made once per worker process: a task
    names this function (pickled by reference), so every worker builds its own."""
    return single_solver(SolverSettings(), list(DEFAULT_CHAIN), DEFAULT_TIME_LIMIT_S)


def batch_executor(workers: int | None, scheduler: str | None, pool: bool = False):
    """Where a batch's tasks run: a Dask cluster at ``scheduler`` (or
    ``PFOPT_DASK_SCHEDULER``), a local pool or an embedded ``LocalCluster`` of ``workers``
    processes, or this process when neither is asked for."""
    from adapters.executors import DaskExecutor, InProcessExecutor, ProcessPoolExecutor

    scheduler = scheduler or os.environ.get("PFOPT_DASK_SCHEDULER") or None
    if scheduler is not None:
        return DaskExecutor(address=scheduler)
    if workers is None:
        return InProcessExecutor()
    return ProcessPoolExecutor(workers) if pool else DaskExecutor(workers)


def max_batch_accounts() -> int:
    from domain.batch import DEFAULT_MAX_ACCOUNTS

    return int(os.environ.get("PFOPT_MAX_BATCH_ACCOUNTS", DEFAULT_MAX_ACCOUNTS))
