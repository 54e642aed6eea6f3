"""Accounts drawn from one shared universe, for the batch tests and the benchmark: each holds
a random selection of the universe with random holdings and a turnover cap."""

import numpy as np

from application.estimate_universe import GivenModel
from domain.batch import BatchAccount
from domain.constraints import build_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance
from domain.rebalance import RebalanceSpec

OBJECTIVES = (MinVariance(), MaxUtility(risk_aversion=3.0), MaxSharpe(risk_free_rate=0.01))


def shared_universe(n: int, seed: int = 7) -> Universe:
    """A factor-structured annualized universe of ``n`` assets."""
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0.0, 0.12, (n, 5))
    cov = loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.06, n))
    mu = rng.uniform(0.02, 0.16, n)
    return Universe([f"T{i:04d}" for i in range(n)], mu, cov)


def accounts(
    universe: Universe, count: int, size: int, seed: int = 11, objectives=OBJECTIVES
) -> list[BatchAccount]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        idx = rng.choice(universe.n_assets, size, replace=False)
        tickers = tuple(universe.tickers[i] for i in idx)
        cap = max(0.3, 2.0 / size)
        held = rng.dirichlet(np.full(size, 2.0))
        while held.max() > 0.9 * cap:  # holdings that meet the account's own cap
            held = rng.dirichlet(np.full(size, 2.0))
        held = np.floor(held * 0.97 * 1e6) / 1e6
        spec = RebalanceSpec(
            holdings=dict(zip(tickers, held.tolist(), strict=True)),
            cash=1.0 - float(held.sum()),
            turnover=float(rng.choice([0.05, 0.1, 0.2])),
            cost_bps=float(rng.choice([0.0, 5.0])) if len(objectives) > 1 else 0.0,
        )
        out.append(
            BatchAccount(
                f"acct-{k:05d}",
                objectives[k % len(objectives)],
                tickers,
                build_constraints(long_only=True, max_weight=cap),
                spec,
            )
        )
    return out


def model(universe: Universe) -> GivenModel:
    return GivenModel(universe)
