"""Whole shares against PyPortfolioOpt's own test (``tests/test_discrete_allocation.py``): its
data, max Sharpe at rf 0.02 from ``mean_historical_return`` and ``sample_cov``, the latest
prices of 2018-04-11 and a value of 10000. Its greedy allocation error there is
0.017086185150415774; pfopt's MILP must do at least as well, and pfopt's greedy too."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from adapters.highs_shares import HighsShareAllocator
from domain.shares import allocate_shares, greedy_lots

PRICES = Path(__file__).resolve().parents[1] / "resources" / "pypfopt_stock_prices.csv"
PYPFOPT_GREEDY_RMSE = 0.017086185150415774
"""PyPortfolioOpt's test_greedy_allocation_rmse_error."""


@pytest.fixture(scope="module")
def case():
    import pandas as pd
    from pypfopt.discrete_allocation import DiscreteAllocation, get_latest_prices
    from pypfopt.efficient_frontier import EfficientFrontier
    from pypfopt.expected_returns import mean_historical_return
    from pypfopt.risk_models import sample_cov

    df = pd.read_csv(PRICES, parse_dates=True, index_col="date")
    weights = EfficientFrontier(mean_historical_return(df), sample_cov(df)).max_sharpe(
        risk_free_rate=0.02
    )
    latest = get_latest_prices(df)
    assert latest.name == pd.Timestamp(2018, 4, 11)
    peer = DiscreteAllocation(weights, latest, total_portfolio_value=10000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer.greedy_portfolio()
    peer_rmse = peer._allocation_rmse_error(verbose=False)
    w = np.array([weights[t] for t in df.columns], dtype=float)
    return w, latest.to_numpy(dtype=float), peer_rmse


def _misses(w, a, value):
    """The MILP's own objective: weight missed plus cash left, decimals of the book."""
    return float(np.abs(w - a.weights).sum() + a.leftover / value)


def test_milp_and_greedy_at_least_as_good_as_pypfopt(case) -> None:
    w, prices, peer_rmse = case
    assert peer_rmse == pytest.approx(PYPFOPT_GREEDY_RMSE, abs=1e-15)  # the same setup
    lots = np.ones(w.size)
    milp = allocate_shares(w, prices, 10000.0, lots, "milp", HighsShareAllocator(), 10.0)
    greedy = allocate_shares(w, prices, 10000.0, lots, "greedy", None, 10.0)
    assert milp.status == "optimal" and milp.gap is not None and milp.gap <= 1e-9
    for a in (milp, greedy):
        assert np.all(a.shares == np.round(a.shares)) and np.all(a.shares >= 0)
        assert a.leftover >= 0
        assert float(a.shares @ prices) + a.leftover == pytest.approx(10000.0, abs=1e-9)
        assert a.rmse <= PYPFOPT_GREEDY_RMSE * (1 + 1e-12)
    assert _misses(w, milp, 1e4) <= _misses(w, greedy, 1e4) + 1e-12  # exact in its objective


def test_fractional_lots_and_a_larger_book_allocate_closer(case) -> None:
    w, prices, _ = case
    whole = allocate_shares(w, prices, 10000.0, np.ones(w.size), "milp", HighsShareAllocator(), 10)
    tenths = allocate_shares(
        w, prices, 10000.0, np.full(w.size, 0.1), "milp", HighsShareAllocator(), 10
    )
    larger = allocate_shares(
        w, prices, 100000.0, np.ones(w.size), "milp", HighsShareAllocator(), 10
    )
    assert tenths.rmse < whole.rmse and larger.rmse < whole.rmse
    assert np.allclose(tenths.shares * 10, np.round(tenths.shares * 10))


def test_greedy_buys_while_the_cash_buys_anything() -> None:
    w = np.array([0.5, 0.3, 0.2])
    lots = greedy_lots(w, np.array([0.3, 0.25, 0.05]))
    spent = lots @ np.array([0.3, 0.25, 0.05])
    assert spent <= 1 + 1e-12 and 1 - spent < 0.05  # the cheapest lot no longer fits
