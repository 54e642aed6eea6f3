"""Linear programs over the feasible set, solved exactly by HiGHS (through SciPy).

A simplex method gives the exact vertex and reliable unbounded/infeasible verdicts, which the
"highest reachable return" messages depend on; interior-point solvers may answer "optimal" for
an unbounded LP. SciPy's build of HiGHS also prints nothing on stdout, which ``--json`` needs.
"""

import numpy as np

from domain.errors import InfeasibleError, SolverFailedError, UnboundedError
from domain.linear import LinearConstraints
from domain.problem import ReturnRange
from domain.types import FloatArray


def _box(lc: LinearConstraints) -> tuple[FloatArray, FloatArray] | None:
    """Per-asset bounds tightened by the budget (sum w = 1): with every lower bound finite no
    weight can exceed 1 minus the others' lower bounds, and with every upper bound finite none
    can fall below 1 minus the others' upper bounds. None when a side stays infinite (shorts
    without bounds)."""
    lower, upper = lc.lower.astype(float), lc.upper.astype(float)
    if np.all(np.isfinite(lower)):
        upper = np.minimum(upper, 1.0 - (lower.sum() - lower))
    if np.all(np.isfinite(upper)):
        lower = np.maximum(lower, 1.0 - (upper.sum() - upper))
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        return None
    return lower, upper


def _greedy(cost: FloatArray, lc: LinearConstraints) -> FloatArray | None:
    """The LP's answer in closed form when only the budget and per-asset bounds apply (finite
    once the budget tightens them, as long-only does): start every weight at its lower bound
    and fill the cheapest assets up to their upper bounds (the fractional knapsack). None when
    it does not apply: other rows, a leverage cap, an infinite bound, an infeasible box (the LP
    words that error) or tied costs (the vertex would be one choice among several)."""
    if lc.rows or (lc.leverage is not None and not lc.long_only):
        return None
    box = _box(lc)
    if box is None:
        return None
    lower, upper = box
    room = 1.0 - float(lower.sum())
    if room < 0.0 or float(upper.sum()) < 1.0 or np.unique(cost).size < cost.size:
        return None
    order = np.argsort(cost)
    caps = (upper - lower)[order]
    before = np.cumsum(caps) - caps
    weights = lower.copy()
    weights[order] += np.clip(room - before, 0.0, caps)
    return weights


def extreme_portfolio(cost: FloatArray, lc: LinearConstraints) -> FloatArray:
    """The feasible weights minimizing ``cost @ w`` (shape (n_assets,)).

    Gross leverage sum|w| <= L is linearized with one auxiliary t_i >= |w_i| per asset. With
    only bounds and the budget the answer is read off directly (SciPy's LP set-up alone costs
    ~1 ms a call, several times what the critical line needs at 20 assets).
    """
    greedy = _greedy(cost, lc)
    if greedy is not None:
        return greedy
    n = lc.n_assets
    lever = lc.leverage is not None and not lc.long_only
    width = 2 * n if lever else n
    c = np.concatenate([cost, np.zeros(width - n)])
    a_eq = np.zeros((1, width))
    a_eq[0, :n] = 1.0
    ub_rows, ub_rhs = [], []
    for row in lc.rows:
        padded = np.concatenate([row.coefficients, np.zeros(width - n)])
        if np.isfinite(row.upper):
            ub_rows.append(padded)
            ub_rhs.append(row.upper)
        if np.isfinite(row.lower):
            ub_rows.append(-padded)
            ub_rhs.append(-row.lower)
    bounds = np.column_stack([lc.lower, lc.upper])
    if lever:
        eye = np.eye(n)
        ub_rows.extend(np.hstack([eye, -eye]))
        ub_rows.extend(np.hstack([-eye, -eye]))
        ub_rhs.extend([0.0] * (2 * n))
        ub_rows.append(np.concatenate([np.zeros(n), np.ones(n)]))
        ub_rhs.append(float(lc.leverage))  # type: ignore[arg-type]
        bounds = np.vstack([bounds, np.column_stack([np.zeros(n), np.full(n, np.inf)])])
    from scipy.optimize import linprog  # ~0.4 s: only when the greedy vertex does not do

    result = linprog(
        c,
        A_ub=np.array(ub_rows) if ub_rows else None,
        b_ub=np.array(ub_rhs) if ub_rhs else None,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
    )
    if result.status == 2:
        raise InfeasibleError(
            "no portfolio satisfies all the constraints together (budget, bounds, group and "
            "factor limits); relax a bound or a limit",
            field="constraints",
        )
    if result.status == 3:
        raise UnboundedError(
            "expected return is unbounded under these constraints: with "
            "shorts allowed, set a leverage cap or weight bounds",
            field="leverage",
        )
    if result.status != 0:
        raise SolverFailedError(
            f"HiGHS could not solve the return-range LP: {result.message}", field="solver"
        )
    return np.asarray(result.x[:n], dtype=float)


def return_range(expected_returns: FloatArray, constraints: LinearConstraints) -> ReturnRange:
    """Lowest and highest expected return reachable under ``constraints`` (two LPs, or the
    greedy vertex when bounds alone decide); an unbounded side is infinite."""
    extremes = []
    for sign in (1.0, -1.0):
        try:
            extremes.append(
                float(expected_returns @ extreme_portfolio(sign * expected_returns, constraints))
            )
        except UnboundedError:
            extremes.append(-sign * np.inf)
    return ReturnRange(extremes[0], extremes[1])
