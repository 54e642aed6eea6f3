"""Linear programs over the feasible set, solved exactly by HiGHS's simplex (highspy).

A simplex method gives the exact vertex and reliable unbounded/infeasible verdicts, which the
"highest reachable return" messages depend on; interior-point solvers may answer "optimal" for
an unbounded LP. highspy is called directly, not through SciPy: ``scipy.optimize`` takes about
0.4 s to import, a fifth of a whole ``pfopt optimize``, against 15 ms for highspy.
"""

import math

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
    lower, upper = lc.lower, lc.upper
    low_sum, up_sum = float(lower.sum()), float(upper.sum())
    if math.isfinite(low_sum):
        upper = np.minimum(upper, 1.0 - (low_sum - lower))
        up_sum = float(upper.sum())
    if math.isfinite(up_sum):
        lower = np.maximum(lower, 1.0 - (up_sum - upper))
        low_sum = float(lower.sum())
    if not (math.isfinite(low_sum) and math.isfinite(up_sum)):
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
    if room < 0.0 or float(upper.sum()) < 1.0:
        return None
    order = np.argsort(cost)
    ordered = cost[order]
    if np.any(ordered[1:] == ordered[:-1]):
        return None
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
    rows = [np.ones(n)] + [row.coefficients for row in lc.rows]
    row_lower = [1.0] + [row.lower for row in lc.rows]
    row_upper = [1.0] + [row.upper for row in lc.rows]
    col_lower, col_upper = lc.lower, lc.upper
    matrix = np.zeros((len(rows), width))
    matrix[:, :n] = rows
    if lever:  # t_i >= |w_i|: t - w >= 0, t + w >= 0, sum t <= L
        eye = np.eye(n)
        matrix = np.vstack(
            [matrix, np.hstack([-eye, eye]), np.hstack([eye, eye]), np.r_[np.zeros(n), np.ones(n)]]
        )
        row_lower += [0.0] * (2 * n) + [-np.inf]
        row_upper += [np.inf] * (2 * n) + [float(lc.leverage)]  # type: ignore[arg-type]
        col_lower = np.r_[col_lower, np.zeros(n)]
        col_upper = np.r_[col_upper, np.full(n, np.inf)]
    cost_full = np.r_[cost, np.zeros(width - n)]
    status, x = _simplex(
        cost_full, matrix, np.array(row_lower), np.array(row_upper), col_lower, col_upper
    )
    if status == "unbounded_or_infeasible":  # tell the two apart: is anything feasible?
        status = _simplex(
            np.zeros(width), matrix, np.array(row_lower), np.array(row_upper), col_lower, col_upper
        )[0]
        status = "unbounded" if status == "optimal" else "infeasible"
    if status == "infeasible":
        raise InfeasibleError(
            "no portfolio satisfies all the constraints together (budget, bounds, group and "
            "factor limits); relax a bound or a limit",
            field="constraints",
        )
    if status == "unbounded":
        raise UnboundedError(
            "expected return is unbounded under these constraints: with "
            "shorts allowed, set a leverage cap or weight bounds",
            field="leverage",
        )
    if status != "optimal":
        raise SolverFailedError(
            f"HiGHS could not solve the return-range LP: {status}", field="solver"
        )
    return x[:n]


def _simplex(
    cost: FloatArray,
    matrix: FloatArray,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
) -> tuple[str, FloatArray]:
    """min cost @ x, row_lower <= matrix @ x <= row_upper, col_lower <= x <= col_upper: HiGHS's
    model status in words and x. The raw binding is used because ``highspy.Highs()`` enables
    callbacks in its constructor, which writes HiGHS's banner to stdout before any option can
    be set (``--json`` output must stay clean); here ``output_flag`` is off before anything
    else."""
    from highspy import _core

    inf = _core.kHighsInf
    highs = _core._Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("solver", "simplex")
    lp = _core.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=float)
    lp.col_lower_ = np.clip(col_lower, -inf, inf)
    lp.col_upper_ = np.clip(col_upper, -inf, inf)
    lp.row_lower_ = np.clip(row_lower, -inf, inf)
    lp.row_upper_ = np.clip(row_upper, -inf, inf)
    rows, cols = np.nonzero(matrix)
    lp.a_matrix_.format_ = _core.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
    lp.a_matrix_.index_ = cols.astype(np.int32)
    lp.a_matrix_.value_ = matrix[rows, cols]
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    words = {
        _core.HighsModelStatus.kOptimal: "optimal",
        _core.HighsModelStatus.kInfeasible: "infeasible",
        _core.HighsModelStatus.kUnbounded: "unbounded",
        _core.HighsModelStatus.kUnboundedOrInfeasible: "unbounded_or_infeasible",
    }
    word = words.get(status, highs.modelStatusToString(status))
    return word, np.asarray(highs.getSolution().col_value, dtype=float)


def _extreme_return(expected_returns: FloatArray, constraints: LinearConstraints, sign: float):
    try:
        return float(expected_returns @ extreme_portfolio(sign * expected_returns, constraints))
    except UnboundedError:
        return -sign * np.inf


def return_range(expected_returns: FloatArray, constraints: LinearConstraints) -> ReturnRange:
    """Lowest and highest expected return reachable under ``constraints`` (two LPs, or the
    greedy vertex when bounds alone decide); an unbounded side is infinite."""
    return ReturnRange(
        _extreme_return(expected_returns, constraints, 1.0),
        _extreme_return(expected_returns, constraints, -1.0),
    )


def highest_return(expected_returns: FloatArray, constraints: LinearConstraints) -> float:
    """The highest side of ``return_range`` alone (one LP)."""
    return _extreme_return(expected_returns, constraints, -1.0)
