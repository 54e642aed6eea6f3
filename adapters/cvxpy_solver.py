"""The ``Solver`` port on CVXPY, with a chain of fallback solvers.

OSQP comes first for quadratic programs (fast, warm-startable); Clarabel, ECOS and SCS follow.
A solver that cannot take the problem class (OSQP on the second-order cone of a target-risk
problem), errors out, stops early or answers "inaccurate" hands over to the next one. An
"inaccurate" answer is kept as a last resort. Tolerances are set far tighter than CVXPY's
defaults (OSQP's 1e-5 would leave weights off by ~1e-4), because pfopt promises exact answers.
"""

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import cvxpy as cp
import numpy as np

from adapters.highs_lp import highest_return as lp_highest_return
from adapters.solver_defaults import DEFAULT_CHAIN, DEFAULT_TIME_LIMIT_S
from domain.errors import (
    InfeasibleError,
    SolverFailedError,
    SolverTimeoutError,
    UnboundedError,
    ValidationError,
)
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import (
    MaxSharpe,
    MaxUtility,
    MinTrackingError,
    MinTurnover,
    MinVariance,
    TargetReturn,
    TargetRisk,
)
from domain.problem import Problem, Solution, SolverAttempt
from domain.rebalance import Rebalance
from domain.types import FloatArray

# pfopt reads every status itself and reports reduced accuracy in the result's warnings, so
# CVXPY's own warnings about a status never reach a terminal or a log. CVXPY attributes them
# to the first frame outside its package (this module's ``program.solve``), so they are
# matched by their message, and anything else it raises from here by this module's name.
warnings.filterwarnings("ignore", message="Solution may be inaccurate")
warnings.filterwarnings("ignore", message=r"\s*The problem is either infeasible or unbounded")
warnings.filterwarnings("ignore", category=UserWarning, module=r"adapters\.cvxpy_")


_OPTIONS: dict[str, Callable[[float], dict[str, object]]] = {
    "OSQP": lambda t: {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iter": 200_000, "time_limit": t},
    "CLARABEL": lambda t: {
        "tol_gap_abs": 1e-10,
        "tol_gap_rel": 1e-10,
        "tol_feas": 1e-10,
        "time_limit": t,
    },
    "ECOS": lambda _t: {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10, "max_iters": 500},
    "SCS": lambda t: {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000, "time_limit_secs": t},
    "SCIP": lambda t: {"scip_params": {"limits/time": max(t, 0.01)}},
}
MIP_CHAIN = ("SCIP",)
"""Position rules (a minimum position, at most K names, a fee per traded name) are binary
variables: SCIP solves the mixed-integer (conic) program and states its gap."""


def tolerance_options(tolerance: float) -> dict[str, dict[str, object]]:
    """Per-solver options for one convergence tolerance (absolute and relative gap, and
    feasibility where the solver has one): a caller's ``solver.tolerance`` instead of 1e-10."""
    return {
        "OSQP": {"eps_abs": tolerance, "eps_rel": tolerance},
        "CLARABEL": {
            "tol_gap_abs": tolerance,
            "tol_gap_rel": tolerance,
            "tol_feas": tolerance,
        },
        "ECOS": {"abstol": tolerance, "reltol": tolerance, "feastol": tolerance},
        "SCS": {"eps_abs": tolerance, "eps_rel": tolerance},
    }


def variance_expression(universe: Universe, w: cp.Variable) -> cp.Expression:
    """w'Sw: a quadratic form on the dense matrix, or |G w|^2 + sum(D w^2) on a factor model
    (k + n terms instead of n^2, which OSQP and Clarabel feel at n in the thousands)."""
    model = universe.factor_model
    if model is None:
        return cp.quad_form(w, cp.psd_wrap(universe.covariance))
    specific = np.sqrt(model.specific_variance)
    return cp.sum_squares(model.factor_root() @ w) + cp.sum_squares(cp.multiply(specific, w))


def _volatility_expression(universe: Universe, w: cp.Variable) -> cp.Expression:
    """sqrt(w'Sw) as a second-order-cone expression."""
    model = universe.factor_model
    if model is None:
        eigenvalues, eigenvectors = np.linalg.eigh(universe.covariance)
        root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
        return cp.norm(root.T @ w, 2)
    specific = np.sqrt(model.specific_variance)
    return cp.norm(cp.hstack([model.factor_root() @ w, cp.multiply(specific, w)]), 2)


def constraint_list(lc: LinearConstraints, w: cp.Variable, scale: cp.Expression | float) -> list:
    """The compiled constraints on w; ``scale`` homogenizes them for the max-Sharpe transform."""
    out = [cp.sum(w) == scale]
    lower, upper = np.isfinite(lc.lower), np.isfinite(lc.upper)
    if lower.any():
        out.append(w[lower] >= lc.lower[lower] * scale)
    if upper.any():
        out.append(w[upper] <= lc.upper[upper] * scale)
    for row in lc.rows:
        if np.isfinite(row.lower):
            out.append(row.coefficients @ w >= row.lower * scale)
        if np.isfinite(row.upper):
            out.append(row.coefficients @ w <= row.upper * scale)
    if lc.leverage is not None and not lc.long_only:
        out.append(cp.norm1(w) <= lc.leverage * scale)
    return out


def _trading(
    rebalance: Rebalance | None, w: cp.Variable, scale: cp.Expression | float
) -> tuple[list, cp.Expression | float]:
    """The rebalancing constraints on w (homogenized by ``scale`` as the others are) and the
    one-off cost of its trades, 0 without costs."""
    if rebalance is None:
        return [], 0.0
    out = []
    trade = w - rebalance.holdings * scale
    if rebalance.turnover is not None:
        out.append(cp.sum(cp.abs(trade)) + rebalance.cash * scale <= 2 * rebalance.turnover * scale)
    if rebalance.max_trade is not None:
        out.append(cp.abs(trade) <= rebalance.max_trade * scale)
    cost = rebalance.costs @ cp.abs(trade) if rebalance.has_costs else 0.0
    if rebalance.fee > 0:  # t_i = 1 for a traded name; a weight moves by at most 2
        traded = cp.Variable(w.shape[0], boolean=True)
        out.append(cp.abs(trade) <= 2 * traded)
        cost = cost + rebalance.fee * cp.sum(traded)
    return out, cost


def _positions(rebalance: Rebalance | None, lc: LinearConstraints, w: cp.Variable) -> list:
    """z_i = 1 for a held name (long-only): w_i <= u_i z_i, w_i >= m z_i, sum z <= K."""
    if rebalance is None or (rebalance.min_position is None and rebalance.max_names is None):
        return []
    held = cp.Variable(w.shape[0], boolean=True)
    upper = np.minimum(np.where(np.isfinite(lc.upper), lc.upper, 1.0), 1.0)
    out = [w <= cp.multiply(upper, held)]
    if rebalance.min_position is not None:
        out.append(w >= rebalance.min_position * held)
    if rebalance.max_names is not None:
        out.append(cp.sum(held) <= rebalance.max_names)
    return out


def _tracking(universe: Universe, rebalance: Rebalance | None, w: cp.Variable, scale) -> list:
    if rebalance is None or rebalance.max_tracking_error is None:
        return []
    active = w - rebalance.benchmark * scale  # type: ignore[operator]
    return [_volatility_expression(universe, active) <= rebalance.max_tracking_error * scale]


def _program(problem: Problem) -> tuple[cp.Problem, Callable[[], FloatArray]]:
    """The CVXPY program for an objective, and how to read weights off its solution. A
    rebalance adds its limits (turnover, per-asset trades, tracking error) as constraints and
    charges its costs against the expected return wherever the objective has one."""
    universe, lc, objective = problem.universe, problem.constraints, problem.objective
    rebalance = problem.rebalance
    mu = universe.expected_returns
    w = cp.Variable(universe.n_assets)
    risk = variance_expression(universe, w)
    trading, cost = _trading(rebalance, w, 1.0)
    base = [*constraint_list(lc, w, 1.0), *trading, *_tracking(universe, rebalance, w, 1.0)]
    base += _positions(rebalance, lc, w)
    match objective:
        case MinVariance():
            program = cp.Problem(cp.Minimize(risk), base)
        case TargetReturn(target_return=target):
            program = cp.Problem(cp.Minimize(risk), [*base, mu @ w - cost >= target])
        case TargetRisk(target_volatility=sigma):
            program = cp.Problem(
                cp.Maximize(mu @ w - cost),
                [*base, _volatility_expression(universe, w) <= sigma],
            )
        case MaxUtility(risk_aversion=delta):
            program = cp.Problem(cp.Maximize(mu @ w - cost - 0.5 * delta * risk), base)
        case MinTrackingError():
            if rebalance is None or rebalance.benchmark is None:
                raise ValidationError("min_tracking_error needs a benchmark", field="benchmark")
            # the norm, not its square: at a tracking error of 1e-5 the square is 1e-10, inside
            # a solver's absolute gap, and weights would stop ~1e-5 short of the benchmark
            active = _volatility_expression(universe, w - rebalance.benchmark)
            program = cp.Problem(cp.Minimize(active), base)
        case MinTurnover():
            if rebalance is None:
                raise ValidationError("min_turnover needs holdings", field="holdings")
            moved = cp.sum(cp.abs(w - rebalance.holdings))
            program = cp.Problem(cp.Minimize(moved), base)
        case MaxSharpe(risk_free_rate=rf) if rebalance is not None and rebalance.has_positions:
            # binaries do not survive the homogenization below (w <= u z with w = y / kappa):
            # Dinkelbach's method maximizes excess - lam * volatility for a fixed lam instead
            lam = cp.Parameter(nonneg=True)
            excess = (mu - rf) @ w - cost
            program = cp.Problem(
                cp.Maximize(excess - lam * _volatility_expression(universe, w)), base
            )
        case MaxSharpe(risk_free_rate=rf):
            # Cornuejols & Tutuncu: with y = kappa * w and (mu - rf)'y = 1, maximizing the Sharpe
            # ratio is minimizing y'Sy, a convex QP; every constraint is scaled by kappa >= 0.
            # With costs the excess return net of them, (mu - rf)'y - c'|y - kappa w0|, is
            # concave and homogeneous: ">= 1" is convex and binds at the optimum.
            kappa = cp.Variable(nonneg=True)
            trading, cost = _trading(rebalance, w, kappa)
            excess = (mu - rf) @ w - cost
            costly = rebalance is not None and rebalance.has_costs
            program = cp.Problem(
                cp.Minimize(risk),
                [
                    *constraint_list(lc, w, kappa),
                    *trading,
                    *_tracking(universe, rebalance, w, kappa),
                    excess >= 1.0 if costly else excess == 1.0,
                ],
            )

            def sharpe_weights() -> FloatArray:
                return np.asarray(w.value, dtype=float) / float(kappa.value)

            return program, sharpe_weights
        case _:
            raise ValidationError(
                f"objective {objective.name} is not solved through CVXPY", field="objective"
            )
    return program, lambda: np.asarray(w.value, dtype=float)


class CvxpySolver:
    """Solve through CVXPY, trying ``chain`` in order within ``time_limit_s`` seconds in all."""

    def __init__(
        self,
        chain: Sequence[str] = DEFAULT_CHAIN,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        unknown = [name for name in chain if name.upper() not in _OPTIONS]
        if unknown or not chain:
            raise ValidationError(
                f"solver chain: unknown solver {unknown[0] if unknown else '(empty)'!r}; "
                f"choose from {', '.join(DEFAULT_CHAIN)}",
                field="solver_chain",
            )
        if not time_limit_s > 0:
            raise ValidationError("solver time limit must be > 0 seconds", field="time_limit_s")
        self._chain = tuple(name.upper() for name in chain)
        self._time_limit_s = float(time_limit_s)
        self._options = {name.upper(): dict(opts) for name, opts in (options or {}).items()}

    def solve(self, problem: Problem, chain: Sequence[str] | None = None) -> Solution:
        """``chain``: this solve's own order of solvers instead of the configured one."""
        program, read = _program(problem)
        r = problem.rebalance
        if r is None or not r.has_positions:
            return self.run(program, read, chain)
        if isinstance(problem.objective, MaxSharpe):
            return self._dinkelbach(problem, program, read)
        return self._with_gap(self.run(program, read, MIP_CHAIN), program)

    @staticmethod
    def _with_gap(solution: Solution, program: cp.Problem) -> Solution:
        model = (program.solver_stats.extra_stats or {}).get("model")
        gap = None if model is None else float(model.getGap())
        return replace(solution, gap=gap)

    def _dinkelbach(self, problem: Problem, program: cp.Problem, read) -> Solution:
        """Max net Sharpe under position rules: lam_0 = 0, then lam_{k+1} = the Sharpe ratio
        of the answer for lam_k, until excess - lam * volatility reaches 0 (within 1e-10):
        each step a mixed-integer conic program, the ratio rises every step."""
        universe, objective = problem.universe, problem.objective
        r = problem.rebalance
        assert isinstance(objective, MaxSharpe) and r is not None
        lam = next(p for p in program.parameters())
        lam.value = 0.0
        deadline = time.monotonic() + self._time_limit_s
        best: Solution | None = None
        for _ in range(50):
            remaining = deadline - time.monotonic()
            if remaining <= 0 and best is not None:
                break
            solver = CvxpySolver(MIP_CHAIN, max(remaining, 0.01), self._options)
            answer = self._with_gap(solver.run(program, read), program)
            w = answer.weights
            excess = float((universe.expected_returns - objective.risk_free_rate) @ w)
            excess -= r.cost_of(w)
            volatility = float(np.sqrt(max(universe.portfolio_variance(w), 0.0)))
            if volatility <= 0 or excess <= 0:
                raise InfeasibleError(
                    "no portfolio under these position rules earns more than the risk-free "
                    "rate net of costs",
                    field="risk_free_rate",
                )
            best = answer
            if excess - float(lam.value) * volatility <= 1e-10 * max(1.0, abs(excess)):
                break
            lam.value = excess / volatility
        assert best is not None
        return best

    def highest_return(self, universe: Universe, constraints: LinearConstraints) -> float:
        return lp_highest_return(universe.expected_returns, constraints)

    def run(
        self,
        program: cp.Problem,
        read: Callable[[], FloatArray],
        chain: Sequence[str] | None = None,
    ) -> Solution:
        deadline = time.monotonic() + self._time_limit_s
        attempts: list[SolverAttempt] = []
        fallback: Solution | None = None
        installed = set(cp.installed_solvers())
        for name in chain or self._chain:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if name not in installed:
                attempts.append(SolverAttempt(name, "not installed"))
                continue
            try:
                settings = {**_OPTIONS[name](remaining), **self._options.get(name, {})}
                program.solve(solver=name, **settings)
            except (cp.SolverError, ValueError) as exc:  # ValueError: NaN or inf in the data
                attempts.append(SolverAttempt(name, f"error: {str(exc).splitlines()[0]}"))
                continue
            status = program.status
            attempts.append(SolverAttempt(name, status))
            if status == cp.OPTIMAL:
                return Solution(read(), name, "optimal", tuple(attempts))
            if status == cp.INFEASIBLE:
                raise InfeasibleError(
                    "no portfolio satisfies all the constraints together (budget, bounds, "
                    "group and factor limits); relax a bound or a limit",
                    field="constraints",
                )
            if status == cp.UNBOUNDED:
                raise UnboundedError(
                    "the objective is unbounded under these constraints: with shorts allowed, "
                    "set a leverage cap or weight bounds",
                    field="leverage",
                )
            if status == cp.OPTIMAL_INACCURATE and fallback is None:
                fallback = Solution(read(), name, "optimal_inaccurate", ())
        if fallback is not None:
            return Solution(fallback.weights, fallback.solver, fallback.status, tuple(attempts))
        tried = "; ".join(f"{a.solver}: {a.outcome}" for a in attempts) or "none"
        if time.monotonic() >= deadline:
            raise SolverTimeoutError(
                f"no solver finished within the {self._time_limit_s:g} s time limit "
                f"(tried {tried})",
                field="time_limit_s",
            )
        raise SolverFailedError(f"every solver failed (tried {tried})", field="solver")
