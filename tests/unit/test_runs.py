"""``application.runs``: any spec resolved, computed and kept in history, on fakes."""

import asyncio
import threading

import numpy as np
import pytest

from application.estimate_universe import FromPrices, GivenModel
from application.optimize_portfolio import OptimizePortfolio
from application.runs import AsyncRuns, Runs
from application.solver_settings import SolverSettings
from application.specs import (
    Assets,
    Frontier,
    InlineModel,
    Optimize,
    PricesFile,
    RunSpec,
    SavedPortfolio,
)
from domain.constraints import AssetBounds, Budget, LongOnly, WeightBounds
from domain.errors import InvalidConstraintError, NotFoundError
from domain.model import Asset, Portfolio, Universe
from domain.objectives import MinVariance
from domain.records import StoredPortfolio
from tests.fakes import (
    CancelAfter,
    FakeRunCodec,
    FakeSolvers,
    InMemoryPriceFiles,
    InMemoryRunStore,
    RecordingProgress,
    SampleRiskEstimator,
)

LONG = (Budget(), LongOnly())


@pytest.fixture
def world(market):
    saved = StoredPortfolio(
        "p-1",
        Portfolio("core", tuple(Asset(t) for t in market.history.tickers[:4]), (*LONG,)),
    )
    store = InMemoryRunStore(market.history, [saved])
    files = InMemoryPriceFiles(
        {"/data/prices.csv": market.history.select(market.history.tickers[:3])}
    )
    solvers = FakeSolvers()
    made: list[object] = []

    def optimize(models, solver, shares=None):
        made.append(models)
        return OptimizePortfolio(models, solver, shares)

    runs = Runs(
        store,
        files,
        SampleRiskEstimator(),
        solvers,
        FakeRunCodec(),
        optimize=optimize,
        new_id=iter(f"run-{k}" for k in range(100)).__next__,
    )
    return runs, store, solvers, made


def test_a_run_on_stored_prices_is_kept_with_what_it_was_asked(world, market) -> None:
    runs, store, solvers, _ = world
    tickers = tuple(market.history.tickers[:5])
    spec = RunSpec(
        task=Optimize(MinVariance()), assets=Assets(tickers, (*LONG, WeightBounds(max_weight=0.4)))
    )
    outcome = runs.run(spec)
    (record,) = store.records
    assert (record.id, record.kind, record.objective) == ("run-0", "single", "min_variance")
    assert record.params == {"source": "store", "tickers": list(tickers)}
    assert record.results == outcome.document == {"id": "run-0", "warnings": []}
    assert record.status == "optimal" and record.portfolio_id is None
    assert outcome.result.allocation.tickers == tickers
    assert max(outcome.result.allocation.weights) <= 0.4 + 1e-12
    assert solvers.asked == [SolverSettings()]


def test_a_saved_portfolio_brings_its_assets_constraints_and_id(world) -> None:
    runs, store, _, _ = world
    outcome = runs.run(RunSpec(task=Optimize(), assets=SavedPortfolio("core")))
    assert outcome.run.portfolio_id == "p-1"
    assert store.records[0].portfolio_id == "p-1"
    assert len(outcome.result.allocation.tickers) == 4


def test_an_unknown_portfolio_fails_before_anything_is_computed_or_kept(world) -> None:
    runs, store, solvers, _ = world
    with pytest.raises(NotFoundError, match="no portfolio named or with id 'nope'"):
        runs.resolve(RunSpec(task=Frontier(5), assets=SavedPortfolio("nope")))
    assert store.records == [] and solvers.asked == []


def test_a_prices_file_gives_every_ticker_and_its_name(world) -> None:
    runs, store, _, _ = world
    spec = RunSpec(task=Optimize(), assets=Assets(None, LONG), data=PricesFile("/data/prices.csv"))
    outcome = runs.run(spec)
    assert outcome.run.source == "prices.csv"
    assert len(outcome.run.portfolio.tickers) == 3
    assert store.records[0].params["source"] == "prices.csv"


def test_an_inline_model_runs_the_same_use_case_with_its_repair_warned(world) -> None:
    runs, store, _, made = world
    cov = np.array([[0.04, 0.05], [0.05, 0.04]])  # not PSD: repaired, and the result says so
    universe = Universe(("A", "B"), np.array([0.05, 0.08]), cov)
    outcome = runs.run(
        RunSpec(
            task=Optimize(), assets=Assets(None, LONG, {}, "inline"), data=InlineModel(universe)
        )
    )
    stored = runs.run(RunSpec(task=Optimize(), assets=SavedPortfolio("core")))
    assert [type(m) for m in made] == [GivenModel, FromPrices]
    assert outcome.run.source == "inline" and outcome.result.start is None
    assert any(
        "positive semi-definite" in w or "PSD" in w for w in outcome.result.allocation.warnings
    )
    assert stored.result.start is not None
    assert len(store.records) == 2


def test_constraints_an_inline_model_cannot_meet_fail_at_resolve(world) -> None:
    runs, store, _, _ = world
    universe = Universe(("A", "B"), np.array([0.05, 0.08]), np.eye(2) * 0.04)
    spec = RunSpec(
        task=Frontier(5),
        assets=Assets(None, (*LONG, AssetBounds({"ZZZ": (0.0, 0.5)})), {}, "inline"),
        data=InlineModel(universe),
    )
    with pytest.raises(InvalidConstraintError, match="ZZZ"):
        runs.resolve(spec)
    assert store.records == []


def test_a_frontier_reports_progress_and_a_cancelled_one_is_kept_as_cancelled(
    world, market
) -> None:
    runs, store, solvers, _ = world
    settings = SolverSettings(("CLARABEL",), 5.0)
    spec = RunSpec(
        task=Frontier(10),
        assets=Assets(tuple(market.history.tickers[:4]), LONG),
        solver=settings,
    )
    progress = RecordingProgress()
    outcome = runs.run(spec, progress, CancelAfter(progress, 4))
    assert [e[0] for e in progress.events] == [1, 2, 3, 4]
    assert outcome.result.frontier.status == "cancelled"
    assert (store.records[0].kind, store.records[0].status) == ("frontier", "cancelled")
    assert store.records[0].objective == "frontier"
    assert solvers.asked == [settings]


def test_the_async_shell_runs_in_a_worker_thread(world, market) -> None:
    runs, store, _, _ = world
    seen: list[str] = []
    real = store.append

    def append(record) -> None:
        seen.append(threading.current_thread().name)
        real(record)

    store.append = append  # type: ignore[method-assign]
    spec = RunSpec(task=Optimize(), assets=Assets(tuple(market.history.tickers[:3]), LONG))
    outcome = asyncio.run(AsyncRuns(runs).run(spec))
    assert outcome.id == "run-0"
    assert seen and seen[0] != threading.main_thread().name


def test_a_spec_knows_its_asset_count_only_when_it_names_the_assets() -> None:
    """The server sizes a run's solve slot from this before anything is read."""
    universe = Universe(("A", "B", "C"), np.array([0.05, 0.08, 0.1]), np.eye(3) * 0.04)
    assert RunSpec(task=Optimize(), data=InlineModel(universe)).asset_count() == 3
    assert RunSpec(task=Optimize(), assets=Assets(("X", "Y"))).asset_count() == 2
    assert RunSpec(task=Optimize()).asset_count() is None  # every stored ticker
    assert RunSpec(task=Optimize(), assets=SavedPortfolio("core")).asset_count() is None
    assert RunSpec(task=Frontier(), data=PricesFile("p.csv")).asset_count() is None
