"""Max Sharpe on a singular covariance: when a feasible portfolio carries no risk and earns
more than the risk-free rate, the ratio has no maximum, and every route says so instead of
answering a finite tangency; a singular covariance whose constraints leave risk in every
portfolio still gets its answer."""

import numpy as np
import pytest

from application.allocate import allocate
from application.solver_settings import SolverSettings
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.errors import InfeasibleError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe
from domain.risk_model import FactorModel
from entrypoints.container import Container
from tests.conftest import random_universe


def _rank_three(n: int = 60) -> Universe:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)) * 0.2
    return Universe(tuple(f"A{i}" for i in range(n)), rng.uniform(0.02, 0.2, n), x @ x.T)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "cvxpy"])
def test_a_riskless_portfolio_above_the_rate_leaves_no_maximum(exact: bool) -> None:
    universe = _rank_three()
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly()])
    settings = SolverSettings() if exact else SolverSettings(chain=("CLARABEL",))
    solver = Container().solver(settings=settings)
    with pytest.raises(InfeasibleError, match="max Sharpe has no maximum") as caught:
        allocate(solver, universe, lc, MaxSharpe(0.01), 0.01)
    assert caught.value.field == "covariance"


def test_a_singular_factor_model_is_checked_too() -> None:
    n = 30
    model = FactorModel(np.zeros((n, 1)), [[0.01]], np.r_[np.zeros(1), np.full(n - 1, 0.04)])
    mu = np.r_[0.05, np.full(n - 1, 0.08)]
    universe = Universe(tuple(f"F{i}" for i in range(n)), mu, factor_model=model)
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly()])
    with pytest.raises(InfeasibleError, match=r"returns 0\.04 above"):
        allocate(Container().solver(), universe, lc, MaxSharpe(0.01), 0.01)


def test_a_singular_covariance_with_risk_left_in_every_portfolio_is_answered() -> None:
    """One riskless asset, capped at 50 %: every feasible portfolio holds risk, and the
    tangency is the best of a fine grid of the rest."""
    base = random_universe(6, seed=9)
    cov = np.zeros((7, 7))
    cov[:6, :6] = base.covariance
    universe = Universe((*base.tickers, "CASH"), np.r_[base.expected_returns, 0.03], cov)
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly(), WeightBounds(max_weight=0.5)])
    got = allocate(Container().solver(), universe, lc, MaxSharpe(0.0), 0.0)
    assert got.weights[-1] == pytest.approx(0.5, abs=1e-9)
    rng = np.random.default_rng(1)
    for _ in range(2000):  # no feasible portfolio beats it
        w = np.r_[rng.dirichlet(np.ones(6)) * 0.5, 0.5]
        if w.max() <= 0.5:
            sharpe = (universe.expected_returns @ w) / np.sqrt(w @ cov @ w)
            assert sharpe <= got.metrics.sharpe + 1e-9


def test_a_frontier_on_a_riskless_singular_model_flags_no_max_sharpe() -> None:
    """The frontier is still traced; its max-Sharpe point is absent, with the reason noted."""
    from application.compute_frontier import trace_frontier

    universe = _rank_three()
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly()])
    result = trace_frontier(Container().frontier_solver(), universe, lc, n_points=5)
    assert result.max_sharpe is None
    assert any("max Sharpe has no maximum" in note for note in result.notes)
    assert len(result.points) == 5
    full_rank = random_universe(8, seed=3)
    lc = compile_constraints(full_rank.tickers, [Budget(), LongOnly()])
    assert trace_frontier(Container().frontier_solver(), full_rank, lc).max_sharpe is not None
