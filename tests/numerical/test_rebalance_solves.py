"""Rebalancing solves against their invariants and against skfolio computed live on the same
data: turnover 0 keeps the holdings, a cost no trade can pay keeps them too, a binding cap is
met to solver precision, net return is gross less the cost, and where skfolio states the same
problem (previous weights, linear costs, per-asset turnover) pfopt's objective is no worse."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from application.allocate import allocate
from domain.constraints import build_constraints
from domain.errors import InfeasibleError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import (
    MaxSharpe,
    MaxUtility,
    MinTrackingError,
    MinTurnover,
    MinVariance,
    TargetReturn,
    TargetRisk,
)
from domain.rebalance import RebalanceSpec, compile_rebalance

N = 10


def _returns(seed: int = 5, days: int = 800) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = rng.normal(0, 0.01, (days, 2))
    loadings = rng.normal(1, 0.4, (N, 2))
    return factors @ loadings.T + rng.normal(0.0004, 0.012, (days, N))


@pytest.fixture(scope="module")
def market():
    x = _returns()
    tickers = tuple(f"A{i}" for i in range(N))
    universe = Universe(tickers, x.mean(axis=0) * 252, np.cov(x.T, ddof=1) * 252)
    return x, universe


@pytest.fixture(scope="module")
def solver():
    return ExactFirstSolver(CriticalLineFrontierSolver(), CvxpySolver())


def _solve(solver, universe, objective, spec, max_weight=0.4, long_only=True):
    lc = compile_constraints(
        universe.tickers, build_constraints(long_only=long_only, max_weight=max_weight)
    )
    r = compile_rebalance(universe.tickers, spec, lc.long_only)
    return allocate(solver, universe, lc, objective, 0.0, (), r), r


EQUAL = {f"A{i}": 1 / N for i in range(N)}


@pytest.mark.parametrize(
    "objective", [MaxSharpe(), MaxUtility(2.0), MinVariance(), TargetRisk(0.5), TargetReturn(0.01)]
)
def test_turnover_zero_keeps_the_holdings(market, solver, objective) -> None:
    _, universe = market
    a, r = _solve(solver, universe, objective, RebalanceSpec(EQUAL, turnover=0.0))
    np.testing.assert_allclose(a.weights, r.holdings, atol=1e-8)
    assert a.rebalance is not None and a.rebalance.turnover <= 1e-8
    assert a.solver != "critical_line"  # the trading term is stated to a conic solver


@pytest.mark.parametrize("objective", [MaxSharpe(), MaxUtility(2.0), TargetRisk(0.5)])
def test_a_cost_no_trade_can_pay_keeps_the_holdings(market, solver, objective) -> None:
    _, universe = market
    a, r = _solve(solver, universe, objective, RebalanceSpec(EQUAL, cost_bps=10_000))
    np.testing.assert_allclose(a.weights, r.holdings, atol=1e-7)
    assert a.rebalance is not None and a.rebalance.cost <= 1e-7


def test_binding_caps_are_met_to_solver_precision(market, solver) -> None:
    _, universe = market
    free, _ = _solve(solver, universe, MaxSharpe(), RebalanceSpec(EQUAL, benchmark=EQUAL))
    assert free.rebalance.turnover > 0.2 and free.rebalance.tracking_error > 0.03
    capped, r = _solve(solver, universe, MaxSharpe(), RebalanceSpec(EQUAL, turnover=0.1))
    assert capped.rebalance.turnover == pytest.approx(0.1, abs=1e-9)
    assert capped.metrics.sharpe < free.metrics.sharpe
    te, _ = _solve(
        solver,
        universe,
        MaxSharpe(),
        RebalanceSpec(EQUAL, benchmark=EQUAL, max_tracking_error=0.02),
    )
    assert te.rebalance.tracking_error == pytest.approx(0.02, abs=1e-9)
    trade, _ = _solve(solver, universe, MaxSharpe(), RebalanceSpec(EQUAL, max_trade=0.03))
    assert np.abs(trade.weights - r.holdings).max() <= 0.03 + 1e-9


def test_costs_are_charged_net_and_change_the_optimum(market, solver) -> None:
    _, universe = market
    gross, _ = _solve(solver, universe, MaxUtility(2.0), RebalanceSpec(EQUAL))
    net, _ = _solve(solver, universe, MaxUtility(2.0), RebalanceSpec(EQUAL, cost_bps=50))
    report = net.rebalance
    assert report.expected_return_net == pytest.approx(net.metrics.expected_return - report.cost)
    assert report.cost == pytest.approx(0.005 * sum(abs(t.change) for t in report.trades))
    assert net.rebalance.turnover < gross.rebalance.turnover  # trading costs trade less

    def utility(a, cost):
        w = a.weights
        return universe.expected_returns @ w - cost - universe.portfolio_variance(w)

    assert utility(net, report.cost) >= utility(gross, 0.005 * np.abs(gross.weights - 0.1).sum())


def test_min_tracking_error_and_min_turnover(market, solver) -> None:
    _, universe = market
    bench = {"A0": 0.5, "A1": 0.3, "A2": 0.2}
    a, r = _solve(solver, universe, MinTrackingError(), RebalanceSpec(benchmark=bench), 0.6)
    np.testing.assert_allclose(a.weights, r.benchmark, atol=1e-6)
    assert a.rebalance.tracking_error <= 1e-5 and a.rebalance.active_share <= 1e-5
    capped, _ = _solve(solver, universe, MinTrackingError(), RebalanceSpec(benchmark=bench), 0.3)
    assert capped.weights.max() <= 0.3 + 1e-9 and capped.rebalance.tracking_error > 0
    held = {"A0": 0.7, "A1": 0.2}
    least, _ = _solve(solver, universe, MinTurnover(), RebalanceSpec(held, cash=0.1), 0.4)
    # 0.3 of A0 must go and 0.1 of cash be invested: at least (0.3 + 0.4 + 0.1) / 2 one way
    assert least.rebalance.turnover == pytest.approx(0.4, abs=1e-8)
    assert least.weights[0] == pytest.approx(0.4, abs=1e-8)


def test_a_turnover_cap_below_the_least_needed_names_it(market, solver) -> None:
    _, universe = market
    with pytest.raises(InfeasibleError) as caught:
        _solve(solver, universe, MaxSharpe(), RebalanceSpec({"A0": 0.9}, cash=0.1, turnover=0.2))
    assert caught.value.field == "turnover"
    assert "least turnover that meets the other constraints, 0.6 (60 %)" in caught.value.detail
    with pytest.raises(InfeasibleError) as caught:
        _solve(
            solver,
            universe,
            MaxSharpe(),
            RebalanceSpec(EQUAL, benchmark={"A0": 1.0}, max_tracking_error=0.01),
            max_weight=0.2,
        )
    assert caught.value.field == "max_tracking_error"
    assert "the least reachable is" in caught.value.detail


def test_skfolio_previous_weights_costs_and_per_asset_turnover(market, solver) -> None:
    """skfolio's MeanRisk states max Sharpe net of linear costs with |w - w0| <= max_turnover
    per asset on daily returns; pfopt's annualized model is the same problem with the cost per
    year (a daily cost c/252 is pfopt's c). Weights agree to skfolio's accuracy and pfopt's net
    Sharpe is no worse."""
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    x, universe = market
    w0 = np.full(N, 1 / N)
    for bps, trade in [(20.0, 0.05), (5.0, 0.2), (100.0, None)]:
        peer = MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
            risk_measure=RiskMeasure.VARIANCE,
            previous_weights=w0,
            transaction_costs=bps / 1e4 / 252,
            max_turnover=trade,
            max_weights=0.4,
        ).fit(x)
        ours, r = _solve(
            solver, universe, MaxSharpe(), RebalanceSpec(EQUAL, cost_bps=bps, max_trade=trade)
        )

        def net_sharpe(w, r=r):
            net = universe.expected_returns @ w - r.cost_of(w)
            return net / np.sqrt(universe.portfolio_variance(w))

        # skfolio stops at its solver's default tolerance (its zero weights are ~1e-8): the
        # weights agree to that accuracy, and the objective decides
        np.testing.assert_allclose(ours.weights, peer.weights_, atol=1e-4)
        assert net_sharpe(ours.weights) >= net_sharpe(peer.weights_) - 1e-12, net_sharpe(
            ours.weights
        ) - net_sharpe(peer.weights_)


def test_max_sharpe_out_of_reach_within_the_limits_says_how_much_the_best_earns(solver) -> None:
    tickers = ("UP", "DOWN", "FLAT")
    universe = Universe(
        tickers, [0.10, -0.20, -0.01], [[0.04, 0.0, 0.0], [0.0, 0.05, 0.0], [0.0, 0.0, 0.01]]
    )
    spec = RebalanceSpec({"DOWN": 0.9, "FLAT": 0.1}, turnover=0.05)
    with pytest.raises(InfeasibleError) as caught:
        _solve(solver, universe, MaxSharpe(), spec, max_weight=1.0)
    assert caught.value.field == "risk_free_rate"
    # at most 5 % moves from DOWN to UP: 0.85 * -0.2 + 0.1 * -0.01 + 0.05 * 0.1 = -0.166
    assert "the most any earns is -0.166 (-16.6 %)" in caught.value.detail


def test_skfolio_benchmark_tracker_on_a_capped_benchmark(market, solver) -> None:
    """skfolio's BenchmarkTracker minimizes the tracking error of X w against the benchmark's
    returns y = X b; with caps below the benchmark's weights it cannot hold b itself. pfopt's
    min_tracking_error on the same (sample) covariance reaches a tracking error no larger,
    with the same weights to skfolio's accuracy."""
    from skfolio.optimization import BenchmarkTracker

    x, universe = market
    bench = {"A0": 0.4, "A1": 0.3, "A2": 0.2, "A3": 0.1}
    b = np.array([bench.get(t, 0.0) for t in universe.tickers])
    peer = BenchmarkTracker(max_weights=0.25).fit(x, x @ b)
    ours, _ = _solve(solver, universe, MinTrackingError(), RebalanceSpec(benchmark=bench), 0.25)

    def te(w):
        return float(np.sqrt(universe.portfolio_variance(w - b)))

    np.testing.assert_allclose(ours.weights, peer.weights_, atol=1e-4)
    assert te(ours.weights) <= te(np.asarray(peer.weights_)) + 1e-12
    assert ours.rebalance.tracking_error == pytest.approx(te(ours.weights), rel=1e-12)
