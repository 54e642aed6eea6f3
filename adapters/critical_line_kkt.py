"""The KKT systems of the critical-line path, solved without starting over at every event.

Each piece of the path solves one system on the free assets F and the active rows R
(the budget first):

    [ S_FF  A_F' ] [x]   [r]
    [ A_F   0    ] [y] = [b]      two right-hand sides: the lam^0 and lam^1 parts.

Between events F or R changes by one asset or one row, so re-solving the whole system costs
O((f + m)^3) for a change of rank one, O(n^4) along a path whose free set grows to n. Two ways
avoid that:

- ``FactorKkt``: with a factor model S = D + C C' (k factors) and D > 0 on F, S_FF^-1 is
  applied by the Woodbury identity and the rows by their m x m Schur complement:
  O(f (k + m)^2) per event whatever changed, no state to keep.
- ``DenseKkt``: with a dense covariance the inverse of the KKT matrix is kept and bordered
  (a variable added: its Schur complement, a rank-one update) or shrunk (a variable removed)
  per event: O((f + m)^2). Every answer is checked against the matrix itself and refined once,
  and the inverse is rebuilt from scratch when an update loses accuracy, so the answers stay
  as exact as a fresh factorization.

Small systems are solved directly (a LAPACK solve of a 20 x 20 system is cheaper than any
bookkeeping). Anything that cannot be solved raises ``CriticalLineError``.
"""

import numpy as np

from domain.risk_model import FactorModel
from domain.types import FloatArray

SOLVE_RESIDUAL = 1e-9
"""Largest residual of a KKT solve, relative to 1 + max|rhs| + max|solution|."""
DIRECT_BELOW = 96
"""Systems with fewer variables than this are solved directly."""


class CriticalLineError(Exception):
    """The active-set method cannot handle this problem; use the CVXPY route."""


def _scale(rhs: FloatArray, sol: FloatArray) -> float:
    return 1.0 + float(np.max(np.abs(rhs))) + float(np.max(np.abs(sol)))


def checked(residual: FloatArray, rhs: FloatArray, sol: FloatArray) -> bool:
    return bool(np.all(np.isfinite(sol))) and float(np.max(np.abs(residual))) <= (
        SOLVE_RESIDUAL * _scale(rhs, sol)
    )


def dense_matrix(cov_ff: FloatArray, normals_f: FloatArray) -> FloatArray:
    f, m = cov_ff.shape[0], normals_f.shape[0]
    kkt = np.zeros((f + m, f + m))
    kkt[:f, :f] = cov_ff
    kkt[:f, f:] = normals_f.T
    kkt[f:, :f] = normals_f
    return kkt


def solve_direct(kkt: FloatArray, rhs: FloatArray) -> FloatArray:
    """One LAPACK solve of the whole system, checked."""
    try:
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        raise CriticalLineError("singular KKT system") from None
    if not checked(kkt @ sol - rhs, rhs, sol):
        raise CriticalLineError("ill-conditioned KKT system")
    return sol


class FactorKkt:
    """S_scaled = d + C C' (d = D / s, C = B F^1/2 / sqrt(s)); usable while d > 0 on F.

    ``solve`` does not check its answer: the caller does (see ``DenseKkt``)."""

    def __init__(self, model: FactorModel, inv_scale: float) -> None:
        values, vectors = np.linalg.eigh(model.factor_covariance)
        root = vectors * np.sqrt(np.clip(values, 0.0, None))
        self._c = (model.loadings @ root) * np.sqrt(inv_scale)
        self._d = model.specific_variance * inv_scale
        with np.errstate(divide="ignore", invalid="ignore"):
            self._cd = self._c / self._d[:, None]

    def usable(self, free: np.ndarray) -> bool:
        return bool(np.all(self._d[free] > 0.0))

    def solve(self, free: np.ndarray, normals_f: FloatArray, rhs: FloatArray) -> FloatArray:
        f, k = free.size, rhs.shape[1]
        c, cd = self._c[free], self._cd[free]
        # S_FF^-1 [r, A'] by Woodbury: D^-1 v - D^-1 C (I + C' D^-1 C)^-1 C' D^-1 v
        v = np.hstack([rhs[:f], normals_f.T]) / self._d[free, None]
        try:
            v -= cd @ np.linalg.solve(np.eye(c.shape[1]) + c.T @ cd, c.T @ v)
            x0, z = v[:, :k], v[:, k:]
            y = np.linalg.solve(normals_f @ z, normals_f @ x0 - rhs[f:])
        except np.linalg.LinAlgError:
            raise CriticalLineError("singular KKT system") from None
        return np.vstack([x0 - z @ y, y])


class DenseKkt:
    """The inverse of the KKT matrix over the current variables, bordered and shrunk one
    variable at a time. A variable is a key: an asset's index, -1 for the budget, -2 - j for
    row j; ``cov_rows(index)`` gives rows of the scaled covariance, ``normal(key)`` a row's
    coefficients over all assets.

    ``solve`` does not check its answer: the caller does, from the gradient it forms anyway
    (zero on the free assets when the system is solved), and asks again with ``fresh=True``
    when an update lost accuracy.

    The inverse (three times the flops of one LU solve) pays only when the next systems
    differ by a variable or two. A system far from the last one is therefore solved by LU
    alone, and the inverse is built when a system close to the one before it comes: a path
    builds it at its second event, while a guessed active set's repairs, which change many
    variables at once, never do (at 500 dense assets each was an 11 ms inverse; an LU solve
    is ~4 ms)."""

    def __init__(self, cov_rows, normal, n_variables: int) -> None:
        self._cov_rows, self._normal = cov_rows, normal
        self._inv = np.zeros((n_variables, n_variables))
        self._keys: list[int] = []
        self._pos: dict[int, int] = {}
        self._last: set[int] = set()
        """The variables of the last system solved by LU alone (no inverse kept)."""

    def _column(self, key: int) -> tuple[FloatArray, float]:
        keys = np.asarray(self._keys, dtype=int)
        assets = keys >= 0
        col = np.zeros(keys.size)
        if key >= 0:
            s_row = self._cov_rows(np.array([key]))[0]
            col[assets] = s_row[keys[assets]]
            for at in np.flatnonzero(~assets):
                col[at] = self._normal(int(keys[at]))[key]
            return col, float(s_row[key])
        col[assets] = self._normal(key)[keys[assets]]
        return col, 0.0

    def _add(self, key: int) -> bool:
        n = len(self._keys)
        col, diag = self._column(key)
        u = self._inv[:n, :n] @ col
        schur = diag - float(col @ u)
        if not np.isfinite(schur) or abs(schur) <= 1e-14 * (abs(diag) + abs(float(col @ u))):
            return False
        _rank_one(self._inv, n, u, u / schur)
        self._inv[:n, n] = self._inv[n, :n] = -u / schur
        self._inv[n, n] = 1.0 / schur
        self._pos[key] = n
        self._keys.append(key)
        return True

    def _remove(self, key: int) -> bool:
        last = len(self._keys) - 1
        at = self._pos.pop(key)
        if at != last:  # move the variable to the end, then drop the end
            inv = self._inv
            inv[[at, last], : last + 1] = inv[[last, at], : last + 1]
            inv[: last + 1, [at, last]] = inv[: last + 1, [last, at]]
            moved = self._keys[last]
            self._keys[at], self._pos[moved] = moved, at
        self._keys.pop()
        pivot = float(self._inv[last, last])
        if not np.isfinite(pivot) or pivot == 0.0:
            return False
        f = self._inv[:last, last].copy()
        _rank_one(self._inv, last, f, -f / pivot)
        return True

    def _matrix(self, keys: list[int]) -> FloatArray:
        assets = np.array([k for k in keys if k >= 0], dtype=int)
        rows = [k for k in keys if k < 0]
        normals_f = np.array([self._normal(k)[assets] for k in rows]).reshape(len(rows), -1)
        return dense_matrix(self._cov_rows(assets)[:, assets], normals_f)

    def _rebuild(self, keys: list[int]) -> None:
        kkt = self._matrix(keys)
        self._keys, self._pos = list(keys), {key: i for i, key in enumerate(keys)}
        n = len(keys)
        try:
            self._inv[:n, :n] = np.linalg.inv(kkt)
        except np.linalg.LinAlgError:
            raise CriticalLineError("singular KKT system") from None

    def _lu(self, keys: list[int], rhs: FloatArray) -> FloatArray:
        """One LU solve in the order of ``keys`` (assets first: ``dense_matrix``'s layout),
        keeping no inverse."""
        assets = [i for i, k in enumerate(keys) if k >= 0]
        rows = [i for i, k in enumerate(keys) if k < 0]
        order = np.array(assets + rows, dtype=int)
        try:
            sol = np.linalg.solve(self._matrix(keys), rhs[order])
        except np.linalg.LinAlgError:
            raise CriticalLineError("singular KKT system") from None
        out = np.empty_like(sol)
        out[order] = sol
        self._keys, self._pos, self._last = [], {}, set(keys)
        return out

    def _update(self, keys: list[int]) -> bool:
        wanted = set(keys)
        removed = [k for k in self._keys if k not in wanted]
        added = [k for k in keys if k not in self._pos]
        if not self._keys or len(removed) + len(added) > 2:
            return False
        return all(self._add(k) for k in added) and all(self._remove(k) for k in removed)

    def solve(self, keys: list[int], rhs: FloatArray, fresh: bool = False) -> FloatArray:
        """``rhs`` rows in the order of ``keys``; the solution in the same order."""
        if fresh or not self._update(keys):
            if not fresh and len(self._last.symmetric_difference(keys)) > 2:
                return self._lu(keys, rhs)
            self._rebuild(keys)
            self._last = set()
        n = len(keys)
        order = np.fromiter(map(self._pos.__getitem__, keys), dtype=int, count=n)
        return (self._inv[:n, :n] @ rhs[np.argsort(order)])[order]


def _rank_one(matrix: FloatArray, n: int, u: FloatArray, v: FloatArray, block: int = 64) -> None:
    """matrix[:n, :n] += outer(u, v), a block of rows at a time so the temporary stays in cache
    (a whole n x n outer product would triple the memory traffic of the update)."""
    for start in range(0, n, block):
        stop = min(start + block, n)
        matrix[start:stop, :n] += u[start:stop, None] * v[None, :]
