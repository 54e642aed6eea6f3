"""Hierarchical risk parity against PyPortfolioOpt's ``HRPOpt`` on its own test data
(``tests/test_hrp.py``: ``HRPOpt(returns).optimize(linkage_method=...)``), computed live."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from adapters.hierarchical import hrp_weights
from application.allocate import allocate
from domain.constraints import build_constraints
from domain.errors import DomainError, InfeasibleError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import HierarchicalRiskParity
from tests.numerical.production import production_solver

PRICES = Path(__file__).resolve().parents[1] / "resources" / "pypfopt_stock_prices.csv"


@pytest.fixture(scope="module")
def returns():
    import pandas as pd
    from pypfopt.expected_returns import returns_from_prices

    df = pd.read_csv(PRICES, parse_dates=True, index_col="date")
    return returns_from_prices(df).dropna()


@pytest.mark.parametrize("linkage", ["single", "complete", "average", "ward"])
def test_the_weights_are_pypfopts(returns, linkage) -> None:
    from pypfopt import HRPOpt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = HRPOpt(returns).optimize(linkage_method=linkage)
    tickers = tuple(returns.columns)
    universe = Universe(tickers, returns.mean().to_numpy() * 252, returns.cov().to_numpy() * 252)
    lc = compile_constraints(tickers, build_constraints(long_only=True))
    a = allocate(production_solver(), universe, lc, HierarchicalRiskParity(linkage))
    assert a.solver == f"hrp_{linkage}"
    np.testing.assert_allclose(a.weights, [peer[t] for t in tickers], atol=1e-14)
    assert a.weights.sum() == pytest.approx(1.0, abs=1e-14)


def test_two_uncorrelated_assets_split_by_inverse_variance() -> None:
    w = hrp_weights(np.diag([0.04, 0.01]))
    np.testing.assert_allclose(w, [0.2, 0.8], atol=1e-15)


def test_what_hrp_refuses_names_the_field(returns) -> None:
    tickers = tuple(returns.columns)
    universe = Universe(tickers, returns.mean().to_numpy(), returns.cov().to_numpy())
    capped = compile_constraints(tickers, build_constraints(long_only=True, max_weight=0.06))
    with pytest.raises(InfeasibleError) as caught:
        allocate(production_solver(), universe, capped, HierarchicalRiskParity())
    assert caught.value.field == "max_weight" and "above its cap" in caught.value.detail
    with pytest.raises(DomainError) as caught:
        HierarchicalRiskParity("fastest")
    assert caught.value.field == "linkage" and "choose from single" in caught.value.detail
