"""A sector limit the budget already implies (a sector capped at 100 % of a long-only book, or
floored at 0) never binds: the engine leaves it out of its active rows, so meeting it does not
make the KKT system singular and hand the solve to CVXPY."""

import math

import numpy as np
import pytest

from application.allocate import allocate
from domain.constraints import GroupLimits, LongOnly, WeightBounds
from domain.linear import compile_constraints, row_bounds
from domain.objectives import MinVariance, TargetReturn
from tests.conftest import random_universe
from tests.numerical.production import production_solver


def _constraints(universe, limits):
    sectors = {t: f"S{i % 3}" for i, t in enumerate(universe.tickers)}
    return compile_constraints(
        universe.tickers, [LongOnly(), WeightBounds(0.0, 1.0), GroupLimits(sectors, limits)]
    )


def test_implied_sides_are_dropped_and_binding_ones_kept() -> None:
    universe = random_universe(6, seed=1)
    lc = _constraints(universe, {"S0": (0.0, 1.0), "S1": (0.1, 0.5), "S2": (0.0, 0.95)})
    lower, upper = row_bounds(lc)
    assert (lower[0], upper[0]) == (-math.inf, math.inf)  # 0..100 %: both implied
    assert (lower[1], upper[1]) == (0.1, 0.5)
    assert lower[2] == -math.inf and upper[2] == 0.95


@pytest.mark.parametrize("seed", [206, 0, 1, 2])
def test_a_sector_capped_at_the_whole_book_stays_on_the_exact_engine(seed) -> None:
    """Seed 206's target went to OSQP ("singular KKT system") before implied sides were
    dropped (found by the property tests)."""
    universe = random_universe(12, seed=seed)
    lc = _constraints(universe, {"S0": (0.0, 1.0), "S1": (0.1, 1.0)})
    solver = production_solver()
    median = float(np.median(universe.expected_returns))
    for objective in (MinVariance(), TargetReturn(median)):
        a = allocate(solver, universe, lc, objective)
        assert a.solver == "critical_line", (seed, objective, a.solver)
        s1 = sum(w for t, w in zip(universe.tickers, a.weights, strict=True) if int(t[1:]) % 3 == 1)
        assert s1 >= 0.1 - 1e-12
