"""The closed-form LP vertex (bounds and budget only) against SciPy's HiGHS on the same LP."""

import numpy as np
import pytest
from scipy.optimize import linprog

from adapters.highs_lp import extreme_portfolio
from domain.errors import InfeasibleError, UnboundedError
from domain.linear import LinearConstraints, LinearRow

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


def _scipy_vertex(cost: np.ndarray, lc: LinearConstraints) -> np.ndarray | str:
    """The same LP written out for SciPy (split rows, |w| <= t for leverage)."""
    n = lc.n_assets
    lever = lc.leverage is not None
    width = 2 * n if lever else n
    a_ub, b_ub = [], []
    for row in lc.rows:
        padded = np.r_[row.coefficients, np.zeros(width - n)]
        if np.isfinite(row.upper):
            a_ub.append(padded)
            b_ub.append(row.upper)
        if np.isfinite(row.lower):
            a_ub.append(-padded)
            b_ub.append(-row.lower)
    bounds = list(zip(lc.lower, lc.upper, strict=True))
    if lever:
        eye = np.eye(n)
        a_ub += list(np.hstack([eye, -eye])) + list(np.hstack([-eye, -eye]))
        b_ub += [0.0] * (2 * n)
        a_ub.append(np.r_[np.zeros(n), np.ones(n)])
        b_ub.append(lc.leverage)
        bounds += [(0, None)] * n
    result = linprog(
        np.r_[cost, np.zeros(width - n)],
        A_ub=np.array(a_ub),
        b_ub=b_ub,
        A_eq=np.r_[np.ones(n), np.zeros(width - n)][None, :],
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
    )
    return {0: result.x[:n] if result.x is not None else None, 2: "infeasible", 3: "unbounded"}[
        result.status
    ]


@pytest.mark.parametrize("seed", range(12))
def test_simplex_matches_scipy_with_rows_and_leverage(seed: int) -> None:
    """Group rows, a factor row and (for half the cases) shorts with a leverage cap: the
    highspy path against SciPy's HiGHS, including its infeasible and unbounded verdicts."""
    rng = np.random.default_rng(seed)
    shorts = seed % 2 == 1
    lower = np.full(N, -0.5 if shorts else 0.0)
    upper = np.full(N, rng.uniform(0.2, 0.6))
    if seed % 4 == 3:
        upper = np.full(N, np.inf)  # shorts without a cap: only the leverage bounds them
    group = np.zeros(N)
    group[: N // 2] = 1.0
    rows = (
        LinearRow(
            "tech", group, rng.uniform(0.0, 0.3), rng.uniform(0.3, 0.8), tuple(range(N // 2))
        ),
        LinearRow("beta", rng.normal(1.0, 0.3, N), -np.inf, rng.uniform(0.8, 1.2)),
    )
    lc = LinearConstraints(
        lower=lower, upper=upper, rows=rows, leverage=1.6 if shorts and seed % 3 else None
    )
    cost = rng.normal(size=N)
    expected = _scipy_vertex(cost, lc)
    if isinstance(expected, str):
        error = InfeasibleError if expected == "infeasible" else UnboundedError
        with pytest.raises(error):
            extreme_portfolio(cost, lc)
        return
    w = extreme_portfolio(cost, lc)
    assert cost @ w == pytest.approx(cost @ expected, abs=1e-10)
    assert np.all(lc.matrix() @ w <= np.array([r.upper for r in rows]) + 1e-9)
    assert w.sum() == pytest.approx(1.0, abs=1e-10)


def test_the_lp_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """HiGHS's banner would corrupt ``--json`` on stdout."""
    group = np.r_[np.ones(3), np.zeros(N - 3)]
    lc = LinearConstraints(
        lower=np.zeros(N), upper=np.full(N, 0.5), rows=(LinearRow("g", group, 0.0, 0.4),)
    )
    extreme_portfolio(np.arange(N, dtype=float), lc)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_unbounded_without_bounds_or_leverage() -> None:
    group = np.r_[np.ones(3), np.zeros(N - 3)]
    lc = LinearConstraints(
        lower=np.full(N, -np.inf),
        upper=np.full(N, np.inf),
        rows=(LinearRow("g", group, 0.0, 0.4),),
    )
    cost = np.arange(N, dtype=float)
    assert _scipy_vertex(cost, lc) == "unbounded"
    with pytest.raises(UnboundedError):
        extreme_portfolio(cost, lc)
    lc = LinearConstraints(lower=lc.lower, upper=lc.upper, rows=lc.rows, leverage=2.0)
    w = extreme_portfolio(cost, lc)
    assert cost @ w == pytest.approx(cost @ _scipy_vertex(cost, lc), abs=1e-10)
