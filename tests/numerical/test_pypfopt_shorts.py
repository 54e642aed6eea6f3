"""PyPortfolioOpt's own asserted numbers for short-selling portfolios, reproduced by pfopt.

Data: ``tests/resources/pypfopt_stock_prices.csv`` is PyPortfolioOpt's
``tests/resources/stock_prices.csv`` (github.com/robertmartin8/PyPortfolioOpt, commit
65cabcee11d91777d63628744c36869ec64a1c85, MIT License, Copyright (c) 2018 Robert Andrew
Martin); the installed package does not ship it. The expected triples are the ones asserted in
PyPortfolioOpt's ``tests/test_efficient_frontier.py`` (``test_min_volatility_short`` and
``test_max_sharpe_short``): mean historical return, sample covariance, weight bounds
(None, None), risk-free rate 0.02.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypfopt import expected_returns, risk_models

from adapters.cvxpy_solver import CvxpySolver
from application.allocate import allocate
from domain.constraints import Budget
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance
from tests.numerical.production import assert_engine, production_solver

PRICES = Path(__file__).resolve().parents[1] / "resources" / "pypfopt_stock_prices.csv"
RF = 0.02
RTOL = 1e-7
CASES = {
    "min_volatility": (MinVariance(), (0.1516319319875544, 0.1555915367269669, 0.8460095886741129)),
    "max_sharpe": (MaxSharpe(RF), (0.4937195216716211, 0.29516576454651955, 1.6049270564945908)),
}


@pytest.fixture(scope="module")
def universe() -> Universe:
    prices = pd.read_csv(PRICES, parse_dates=True, index_col="date")
    mu = expected_returns.mean_historical_return(prices)
    cov = risk_models.sample_cov(prices)
    assert list(mu.index) == list(cov.index) == list(prices.columns)
    return Universe(list(prices.columns), mu.to_numpy(), cov.to_numpy())


def _performance(solver, universe: Universe, objective):
    lc = compile_constraints(universe.tickers, [Budget()])  # shorts, no bounds, no cap
    allocation = allocate(solver, universe, lc, objective, risk_free_rate=RF)
    m = allocation.metrics
    assert allocation.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert allocation.weights.min() < 0  # the answer does short
    assert m.sharpe == pytest.approx((m.expected_return - RF) / m.volatility, rel=1e-12)
    return allocation, (m.expected_return, m.volatility, m.sharpe)


@pytest.mark.parametrize("case", sorted(CASES))
def test_clarabel_reproduces_pypfopt(universe: Universe, case: str) -> None:
    objective, expected = CASES[case]
    allocation, got = _performance(CvxpySolver(chain=("CLARABEL",)), universe, objective)
    assert allocation.solver == "CLARABEL"
    np.testing.assert_allclose(got, expected, rtol=RTOL)


@pytest.mark.parametrize("case", sorted(CASES))
def test_production_reproduces_pypfopt(universe: Universe, case: str) -> None:
    objective, expected = CASES[case]
    solver = production_solver()
    allocation, got = _performance(solver, universe, objective)
    assert_engine(allocation, objective, compile_constraints(universe.tickers, [Budget()]))
    np.testing.assert_allclose(got, expected, rtol=RTOL)
