"""The exact ``FrontierSolver``: the critical-line path.

It traces the whole frontier once and reads every point, the minimum-variance and the
max-Sharpe portfolio off the path in closed form. When it cannot (a gross leverage cap, a
singular KKT system), the CVXPY route (``adapters.cvxpy_frontier``) takes over and the result
says so; that route is imported only then.
"""

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import ThreadpoolController

from adapters.critical_line import (
    CriticalLineError,
    CriticalLinePath,
    Piece,
    Segment,
    scaled_problem,
    sharpe_stationary,
    trace,
    variance_moments,
)
from adapters.critical_line_guess import solve_guessed
from adapters.critical_line_kkt import DIRECT_BELOW
from adapters.lazy import Lazy

if TYPE_CHECKING:
    from adapters.cvxpy_frontier import CvxpyFrontierSolver
from domain.errors import InfeasibleError, RunCancelledError, SolverTimeoutError
from domain.frontier import CancellationToken
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.problem import ReturnRange, Solution, SolverAttempt
from domain.types import FloatArray
from domain.units import share

RETURN_TOLERANCE = 1e-9
KKT_ACCEPT = 1e-9
"""A guessed segment's answer is kept only when its KKT residual (scaled) is at most this."""
PATH_FIRST = 60
"""KKT solves a larger max-Sharpe solve spends walking down from the top before it guesses."""
WALK_FIRST_FROM = 250
"""Assets from which max Sharpe walks before it guesses: below, the guess's first solve (every
asset free) costs less than a walk's 60 small ones (at 100 assets: 2 ms against 15 ms)."""


class _LongWalkError(Exception):
    """The walk to the Sharpe peak needs more than its allowance of KKT solves."""


def _above_range(target: float, highest: float) -> InfeasibleError:
    return InfeasibleError(
        f"target return {share(target, 4)} is above the highest return reachable under these "
        f"constraints, {share(highest, 4)}",
        field="target_return",
    )


def _no_excess_return(rf: float, highest: float) -> InfeasibleError:
    return InfeasibleError(
        f"max Sharpe needs a portfolio returning more than the risk-free rate {share(rf, 4)}, "
        f"but the highest return reachable under these constraints is {share(highest, 4)}",
        field="risk_free_rate",
    )


class CriticalLineFrontier:
    """Frontier read off an exact piecewise-linear path w(lam) = w0 + lam w1."""

    method = "critical_line"
    notes: tuple[str, ...] = ()

    def __init__(self, universe: Universe, lc: LinearConstraints, path: CriticalLinePath):
        self._mu = universe.expected_returns
        self._lc = lc
        self._segments = path.segments
        self._cov_scale = path.cov_scale
        self._r0 = np.array([self._mu @ s.piece.w0 for s in path.segments])
        self._r1 = np.array([self._mu @ s.piece.w1 for s in path.segments])
        lo = np.array([s.lam_lo for s in path.segments])
        self._r_lo = self._r0 + lo * self._r1
        top = path.segments[-1]
        self._unbounded = path.unbounded
        self._highest = (
            math.inf
            if path.unbounded
            else float(
                self._r0[-1] + (0.0 if math.isinf(top.lam_hi) else top.lam_hi) * self._r1[-1]
            )
        )

    def return_range(self) -> ReturnRange:
        return ReturnRange(float(self._r_lo[0]), self._highest)

    def _at(self, k: int, lam: float) -> Solution:
        piece = self._segments[k].piece
        weights = piece.w0 + lam * piece.w1
        residual = _kkt_residual(piece, lam, weights, self._lc)
        attempt = (SolverAttempt("critical_line", "optimal"),)
        return Solution(weights, "critical_line", "optimal", attempt, residual)

    def min_variance(self) -> Solution:
        return self._at(0, 0.0)

    def at_return(self, target_return: float) -> Solution:
        if target_return > self._highest + RETURN_TOLERANCE:
            raise _above_range(target_return, self._highest)
        if target_return <= self._r_lo[0]:
            return self.min_variance()
        k = int(np.searchsorted(self._r_lo, target_return, side="right")) - 1
        while k < len(self._segments) - 1 and self._r1[k] <= 0:
            k += 1
        lam = (
            (target_return - self._r0[k]) / self._r1[k]
            if self._r1[k] > 0
            else (self._segments[k].lam_lo)
        )
        seg = self._segments[k]
        return self._at(k, float(np.clip(lam, seg.lam_lo, seg.lam_hi)))

    def max_sharpe(self, risk_free_rate: float) -> Solution:
        best: tuple[float, int, float] | None = None
        for k, seg in enumerate(self._segments):
            found = segment_max_sharpe(seg, self._mu, risk_free_rate)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], k, found[1])
        if self._unbounded:
            _check_attained(self._segments[-1].piece, self._mu, best)
        if best is None:
            raise _no_excess_return(risk_free_rate, self._highest)
        return self._at(best[1], best[2])


def _check_attained(top: Piece, mu: FloatArray, best: tuple[float, int, float] | None) -> None:
    """With the return unbounded, the Sharpe ratio tends to (mu'w1) / sqrt(w1'S w1) along the
    top segment; if that limit beats every finite point, the maximum is never reached."""
    slope, curvature = float(mu @ top.w1), float(top.w1 @ top.sw1)
    if slope <= 0 or curvature <= 0:
        return
    limit = slope / math.sqrt(curvature)
    if best is None or limit > best[0] * (1 + 1e-9):
        raise InfeasibleError(
            "max Sharpe is not reached: with shorts and no bounds the Sharpe ratio keeps rising "
            "as the return grows without limit (the risk-free rate is at or above the "
            "minimum-variance return); lower the risk-free rate, or set weight bounds or a "
            "leverage cap",
            field="risk_free_rate",
        )


def segment_max_sharpe(seg: Segment, mu: FloatArray, rf: float) -> tuple[float, float] | None:
    """The highest Sharpe ratio on one segment (in units of sqrt of the scaled variance, so
    comparable across segments of one path) and the lam where it is reached."""
    r0, r1 = float(mu @ seg.piece.w0), float(mu @ seg.piece.w1)
    best: tuple[float, float] | None = None
    for lam in _sharpe_candidates(seg, r0 - rf, r1):
        variance = _variance(seg.piece, lam)
        excess = r0 + lam * r1 - rf
        if variance > 0 and excess > 0 and (best is None or excess / math.sqrt(variance) > best[0]):
            best = (excess / math.sqrt(variance), lam)
    return best


def _variance(piece: Piece, lam: float) -> float:
    a, b, c = variance_moments(piece)
    return a + 2 * b * lam + c * lam * lam


def _sharpe_candidates(seg: Segment, p: float, q: float) -> list[float]:
    """Segment ends and the stationary point of (p + q lam) / sqrt(A + 2B lam + C lam^2)."""
    out = [seg.lam_lo] + ([seg.lam_hi] if math.isfinite(seg.lam_hi) else [])
    star = sharpe_stationary(seg.piece, p, q)
    if star is not None and seg.lam_lo < star < seg.lam_hi:
        out.append(float(star))
    return out


def _kkt_residual(piece: Piece, lam: float, w: FloatArray, lc: LinearConstraints) -> float:
    """Largest violation of the KKT conditions of P(lam) at w, in scaled units: stationarity on
    free assets, sign of the bound and row multipliers, and primal feasibility."""
    a = piece.active
    g = piece.g0 + lam * piece.g1
    stationarity = float(np.max(np.abs(g[a.free]), initial=0.0))
    dual = float(np.max(np.where(a.at_upper, g, -g)[~a.free], initial=0.0))
    y = (piece.y0 + lam * piece.y1)[1:]
    for k, j in enumerate(piece.row_ids):
        side = a.rows[j]
        dual = max(dual, -side * y[k])
    primal = max(
        abs(float(w.sum()) - 1.0),
        float(np.max(lc.lower - w, initial=0.0)),
        float(np.max(w - lc.upper, initial=0.0)),
    )
    for row in lc.rows:
        v = float(row.coefficients @ w)
        primal = max(primal, row.lower - v, v - row.upper)
    return max(stationarity, dual, primal, 0.0)


def _default_fallback():
    from adapters.cvxpy_frontier import CvxpyFrontierSolver

    return CvxpyFrontierSolver()


_CONTROLLER: ThreadpoolController | None = None


def _controller() -> ThreadpoolController:
    """Scanning the loaded BLAS libraries costs ~2 ms, so it is done once per process."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def budget(
    time_limit_s: float | None, cancel: CancellationToken | None
) -> Callable[[], None] | None:
    """The check a trace calls between events: raises ``SolverTimeoutError`` once
    ``time_limit_s`` seconds have passed since this call, or when the next event, taking as
    long as the last one did, would end past them (one KKT solve of thousands of dense assets
    takes half a second: checking only for time already spent would overrun the limit by a
    whole event); ``RunCancelledError`` once ``cancel`` is set. None when there is nothing to
    check."""
    if time_limit_s is None and cancel is None:
        return None
    started = time.monotonic()
    deadline = started + (time_limit_s if time_limit_s is not None else math.inf)
    events, last = [0], [started]

    def check() -> None:
        events[0] += 1
        if cancel is not None and cancel.is_cancelled():
            raise RunCancelledError("the run was cancelled before the solve finished")
        now = time.monotonic()
        step, last[0] = now - last[0], now
        if now + (step if events[0] > 1 else 0.0) > deadline:
            raise SolverTimeoutError(
                f"the exact engine did not finish within the {time_limit_s:g} s time limit "
                f"({events[0]} breakpoints traced); raise solver.time_limit_s or simplify "
                "the problem",
                field="time_limit_s",
            )

    return check


class CriticalLineFrontierSolver:
    """The exact path, with BLAS pinned to ``blas_threads`` while tracing (small dense solves
    are slower with threads on these machines), falling back to ``fallback``.

    ``time_limit_s`` (seconds, per solve) and ``cancel`` are checked between breakpoints, so a
    long path stops within one event of either."""

    def __init__(
        self,
        fallback: "CvxpyFrontierSolver | None" = None,
        blas_threads: int | None = 1,
        time_limit_s: float | None = None,
        cancel: CancellationToken | None = None,
    ) -> None:
        self._fallback = fallback or Lazy(_default_fallback)
        self._blas_threads = blas_threads
        self._time_limit_s, self._cancel = time_limit_s, cancel

    def guessed(
        self,
        universe: Universe,
        constraints: LinearConstraints,
        kind: str,
        value: float = 0.0,
        check: Callable[[], None] | None = None,
    ) -> Solution | None:
        """One point from a guessed, repaired active set (``adapters.critical_line_guess``):
        ``kind`` "min_variance", "target_return" (``value`` the annualized target) or
        "max_sharpe" (``value`` the risk-free rate). None when the guess does not settle or
        its answer fails the optimality check; the path then answers. ``check``: a running
        time limit to share (else one starts here)."""
        risk = universe.factor_model or universe.covariance
        try:
            check = check or budget(self._time_limit_s, self._cancel)
            p, mu_scale, _ = scaled_problem(risk, universe.expected_returns, constraints, check)
            if p.n >= DIRECT_BELOW:
                with _controller().limit(limits=self._blas_threads, user_api="blas"):
                    found = solve_guessed(p, kind, value / mu_scale)
            else:  # small systems run on one thread anyway; the limit costs ~20 us
                found = solve_guessed(p, kind, value / mu_scale)
        except CriticalLineError:
            return None
        if found is None:
            return None
        piece, lam = found
        weights = piece.w0 + lam * piece.w1
        residual = _kkt_residual(piece, lam, weights, constraints)
        if residual > KKT_ACCEPT:
            return None
        attempt = (SolverAttempt("critical_line", "optimal"),)
        return Solution(weights, "critical_line", "optimal", attempt, residual)

    def max_sharpe(
        self, universe: Universe, constraints: LinearConstraints, risk_free_rate: float
    ) -> Solution:
        """The exact tangency portfolio alone. Up to ``WALK_FIRST_FROM`` assets: from a guessed
        segment when it settles. Larger ones: first the path walked down from the top, for at most
        ``PATH_FIRST`` KKT solves (cheap while few assets are free; a tangency portfolio of a
        few assets out of hundreds is found so in ~7 ms at 500, where the guess, starting with
        every asset free, needs ~30 ms), then the guess, then the whole walk to the peak."""
        check = budget(self._time_limit_s, self._cancel)
        if universe.n_assets >= WALK_FIRST_FROM:
            try:
                return self._to_peak(universe, constraints, risk_free_rate, check, PATH_FIRST)
            except _LongWalkError:
                pass
        quick = self.guessed(universe, constraints, "max_sharpe", risk_free_rate, check)
        if quick is not None:
            return quick
        return self._to_peak(universe, constraints, risk_free_rate, check, None)

    def _to_peak(
        self,
        universe: Universe,
        constraints: LinearConstraints,
        risk_free_rate: float,
        check: Callable[[], None] | None,
        limit: int | None,
    ) -> Solution:
        """The path walked down from the top until the Sharpe ratio, unimodal along the
        frontier, has passed its peak; ``_LongWalkError`` after ``limit`` KKT solves."""
        mu, best, solves = universe.expected_returns, [-math.inf], [0]

        def passed_peak(segment: Segment) -> bool:
            found = segment_max_sharpe(segment, mu, risk_free_rate)
            if found is None:  # no excess return here: below the risk-free rate, or flat
                return math.isfinite(best[0])
            if found[0] < best[0] * (1 - 1e-12):
                return True
            best[0] = max(best[0], found[0])
            return False

        def counted() -> None:
            if check is not None:
                check()
            solves[0] += 1
            if limit is not None and solves[0] > limit:
                raise _LongWalkError

        try:
            with _controller().limit(limits=self._blas_threads, user_api="blas"):
                risk = universe.factor_model or universe.covariance
                path = trace(risk, mu, constraints, stop_down=passed_peak, check=counted)
        except CriticalLineError:
            return self._fallback.prepare(universe, constraints).max_sharpe(risk_free_rate)
        return CriticalLineFrontier(universe, constraints, path).max_sharpe(risk_free_rate)

    def prepare(self, universe: Universe, constraints: LinearConstraints):
        try:
            with _controller().limit(limits=self._blas_threads, user_api="blas"):
                risk = universe.factor_model or universe.covariance
                check = budget(self._time_limit_s, self._cancel)
                path = trace(risk, universe.expected_returns, constraints, check=check)
        except CriticalLineError as reason:
            note = f"critical line not used ({reason}); frontier traced with CVXPY"
            return self._fallback.prepare(universe, constraints, (note,))
        return CriticalLineFrontier(universe, constraints, path)
