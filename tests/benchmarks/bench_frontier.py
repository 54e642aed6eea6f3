"""Frontier benchmark: pfopt's critical-line engine beside PyPortfolioOpt and skfolio on the same
25 target returns, timed the same way in the same run, every answer checked.

    python -m tests.benchmarks.bench_frontier [--sizes 20,100,500,2000] [--runs 5]

For each n it builds deterministic synthetic factor-model prices (``pfopt sample-data``'s
generator, 1260 days), estimates mu (mean x 252) and a Ledoit-Wolf covariance (x 252), and
traces 25 points from the minimum-variance return to the highest reachable one, first
long-only, then with a 10 % cap per asset and three sector limits. pfopt chooses the 25 targets;
PyPortfolioOpt (one ``EfficientFrontier``, ``efficient_return`` per target) and skfolio
(``MeanRisk`` minimizing variance with ``min_return`` = the 25 targets) are given the same
targets and the same mu and covariance (skfolio through fixed-moment estimators, so no
estimation is timed on either side). Every engine gets one warm-up run, then ``--runs`` timed
runs taken in turn (pfopt, pfopt with default BLAS threads, each peer, again), and the median
is printed. A point fails when its engine errored or its weights are off a reference solved by
Clarabel at tight tolerances (every point up to n=500, every sixth above) by more than 1e-4
max-abs, or its variance is above the reference's by more than 1e-6 relative. Peers whose one
run would exceed ``--peer-limit`` seconds (60) are skipped and their single-solve time printed.
Not a test: timings belong here, not in CI.
"""

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info

from adapters.cvxpy_frontier import CvxpyFrontierSolver
from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.sklearn_risk import SklearnRiskEstimator
from application.compute_frontier import trace_frontier
from application.generate_sample_prices import GenerateSamplePrices, GenerateSamplePricesCommand
from domain.constraints import GroupLimits, LongOnly, WeightBounds
from domain.estimation import expected_returns
from domain.linear import LinearConstraints, compile_constraints
from domain.model import Universe
from domain.returns import simple_returns
from tests.reference import TIGHT

SECTOR_LIMITS = {"Technology": (0.0, 0.25), "Financials": (0.0, 0.25), "Energy": (0.05, 1.0)}
POINTS = 25
RF = 0.02
WEIGHT_TOLERANCE = 1e-4
VARIANCE_TOLERANCE = 1e-6
TARGET_MS = {500: 10.0, 2000: 40.0}
"""The issue's targets for 25 long-only points; capped + sectors may take 1.5x."""
CAPPED_FACTOR = 1.5

Answers = dict[int, np.ndarray]
"""Weights by point index; a missing index is a point the engine failed."""
ERRORS: dict[tuple[str, str], str] = {}
"""Per peer and case: its solver, first error and warnings, printed under the table."""


@dataclass
class Case:
    n: int
    capped: bool
    universe: Universe
    lc: LinearConstraints
    returns: np.ndarray
    sectors: dict[str, str]

    @property
    def label(self) -> str:
        return f"n={self.n} " + ("cap 10% + 3 sectors" if self.capped else "long-only")

    @property
    def target_ms(self) -> float | None:
        base = TARGET_MS.get(self.n)
        return None if base is None else base * (CAPPED_FACTOR if self.capped else 1.0)


def make_case(n: int, capped: bool) -> Case:
    market = GenerateSamplePrices().execute(
        GenerateSamplePricesCommand(n_assets=n, n_days=1260, seed=2026)
    )
    window = simple_returns(market.history)
    cov = SklearnRiskEstimator().covariance(window.returns, "ledoit_wolf") * 252
    universe = Universe(window.tickers, expected_returns(window.returns), cov)
    constraints: list = [LongOnly()]
    if capped:
        constraints += [WeightBounds(max_weight=0.10), GroupLimits(market.sectors, SECTOR_LIMITS)]
    return Case(
        n,
        capped,
        universe,
        compile_constraints(universe.tickers, constraints),
        window.returns,
        market.sectors,
    )


def pfopt_run(case: Case, blas_threads: int | None):
    solver = CriticalLineFrontierSolver(blas_threads=blas_threads)
    return trace_frontier(solver, case.universe, case.lc, n_points=POINTS, risk_free_rate=RF)


def pfopt_answers(result) -> Answers:
    return {
        k: p.weights
        for k, p in enumerate(result.points)
        if p.status in ("optimal", "optimal_inaccurate") and p.weights is not None
    }


def reference(case: Case, targets: list[float]) -> Answers:
    step = 1 if case.n <= 500 else 6
    frontier = CvxpyFrontierSolver(chain=("CLARABEL",), time_limit_s=3600, options=TIGHT).prepare(
        case.universe, case.lc
    )
    return {k: frontier.at_return(targets[k]).weights for k in range(0, len(targets), step)}


def pypfopt_frontier(case: Case, targets: list[float]) -> Answers:
    """One ``EfficientFrontier`` (built inside the timing, as pfopt's preparation is), reused
    for every target; a target the peer refuses or fails on is left out."""
    from pypfopt import EfficientFrontier

    ef = EfficientFrontier(
        case.universe.expected_returns,
        case.universe.covariance,
        weight_bounds=(0, 0.10 if case.capped else 1),
    )
    if case.capped:
        ef.add_sector_constraints(  # the peer names assets by position for ndarray inputs
            {i: case.sectors[t] for i, t in enumerate(case.universe.tickers)},
            {s: lo for s, (lo, _) in SECTOR_LIMITS.items()},
            {s: hi for s, (_, hi) in SECTOR_LIMITS.items()},
        )
    answers: Answers = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k, target in enumerate(targets):
            try:
                ef.efficient_return(float(target))
                answers[k] = np.array([ef.weights[i] for i in range(case.n)])
            except Exception as error:  # the peer's refusals and solver errors: failed points
                ERRORS.setdefault(
                    ("PyPortfolioOpt", case.label), f"first error, point {k}: {error}"
                )
    if caught:
        ERRORS.setdefault(
            ("PyPortfolioOpt", case.label + " warnings"),
            f"{len(caught)} x {str(caught[0].message).splitlines()[0]}",
        )
    ERRORS.setdefault(("PyPortfolioOpt", case.label + " solver"), ef._opt.solver_stats.solver_name)
    return answers


def _fixed_moments(case: Case):
    """skfolio estimators that return pfopt's mu and covariance, so both solve one problem."""
    from skfolio.moments import BaseCovariance, BaseMu

    class FixedMu(BaseMu):
        def __init__(self, mu=None) -> None:
            self.mu = mu

        def fit(self, X, y=None):
            self.mu_ = np.asarray(self.mu)
            return self

    class FixedCovariance(BaseCovariance):
        def __init__(self, covariance=None, nearest: bool = True) -> None:
            super().__init__(nearest=nearest)
            self.covariance = covariance

        def fit(self, X, y=None, **fit_params):
            self._set_covariance(np.array(self.covariance))
            return self

    return FixedMu(case.universe.expected_returns), FixedCovariance(case.universe.covariance)


def skfolio_frontier(case: Case, targets: list[float]) -> Answers:
    """``MeanRisk`` minimizing variance, one optimization per entry of ``min_return``."""
    from skfolio.optimization import MeanRisk
    from skfolio.prior import EmpiricalPrior

    mu, cov = _fixed_moments(case)
    names = list(case.universe.tickers)
    kwargs: dict = {
        "prior_estimator": EmpiricalPrior(mu_estimator=mu, covariance_estimator=cov),
        "min_return": np.asarray(targets) if len(targets) > 1 else float(targets[0]),
        "raise_on_failure": False,
    }
    if case.capped:
        kwargs |= {
            "max_weights": 0.10,
            "groups": [[case.sectors[t] for t in names]],
            "linear_constraints": ["Technology <= 0.25", "Financials <= 0.25", "Energy >= 0.05"],
        }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = MeanRisk(**kwargs).fit(case.returns)
    weights = np.atleast_2d(model.weights_)
    if caught:
        ERRORS.setdefault(
            ("skfolio", case.label), "first warning: " + str(caught[0].message).splitlines()[0]
        )
    return {k: w for k, w in enumerate(weights) if np.all(np.isfinite(w))}


@dataclass
class Check:
    failed: int
    checked: int
    max_dw: float
    max_dv: float


def check(case: Case, answers: Answers, ref: Answers) -> Check:
    """Failed points: missing, or off the reference (weights > 1e-4, variance > 1e-6 rel)."""
    cov = case.universe.covariance
    failed, dw_all, dv_all = POINTS - len(answers), 0.0, -np.inf
    for k, w_ref in ref.items():
        if k not in answers:
            continue
        w = answers[k]
        v_ref = float(w_ref @ cov @ w_ref)
        dw = float(np.max(np.abs(w - w_ref)))
        dv = (float(w @ cov @ w) - v_ref) / v_ref
        failed += dw > WEIGHT_TOLERANCE or dv > VARIANCE_TOLERANCE
        dw_all, dv_all = max(dw_all, dw), max(dv_all, dv)
    return Check(failed, sum(k in answers for k in ref), dw_all, dv_all)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


@dataclass
class Engine:
    name: str
    run: Callable[[], Answers]
    times: list[float]
    answers: Answers | None = None
    single_s: float | None = None


def peer_engines(case: Case, targets: list[float], limit_s: float) -> list[Engine]:
    """Each peer probed on the first target (set-up included); kept when its 25 points would
    fit in ``limit_s``, estimated from the probe or, if that is not clear, from a second probe
    on two targets (the set-up is paid once per run, the extra point is the marginal cost)."""
    engines = []
    for name, frontier in (("PyPortfolioOpt", pypfopt_frontier), ("skfolio", skfolio_frontier)):
        engine = Engine(name, lambda frontier=frontier: frontier(case, targets), [])
        single, _ = timed(lambda frontier=frontier: frontier(case, targets[:1]))
        estimate = single * POINTS
        if single < limit_s < estimate:
            two, _ = timed(lambda frontier=frontier: frontier(case, targets[:2]))
            estimate = single + (POINTS - 1) * max(two - single, 0.0)
        if estimate > limit_s:
            engine.single_s = single
        else:
            engine.answers = engine.run()  # the warm-up, whose answers are checked
        engines.append(engine)
    return engines


def cell(engine: Engine, result: Check | None, pfopt_s: float) -> str:
    if engine.single_s is not None:
        single = engine.single_s
        return (
            f"skipped (one point, set-up included: {single:.2f} s = {single / pfopt_s:.0f}x our 25)"
        )
    s = statistics.median(engine.times)
    assert result is not None
    return (
        f"{s * 1000:.0f} ms ({s / pfopt_s:.0f}x), {result.failed} failed, "
        f"max abs dw {result.max_dw:.1e}, var {result.max_dv:+.1e}"
    )


def bench(case: Case, runs: int, limit_s: float, with_peers: bool) -> None:
    result = pfopt_run(case, 1)  # warm-up; its targets go to the peers
    pfopt_run(case, None)
    targets = [p.target_return for p in result.points]
    ref = reference(case, targets)
    ours = check(case, pfopt_answers(result), ref)
    kkt = max(p.kkt_residual or 0.0 for p in result.points)
    engines = [
        Engine("pfopt", lambda: pfopt_run(case, 1), []),
        Engine("pfopt default threads", lambda: pfopt_run(case, None), []),
    ]
    peers = peer_engines(case, targets, limit_s) if with_peers else []
    active = engines + [p for p in peers if p.single_s is None]
    for _ in range(runs):  # in turn, so drift in the machine's speed hits every engine alike
        for engine in active:
            engine.times.append(timed(engine.run)[0])
    one, default = (statistics.median(e.times) for e in engines)
    target = case.target_ms
    verdict = "-" if target is None else ("met" if one * 1000 <= target else "NOT met")
    row = (
        f"| {case.label} | {result.method} | {one * 1000:.1f} ms | {default * 1000:.1f} ms | "
        f"{'-' if target is None else f'<= {target:g} ms'} | {verdict} | "
        f"{ours.failed} ({ours.checked} checked) | {kkt:.1e} | {ours.max_dw:.1e} | "
        f"{ours.max_dv:+.1e} |"
    )
    for peer in peers:
        peer_check = check(case, peer.answers, ref) if peer.answers is not None else None
        row += f" {cell(peer, peer_check, one)} |"
    print(row, flush=True)


def max_sharpe_alone(case: Case, runs: int, with_peers: bool) -> None:
    """The tangency portfolio alone, pfopt and PyPortfolioOpt ``max_sharpe`` in turn."""
    solver = CriticalLineFrontierSolver()
    universe = case.universe

    def ours():
        return solver.max_sharpe(universe, case.lc, RF).weights

    def theirs():
        from pypfopt import EfficientFrontier

        ef = EfficientFrontier(universe.expected_returns, universe.covariance)
        try:
            ef.max_sharpe(RF)
        except Exception as error:  # the peer's solver status, reported rather than raised
            return f"failed: {error.args[-1] if error.args else error}"
        return np.array([ef.weights[i] for i in range(case.n)])

    def sharpe(w: np.ndarray) -> float:
        return float((universe.expected_returns @ w - RF) / np.sqrt(w @ universe.covariance @ w))

    engines = [(ours, [])] + ([(theirs, [])] if with_peers else [])
    answers = [fn() for fn, _ in engines]  # warm-up
    for _ in range(runs):
        for fn, times in engines:
            times.append(timed(fn)[0])
    ms = statistics.median(engines[0][1]) * 1000
    line = f"max-Sharpe alone, {case.label}: pfopt {ms:.1f} ms (Sharpe {sharpe(answers[0]):.10f})"
    if with_peers:
        peer = answers[1]
        outcome = peer if isinstance(peer, str) else f"Sharpe {sharpe(peer):.10f}"
        line += (
            f"; PyPortfolioOpt max_sharpe {statistics.median(engines[1][1]) * 1000:.0f} ms "
            f"({outcome})"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100,500,2000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-limit", type=float, default=60.0)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    blas = [
        (i["internal_api"], i["num_threads"], i.get("architecture"))
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"BLAS: {blas}; pfopt timed with 1 BLAS thread (as served) and with the default")
    print(
        f"medians of {args.runs} runs after one warm-up, engines in turn; target: frontier "
        "engine (25 points, Ledoit-Wolf) n=500 <= 10 ms, n=2000 <= 40 ms long-only; with a "
        "10 % cap and 3 sector limits at most 1.5x those"
    )
    head = (
        "| problem | engine | pfopt (1 BLAS thread) | pfopt (default threads) | target | "
        "verdict | failed points | KKT residual | max abs(w - w_ref) | variance vs ref (rel) |"
    )
    if not args.no_peers:
        head += " PyPortfolioOpt (reuse, same targets) | skfolio MeanRisk (same targets) |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        for capped in (False, True):
            bench(make_case(n, capped), args.runs, args.peer_limit, not args.no_peers)
    for (peer, label), message in ERRORS.items():
        print(f"{peer}, {label}: {message}")
    if 500 in sizes:
        max_sharpe_alone(make_case(500, False), args.runs, not args.no_peers)


if __name__ == "__main__":
    main()
