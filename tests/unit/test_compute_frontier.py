import numpy as np
import pytest

from application.compute_frontier import ComputeFrontier, ComputeFrontierCommand, trace_frontier
from application.estimate_universe import FromPrices
from domain.constraints import LongOnly, WeightBounds
from domain.errors import InfeasibleError, ValidationError
from domain.linear import compile_constraints
from domain.model import Asset, Portfolio
from tests.conftest import random_universe
from tests.fakes import (
    CancelAfter,
    FakeFrontierSolver,
    InMemoryPriceSource,
    RecordingProgress,
    SampleRiskEstimator,
)

UNIVERSE = random_universe(6, seed=2)
LC = compile_constraints(UNIVERSE.tickers, [LongOnly()])


def test_progress_gets_exactly_total_increasing_events() -> None:
    progress = RecordingProgress()
    result = trace_frontier(FakeFrontierSolver(), UNIVERSE, LC, n_points=25, progress=progress)
    assert [e[0] for e in progress.events] == list(range(1, 26))
    assert {e[1] for e in progress.events} == {25}
    assert progress.events[14][2] == "Calculating portfolio 15/25"
    assert result.status == "complete"
    assert len(result.points) == 25


def test_cancellation_after_k_points_returns_k_points() -> None:
    progress = RecordingProgress()
    result = trace_frontier(
        FakeFrontierSolver(),
        UNIVERSE,
        LC,
        n_points=25,
        progress=progress,
        cancel=CancelAfter(progress, 7),
    )
    assert result.status == "cancelled"
    assert len(result.points) == 7
    assert len(progress.events) == 7


def test_grid_spans_min_variance_to_highest_return() -> None:
    result = trace_frontier(FakeFrontierSolver(), UNIVERSE, LC, n_points=5)
    targets = [p.target_return for p in result.points]
    assert targets[0] == pytest.approx(result.return_range.lowest)
    assert targets[-1] == pytest.approx(result.return_range.highest)
    assert result.min_variance.metrics is not None
    assert result.max_sharpe is not None


def test_target_above_reachable_is_marked_not_raised() -> None:
    highest = float(UNIVERSE.expected_returns.max())
    result = trace_frontier(FakeFrontierSolver(), UNIVERSE, LC, targets=(0.0, highest + 0.1))
    assert [p.status for p in result.points] == ["optimal", "infeasible"]
    assert result.points[1].weights is None
    assert "above the highest" in (result.points[1].detail or "")


@pytest.mark.parametrize("points", [1, 201])
def test_point_count_is_validated(points: int) -> None:
    with pytest.raises(ValidationError, match="points must be between 2 and 200"):
        trace_frontier(FakeFrontierSolver(), UNIVERSE, LC, n_points=points)


def test_prechecks_run_before_tracing() -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly(), WeightBounds(max_weight=0.1)])
    with pytest.raises(InfeasibleError, match="sum of per-asset maximum weights"):
        trace_frontier(FakeFrontierSolver(), UNIVERSE, lc)


def test_use_case_estimates_then_traces(market) -> None:
    progress = RecordingProgress()
    models = FromPrices(InMemoryPriceSource(market.history), SampleRiskEstimator())
    use_case = ComputeFrontier(models, FakeFrontierSolver(), progress)
    portfolio = Portfolio("p", tuple(Asset(t) for t in market.history.tickers), (LongOnly(),))
    run = use_case.execute(ComputeFrontierCommand(portfolio=portfolio, n_points=4))
    assert len(run.frontier.points) == 4
    assert len(progress.events) == 4
    assert run.n_observations == len(market.history.dates) - 1
    for p in run.frontier.points:
        assert p.weights is not None
        np.testing.assert_allclose(p.weights.sum(), 1.0)
