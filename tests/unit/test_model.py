import math

import numpy as np
import pytest

from domain.errors import InvalidObjectiveError, InvalidUniverseError
from domain.model import Asset, Portfolio, Universe
from domain.objectives import MaxSharpe, MaxUtility, TargetReturn, TargetRisk

COV = np.array([[0.04, 0.01], [0.01, 0.09]])


def test_universe_freezes_its_arrays() -> None:
    u = Universe(["A", "B"], [0.1, 0.2], COV)
    assert u.n_assets == 2
    with pytest.raises(ValueError, match="read-only"):
        u.expected_returns[0] = 1.0


@pytest.mark.parametrize(
    ("tickers", "mu", "cov", "message"),
    [
        (["A"], [0.1], [[0.04]], "need at least 2 assets, got 1"),
        (["A", "A"], [0.1, 0.2], COV, "duplicate ticker 'A'"),
        (["A", "B"], [0.1, math.nan], COV, "expected return of 'B' is not finite"),
        (["A", "B"], [0.1, math.inf], COV, "expected return of 'B' is not finite"),
        (["A", "B"], [0.1, 0.2], [[0.04, math.nan], [math.nan, 0.09]], "covariance row of 'A'"),
        (["A", "B"], [0.1, 0.2, 0.3], COV, "expected_returns has 3 values for 2 tickers"),
        (["A", "B"], [0.1, 0.2], np.eye(3), "covariance has shape (3, 3), expected (2, 2)"),
        (["A", "B"], [0.1, 0.2], [[0.04, 0.01], [0.02, 0.09]], "covariance is not symmetric"),
        (["A", "B"], [0.1, 0.2], [[-0.04, 0.0], [0.0, 0.09]], "variance of 'A' is negative"),
    ],
)
def test_universe_rejects_bad_input_naming_it(tickers, mu, cov, message: str) -> None:
    with pytest.raises(InvalidUniverseError) as caught:
        Universe(tickers, mu, cov)
    assert message in caught.value.detail


def test_portfolio_knows_sectors_and_checks_weights() -> None:
    p = Portfolio("p", (Asset("A", "Tech"), Asset("B")))
    assert p.tickers == ("A", "B")
    assert p.sectors == {"A": "Tech"}
    with pytest.raises(InvalidUniverseError, match="current weight for unknown ticker 'C'"):
        Portfolio("p", (Asset("A"), Asset("B")), current_weights={"C": 1.0})
    with pytest.raises(InvalidUniverseError, match="duplicate ticker 'A'"):
        Portfolio("p", (Asset("A"), Asset("A")))
    with pytest.raises(InvalidUniverseError, match="empty or padded"):
        Asset(" A")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TargetRisk(0.0), "target_risk must be > 0"),
        (lambda: TargetRisk(math.nan), "target_risk must be a finite number"),
        (lambda: TargetReturn(math.inf), "target_return must be a finite number"),
        (lambda: MaxUtility(0.0), "risk_aversion must be > 0"),
        (lambda: MaxSharpe(math.nan), "risk_free_rate must be a finite number"),
    ],
)
def test_objectives_validate_parameters(build, message: str) -> None:
    with pytest.raises(InvalidObjectiveError) as caught:
        build()
    assert message in caught.value.detail


@pytest.mark.parametrize("held", [1, 3, 12, 40, 150])
def test_portfolio_variance_of_a_sparse_portfolio_reads_its_block_only(held: int) -> None:
    """Few assets held: the held block alone, equal to the whole product to rounding."""
    rng = np.random.default_rng(held)
    n = 240
    root = rng.normal(size=(n, n))
    universe = Universe(tuple(f"A{i}" for i in range(n)), np.zeros(n), root @ root.T / n)
    weights = np.zeros(n)
    weights[rng.choice(n, held, replace=False)] = rng.dirichlet(np.ones(held))
    whole = float(weights @ universe.covariance @ weights)
    assert universe.portfolio_variance(weights) == pytest.approx(whole, rel=1e-14, abs=1e-18)
