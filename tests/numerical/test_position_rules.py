"""Position rules (SCIP, then the exact engine on the names it chose) against brute force:
at most K names, every weight 0 or at least a minimum, a fixed fee per traded name."""

import itertools

import numpy as np
import pytest

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from application.allocate import allocate
from domain.constraints import build_constraints
from domain.errors import DomainError, InfeasibleError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance
from domain.rebalance import RebalanceSpec, compile_rebalance

N = 9


@pytest.fixture(scope="module")
def universe() -> Universe:
    rng = np.random.default_rng(11)
    a = rng.normal(size=(N, N))
    cov = a @ a.T / N * 0.04 + np.eye(N) * 0.01
    return Universe(tuple(f"A{i}" for i in range(N)), rng.uniform(0.02, 0.15, N), cov)


@pytest.fixture(scope="module")
def solver():
    return ExactFirstSolver(CriticalLineFrontierSolver(), CvxpySolver())


def _run(solver, universe, objective, spec, cap=0.6):
    lc = compile_constraints(universe.tickers, build_constraints(long_only=True, max_weight=cap))
    return allocate(
        solver, universe, lc, objective, 0.0, (), compile_rebalance(universe.tickers, spec, True)
    )


def _best_subset(solver, universe, objective, k, cap=0.6) -> float:
    """The best objective over every set of k names (the exact engine on each)."""
    best = -np.inf
    for names in itertools.combinations(range(N), k):
        idx = list(names)
        sub = Universe(
            tuple(universe.tickers[i] for i in idx),
            universe.expected_returns[idx],
            universe.covariance[np.ix_(idx, idx)],
        )
        lc = compile_constraints(sub.tickers, build_constraints(long_only=True, max_weight=cap))
        try:
            a = allocate(solver, sub, lc, objective)
        except DomainError:
            continue
        score = a.metrics.sharpe if isinstance(objective, MaxSharpe) else -a.metrics.volatility
        best = max(best, score)
    return best


@pytest.mark.parametrize("objective", [MaxSharpe(), MinVariance()])
def test_at_most_k_names_is_the_best_k_subset(universe, solver, objective) -> None:
    a = _run(solver, universe, objective, RebalanceSpec(max_names=3))
    assert a.rebalance.names <= 3 and int((a.weights > 0).sum()) <= 3
    assert a.rebalance.mip_gap is not None and a.rebalance.mip_gap <= 1e-9
    assert a.solver.startswith("SCIP, then critical_line")
    ours = a.metrics.sharpe if isinstance(objective, MaxSharpe) else -a.metrics.volatility
    # at most 3: the best of the 1-, 2- and 3-name portfolios
    best = max(_best_subset(solver, universe, objective, k) for k in (2, 3))
    assert ours == pytest.approx(best, rel=1e-9, abs=1e-12)


def test_zero_or_at_least_the_minimum_position(universe, solver) -> None:
    free = _run(solver, universe, MaxSharpe(), RebalanceSpec())
    assert ((free.weights > 0) & (free.weights < 0.12)).any()  # the rule bites
    a = _run(solver, universe, MaxSharpe(), RebalanceSpec(min_position=0.12))
    held = a.weights[a.weights > 0]
    assert held.min() >= 0.12 - 1e-9
    assert a.metrics.sharpe <= free.metrics.sharpe + 1e-12


def test_a_fee_no_trade_pays_keeps_the_holdings(universe, solver) -> None:
    held = dict.fromkeys(universe.tickers, 1 / N)
    spec = RebalanceSpec(held, fee_per_trade=10_000, value=10_000)  # a fee of the whole book
    a = _run(solver, universe, MaxUtility(2.0), spec)
    np.testing.assert_allclose(a.weights, 1 / N, atol=1e-9)
    cheap = _run(solver, universe, MaxUtility(2.0), RebalanceSpec(held, fee_per_trade=1, value=1e4))
    assert cheap.rebalance.cost == pytest.approx(1e-4 * len(cheap.rebalance.trades))


def test_position_rules_that_cannot_hold_name_the_field(universe, solver) -> None:
    with pytest.raises(InfeasibleError) as caught:
        _run(solver, universe, MinVariance(), RebalanceSpec(max_names=2), cap=0.3)
    assert caught.value.field == "max_names"
    assert "the 2 largest weight caps sum to 0.6 (60 %)" in caught.value.detail
    with pytest.raises(DomainError) as caught:
        compile_rebalance(universe.tickers, RebalanceSpec(max_names=N + 1), True)
    assert caught.value.field == "max_names" and "larger than the run's 9 assets" in str(
        caught.value.detail
    )
    with pytest.raises(DomainError) as caught:
        RebalanceSpec(fee_per_trade=5)
    assert caught.value.field == "value"
