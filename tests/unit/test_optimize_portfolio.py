import numpy as np
import pytest

from application.allocate import allocate
from application.estimate_universe import EstimationSettings, FromPrices
from application.optimize_portfolio import OptimizePortfolio, OptimizePortfolioCommand
from domain.constraints import AssetBounds, LongOnly, WeightBounds
from domain.errors import InfeasibleError, NotFoundError
from domain.linear import compile_constraints
from domain.model import Asset, Portfolio, Universe
from domain.objectives import MaxSharpe, MinVariance, TargetReturn
from tests.fakes import FakeSolver, InMemoryPriceSource, SampleRiskEstimator


def _portfolio(tickers, *constraints) -> Portfolio:
    return Portfolio("test", tuple(Asset(t) for t in tickers), (LongOnly(), *constraints))


def test_optimize_estimates_solves_and_reports(market) -> None:
    estimator, solver = SampleRiskEstimator(), FakeSolver()
    use_case = OptimizePortfolio(FromPrices(InMemoryPriceSource(market.history), estimator), solver)
    result = use_case.execute(
        OptimizePortfolioCommand(
            portfolio=_portfolio(market.history.tickers, WeightBounds(max_weight=0.3)),
            objective=MinVariance(),
            risk_free_rate=0.02,
        )
    )
    a = result.allocation
    assert a.solver == "FAKE"
    np.testing.assert_allclose(a.weights.sum(), 1.0)
    assert a.weights.max() <= 0.3
    assert estimator.methods == ["ledoit_wolf"]
    assert result.n_observations == len(market.history.dates) - 1
    (problem,) = solver.problems
    # annualized: 252 x the daily sample covariance of the window
    assert problem.universe.covariance[0, 0] > 0.01
    vol = np.sqrt(a.weights @ problem.universe.covariance @ a.weights)
    assert a.metrics.volatility == pytest.approx(vol)
    assert a.metrics.sharpe == pytest.approx((a.metrics.expected_return - 0.02) / vol)


def test_non_psd_covariance_is_repaired_with_a_warning(market) -> None:
    tickers = market.history.tickers[:3]
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]) / 252
    use_case = OptimizePortfolio(
        FromPrices(InMemoryPriceSource(market.history), SampleRiskEstimator(bad)), FakeSolver()
    )
    result = use_case.execute(
        OptimizePortfolioCommand(portfolio=_portfolio(tickers), objective=MinVariance())
    )
    assert any("not positive semi-definite" in w for w in result.allocation.warnings)


def test_unknown_ticker_is_not_found(market) -> None:
    use_case = OptimizePortfolio(
        FromPrices(InMemoryPriceSource(market.history), SampleRiskEstimator()), FakeSolver()
    )
    with pytest.raises(NotFoundError, match="ticker 'NOPE'"):
        use_case.execute(OptimizePortfolioCommand(portfolio=_portfolio(["NOPE", "TEC01"])))


def test_date_range_is_passed_to_the_price_source(market) -> None:
    use_case = OptimizePortfolio(
        FromPrices(InMemoryPriceSource(market.history), SampleRiskEstimator()), FakeSolver()
    )
    start, end = market.history.dates[100], market.history.dates[300]
    result = use_case.execute(
        OptimizePortfolioCommand(
            portfolio=_portfolio(market.history.tickers),
            estimation=EstimationSettings(start=start, end=end),
        )
    )
    assert (result.start, result.end, result.n_observations) == (start, end, 200)


UNIVERSE = Universe(["A", "B", "C"], [0.05, 0.10, 0.20], np.diag([0.04, 0.09, 0.16]))


def test_target_return_above_reachable_names_the_reachable_maximum() -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly(), WeightBounds(max_weight=0.5)])
    with pytest.raises(InfeasibleError) as caught:
        allocate(FakeSolver(), UNIVERSE, lc, TargetReturn(0.45))
    assert caught.value.detail == (
        "target return 0.45 (45 %) is above the highest return reachable under "
        "these constraints, 0.15 (15 %)"
    )
    assert caught.value.field == "target_return"


def test_max_sharpe_needs_an_asset_above_the_risk_free_rate() -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly()])
    with pytest.raises(InfeasibleError) as caught:
        allocate(FakeSolver(), UNIVERSE, lc, MaxSharpe(0.25))
    assert caught.value.detail == (
        "max Sharpe needs at least one asset with expected return above the risk-free rate "
        "0.25 (25 %); the best is 0.2 (20 %)"
    )


def test_max_sharpe_needs_a_reachable_return_above_the_risk_free_rate() -> None:
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly(), AssetBounds({"C": (0.0, 0.1)})])
    with pytest.raises(
        InfeasibleError, match=r"the highest return reachable under these constraints is 0\.11"
    ):
        allocate(FakeSolver(), UNIVERSE, lc, MaxSharpe(0.12))


def test_prechecks_run_before_the_solver() -> None:
    solver = FakeSolver()
    lc = compile_constraints(UNIVERSE.tickers, [LongOnly(), WeightBounds(min_weight=0.4)])
    with pytest.raises(
        InfeasibleError, match=r"sum of per-asset minimum weights is 1\.2 \(120 %\) > 1 \(100 %\)"
    ):
        allocate(solver, UNIVERSE, lc, MinVariance())
    assert solver.problems == []
