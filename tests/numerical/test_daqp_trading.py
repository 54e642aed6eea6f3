"""The dual active set on rebalancing QPs (turnover, trade limits, linear costs) against Clarabel
at tight tolerances on the same problems: every constraint met and the objective no worse
(to 1e-9 of its scale), for each objective it takes, long-only and with bounded shorts and
sector limits. A problem it does not state stays on the CVXPY chain."""

import numpy as np
import pytest

from adapters import daqp_trading
from domain.constraints import build_constraints
from domain.errors import InfeasibleError
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe, MaxUtility, MinTrackingError, MinVariance, TargetReturn
from domain.problem import Problem
from domain.rebalance import RebalanceSpec, compile_rebalance
from tests.conftest import random_universe
from tests.numerical.production import production_solver, reference_solver

OBJECTIVES = [
    MinVariance(),
    MaxUtility(risk_aversion=4.0),
    MaxSharpe(risk_free_rate=0.01),
    TargetReturn(target_return=0.06),
    MinTrackingError(),
]


def _value(problem: Problem, w: np.ndarray) -> float:
    """The objective as a loss (lower is better), net of costs where it has a return."""
    u, r, o = problem.universe, problem.rebalance, problem.objective
    assert r is not None
    var = u.portfolio_variance(w)
    cost = r.cost_of(w)
    match o:
        case MaxUtility(risk_aversion=d):
            return -(u.expected_returns @ w - cost - 0.5 * d * var)
        case MaxSharpe(risk_free_rate=rf):
            return -(u.expected_returns @ w - rf - cost) / var**0.5
        case MinTrackingError():
            return u.portfolio_variance(w - r.benchmark)
        case _:
            return var


def _problem(seed: int, objective, shorts: bool, sectors: bool, n: int = 12) -> Problem:
    rng = np.random.default_rng(seed)
    universe = random_universe(n, seed=seed)
    t = universe.tickers
    groups = {x: f"S{i % 3}" for i, x in enumerate(t)}
    parts = build_constraints(
        long_only=not shorts,
        max_weight=0.3,
        min_weight=-0.1 if shorts else 0.0,
        sectors=groups if sectors else None,
        sector_limits={"S0": (0.1, 0.4), "S1": (0.0, 0.5)} if sectors else None,
    )
    lc = compile_constraints(t, parts)
    held = rng.dirichlet(np.ones(n)) * 0.95
    spec = RebalanceSpec(
        holdings=dict(zip(t, held, strict=False)),
        cash=1.0 - held.sum(),
        turnover=float(rng.uniform(0.05, 0.3)),
        max_trade=0.5 if seed % 2 == 0 else 0.2,
        cost_bps={x: float(c) for x, c in zip(t, rng.uniform(0, 40, n), strict=False)},
        benchmark=dict.fromkeys(t, 1.0 / n),
    )
    return Problem(universe, lc, objective, compile_rebalance(t, spec, lc.long_only))


@pytest.mark.parametrize("objective", OBJECTIVES, ids=lambda o: o.name)
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("shorts", "sectors"), [(False, False), (True, False), (False, True)])
def test_no_worse_than_clarabel_and_feasible(objective, seed, shorts, sectors) -> None:
    problem = _problem(seed, objective, shorts, sectors)
    assert daqp_trading.fits(problem)
    try:
        reference = reference_solver().solve(problem).weights
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            daqp_trading.solve(problem)
        return
    ours = daqp_trading.solve(problem)
    assert ours.solver == "daqp"
    w, r = ours.weights, problem.rebalance
    lc = problem.constraints
    assert abs(w.sum() - 1.0) < 1e-9
    assert np.all(w >= lc.lower - 1e-9) and np.all(w <= lc.upper + 1e-9)
    assert (np.abs(w - r.holdings).sum() + r.cash) / 2 <= r.turnover + 1e-9
    assert np.abs(w - r.holdings).max() <= r.max_trade + 1e-9
    for row in lc.rows:
        assert row.lower - 1e-9 <= row.coefficients @ w <= row.upper + 1e-9
    if isinstance(objective, TargetReturn):
        net = problem.universe.expected_returns @ w - r.cost_of(w)
        assert net >= objective.target_return - 1e-9
    mine, theirs = _value(problem, w), _value(problem, reference)
    assert mine <= theirs + 1e-9 * max(1.0, abs(theirs))


def test_the_production_solver_routes_trading_qps_here_and_the_rest_to_cvxpy() -> None:
    solver = production_solver()
    problem = _problem(1, MinVariance(), False, False)
    assert solver.solve(problem).solver == "daqp"
    r = problem.rebalance
    capped = Problem(
        problem.universe,
        problem.constraints,
        problem.objective,
        compile_rebalance(
            problem.universe.tickers,
            RebalanceSpec(
                holdings=dict(zip(problem.universe.tickers, r.holdings, strict=False)),
                cash=r.cash,
                turnover=0.2,
                benchmark=dict.fromkeys(problem.universe.tickers, 1.0 / 12),
                max_tracking_error=0.05,
            ),
            True,
        ),
    )
    assert not daqp_trading.fits(capped)  # a tracking-error cap is a cone
    assert solver.solve(capped).solver != "daqp"


def test_a_cap_the_cash_alone_fills_only_invests_the_cash() -> None:
    problem = _problem(2, MaxUtility(risk_aversion=2.0), False, False)
    t = problem.universe.tickers
    frozen = Problem(
        problem.universe,
        problem.constraints,
        problem.objective,
        compile_rebalance(
            t,
            RebalanceSpec(
                holdings={x: 0.5 / 12 + 0.1 * (i == 0) for i, x in enumerate(t)},
                cash=0.4,
                turnover=0.4,  # (0.4 bought + 0.4 of cash spent) / 2
            ),
            True,
        ),
    )
    w = daqp_trading.solve(frozen).weights  # the turnover the cash needs, and no more: the
    # cash goes in, and nothing held is sold
    assert np.all(w >= frozen.rebalance.holdings - 1e-12)
    assert abs(w.sum() - 1.0) < 1e-12


def test_a_stop_short_of_an_optimum_hands_over(monkeypatch) -> None:
    """An answer failing the feasibility check is never returned as DAQP's."""
    problem = _problem(3, MinVariance(), False, False)
    monkeypatch.setattr(daqp_trading, "FEASIBILITY", -1.0)
    with pytest.raises(daqp_trading.UnsolvedError):
        daqp_trading.solve(problem)
    solution = production_solver().solve(problem)
    assert solution.solver != "daqp"
    assert solution.attempts[0].solver == "daqp"
