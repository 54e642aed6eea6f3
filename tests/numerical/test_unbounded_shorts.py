"""Shorts with no weight bounds and no leverage cap: min variance, target return and max Sharpe
have finite answers, and the production solver (the exact engine) gives them."""

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from application.allocate import allocate
from application.compute_frontier import trace_frontier
from domain.constraints import Budget
from domain.errors import InfeasibleError, UnboundedError
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe, MinVariance, TargetReturn
from entrypoints.container import Container
from tests.conftest import random_universe

UNIVERSE = random_universe(10, seed=4)
FREE = compile_constraints(UNIVERSE.tickers, (Budget(),))
REFERENCE = CvxpySolver(chain=("CLARABEL",))


@pytest.mark.parametrize(
    "objective", [MinVariance(), MaxSharpe(0.0), MaxSharpe(0.05), TargetReturn(0.2)], ids=repr
)
def test_exact_engine_answers_free_shorts(objective) -> None:
    exact = allocate(Container().solver(), UNIVERSE, FREE, objective)
    reference = allocate(REFERENCE, UNIVERSE, FREE, objective)
    assert exact.solver == "critical_line"
    assert (exact.weights < 0).any()
    np.testing.assert_allclose(exact.weights, reference.weights, atol=1e-8)
    assert exact.metrics.volatility <= reference.metrics.volatility * (1 + 1e-9) or isinstance(
        objective, MaxSharpe
    )
    if isinstance(objective, MaxSharpe):
        assert exact.metrics.sharpe >= reference.metrics.sharpe * (1 - 1e-12)


def test_min_variance_is_the_closed_form() -> None:
    exact = allocate(Container().solver(), UNIVERSE, FREE, MinVariance())
    x = np.linalg.solve(UNIVERSE.covariance, np.ones(UNIVERSE.n_assets))
    np.testing.assert_allclose(exact.weights, x / x.sum(), atol=1e-12)


def test_max_sharpe_above_the_minimum_variance_return_is_never_reached() -> None:
    """The Sharpe ratio rises toward an asymptote as the return grows without limit: no
    portfolio attains it (Clarabel answers with weights in the billions)."""
    with pytest.raises(InfeasibleError, match="max Sharpe is not reached") as caught:
        allocate(Container().solver(), UNIVERSE, FREE, MaxSharpe(0.1))
    assert caught.value.field == "risk_free_rate"


def test_frontier_of_free_shorts_has_no_top() -> None:
    with pytest.raises(UnboundedError, match="frontier has no top"):
        trace_frontier(Container().frontier_solver(), UNIVERSE, FREE)
