"""Risk budgeting against its closed form, its defining property and skfolio computed live:
every asset's share of the variance equals its budget to 1e-10."""

import numpy as np
import pytest

from adapters.risk_budgeting import risk_budget_weights
from application.allocate import allocate
from domain.constraints import build_constraints
from domain.errors import DomainError, InfeasibleError
from domain.linear import compile_constraints
from domain.model import Universe
from domain.objectives import RiskBudget
from tests.conftest import random_universe
from tests.numerical.production import production_solver


def _shares(cov, w):
    rc = w * (cov @ w)
    return rc / rc.sum()


def test_uncorrelated_assets_have_the_closed_form() -> None:
    sigma = np.array([0.1, 0.2, 0.4])
    b = np.array([0.5, 0.3, 0.2])
    w, error, _ = risk_budget_weights(np.diag(sigma**2), b)
    expected = np.sqrt(b) / sigma
    np.testing.assert_allclose(w, expected / expected.sum(), atol=1e-12)
    assert error <= 1e-10


@pytest.mark.parametrize("n", [3, 20, 150])
def test_every_share_of_risk_is_its_budget(n) -> None:
    universe = random_universe(n, seed=n)
    rng = np.random.default_rng(n)
    b = rng.uniform(0.2, 1.0, n)
    b /= b.sum()
    lc = compile_constraints(universe.tickers, build_constraints(long_only=True))
    budgets = dict(zip(universe.tickers, b, strict=True))
    a = allocate(production_solver(), universe, lc, RiskBudget(budgets))
    assert a.solver == "newton_risk_budget"
    assert a.weights.sum() == pytest.approx(1.0, abs=1e-12) and np.all(a.weights > 0)
    np.testing.assert_allclose(_shares(universe.covariance, a.weights), b, atol=1e-10)
    equal = allocate(production_solver(), universe, lc, RiskBudget())
    np.testing.assert_allclose(_shares(universe.covariance, equal.weights), 1 / n, atol=1e-10)


def test_skfolio_risk_budgeting_on_the_same_returns() -> None:
    """skfolio's RiskBudgeting (variance) on daily returns; pfopt on the same sample
    covariance. skfolio stops at its solver's tolerance: pfopt's shares are at least as
    close to the budgets, and the weights agree to that tolerance."""
    from skfolio import RiskMeasure
    from skfolio.optimization import RiskBudgeting

    rng = np.random.default_rng(3)
    x = rng.normal(0.0004, 0.01, (1000, 8)) @ (np.eye(8) + 0.3 * rng.random((8, 8)))
    b = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    peer = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, risk_budget=b).fit(x)
    cov = np.cov(x.T, ddof=1)
    tickers = tuple(f"A{i}" for i in range(8))
    universe = Universe(tickers, x.mean(axis=0) * 252, cov * 252)
    lc = compile_constraints(tickers, build_constraints(long_only=True))
    ours = allocate(
        production_solver(), universe, lc, RiskBudget(dict(zip(tickers, b, strict=True)))
    )
    np.testing.assert_allclose(ours.weights, peer.weights_, atol=1e-5)
    ours_error = np.abs(_shares(cov, ours.weights) - b).max()
    peer_error = np.abs(_shares(cov, np.asarray(peer.weights_)) - b).max()
    assert ours_error <= peer_error and ours_error <= 1e-10


def test_what_risk_budgeting_refuses_names_the_field() -> None:
    universe = random_universe(4, seed=1)
    t = universe.tickers
    solver = production_solver()
    plain = compile_constraints(t, build_constraints(long_only=True))
    for budgets, field, detail in [
        ({t[0]: 0.5, t[1]: 0.5}, "budgets", f"no budget for {t[2]}"),
        ({t[0]: 0.25, t[1]: 0.25, t[2]: 0.25, "ZZZ": 0.25}, "budgets", "'ZZZ' is not one"),
    ]:
        with pytest.raises(DomainError) as caught:
            allocate(solver, universe, plain, RiskBudget(budgets))
        assert caught.value.field == field and detail in caught.value.detail, caught.value
    with pytest.raises(DomainError, match="positive decimal"):
        RiskBudget({t[0]: -0.5, t[1]: 1.5})
    with pytest.raises(DomainError) as caught:
        RiskBudget(dict.fromkeys(t, 25.0))
    assert caught.value.field == "budgets" and "decimals" in caught.value.detail
    capped = compile_constraints(t, build_constraints(long_only=True, max_weight=0.26))
    with pytest.raises(InfeasibleError) as caught:
        allocate(solver, universe, capped, RiskBudget())
    assert caught.value.field == "max_weight" and "above its cap" in caught.value.detail
    shorts = compile_constraints(t, build_constraints(long_only=False))
    with pytest.raises(DomainError) as caught:
        allocate(solver, universe, shorts, RiskBudget())
    assert caught.value.field == "objective"
