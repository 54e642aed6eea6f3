"""Frontier benchmark: pfopt's critical-line engine beside PyPortfolioOpt and skfolio, same run.

    python -m tests.benchmarks.bench_frontier [--sizes 20,100,500,2000] [--runs 9]

For each n it builds deterministic synthetic factor-model prices (``pfopt sample-data``'s
generator, 1260 days), estimates mu (mean x 252) and a Ledoit-Wolf covariance (x 252), and
traces 25 points from the minimum-variance return to the highest reachable one, first
long-only, then with a 10 % cap per asset and three sector limits. It prints the median of
``--runs`` timed runs after one warm-up, the failed points, the KKT residual, and max
|w - w_ref| and the variance gap against a reference solved by Clarabel at tight tolerances
(every point up to n=500, every sixth point above). Peers whose one run would exceed
``--peer-limit`` seconds (60) are skipped and their single-solve time is printed instead.
Not a test: timings belong here, not in CI.
"""

import argparse
import statistics
import time
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


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def pfopt_run(case: Case, blas_threads: int | None):
    solver = CriticalLineFrontierSolver(blas_threads=blas_threads)
    return trace_frontier(solver, case.universe, case.lc, n_points=POINTS, risk_free_rate=RF)


def reference(case: Case, targets: list[float]) -> dict[int, np.ndarray]:
    step = 1 if case.n <= 500 else 6
    frontier = CvxpyFrontierSolver(chain=("CLARABEL",), time_limit_s=3600, options=TIGHT).prepare(
        case.universe, case.lc
    )
    return {k: frontier.at_return(targets[k]).weights for k in range(0, len(targets), step)}


def pypfopt_frontier(case: Case, targets: list[float], limit_s: float) -> dict:
    from pypfopt import EfficientFrontier

    def build() -> EfficientFrontier:
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
        return ef

    ef, weights, failed = build(), {}, 0
    started = time.perf_counter()
    for k, target in enumerate(targets):
        try:
            ef.efficient_return(target)
            weights[k] = np.array([ef.weights[i] for i in range(case.n)])
        except Exception:  # the peer's own solver errors count as failed points
            failed += 1
        if k == 0 and (time.perf_counter() - started) * len(targets) > limit_s:
            return {"single_s": time.perf_counter() - started}
    return {"s": time.perf_counter() - started, "failed": failed, "weights": weights}


def skfolio_frontier(case: Case, limit_s: float) -> dict:
    import pandas as pd
    from skfolio.moments import LedoitWolf
    from skfolio.optimization import MeanRisk
    from skfolio.prior import EmpiricalPrior

    names = list(case.universe.tickers)
    x = pd.DataFrame(case.returns, columns=names)
    kwargs: dict = {"prior_estimator": EmpiricalPrior(covariance_estimator=LedoitWolf())}
    if case.capped:
        kwargs |= {
            "max_weights": 0.10,
            "groups": [[case.sectors[t] for t in names]],
            "linear_constraints": ["Technology <= 0.25", "Financials <= 0.25", "Energy >= 0.05"],
        }
    started = time.perf_counter()
    MeanRisk(**kwargs).fit(x)
    single = time.perf_counter() - started
    if single * POINTS > limit_s:
        return {"single_s": single}
    started = time.perf_counter()
    MeanRisk(efficient_frontier_size=POINTS, **kwargs).fit(x)
    return {"s": time.perf_counter() - started}


def accuracy(case: Case, result, ref: dict[int, np.ndarray]) -> tuple[float, float]:
    cov = case.universe.covariance
    dw, dv = 0.0, 0.0
    for k, w_ref in ref.items():
        w = result.points[k].weights
        dw = max(dw, float(np.max(np.abs(w - w_ref))))
        dv = max(dv, float((w @ cov @ w - w_ref @ cov @ w_ref) / (w_ref @ cov @ w_ref)))
    return dw, dv


def peer_text(result: dict, ref: dict[int, np.ndarray] | None = None) -> str:
    if "single_s" in result:
        return f"skipped (one solve {result['single_s']:.2f} s)"
    text = f"{result['s']:.2f} s"
    if "failed" in result:
        text += f", {result['failed']} failed"
        common = [k for k in (ref or {}) if k in result["weights"]]
        if common:
            off = max(float(np.max(np.abs(result["weights"][k] - ref[k]))) for k in common)
            text += f", max|dw| {off:.1e}"
    return text


def bench(case: Case, runs: int, limit_s: float, with_peers: bool) -> None:
    result = pfopt_run(case, 1)
    one = median_ms(lambda: pfopt_run(case, 1), runs)
    default = median_ms(lambda: pfopt_run(case, None), runs)
    targets = [p.target_return for p in result.points]
    failed = sum(p.status not in ("optimal", "optimal_inaccurate") for p in result.points)
    kkt = max(p.kkt_residual or 0.0 for p in result.points)
    ref = reference(case, targets)
    dw, dv = accuracy(case, result, ref)
    row = (
        f"| {case.label} | {result.method} | {one:.1f} ms | {default:.1f} ms | {failed} | "
        f"{kkt:.1e} | {dw:.1e} | {dv:.1e} |"
    )
    if with_peers:
        ppo = pypfopt_frontier(case, targets, limit_s)
        skf = skfolio_frontier(case, limit_s)
        speedups = [r["s"] * 1000 / one for r in (ppo, skf) if "s" in r]
        row += f" {peer_text(ppo, ref)} | {peer_text(skf)} | "
        singles = [r["single_s"] * 1000 / one for r in (ppo, skf) if "single_s" in r]
        if speedups:
            row += f"{min(speedups):.0f}x |"
        else:
            row += f"one peer solve = {min(singles):.0f}x our 25 points |"
    print(row, flush=True)


def max_sharpe_alone(case: Case, runs: int, with_peers: bool) -> None:
    solver = CriticalLineFrontierSolver()
    ms = median_ms(lambda: solver.max_sharpe(case.universe, case.lc, RF), runs)
    line = f"max-Sharpe alone, {case.label}: pfopt {ms:.1f} ms"
    if with_peers:
        from pypfopt import EfficientFrontier

        started = time.perf_counter()
        try:
            ef = EfficientFrontier(case.universe.expected_returns, case.universe.covariance)
            ef.max_sharpe(RF)
            outcome = "ok"
        except Exception as error:  # the peer's solver status, reported rather than raised
            outcome = f"failed: {error.args[-1] if error.args else error}"
        line += f"; PyPortfolioOpt max_sharpe {time.perf_counter() - started:.2f} s ({outcome})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100,500,2000")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--peer-limit", type=float, default=60.0)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    blas = [
        (i["internal_api"], i["num_threads"], i.get("architecture"))
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"BLAS: {blas}; pfopt timed with 1 BLAS thread and with the default")
    head = (
        "| problem | engine | pfopt (1 BLAS thread) | pfopt (default threads) | failed | "
        "KKT residual | max abs(w - w_ref) | variance vs ref (rel) |"
    )
    if not args.no_peers:
        head += " PyPortfolioOpt (reuse) | skfolio MeanRisk | speed-up vs faster peer |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        for capped in (False, True):
            bench(make_case(n, capped), args.runs, args.peer_limit, not args.no_peers)
    if 500 in sizes:
        max_sharpe_alone(make_case(500, False), args.runs, not args.no_peers)


if __name__ == "__main__":
    main()
