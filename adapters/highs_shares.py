"""The ``ShareAllocator`` port on HiGHS's mixed-integer solver (highspy, already the LP
solver here): whole lots minimising the weight missed plus the cash left, an exact MILP
rather than a rounding heuristic."""

import numpy as np

from domain.errors import SolverFailedError
from domain.types import FloatArray


class HighsShareAllocator:
    def whole_lots(
        self, weights: FloatArray, lot_values: FloatArray, time_limit_s: float
    ) -> tuple[FloatArray, str, float | None]:
        """Columns: lots x (integer, 0..floor(1 / a)) and misses u >= |w - a x|. Rows:
        u + a x >= w, u - a x >= -w, a'x <= 1. Objective: sum u - a'x (+ 1, the constant)."""
        from highspy import _core

        n = weights.size
        inf = _core.kHighsInf
        highs = _core._Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", float(time_limit_s))
        highs.setOptionValue("mip_rel_gap", 1e-9)
        lp = _core.HighsLp()
        lp.num_col_, lp.num_row_ = 2 * n, 2 * n + 1
        lp.col_cost_ = np.concatenate([-lot_values, np.ones(n)])
        lp.col_lower_ = np.zeros(2 * n)
        with np.errstate(divide="ignore"):  # a lot worth nothing next to the book: no cap
            most = np.minimum(np.floor(1.0 / lot_values + 1e-12), inf)
        lp.col_upper_ = np.concatenate([most, np.full(n, inf)])
        lp.row_lower_ = np.concatenate([weights, -weights, [-inf]])
        lp.row_upper_ = np.concatenate([np.full(2 * n, inf), [1.0]])
        eye = np.eye(n)
        matrix = np.vstack(
            [
                np.hstack([np.diag(lot_values), eye]),
                np.hstack([-np.diag(lot_values), eye]),
                np.concatenate([lot_values, np.zeros(n)])[None, :],
            ]
        )
        rows, cols = np.nonzero(matrix)
        lp.a_matrix_.format_ = _core.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
        lp.a_matrix_.index_ = cols.astype(np.int32)
        lp.a_matrix_.value_ = matrix[rows, cols]
        lp.integrality_ = [_core.HighsVarType.kInteger] * n + [_core.HighsVarType.kContinuous] * n
        highs.passModel(lp)
        highs.run()
        status = highs.getModelStatus()
        solution = np.asarray(highs.getSolution().col_value, dtype=float)
        if status == _core.HighsModelStatus.kOptimal:
            word = "optimal"
        elif status == _core.HighsModelStatus.kTimeLimit and solution.size == 2 * n:
            word = "time_limit"
        else:
            raise SolverFailedError(
                f"HiGHS found no whole-share allocation ({highs.modelStatusToString(status)})",
                field="whole_shares",
            )
        info = highs.getInfo()
        gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
        return np.clip(np.round(solution[:n]), 0.0, None) + 0.0, word, gap  # no -0 lots
