"""CLI benchmark: what a user waits for, whole processes, pfopt beside a peer in the same run.

    python -m tests.benchmarks.bench_cli [--runs 7] [--peer-runs 3] [--skip-frontier]

Three commands, each timed from process start to exit (``subprocess``), alternating pfopt and
its peer run by run so the machine's drift hits both, and the median reported:

- ``pfopt --help`` beside a bare ``python -c pass`` (the interpreter's own start-up, the floor).
- ``pfopt optimize`` on the README's sample data (20 assets, 5 years, max Sharpe, 25 % cap,
  Technology at most 30 %) beside a PyPortfolioOpt script doing the same: pandas ``read_csv``,
  Ledoit-Wolf, ``max_sharpe`` with the same bounds and sector limit.
- ``pfopt frontier`` on 500 assets x 1260 days (25 points) beside a PyPortfolioOpt script that
  reads the same file with pandas, estimates Ledoit-Wolf, and solves 25 ``efficient_return``
  targets from its minimum-variance return to the highest.

Every pfopt process gets a fresh store (SQLite in a temporary directory) migrated by an
untimed first run, as a user's is after the first command. ``PYTHONDONTWRITEBYTECODE`` is
removed from the children's environment: a user's Python caches compiled modules, and with
the variable set every command recompiles pfopt's own modules (~0.1 s). Not a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
PFOPT = str(Path(PYTHON).with_name("pfopt"))

OPTIMIZE_PEER = """
import sys
import pandas as pd
from pypfopt import EfficientFrontier, expected_returns, risk_models
prices = pd.read_csv(sys.argv[1], index_col=0, parse_dates=True)
sectors = pd.read_csv(sys.argv[2], index_col=0)["sector"].to_dict()
mu = expected_returns.mean_historical_return(prices, compounding=False)
cov = risk_models.CovarianceShrinkage(prices).ledoit_wolf()
ef = EfficientFrontier(mu, cov, weight_bounds=(0, 0.25))
ef.add_sector_constraints(sectors, {}, {"Technology": 0.3})
ef.max_sharpe(risk_free_rate=0.0)
print(sorted(ef.clean_weights().items(), key=lambda kv: -kv[1])[:5])
"""

FRONTIER_PEER = """
import sys
import numpy as np
import pandas as pd
from pypfopt import EfficientFrontier, expected_returns, risk_models
prices = pd.read_csv(sys.argv[1], index_col=0, parse_dates=True)
mu = expected_returns.mean_historical_return(prices, compounding=False)
cov = risk_models.CovarianceShrinkage(prices).ledoit_wolf()
low = EfficientFrontier(mu, cov)
low.min_volatility()
lowest = float(low.portfolio_performance()[0])
ef, failed = EfficientFrontier(mu, cov), 0
for target in np.linspace(lowest, float(mu.max()) * (1 - 1e-6), 25):
    try:
        ef.efficient_return(float(target))
    except Exception:
        failed += 1
print(f"failed {failed}")
"""


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PFOPT_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    return env


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def alternate(
    ours: list[str], peer: list[str], env: dict[str, str], runs: int, peer_runs: int
) -> tuple[float, float]:
    """Medians (s) of ``runs`` pfopt processes and ``peer_runs`` peer processes, interleaved,
    after one untimed run of each."""
    timed(ours, env)
    timed(peer, env)
    mine, theirs = [], []
    for k in range(runs):
        mine.append(timed(ours, env))
        if k < peer_runs:
            theirs.append(timed(peer, env))
    return statistics.median(mine), statistics.median(theirs)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def row(what: str, ours: float, peer_name: str, theirs: float, target: str, ok: bool) -> None:
    print(
        f"| {what} | {ours:.2f} s | {peer_name} {theirs:.2f} s | {theirs / ours:.1f}x | "
        f"{target} | {verdict(ok)} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--peer-runs", type=int, default=3, help="for the 20 s frontier peer")
    parser.add_argument("--skip-frontier", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = environment(folder)
        prices, sectors, large = folder / "p.csv", folder / "s.csv", folder / "p500.csv"
        sample = [PFOPT, "sample-data", "-o", str(prices), "--sectors-out", str(sectors)]
        subprocess.run(sample, env=env, check=True, capture_output=True)
        subprocess.run([PFOPT, "db", "upgrade"], env=env, check=True, capture_output=True)
        print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; medians")
        print("| command | pfopt | peer (same run) | peer / pfopt | target | verdict |")
        print("|---|---|---|---|---|---|")
        ours, bare = alternate([PFOPT, "--help"], [PYTHON, "-c", "pass"], env, args.runs, args.runs)
        row("`pfopt --help`", ours, "`python -c pass`", bare, "<= 0.3 s", ours <= 0.3)
        optimize = [PFOPT, "optimize", str(prices), "--max-weight", "0.25"]
        optimize += ["--sector-map", str(sectors), "--sector-limit", "Technology=0:0.3"]
        peer = [PYTHON, "-c", OPTIMIZE_PEER, str(prices), str(sectors)]
        ours, theirs = alternate(optimize, peer, env, args.runs, args.runs)
        row(
            "`pfopt optimize` (README example)",
            ours,
            "PyPortfolioOpt",
            theirs,
            "<= 0.8 s",
            ours <= 0.8,
        )
        if args.skip_frontier:
            return
        make = [PFOPT, "sample-data", "-o", str(large), "--assets", "500", "--days", "1260"]
        subprocess.run(make, env=env, check=True, capture_output=True)
        frontier = [PFOPT, "frontier", str(large)]
        peer = [PYTHON, "-c", FRONTIER_PEER, str(large)]
        ours, theirs = alternate(frontier, peer, env, args.runs, args.peer_runs)
        ok = ours <= 1.0 and theirs / ours >= 20
        row("`pfopt frontier` 500 x 1260", ours, "PyPortfolioOpt", theirs, "<= 1.0 s, >= 20x", ok)


if __name__ == "__main__":
    main()
