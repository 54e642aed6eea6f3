import os

import numpy as np
import pytest

from application.generate_sample_prices import (
    GenerateSamplePrices,
    GenerateSamplePricesCommand,
    SampleMarket,
)
from domain.model import Universe


def random_universe(n: int, seed: int, n_observations: int | None = None) -> Universe:
    """A universe with a well-conditioned random covariance (annualized scale)."""
    rng = np.random.default_rng(seed)
    t = n_observations or 3 * n + 50
    factors = rng.normal(size=(t, 3)) @ rng.normal(0.0, 0.1, size=(3, n))
    returns = factors + rng.normal(0.0, 0.15, size=(t, n))
    mu = rng.normal(0.08, 0.06, n)
    return Universe([f"A{i:03d}" for i in range(n)], mu, np.cov(returns, rowvar=False))


def make_market(**kwargs) -> SampleMarket:
    return GenerateSamplePrices().execute(GenerateSamplePricesCommand(**kwargs))


@pytest.fixture(scope="session")
def market() -> SampleMarket:
    return make_market(n_assets=8, n_days=400, seed=3)


@pytest.fixture(autouse=True, scope="session")
def _isolated_database(tmp_path_factory) -> None:
    """CLI runs save history: keep them in a throw-away SQLite file, never the user's store."""
    path = tmp_path_factory.mktemp("db") / "cli.db"
    os.environ["PFOPT_DATABASE_URL"] = f"sqlite+aiosqlite:///{path}"
