"""Batch throughput: 10,000 accounts of 50 assets each, drawn from a 500-asset universe, each
with its own holdings and a turnover cap, minimum variance. The whole batch (estimate once,
solve, store every account in the database) on the in-process executor, a 2-process pool and
a 2-worker Dask LocalCluster, beside a PyPortfolioOpt loop (EfficientFrontier, the turnover
cap as a CVXPY constraint, min_volatility) over a sample of the same accounts, in turns.

    python -m tests.benchmarks.bench_batch [--accounts 10000] [--sample 200] [--rounds 1]
        [--database-url URL]   (default: a fresh SQLite file; PostgreSQL as postgresql+psycopg://...)

Targets (issue "Batch runs that outgrow one machine"): >= 1,000 accounts/s with 2 workers,
>= 1.7x the in-process rate, the whole batch stored in <= 15 s.
"""

import argparse
import tempfile
import time

import cvxpy as cp
import numpy as np
from pypfopt import EfficientFrontier

from adapters.executors import DaskExecutor, InProcessExecutor, ProcessPoolExecutor
from adapters.migrations import upgrade
from adapters.storage.batches import SqlAlchemyBatchStore
from adapters.storage.engines import make_sync_engine
from application.batches import BatchCommand, RunBatch
from domain.objectives import MinVariance
from entrypoints.container import batch_solver
from tests.batch.accounts import accounts, model, shared_universe


def pfopt_batch(executor, engine, universe, listed) -> dict:
    store = SqlAlchemyBatchStore(engine)
    started = time.perf_counter()
    run = RunBatch(model(universe), executor, store, batch_solver).execute(
        BatchCommand(accounts=listed, tickers=universe.tickers)
    )
    wall = time.perf_counter() - started  # includes starting the workers
    assert run.state.status == "done" and run.state.failed == 0, run.state
    return {"wall": wall, "rate": len(listed) / wall, "summary": run.state.summary, "run": run}


def pypfopt_loop(universe, sample) -> tuple[float, list[np.ndarray]]:
    index = {t: i for i, t in enumerate(universe.tickers)}
    answers = []
    started = time.perf_counter()
    for a in sample:
        idx = [index[t] for t in a.tickers]
        cov = universe.covariance[np.ix_(idx, idx)]
        mu = universe.expected_returns[idx]
        w0 = np.array([a.rebalance.holdings[t] for t in a.tickers])
        ef = EfficientFrontier(mu, cov, weight_bounds=(0, max(0.3, 2.0 / len(idx))))
        tau, cash = a.rebalance.turnover, a.rebalance.cash
        ef.add_constraint(
            lambda w, w0=w0, tau=tau, cash=cash: cp.sum(cp.abs(w - w0)) + cash <= 2 * tau
        )
        answers.append(np.array(list(ef.min_volatility().values())))
    return time.perf_counter() - started, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    universe = shared_universe(500)
    listed = accounts(universe, args.accounts, 50, objectives=(MinVariance(),))
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    engine = make_sync_engine(url)
    executors = {
        "pfopt in-process": lambda: InProcessExecutor(),
        "pfopt pool x2": lambda: ProcessPoolExecutor(2),
        "pfopt dask x2": lambda: DaskExecutor(workers=2),
    }
    results: dict[str, list[dict]] = {k: [] for k in executors}
    peer: list[float] = []
    for _ in range(args.rounds):
        for name, make in executors.items():
            results[name].append(pfopt_batch(make(), engine, universe, listed))
            r = results[name][-1]
            print(f"{name:18s} {r['wall']:7.2f} s  {r['rate']:8.1f} accounts/s  {r['summary']}")
        seconds, answers = pypfopt_loop(universe, listed[: args.sample])
        peer.append(args.sample / seconds)
        print(
            f"{'PyPortfolioOpt':18s} {seconds:7.2f} s for {args.sample}  {peer[-1]:8.1f} accounts/s"
        )
    engine.dispose()
    # objective check on the sample: pfopt's variance no worse than PyPortfolioOpt's
    ours = results["pfopt in-process"][-1]["run"].outcomes[: args.sample]
    worse = infeasible = 0
    for a, o, theirs in zip(listed, ours, answers, strict=False):
        idx = [universe.tickers.index(t) for t in a.tickers]
        cov = universe.covariance[np.ix_(idx, idx)]
        w = np.array([o.weights.get(t, 0.0) for t in a.tickers])
        w0 = np.array([a.rebalance.holdings[t] for t in a.tickers])
        moved = (np.abs(theirs - w0).sum() + a.rebalance.cash) / 2
        if moved > a.rebalance.turnover + 1e-7 or theirs.min() < -1e-7:
            infeasible += 1  # the peer's answer breaks a constraint: no objective to compare
            continue
        worse += float(w @ cov @ w) > float(theirs @ cov @ theirs) * (1 + 1e-7)
    best = {k: max(r["rate"] for r in v) for k, v in results.items()}
    walls = {k: min(r["wall"] for r in v) for k, v in results.items()}
    base = best["pfopt in-process"]
    print()
    print(f"accounts: {args.accounts} of 50 assets from 500, min variance, turnover caps")
    for name in executors:
        print(
            f"  {name:18s} {best[name]:8.1f} accounts/s  {best[name] / base:4.2f}x in-process"
            f"  whole batch {walls[name]:.2f} s"
        )
    print(f"  {'PyPortfolioOpt':18s} {max(peer):8.1f} accounts/s (sample of {args.sample})")
    dask = best["pfopt dask x2"]
    print(
        f"verdict: dask x2 {dask:.0f}/s vs target 1000/s: {'MET' if dask >= 1000 else 'NOT MET'};"
        f" {dask / base:.2f}x in-process vs 1.7x: {'MET' if dask / base >= 1.7 else 'NOT MET'};"
        f" stored in {walls['pfopt dask x2']:.1f} s vs 15 s:"
        f" {'MET' if walls['pfopt dask x2'] <= 15 else 'NOT MET'};"
        f" {dask / max(peer):.0f}x PyPortfolioOpt;"
        f" objective worse than PyPortfolioOpt on {worse} of {len(ours)} sampled accounts"
    )


if __name__ == "__main__":
    main()
