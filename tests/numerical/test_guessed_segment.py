"""A single solve from a guessed, repaired active set gives the path's own answer, or declines.

The path (``trace``) is the reference: the guessed segment must give the same weights (to
1e-9) whenever it settles, settle on most plain problems (else the fast route is never taken),
and decline, never answer wrongly, where the point is not on the frontier."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.frontier_solvers import CriticalLineFrontierSolver
from domain.constraints import Budget, GroupLimits, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.model import Universe
from tests.conftest import random_universe
from tests.numerical.test_properties import SETTINGS, problems

ENGINE = CriticalLineFrontierSolver()


def _path_answer(universe, lc, kind: str, value: float) -> np.ndarray:
    frontier = ENGINE.prepare(universe, lc)
    if kind == "max_sharpe":
        return frontier.max_sharpe(value).weights
    if kind == "target_return":
        return frontier.at_return(value).weights
    return frontier.min_variance().weights


def _cases(universe, lc):
    frontier = ENGINE.prepare(universe, lc)
    if not hasattr(frontier, "return_range") or frontier.method != "critical_line":
        return []
    span = frontier.return_range()
    low, high = span.lowest, span.highest
    middle = low + 0.4 * (high - low)
    return [("min_variance", 0.0), ("target_return", middle), ("max_sharpe", low - 0.01)]


@SETTINGS
@given(problems())
def test_a_settled_guess_is_the_paths_point(problem) -> None:
    universe, lc = problem
    if lc.leverage is not None and not lc.long_only:
        assert ENGINE.guessed(universe, lc, "min_variance") is None
        return
    try:
        cases = _cases(universe, lc)
    except Exception:  # infeasible constraints: nothing to compare
        return
    for kind, value in cases:
        quick = ENGINE.guessed(universe, lc, kind, value)
        if quick is None:
            continue
        reference = _path_answer(universe, lc, kind, value)
        np.testing.assert_allclose(quick.weights, reference, atol=1e-9, err_msg=kind)
        assert quick.kkt_residual is not None and quick.kkt_residual <= 1e-9


@pytest.mark.parametrize("n", [5, 20, 60])
@pytest.mark.parametrize("cap", [None, 0.2, 0.5])
def test_plain_problems_settle(n: int, cap: float | None) -> None:
    settled = total = 0
    for seed in range(10):
        universe = random_universe(n, seed=seed)
        constraints = [Budget(), LongOnly()]
        if cap is not None and cap * n > 1:
            constraints.append(WeightBounds(max_weight=cap))
        lc = compile_constraints(universe.tickers, constraints)
        for kind, value in _cases(universe, lc):
            total += 1
            quick = ENGINE.guessed(universe, lc, kind, value)
            if quick is not None:
                settled += 1
                np.testing.assert_allclose(
                    quick.weights, _path_answer(universe, lc, kind, value), atol=1e-9
                )
    assert settled >= 0.8 * total, f"{settled}/{total} settled"


def test_sector_limits_settle_too() -> None:
    universe = random_universe(20, seed=4)
    sectors = {t: f"S{i % 4}" for i, t in enumerate(universe.tickers)}
    lc = compile_constraints(
        universe.tickers,
        [
            Budget(),
            LongOnly(),
            WeightBounds(max_weight=0.2),
            GroupLimits(sectors, {"S0": (0.0, 0.2), "S1": (0.3, 1.0)}),
        ],
    )
    for kind, value in _cases(universe, lc):
        quick = ENGINE.guessed(universe, lc, kind, value)
        assert quick is not None, kind
        np.testing.assert_allclose(
            quick.weights, _path_answer(universe, lc, kind, value), atol=1e-9
        )


def test_points_off_the_frontier_are_declined() -> None:
    universe = random_universe(10, seed=2)
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly()])
    span = ENGINE.prepare(universe, lc).return_range()
    low, high = span.lowest, span.highest
    assert ENGINE.guessed(universe, lc, "target_return", high + 0.05) is None
    assert ENGINE.guessed(universe, lc, "target_return", low - 0.05) is None  # below min var
    assert ENGINE.guessed(universe, lc, "max_sharpe", high + 0.01) is None  # no excess return


@given(st.integers(0, 10_000))
@SETTINGS
def test_factor_model_risk_settles_on_the_same_point(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 15, 2
    loadings = rng.normal(0, 0.2, (n, k))
    specific = rng.uniform(0.01, 0.05, n)
    from domain.risk_model import FactorModel

    model = FactorModel(loadings, np.eye(k), specific)
    universe = Universe(
        [f"A{i}" for i in range(n)],
        rng.uniform(0.02, 0.15, n),
        factor_model=model,
    )
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly(), WeightBounds(max_weight=0.3)])
    for kind, value in _cases(universe, lc):
        quick = ENGINE.guessed(universe, lc, kind, value)
        if quick is not None:
            np.testing.assert_allclose(
                quick.weights, _path_answer(universe, lc, kind, value), atol=1e-9
            )


@pytest.mark.parametrize("seed", [0, 1])
def test_a_larger_max_sharpe_walks_first_then_guesses(seed: int) -> None:
    """From WALK_FIRST_FROM assets up: a short walk down from the top when the tangency holds few
    assets, the guess when it holds many (the walk would be long); both the path's answer."""
    import adapters.frontier_solvers as module

    many = random_universe(300, seed=seed)  # most assets held at the tangency
    few_mu = np.where(np.arange(300) < 5, 0.4, 0.02)  # five assets dominate
    few = Universe(many.tickers, few_mu, many.covariance)
    for universe in (many, few):
        lc = compile_constraints(universe.tickers, [Budget(), LongOnly()])
        found = ENGINE.max_sharpe(universe, lc, 0.01)
        reference = ENGINE.prepare(universe, lc).max_sharpe(0.01)
        np.testing.assert_allclose(found.weights, reference.weights, atol=1e-9)
    lc = compile_constraints(many.tickers, [Budget(), LongOnly()])
    held = int(np.sum(ENGINE.max_sharpe(many, lc, 0.01).weights > 1e-9))
    assert held > module.PATH_FIRST  # so the walk was cut short and the guess answered
