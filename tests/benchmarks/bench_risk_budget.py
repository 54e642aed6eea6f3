"""Risk parity benchmark: pfopt's ``allocate()`` with ``RiskBudget()`` (equal risk
contribution) beside skfolio's ``RiskBudgeting`` on the same returns, and with
``HierarchicalRiskParity("single")`` beside PyPortfolioOpt's ``HRPOpt`` (the same algorithm:
the weights must agree), alternating, medians.

    python -m tests.benchmarks.bench_risk_budget [--sizes 20,100,500] [--runs 5]

Daily returns of ``n`` assets over 1260 days (5 factors plus noise, seed 0); skfolio fits its
empirical prior (sample covariance), pfopt gets the same covariance annualized. Printed: each
one's p50 for the whole solve, and the largest error of a risk share against 1/n (lower is
better: the budgets are the answer's definition). Targets (issue 15): risk parity and HRP at
n=500 <= 50 ms. Not a test: timings belong here."""

import argparse
import statistics

import numpy as np

from application.allocate import allocate
from domain.constraints import build_constraints
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import RiskBudget
from entrypoints.container import Container
from tests.benchmarks.bench_solve import in_turn

DAYS = 1260
TARGET_MS = {500: 50.0}


def market(n: int) -> tuple[np.ndarray, Universe]:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.01, (DAYS, 5)) @ rng.normal(1, 0.4, (n, 5)).T
    x += rng.normal(0.0004, 0.015, (DAYS, n))
    tickers = tuple(f"A{i:03d}" for i in range(n))
    return x, Universe(tickers, x.mean(axis=0) * 252, np.cov(x.T, ddof=1) * 252)


def share_error(cov: np.ndarray, w: np.ndarray) -> float:
    rc = w * (cov @ w)
    return float(np.abs(rc / rc.sum() - 1 / w.size).max())


def main() -> None:
    from skfolio import RiskMeasure
    from skfolio.optimization import RiskBudgeting

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100,500")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        "| n | pfopt p50 | skfolio RiskBudgeting p50 (same run) | skfolio / pfopt "
        "| share error pfopt | share error skfolio | target | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|")
    solver = Container().solver()
    for n in (int(s) for s in args.sizes.split(",")):
        x, universe = market(n)
        lc = compile_constraints(universe.tickers, build_constraints(long_only=True))

        def ours(universe=universe, lc=lc) -> np.ndarray:
            return allocate(solver, universe, lc, RiskBudget()).weights

        def theirs(x=x) -> np.ndarray:
            model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)
            return np.asarray(model.fit(x).weights_)

        times, answers = in_turn({"pfopt": ours, "skfolio": theirs}, args.runs)
        p50 = {k: statistics.median(v) for k, v in times.items()}
        cov = universe.covariance
        target = TARGET_MS.get(n)
        verdict = "-" if target is None else ("met" if p50["pfopt"] <= target else "NOT met")
        print(
            f"| {n} | {p50['pfopt']:.1f} ms | {p50['skfolio']:.1f} ms | "
            f"{p50['skfolio'] / p50['pfopt']:.1f}x | {share_error(cov, answers['pfopt']):.1e} | "
            f"{share_error(cov, answers['skfolio']):.1e} | "
            f"{'-' if target is None else f'<= {target:g} ms'} | {verdict} |"
        )
    bench_hrp([int(s) for s in args.sizes.split(",")], args.runs)


def bench_hrp(sizes: list[int], runs: int) -> None:
    import pandas as pd
    from pypfopt import HRPOpt

    from domain.objectives import HierarchicalRiskParity

    print()
    print(
        "| n | pfopt HRP p50 | PyPortfolioOpt HRPOpt p50 (same run) | peer / pfopt "
        "| max abs(w - w_peer) | target | verdict |"
    )
    print("|---|---|---|---|---|---|---|")
    solver = Container().solver()
    for n in sizes:
        x, universe = market(n)
        lc = compile_constraints(universe.tickers, build_constraints(long_only=True))
        frame = pd.DataFrame(x, columns=list(universe.tickers))

        def ours(universe=universe, lc=lc) -> np.ndarray:
            return allocate(solver, universe, lc, HierarchicalRiskParity("single")).weights

        def theirs(frame=frame, universe=universe) -> np.ndarray:
            w = HRPOpt(frame).optimize(linkage_method="single")
            return np.array([w[t] for t in universe.tickers])

        times, answers = in_turn({"pfopt": ours, "peer": theirs}, runs)
        p50 = {k: statistics.median(v) for k, v in times.items()}
        target = TARGET_MS.get(n)
        verdict = "-" if target is None else ("met" if p50["pfopt"] <= target else "NOT met")
        print(
            f"| {n} | {p50['pfopt']:.1f} ms | {p50['peer']:.1f} ms | "
            f"{p50['peer'] / p50['pfopt']:.1f}x | "
            f"{np.abs(answers['pfopt'] - answers['peer']).max():.1e} | "
            f"{'-' if target is None else f'<= {target:g} ms'} | {verdict} |"
        )


if __name__ == "__main__":
    main()
