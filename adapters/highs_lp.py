"""Linear programs over the feasible set, solved exactly by HiGHS (through SciPy).

A simplex method gives the exact vertex and reliable unbounded/infeasible verdicts, which the
"highest reachable return" messages depend on; interior-point solvers may answer "optimal" for
an unbounded LP. SciPy's build of HiGHS also prints nothing on stdout, which ``--json`` needs.
"""

import numpy as np
from scipy.optimize import linprog

from domain.errors import InfeasibleError, SolverFailedError, UnboundedError
from domain.linear import LinearConstraints
from domain.types import FloatArray


def extreme_portfolio(cost: FloatArray, lc: LinearConstraints) -> FloatArray:
    """The feasible weights minimizing ``cost @ w`` (shape (n_assets,)).

    Gross leverage sum|w| <= L is linearized with one auxiliary t_i >= |w_i| per asset.
    """
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
