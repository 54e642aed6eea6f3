"""Holdings, trading limits and costs as values: what is refused (naming the field), how
they align to a universe, and what the trades of a target come to."""

import numpy as np
import pytest

from domain.errors import InvalidConstraintError
from domain.rebalance import RebalanceSpec, compile_rebalance, rebalance_report

TICKERS = ("A", "B", "C")


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"holdings": {"A": 0.5}}, "holdings", "sum to 0.5 (50 %) and cash 0 (0 %), not 1"),
        ({"holdings": {"A": 50, "B": 50}}, "holdings", "weights are decimals"),
        ({"holdings": {"A": 0.9}, "cash": -0.1}, "cash", "cash must be >= 0"),
        ({"holdings": {"A": float("nan"), "B": 1}}, "holdings", "holdings[A] must be a finite"),
        ({"turnover": 10}, "turnover", "turnover is 10, above 1: it is a decimal"),
        ({"turnover": -0.1}, "turnover", "turnover must be >= 0"),
        ({"max_trade": 2}, "max_trade", "max_trade is 2, above 1"),
        ({"cost_bps": -1}, "cost_bps", "cost_bps is -1: costs are basis points"),
        ({"cost_bps": {"A": 20_000}}, "cost_bps", "cost_bps[A] is 20000"),
        ({"max_tracking_error": 0.02}, "benchmark", "max_tracking_error needs a benchmark"),
        ({"benchmark": {"A": 0.5}}, "benchmark", "benchmark: weights sum to 0.5"),
        ({"benchmark": {}}, "benchmark", "give at least one weight"),
        ({"benchmark": {"A": 1}, "max_tracking_error": 3}, "max_tracking_error", "above 1"),
        ({"benchmark": {"A": 1}, "max_tracking_error": 0}, "max_tracking_error", "must be > 0"),
        ({"value": -5}, "value", "positive amount"),
    ],
)
def test_bad_rebalance_names_the_field(spec, field, message) -> None:
    with pytest.raises(InvalidConstraintError) as caught:
        RebalanceSpec(**spec)
    assert caught.value.field == field
    assert message in caught.value.detail


def test_compile_aligns_and_refuses_what_the_run_lacks() -> None:
    spec = RebalanceSpec({"C": 0.6, "A": 0.3}, cash=0.1, cost_bps={"B": 25}, benchmark={"B": 1})
    r = compile_rebalance(TICKERS, spec, long_only=True)
    assert r.holdings.tolist() == [0.3, 0.0, 0.6] and r.cash == 0.1
    assert r.costs.tolist() == [0.0, 0.0025, 0.0]
    assert r.benchmark is not None and r.benchmark.tolist() == [0.0, 1.0, 0.0]
    assert r.shapes_problem  # costs change the optimum
    assert not compile_rebalance(TICKERS, RebalanceSpec({"A": 1}), True).shapes_problem
    everything_cash = compile_rebalance(TICKERS, RebalanceSpec(), True)
    assert everything_cash.cash == 1.0 and not everything_cash.holdings.any()
    for bad, field in [
        (RebalanceSpec({"Z": 1.0}), "holdings"),
        (RebalanceSpec(cost_bps={"Z": 5}), "cost_bps"),
        (RebalanceSpec(benchmark={"Z": 1.0}), "benchmark"),
    ]:
        with pytest.raises(InvalidConstraintError, match="'Z' is not in this run's assets") as e:
            compile_rebalance(TICKERS, bad, long_only=True)
        assert e.value.field == field
    with pytest.raises(InvalidConstraintError, match=r"A is held short .* long-only"):
        compile_rebalance(TICKERS, RebalanceSpec({"A": -0.2, "B": 1.2}), long_only=True)
    assert compile_rebalance(TICKERS, RebalanceSpec({"A": -0.2, "B": 1.2}), False).holdings[0] < 0


def test_the_trades_of_a_target() -> None:
    spec = RebalanceSpec({"A": 0.5, "B": 0.3}, cash=0.2, cost_bps=10, benchmark={"C": 1}, value=1e6)
    r = compile_rebalance(TICKERS, spec, long_only=True)
    target = np.array([0.2, 0.3, 0.5])
    assert r.turnover_of(target) == pytest.approx(0.5 * (0.3 + 0.0 + 0.5 + 0.2))
    assert r.cost_of(target) == pytest.approx(0.001 * 0.8)
    report = rebalance_report(TICKERS, target, r, expected_return=0.07, active_variance=0.0004)
    assert [(t.ticker, t.side) for t in report.trades] == [("C", "buy"), ("A", "sell")]
    assert report.trades[0].notional == pytest.approx(500_000)
    assert report.trades[1].cost == pytest.approx(0.0003)
    assert report.expected_return_net == pytest.approx(0.07 - 0.0008)
    assert report.tracking_error == pytest.approx(0.02)
    assert report.active_share == pytest.approx(0.5)
    assert report.cash_from == 0.2
