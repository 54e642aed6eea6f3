"""Single-solve benchmark: the server's solver end to end (``allocate``) beside Clarabel called
directly, through CVXPY and through its own API, on the same problem in the same run.

    python -m tests.benchmarks.bench_solve [--sizes 20,100,500] [--worst 1000,2000] [--dense 800]

(a) Max Sharpe (long-only, max weight 0.2, rf 1 %), minimum variance and a target return
(halfway from the minimum-variance return to the highest reachable) on ``random_universe(n)``.
pfopt is timed as ``allocate(Container().solver(), ...)``: pre-checks, return range, the exact
engine, clean-up and metrics. The peers' problems are built once outside the timing: CVXPY's
compiled form is cached between solves, so ``problem.solve(solver="CLARABEL")`` is timed, and
raw ``clarabel.DefaultSolver(P, q, A, b, cones)`` set-up + ``solve()``; both at Clarabel's
default settings. The three take turns run by run; p50 and p90 are printed. Answers are
compared by objective (variance, or the Sharpe ratio): they must agree within 1e-7 relative
and pfopt must be at least as good; pfopt is also compared with Clarabel at tight tolerances
(``tests.reference.TIGHT``), solved once outside the timing.
(b) Worst cases for the exact engine: minimum variance, long-only, with diagonal risk (a factor
model with zero loadings), so every asset is held and the path has n events; the same as a
dense matrix with a weak common factor; and a time limit of 0.5 s on a dense n=2000 problem,
which must end with ``solver_timeout`` in about that time. Not a test: timings belong here.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from application.allocate import allocate
from application.solver_settings import SolverSettings
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.errors import SolverTimeoutError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MinVariance, Objective, TargetReturn
from domain.risk_model import FactorModel
from entrypoints.container import Container
from tests.conftest import random_universe
from tests.reference import TIGHT

RUNS = {20: 200, 100: 100, 500: 30}
MAX_WEIGHT = 0.2
RF = 0.01
AGREE = 1e-7
WORST_TARGET_S = {1000: 0.5, 2000: 3.0}
TIME_LIMIT_S = 0.5
TIME_LIMIT_SLACK_S = 0.1


@dataclass
class Case:
    label: str
    universe: Universe
    objective: Objective
    max_weight: float | None

    @property
    def n(self) -> int:
        return self.universe.n_assets


def variance(universe: Universe, w: np.ndarray) -> float:
    return universe.portfolio_variance(w)


def score(case: Case, w: np.ndarray) -> float:
    """The objective to minimize: variance, or minus the Sharpe ratio."""
    if isinstance(case.objective, MaxSharpe):
        mu = case.universe.expected_returns
        return -float((mu @ w - RF) / np.sqrt(variance(case.universe, w)))
    return variance(case.universe, w)


def violation(case: Case, w: np.ndarray) -> float:
    """The largest breach of the budget, the bounds and a target return."""
    worst = max(abs(float(w.sum()) - 1.0), float(np.max(-w)), 0.0)
    if case.max_weight is not None:
        worst = max(worst, float(np.max(w)) - case.max_weight)
    if isinstance(case.objective, TargetReturn):
        shortfall = case.objective.target_return - float(case.universe.expected_returns @ w)
        worst = max(worst, shortfall)
    return worst


def pfopt_solve(case: Case, solver=None) -> Callable[[], np.ndarray]:
    bounds = [Budget(), LongOnly()]
    if case.max_weight is not None:
        bounds.append(WeightBounds(max_weight=case.max_weight))
    lc = compile_constraints(case.universe.tickers, bounds)
    solver = solver or Container().solver()
    return lambda: allocate(solver, case.universe, lc, case.objective, RF).weights


def _risk(universe: Universe, w: cp.Variable) -> cp.Expression:
    model = universe.factor_model
    if model is None:
        return cp.quad_form(w, cp.psd_wrap(universe.covariance))
    return cp.sum_squares(model.factor_root() @ w) + cp.sum_squares(
        cp.multiply(np.sqrt(model.specific_variance), w)
    )


def cvxpy_solve(case: Case, options: dict | None = None) -> Callable[[], np.ndarray]:
    """The problem built once (CVXPY caches its compiled form); each call is one solve, at
    Clarabel's defaults unless ``options`` are given."""
    n, mu = case.n, case.universe.expected_returns
    w = cp.Variable(n)
    scale: cp.Expression | float = 1.0
    extra = []
    if isinstance(case.objective, MaxSharpe):  # y = kappa w, (mu - rf)'y = 1 (Cornuejols)
        scale = cp.Variable(nonneg=True)
        extra = [(mu - RF) @ w == 1.0]
    if isinstance(case.objective, TargetReturn):
        target = cp.Parameter(value=case.objective.target_return)
        extra = [mu @ w >= target]
    constraints = [cp.sum(w) == scale, w >= 0, *extra]
    if case.max_weight is not None:
        constraints.append(w <= case.max_weight * scale)
    problem = cp.Problem(cp.Minimize(_risk(case.universe, w)), constraints)

    def solve() -> np.ndarray:
        problem.solve(solver="CLARABEL", **(options or {}))
        assert problem.status == cp.OPTIMAL, problem.status
        if isinstance(scale, cp.Variable):
            return np.asarray(w.value) / float(scale.value)
        return np.asarray(w.value)

    return solve


def clarabel_solve(case: Case) -> Callable[[], np.ndarray]:
    """Clarabel's own API on the dense QP: x = w (and kappa for max Sharpe), min x'Px/2 with
    A x + s = b, s in {0}^k x R+^m; each call is set-up + solve."""
    import clarabel

    n, mu = case.n, case.universe.expected_returns
    sharpe = isinstance(case.objective, MaxSharpe)
    m = n + 1 if sharpe else n
    p = np.zeros((m, m))
    p[:n, :n] = 2.0 * case.universe.covariance
    eq_rows, eq_rhs, in_rows, in_rhs = [], [], [], []
    unit = np.eye(m)
    if sharpe:
        eq_rows += [np.r_[mu - RF, 0.0], np.r_[np.ones(n), -1.0]]
        eq_rhs += [1.0, 0.0]
        in_rows += [-unit]  # y >= 0, kappa >= 0
        in_rhs += [np.zeros(m)]
        if case.max_weight is not None:
            in_rows += [np.c_[np.eye(n), -case.max_weight * np.ones(n)]]
            in_rhs += [np.zeros(n)]
    else:
        eq_rows += [np.ones(n)]
        eq_rhs += [1.0]
        in_rows += [-unit]
        in_rhs += [np.zeros(n)]
        if case.max_weight is not None:
            in_rows += [unit]
            in_rhs += [np.full(n, case.max_weight)]
        if isinstance(case.objective, TargetReturn):
            in_rows += [-mu[None, :]]
            in_rhs += [np.array([-case.objective.target_return])]
    a = sp.csc_matrix(np.vstack([np.vstack(eq_rows), *in_rows]))
    b = np.r_[eq_rhs, np.concatenate(in_rhs)]
    cones = [clarabel.ZeroConeT(len(eq_rhs)), clarabel.NonnegativeConeT(a.shape[0] - len(eq_rhs))]
    upper_p = sp.triu(sp.csc_matrix(p)).tocsc()
    q = np.zeros(m)
    settings = clarabel.DefaultSettings()
    settings.verbose = False

    def solve() -> np.ndarray:
        solution = clarabel.DefaultSolver(upper_p, q, a, b, cones, settings).solve()
        assert str(solution.status) == "Solved", solution.status
        x = np.asarray(solution.x)
        return x[:n] / x[n] if sharpe else x

    return solve


def timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    out = fn()
    return (time.perf_counter() - started) * 1000.0, out


def in_turn(engines: dict[str, Callable[[], np.ndarray]], runs: int):
    """One warm-up each, then ``runs`` rounds of one call per engine: times (ms) and answers."""
    answers = {name: fn() for name, fn in engines.items()}
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(runs):
        for name, fn in engines.items():
            times[name].append(timed(fn)[0])
    return times, answers


def agreement(case: Case, ours: np.ndarray, theirs: np.ndarray) -> tuple[float, str]:
    """pfopt's objective against the peer's: relative gap (> 0: pfopt worse) and a verdict."""
    a, b = score(case, ours), score(case, theirs)
    gap = (a - b) / abs(b)
    if gap > AGREE:
        return gap, "pfopt WORSE"
    if gap < -AGREE:
        return gap, "pfopt better"
    return gap, "agree"


def single_cases(n: int) -> list[Case]:
    universe = random_universe(n, seed=2026)
    cases = [
        Case("max Sharpe", universe, MaxSharpe(RF), MAX_WEIGHT),
        Case("min variance", universe, MinVariance(), MAX_WEIGHT),
    ]
    low = pfopt_solve(cases[1])()
    mu, solver = universe.expected_returns, Container().solver()
    bounds = [Budget(), LongOnly(), WeightBounds(max_weight=MAX_WEIGHT)]
    lc = compile_constraints(universe.tickers, bounds)
    highest = solver.highest_return(universe, lc)
    target = 0.5 * (float(mu @ low) + highest)
    cases.append(Case(f"target return {target:.4f}", universe, TargetReturn(target), MAX_WEIGHT))
    return cases


def pct(times: list[float]) -> str:
    p50, p90 = np.percentile(times, [50, 90])
    return f"{p50:.2f} / {p90:.2f} ms"


def bench_single(sizes: list[int]) -> None:
    print(
        "(a) single solves, random_universe(n), long-only, max weight 0.2; p50 / p90 over the "
        "runs, engines in turn; target: n=20 max-Sharpe p50 within 1x of Clarabel direct"
    )
    head = (
        "| problem | runs | pfopt allocate() | Clarabel via CVXPY (solve only) | Clarabel API "
        "(set-up + solve) | pfopt / Clarabel API (p50) | target | verdict | objective gap "
        "(pfopt - peer, rel) | pfopt - tight reference | peer max violation |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for n in sizes:
        runs = RUNS.get(n, 20)
        for case in single_cases(n):
            engines = {
                "pfopt": pfopt_solve(case),
                "cvxpy": cvxpy_solve(case),
                "clarabel": clarabel_solve(case),
            }
            times, answers = in_turn(engines, runs)
            gaps = [agreement(case, answers["pfopt"], answers[p]) for p in ("cvxpy", "clarabel")]
            ref = agreement(case, answers["pfopt"], cvxpy_solve(case, TIGHT["CLARABEL"])())
            ratio = statistics.median(times["pfopt"]) / statistics.median(times["clarabel"])
            ratio_cvxpy = statistics.median(times["pfopt"]) / statistics.median(times["cvxpy"])
            targeted = n == 20 and isinstance(case.objective, MaxSharpe)
            target = "<= 1x Clarabel API p50" if targeted else "-"
            verdict = ("met" if ratio <= 1.0 else "NOT met") if targeted else "-"
            print(
                f"| n={n} {case.label} | {runs} | {pct(times['pfopt'])} | {pct(times['cvxpy'])} | "
                f"{pct(times['clarabel'])} | {ratio:.1f}x (vs CVXPY {ratio_cvxpy:.1f}x) | "
                f"{target} | {verdict} | "
                f"CVXPY {gaps[0][0]:+.1e} {gaps[0][1]}, API {gaps[1][0]:+.1e} {gaps[1][1]} | "
                f"{ref[0]:+.1e} {ref[1]} | "
                f"{violation(case, answers['cvxpy']):.1e} / "
                f"{violation(case, answers['clarabel']):.1e} |",
                flush=True,
            )


def diagonal_universe(n: int, dense: bool) -> Universe:
    """Every asset held at the minimum: diagonal risk (zero loadings), or as a dense matrix
    with a weak common factor on top."""
    rng = np.random.default_rng(7)
    specific = rng.uniform(0.01, 0.09, n)
    tickers = [f"A{i}" for i in range(n)]
    mu = rng.uniform(0.02, 0.2, n)
    if not dense:
        model = FactorModel(np.zeros((n, 2)), np.eye(2) * 0.04, specific)
        return Universe(tickers, mu, factor_model=model)
    loadings = rng.uniform(0.0, 0.02, (n, 1))
    return Universe(tickers, mu, covariance=FactorModel(loadings, [[0.04]], specific).dense())


def bench_worst(sizes: list[int], dense_sizes: list[int], runs: int) -> None:
    print(
        f"\n(b) worst cases: minimum variance, long-only, every asset held; medians of {runs} "
        "runs after a warm-up, in turn; target: n=1000 <= 0.5 s, n=2000 <= 3 s (factor risk)"
    )
    head = (
        "| problem | assets held | pfopt allocate() | Clarabel via CVXPY (solve only) | "
        "target | verdict | variance gap (pfopt - peer, rel) |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for n, dense in [(n, False) for n in sizes] + [(n, True) for n in dense_sizes]:
        universe = diagonal_universe(n, dense)
        case = Case("min variance", universe, MinVariance(), None)
        times, answers = in_turn({"pfopt": pfopt_solve(case), "cvxpy": cvxpy_solve(case)}, runs)
        ours, peer = (statistics.median(times[k]) / 1000 for k in ("pfopt", "cvxpy"))
        gap, word = agreement(case, answers["pfopt"], answers["cvxpy"])
        target = None if dense else WORST_TARGET_S.get(n)
        verdict = "-" if target is None else ("met" if ours <= target else "NOT met")
        kind = "dense, weak factor" if dense else "factor model, zero loadings"
        print(
            f"| n={n} {kind} | {int(np.sum(answers['pfopt'] > 0))} | {ours:.3f} s | "
            f"{peer:.3f} s | {'-' if target is None else f'<= {target:g} s'} | {verdict} | "
            f"{gap:+.1e} {word} |",
            flush=True,
        )


def bench_time_limit(n: int) -> None:
    universe = diagonal_universe(n, dense=True)
    case = Case("min variance", universe, MinVariance(), None)
    solver = Container().solver(settings=SolverSettings(time_limit_s=TIME_LIMIT_S))
    solve = pfopt_solve(case, solver)
    started = time.perf_counter()
    try:
        solve()
        outcome = "finished (no time-out)"
    except SolverTimeoutError as error:
        outcome = f"{error.code}"
    elapsed = time.perf_counter() - started
    bound = TIME_LIMIT_S + TIME_LIMIT_SLACK_S
    ok = elapsed <= bound  # the answer, or the time-out, within the limit
    print(
        f"time limit: min variance n={n} dense, time_limit_s={TIME_LIMIT_S:g}: {outcome} after "
        f"{elapsed:.3f} s; target: an answer or solver_timeout within {bound:g} s: "
        f"{'met' if ok else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100,500")
    parser.add_argument("--worst", default="1000,2000")
    parser.add_argument("--dense", default="800")
    parser.add_argument("--worst-runs", type=int, default=3)
    parser.add_argument("--time-limit-n", default="2000,3000")
    args = parser.parse_args()

    def sizes(text: str) -> list[int]:
        return [int(s) for s in text.split(",") if s]

    bench_single(sizes(args.sizes))
    bench_worst(sizes(args.worst), sizes(args.dense), args.worst_runs)
    print()
    for n in sizes(args.time_limit_n):
        bench_time_limit(n)


if __name__ == "__main__":
    main()
