"""The exact efficient frontier by a parametric active-set (critical line) method.

For P(lam): min 1/2 w'Sw - lam mu'w  s.t.  1'w = 1, lower <= w <= upper, row limits,
the solution is piecewise linear in lam >= 0: between breakpoints only the free assets move,
w(lam) = w0 + lam w1, found from one small KKT system on the free assets. The engine

1. takes the highest-return vertex from an exact LP (HiGHS),
2. solves P(lam_top) there by a primal active-set method (a few iterations: near the top the
   vertex is almost optimal, and the iterations resolve ties),
3. walks lam down to 0 (the minimum-variance portfolio) and up to infinity (the top of the
   frontier), crossing each breakpoint by a ratio test: a free asset reaches a bound, a fixed
   asset's gradient or an active row's multiplier changes sign, an inactive row reaches a limit.

Ties (several events at once) are broken deterministically: lowest event kind, then lowest
index. Each target return, the minimum-variance and the exact max-Sharpe portfolio are then read
off the path in closed form. The problem is scaled (S by max diag, mu by max |mu|) so the
tolerances below are relative. Anything the method cannot take (a leverage cap, a singular KKT
system, cycling) raises ``CriticalLineError`` and the caller falls back to CVXPY.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from adapters.critical_line_kkt import (
    DIRECT_BELOW,
    CriticalLineError,
    DenseKkt,
    FactorKkt,
    checked,
    dense_matrix,
    solve_direct,
)
from adapters.highs_lp import extreme_portfolio
from domain.errors import UnboundedError
from domain.linear import LinearConstraints, row_bounds
from domain.risk_model import FactorModel
from domain.types import FloatArray

TOL = 1e-12
"""Slopes, gaps and multipliers below this (in scaled units) count as zero."""
LAM_TOP = 1e4
"""Where the primal active-set solve starts the path (scaled units): near the LP vertex."""
KEEP_SCALED = 500
"""Dense covariances up to this many assets are scaled once (2 MB at 500), not per gather."""


@dataclass(slots=True)
class _Problem:
    risk: FloatArray | FactorModel  # covariance (n, n) or its factor model, unscaled
    inv_scale: float  # 1 / max diag(S): the covariance is used as S * inv_scale
    mu: FloatArray  # scaled expected returns, (n,)
    lower: FloatArray
    upper: FloatArray
    rows: FloatArray  # (m, n)
    row_lower: FloatArray
    row_upper: FloatArray
    check: Callable[[], None] | None = None
    """Called before every KKT solve: raises to stop the trace (a time limit, a cancel)."""
    scaled: FloatArray | None = None
    """S * inv_scale kept whole for a small dense problem, so gathering rows costs no product."""
    _factor: FactorKkt | None = None
    _dense: DenseKkt | None = None
    _normals: dict[tuple[int, ...], FloatArray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.mu.shape[0])

    def cov_times(self, w: FloatArray) -> FloatArray:
        """Scaled S @ w for w of shape (n, k)."""
        if isinstance(self.risk, FactorModel):
            b, model = self.risk.loadings, self.risk
            out = b @ (model.factor_covariance @ (b.T @ w)) + model.specific_variance[:, None] * w
            return out * self.inv_scale
        return (self.risk @ w) * self.inv_scale

    def normals(self, row_ids: list[int]) -> FloatArray:
        """The budget's and the active rows' coefficients, (1 + len(row_ids), n), made once
        per set of rows (a path revisits few); callers do not write to it."""
        key = tuple(row_ids)
        found = self._normals.get(key)
        if found is None:
            found = np.ones((1 + len(row_ids), self.n))
            if row_ids:
                found[1:] = self.rows[row_ids]
            found.flags.writeable = False
            self._normals[key] = found
        return found

    def normal(self, key: int) -> FloatArray:
        """The coefficients of the budget (key -1) or of row j (key -2 - j)."""
        return np.ones(self.n) if key == -1 else self.rows[-2 - key]

    def solve_kkt(
        self,
        free: np.ndarray,
        row_ids: list[int],
        normals_f: FloatArray,
        rhs: FloatArray,
        fresh: bool = False,
    ) -> FloatArray:
        """The KKT system of a large active set: by the factor structure where it applies,
        else by the kept inverse of the dense system (``adapters.critical_line_kkt``)."""
        if isinstance(self.risk, FactorModel):
            if self._factor is None:
                self._factor = FactorKkt(self.risk, self.inv_scale)
            if self._factor.usable(free):
                return self._factor.solve(free, normals_f, rhs)
        if self._dense is None:
            size = self.n + self.rows.shape[0] + 1
            self._dense = DenseKkt(self.cov_rows, self.normal, size)
        keys = [*free.tolist(), -1, *(-2 - j for j in row_ids)]
        return self._dense.solve(keys, rhs, fresh)

    def held_times(self, held: np.ndarray, weights: FloatArray) -> FloatArray:
        """Scaled S @ w for w zero but on ``held``: O(n k) through a factor model (not the
        held rows, n x |held|, which a long-only cap fills with thousands at large n)."""
        if not held.size:
            return np.zeros(self.n)
        if self.scaled is None and isinstance(self.risk, FactorModel):
            w = np.zeros((self.n, 1))
            w[held, 0] = weights
            return self.cov_times(w)[:, 0]
        return weights @ self.cov_rows(held)

    def cov_rows(self, index: np.ndarray) -> FloatArray:
        """Rows of the scaled covariance; S is symmetric, so rows are also its columns."""
        rows, factor = self.cov_rows_unscaled(index)
        return rows if factor == 1.0 else rows * factor

    def cov_rows_unscaled(self, index: np.ndarray) -> tuple[FloatArray, float]:
        """Rows of the covariance and the factor that scales them: a dense matrix too large to
        keep scaled is read as it is, and the caller scales what it computes from the rows
        (an f x f block, a 2 x n product) rather than all f x n of them per event."""
        if self.scaled is not None:
            return self.scaled[index], 1.0
        if isinstance(self.risk, FactorModel):
            return self.risk.rows(index), self.inv_scale
        return self.risk[index], self.inv_scale


@dataclass(slots=True)
class _ActiveSet:
    free: np.ndarray
    at_upper: np.ndarray
    rows: dict[int, int] = field(default_factory=dict)  # row -> +1 upper, -1 lower, 0 equality

    def copy(self) -> "_ActiveSet":
        return _ActiveSet(self.free.copy(), self.at_upper.copy(), dict(self.rows))

    def bound_values(self, p: _Problem) -> FloatArray:
        return np.where(self.at_upper, p.upper, p.lower)


@dataclass(slots=True)
class Piece:
    """The solution for one active set: w(lam) = w0 + lam w1, and the same for S w, the gradient
    g = S w - lam mu + M' y (zero on free assets) and the row multipliers y (budget first)."""

    active: _ActiveSet
    row_ids: list[int]
    free: np.ndarray  # indices of free assets
    fixed: np.ndarray  # indices of assets held at a bound
    w0: FloatArray
    w1: FloatArray
    sw0: FloatArray
    sw1: FloatArray
    g0: FloatArray
    g1: FloatArray
    y0: FloatArray
    y1: FloatArray


def variance_moments(piece: Piece) -> tuple[float, float, float]:
    """(a, b, c) with w(lam)'S w(lam) = a + 2 b lam + c lam^2 on the piece (scaled units)."""
    return (
        float(piece.w0 @ piece.sw0),
        float(piece.w0 @ piece.sw1),
        float(piece.w1 @ piece.sw1),
    )


def sharpe_stationary(piece: Piece, excess: float, slope: float) -> float | None:
    """The lam where (excess + slope lam) / sqrt(a + 2 b lam + c lam^2) is stationary, from
    ``variance_moments``; None where the ratio has no stationary point."""
    a, b, c = variance_moments(piece)
    denominator = slope * b - excess * c
    if denominator == 0:
        return None
    return (excess * b - slope * a) / denominator


@dataclass(slots=True)
class Segment:
    lam_lo: float
    lam_hi: float
    piece: Piece


def _limit(p: _Problem, row: int, side: int) -> float:
    return float(p.row_lower[row] if side < 0 else p.row_upper[row])


def _solve(p: _Problem, a: _ActiveSet) -> Piece:
    if p.check is not None:
        p.check()
    free, fixed = np.flatnonzero(a.free), np.flatnonzero(~a.free)
    w0 = a.bound_values(p)  # the fixed assets' weights; the free ones are overwritten below
    w0[free] = 0.0
    row_ids = sorted(a.rows)
    m, f = 1 + len(row_ids), free.size
    if f < m:
        raise CriticalLineError(f"{m} active equalities on {f} free assets")
    normals = p.normals(row_ids)
    targets = np.array([1.0, *(_limit(p, j, a.rows[j]) for j in row_ids)])
    held = np.flatnonzero(w0)  # fixed assets at a nonzero bound
    # S is symmetric: gather rows (contiguous) rather than columns.
    s_fixed = p.held_times(held, w0[held])
    rhs = np.zeros((f + m, 2))
    rhs[:f, 0] = -s_fixed[free]
    rhs[f:, 0] = targets - normals[:, held] @ w0[held]
    rhs[:f, 1] = p.mu[free]
    w1 = np.zeros(p.n)
    if f + m < DIRECT_BELOW:
        rows, factor = p.cov_rows_unscaled(free)
        sol = solve_direct(dense_matrix(rows[:, free] * factor, normals[:, free]), rhs)
        sw = (sol[:f].T @ rows) * factor
    else:
        sol, sw = _solve_large(p, free, row_ids, normals[:, free], rhs)
    w0[free], w1[free] = sol[:f, 0], sol[:f, 1]
    y = sol[f:]
    my = y.T @ normals
    sw0, sw1 = sw[0] + s_fixed, sw[1]
    return Piece(
        a.copy(),
        row_ids,
        free,
        fixed,
        w0,
        w1,
        sw0,
        sw1,
        sw0 + my[0],
        sw1 - p.mu + my[1],
        y[:, 0],
        y[:, 1],
    )


def _solve_large(
    p: _Problem, free: np.ndarray, row_ids: list[int], normals_f: FloatArray, rhs: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The KKT solution of a large active set and S times its free part (2, n), checked
    against the system: the rows of S @ w on the free assets are the top block's left side."""
    f = free.size
    for fresh in (False, True):
        sol = p.solve_kkt(free, row_ids, normals_f, rhs, fresh)
        moved = np.zeros((p.n, 2))
        moved[free] = sol[:f]
        sw = p.cov_times(moved).T
        top = sw[:, free].T + normals_f.T @ sol[f:] - rhs[:f]
        if checked(np.vstack([top, normals_f @ sol[:f] - rhs[f:]]), rhs, sol):
            return sol, sw
    raise CriticalLineError("ill-conditioned KKT system")


def _argmin(steps: FloatArray) -> tuple[float, int]:
    if steps.size == 0:
        return np.inf, -1
    k = int(np.argmin(steps))
    return float(steps[k]), k


def _hits(gap: FloatArray, rate: FloatArray) -> FloatArray:
    """Step at which ``gap + step * rate`` reaches 0 where it moves toward 0 (else inf)."""
    out = np.full(gap.shape, np.inf)
    return np.divide(np.maximum(gap, 0.0), -rate, out=out, where=rate < -TOL)


def _next_event(p: _Problem, c: Piece, lam: float, s: float) -> tuple[float, int, int, int]:
    """(step, kind, index, side) of the first event moving lam by s * step (s = +1 or -1).

    kinds: 0 a free asset reaches a bound, 1 an inactive row reaches a limit,
    2 a fixed asset's gradient changes sign (release), 3 an active row's multiplier does.
    Ties within TOL go to the lowest kind, then the lowest index.
    """
    a, free, fixed = c.active, c.free, c.fixed
    events: list[tuple[float, int, int, int]] = []
    w, dw = c.w0[free] + lam * c.w1[free], s * c.w1[free]
    for gap, side in ((p.upper[free] - w, 1), (w - p.lower[free], -1)):
        step, k = _argmin(_hits(gap, -dw if side > 0 else dw))
        events.append((step, 0, int(free[k]) if k >= 0 else -1, side))
    if p.rows.shape[0]:
        inactive = np.ones(p.rows.shape[0], dtype=bool)
        inactive[list(a.rows)] = False
        v = p.rows @ (c.w0 + lam * c.w1)
        dv = s * (p.rows @ c.w1)
        for gap, side in ((p.row_upper - v, 1), (v - p.row_lower, -1)):
            steps = np.where(inactive, _hits(gap, -dv if side > 0 else dv), np.inf)
            step, j = _argmin(steps)
            events.append((step, 1, j, side))
    # a fixed asset must keep g >= 0 at its lower bound and g <= 0 at its upper bound
    sign = np.where(a.at_upper[fixed], -1.0, 1.0)
    g = sign * (c.g0[fixed] + lam * c.g1[fixed])
    step, k = _argmin(_hits(g, sign * s * c.g1[fixed]))
    events.append((step, 2, int(fixed[k]) if k >= 0 else -1, 0))
    if c.row_ids:
        sides = np.array([a.rows[j] for j in c.row_ids], dtype=float)
        y = sides * (c.y0[1:] + lam * c.y1[1:])
        steps = np.where(sides != 0, _hits(y, sides * s * c.y1[1:]), np.inf)
        step, k = _argmin(steps)
        events.append((step, 3, c.row_ids[k] if k >= 0 else -1, 0))
    best = min(e[0] for e in events)
    if not np.isfinite(best):
        return np.inf, -1, -1, 0
    tied = [e for e in events if e[0] <= best + TOL * (1.0 + best)]
    return min(tied, key=lambda e: (e[1], e[2]))


def _apply(a: _ActiveSet, kind: int, index: int, side: int) -> None:
    if kind == 0:
        a.free[index], a.at_upper[index] = False, side > 0
    elif kind == 1:
        a.rows[index] = side
    elif kind == 2:
        a.free[index] = True
    else:
        del a.rows[index]


def _walk(
    p: _Problem,
    a: _ActiveSet,
    lam: float,
    s: float,
    cap: int,
    stop: Callable[[Segment], bool] | None = None,
) -> list[Segment]:
    """Follow the path from ``lam`` down to 0 (s = -1) or up to infinity (s = +1); ``stop``,
    shown each new segment, may end the walk early."""
    segments: list[Segment] = []
    for _ in range(cap):
        piece = _solve(p, a)
        step, kind, index, side = _next_event(p, piece, lam, s)
        end = lam if s < 0 else np.inf
        if step >= end:
            lo, hi = (0.0, lam) if s < 0 else (lam, np.inf)
            if hi > lo:
                segments.append(Segment(lo, hi, piece))
            return segments
        new = lam + s * step
        if step > 0:
            segments.append(Segment(min(lam, new), max(lam, new), piece))
            if stop is not None and stop(segments[-1]):
                return segments
        _apply(a, kind, index, side)
        lam = new
    raise CriticalLineError("too many breakpoints (cycling on a degenerate problem)")


def _rank(matrix: FloatArray) -> int:
    return int(np.linalg.matrix_rank(matrix, tol=1e-10)) if matrix.size else 0


def _free_one(a: _ActiveSet, w: FloatArray, normals: FloatArray) -> bool:
    """Free the largest held asset that makes ``normals`` independent on the free set."""
    for i in np.argsort(-np.abs(w) * ~a.free, kind="stable"):
        if a.free[i]:
            continue
        a.free[i] = True
        if _rank(normals[:, a.free]) == normals.shape[0]:
            return True
        a.free[i] = False
    return False


def _initial_set(p: _Problem, w: FloatArray) -> tuple[_ActiveSet, FloatArray]:
    """The working set at a vertex: bounds and limits that hold with equality, kept linearly
    independent (freeing an asset held at a bound where a row needs one)."""
    scale = 1e-9
    free = (w > p.lower + scale) & (w < p.upper - scale)
    at_upper = ~free & (np.abs(w - p.upper) <= np.abs(w - p.lower))
    a = _ActiveSet(free, at_upper)
    w = np.where(free, w, a.bound_values(p))
    wanted: list[tuple[int, int]] = []
    for j in range(p.rows.shape[0]):
        v = float(p.rows[j] @ w)
        if p.row_lower[j] == p.row_upper[j]:
            wanted.append((j, 0))
        elif abs(v - p.row_upper[j]) <= scale:
            wanted.append((j, 1))
        elif abs(v - p.row_lower[j]) <= scale:
            wanted.append((j, -1))
    normals: list[FloatArray] = []
    for j, side in [(-1, 0), *wanted]:
        row = np.ones(p.n) if j < 0 else p.rows[j]
        trial = np.vstack([*normals, row])
        if _rank(trial[:, a.free]) < trial.shape[0] and not _free_one(a, w, trial):
            if side == 0:
                raise CriticalLineError("equality rows are linearly dependent")
            continue
        normals.append(row)
        if j >= 0:
            a.rows[j] = side
    return a, w


def _primal(p: _Problem, w: FloatArray, lam: float, cap: int) -> _ActiveSet:
    """Primal active-set method for P(lam) from the feasible vertex ``w``."""
    a, w = _initial_set(p, w)
    for _ in range(cap):
        piece = _solve(p, a)
        step = piece.w0 + lam * piece.w1 - w
        if np.max(np.abs(step)) <= TOL * 10:
            g = piece.g0 + lam * piece.g1
            violation = np.where(~a.free & ~a.at_upper, -g, np.where(~a.free, g, -np.inf))
            worst_asset = int(np.argmax(violation))
            worst, kind, index = float(violation[worst_asset]), 2, worst_asset
            y = (piece.y0 + lam * piece.y1)[1:]
            for k, j in enumerate(piece.row_ids):
                side = a.rows[j]
                v = -y[k] if side > 0 else (y[k] if side < 0 else -np.inf)
                if v > worst:
                    worst, kind, index = float(v), 3, j
            if worst <= TOL * 10:
                return a
            _apply(a, kind, index, 0)
            continue
        alpha, blocking = 1.0, None
        for gap, rate, side in ((p.upper - w, -step, 1), (w - p.lower, step, -1)):
            s, i = _argmin(np.where(a.free, _hits(gap, rate), np.inf))
            if s < alpha:
                alpha, blocking = s, (0, i, side)
        if p.rows.shape[0]:
            inactive = np.ones(p.rows.shape[0], dtype=bool)
            inactive[list(a.rows)] = False
            v, dv = p.rows @ w, p.rows @ step
            for gap, rate, side in ((p.row_upper - v, -dv, 1), (v - p.row_lower, dv, -1)):
                s, j = _argmin(np.where(inactive, _hits(gap, rate), np.inf))
                if s < alpha:
                    alpha, blocking = s, (1, j, side)
        w = w + alpha * step
        if blocking is not None:
            _apply(a, *blocking)
            if blocking[0] == 0:
                w[blocking[1]] = a.bound_values(p)[blocking[1]]
    raise CriticalLineError("primal active-set method did not converge")


@dataclass(slots=True)
class CriticalLinePath:
    """The whole frontier as segments of increasing lam (scaled units); ``mu``/``cov`` scales
    turn scaled quantities back into annualized ones."""

    segments: list[Segment]
    mu_scale: float
    cov_scale: float
    complete: bool = True
    """False when ``stop_down`` ended the trace: only the upper part of the frontier is there."""
    unbounded: bool = False
    """True when shorts without bounds make the expected return grow without limit along the
    top segment (lam_hi = inf, w1 != 0): min variance, target returns and max Sharpe are still
    finite, the frontier has no top."""


def scaled_problem(
    risk: FloatArray | FactorModel,
    expected_returns: FloatArray,
    lc: LinearConstraints,
    check: Callable[[], None] | None = None,
) -> tuple[_Problem, float, float]:
    """The problem in scaled units (S by max diag, mu by max |mu|), with both scales."""
    if lc.leverage is not None and not lc.long_only:
        raise CriticalLineError("a gross leverage cap is not a linear bound")
    diagonal = risk.diagonal() if isinstance(risk, FactorModel) else np.diag(risk)
    cov_scale = float(np.max(diagonal))
    mu_scale = float(np.max(np.abs(expected_returns))) or 1.0
    if cov_scale <= 0:
        raise CriticalLineError("zero covariance")
    row_lower, row_upper = row_bounds(lc)
    p = _Problem(
        risk,
        1.0 / cov_scale,
        expected_returns / mu_scale,
        np.asarray(lc.lower, dtype=float),
        np.asarray(lc.upper, dtype=float),
        lc.matrix(),
        row_lower,
        row_upper,
        check,
        risk / cov_scale if isinstance(risk, np.ndarray) and risk.shape[0] <= KEEP_SCALED else None,
    )
    return p, mu_scale, cov_scale


def trace(
    risk: FloatArray | FactorModel,
    expected_returns: FloatArray,
    lc: LinearConstraints,
    stop_down: Callable[[Segment], bool] | None = None,
    check: Callable[[], None] | None = None,
) -> CriticalLinePath:
    """Trace the efficient frontier exactly; raise ``CriticalLineError`` when it cannot.

    ``stop_down`` (shown each segment from the top down) may end the trace early: the path then
    covers only the upper part of the frontier, which is all a max-Sharpe-only solve needs.

    ``risk`` is the dense covariance or a factor model; with a factor model only the rows of S
    for free and held assets are ever formed (O(n k) each), never the n x n matrix.

    ``check`` is called between events (before each KKT solve) and may raise to stop the trace:
    that is how a time limit or a cancel reaches a long path.
    """
    p, mu_scale, cov_scale = scaled_problem(risk, expected_returns, lc, check)
    cap = 20 * (p.n + p.rows.shape[0]) + 100
    try:
        vertex = extreme_portfolio(-expected_returns, lc)
    except UnboundedError:
        return _trace_from_bottom(p, lc, cap, mu_scale, cov_scale)
    top = _primal(p, vertex, LAM_TOP, cap)
    up = _walk(p, top.copy(), LAM_TOP, 1.0, cap)
    if np.max(np.abs(up[-1].piece.w1)) > TOL * 100:
        raise CriticalLineError("expected return is unbounded along the frontier")
    _hold_top(up[-1])
    for segment in sorted(up, key=lambda seg: -seg.lam_lo):
        if stop_down is not None and stop_down(segment):
            return CriticalLinePath(
                sorted(up, key=lambda seg: seg.lam_lo), mu_scale, cov_scale, complete=False
            )
    down = _walk(p, top, LAM_TOP, -1.0, cap, stop_down)
    segments = sorted(down + up, key=lambda seg: seg.lam_lo)
    return CriticalLinePath(segments, mu_scale, cov_scale)


def _hold_top(top: Segment) -> None:
    """The top segment reaches lam = inf at the highest-return portfolio, which does not move:
    its direction w1 is zero but for rounding (~1e-16). Make it exactly zero, or a max-Sharpe
    search along the segment picks some lam ~1e14 where that rounding has become a real (and
    infeasible) weight change."""
    top.piece.w1 = np.zeros_like(top.piece.w1)
    top.piece.sw1 = np.zeros_like(top.piece.sw1)


def _trace_from_bottom(
    p: _Problem, lc: LinearConstraints, cap: int, mu_scale: float, cov_scale: float
) -> CriticalLinePath:
    """The path when no portfolio has the highest return (shorts with bounds missing on some
    side): start at lam = 0 from any feasible portfolio (an LP with zero cost), solve the
    minimum-variance problem there by the primal active-set method and walk up to infinity."""
    feasible = extreme_portfolio(np.zeros(p.n), lc)
    bottom = _primal(p, feasible, 0.0, cap)
    up = _walk(p, bottom, 0.0, 1.0, cap)
    return CriticalLinePath(up, mu_scale, cov_scale, unbounded=True)
