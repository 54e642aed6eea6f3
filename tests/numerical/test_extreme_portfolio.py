"""The closed-form LP vertex (bounds and budget only) against SciPy's HiGHS on the same LP."""

import numpy as np
import pytest
from scipy.optimize import linprog

from adapters.highs_lp import extreme_portfolio
from domain.linear import LinearConstraints

N = 7


def _lp(cost: np.ndarray, lc: LinearConstraints) -> np.ndarray:
    result = linprog(
        cost,
        A_eq=np.ones((1, N)),
        b_eq=[1.0],
        bounds=np.column_stack([lc.lower, lc.upper]),
        method="highs",
    )
    assert result.status == 0
    return result.x


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        (np.zeros(N), np.full(N, np.inf)),  # long-only, no cap: tightened to 1 by the budget
        (np.zeros(N), np.full(N, 0.3)),
        (np.full(N, 0.05), np.full(N, np.inf)),
        (np.full(N, -0.2), np.full(N, 0.5)),
        (np.array([0.0, 0.1, 0.0, 0.2, 0.0, 0.0, 0.0]), np.array([0.4, 1, 1, 0.3, 1, 0.2, 1])),
    ],
)
def test_vertex_matches_the_lp(lower: np.ndarray, upper: np.ndarray) -> None:
    lc = LinearConstraints(lower=lower.astype(float), upper=upper.astype(float))
    rng = np.random.default_rng(7)
    for _ in range(20):
        cost = rng.normal(size=N)
        w = extreme_portfolio(cost, lc)
        assert cost @ w == pytest.approx(cost @ _lp(cost, lc), abs=1e-12)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(w >= lower - 1e-12) and np.all(w <= upper + 1e-12)
