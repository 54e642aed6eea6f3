"""Hierarchical risk parity against PyPortfolioOpt's ``HRPOpt`` on its own test data
(``tests/test_hrp.py``: ``HRPOpt(returns).optimize(linkage_method=...)``), computed live."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from adapters.hierarchical import hrp_weights
from application.allocate import allocate
from domain.constraints import build_constraints
from domain.errors import DomainError
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


def test_weight_bounds_clip_the_splits(returns) -> None:
    """Bounds that bind are met exactly (the splits are clipped, as Riskfolio-Lib and skfolio
    do), bounds that do not bind change nothing."""
    tickers = tuple(returns.columns)
    universe = Universe(tickers, returns.mean().to_numpy(), returns.cov().to_numpy())
    solver = production_solver()
    free = allocate(
        solver,
        universe,
        compile_constraints(tickers, build_constraints(long_only=True)),
        HierarchicalRiskParity(),
    ).weights
    assert free.max() > 0.08 and free.min() < 0.04
    loose = compile_constraints(tickers, build_constraints(long_only=True, max_weight=0.9))
    np.testing.assert_allclose(
        allocate(solver, universe, loose, HierarchicalRiskParity()).weights, free, atol=1e-15
    )
    bound = compile_constraints(
        tickers, build_constraints(long_only=True, min_weight=0.04, max_weight=0.08)
    )
    w = allocate(solver, universe, bound, HierarchicalRiskParity()).weights
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert w.min() >= 0.04 - 1e-15 and w.max() <= 0.08 + 1e-15
    assert np.isclose(w, 0.08).any() and np.isclose(w, 0.04).any()  # both bind somewhere


def test_what_hrp_refuses_names_the_field(returns) -> None:
    tickers = tuple(returns.columns)
    universe = Universe(tickers, returns.mean().to_numpy(), returns.cov().to_numpy())
    sectors = build_constraints(
        long_only=True, sectors={tickers[0]: "X"}, sector_limits={"X": (0.0, 0.01)}
    )
    with pytest.raises(DomainError) as caught:
        allocate(
            production_solver(),
            universe,
            compile_constraints(tickers, sectors),
            HierarchicalRiskParity(),
        )
    assert caught.value.field == "objective" and "per-asset bounds only" in caught.value.detail
    with pytest.raises(DomainError) as caught:
        HierarchicalRiskParity("fastest")
    assert caught.value.field == "linkage" and "choose from single" in caught.value.detail
