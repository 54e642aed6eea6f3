import math

import numpy as np
import pytest
from scipy import stats

from domain.errors import ValidationError
from domain.risk import (
    asset_attribution,
    beta_and_correlation,
    effective_number_of_bets,
    factor_attribution,
    herfindahl,
    max_drawdown,
    tail_risk,
)
from domain.risk_model import FactorModel

RNG = np.random.default_rng(8)


def test_euler_components_sum_to_volatility() -> None:
    a = RNG.normal(size=(6, 6))
    cov, w = a @ a.T / 10, RNG.dirichlet(np.ones(6))
    attribution = asset_attribution(w, cov)
    assert attribution.volatility == pytest.approx(math.sqrt(w @ cov @ w))
    assert attribution.component.sum() == pytest.approx(attribution.volatility, rel=1e-14)
    assert attribution.percent.sum() == pytest.approx(1.0, rel=1e-14)


def test_two_asset_closed_form() -> None:
    s1, s2, rho, w1 = 0.2, 0.3, 0.4, 0.6
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    w = np.array([w1, 1 - w1])
    sigma = math.sqrt(w1**2 * s1**2 + (1 - w1) ** 2 * s2**2 + 2 * w1 * (1 - w1) * rho * s1 * s2)
    a = asset_attribution(w, cov)
    mctr1 = (w1 * s1**2 + (1 - w1) * rho * s1 * s2) / sigma
    assert a.marginal[0] == pytest.approx(mctr1)
    assert a.component[0] == pytest.approx(w1 * mctr1)
    assert a.volatility == pytest.approx(sigma)


def test_zero_variance_portfolio_is_an_error() -> None:
    with pytest.raises(ValidationError, match="zero variance"):
        asset_attribution(np.array([1.0, 0.0]), np.diag([0.0, 0.04]))


def test_factor_plus_specific_is_the_total_variance() -> None:
    model = FactorModel(
        RNG.normal(size=(8, 3)), np.diag([0.04, 0.02, 0.01]), RNG.uniform(0.01, 0.03, 8)
    )
    w = RNG.dirichlet(np.ones(8))
    f = factor_attribution(w, model)
    assert f.factor_variance.sum() + f.specific_variance == pytest.approx(
        w @ model.dense() @ w, rel=1e-13
    )
    assert f.factor_share.sum() + f.specific_share == pytest.approx(1.0)
    np.testing.assert_allclose(f.exposures, model.loadings.T @ w)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_var_and_cvar_against_direct_computation_on_normal_data(confidence: float) -> None:
    mu, sigma = 0.0004, 0.012
    returns = RNG.normal(mu, sigma, 400_000)
    t = tail_risk(returns, confidence)
    z = stats.norm.ppf(confidence)
    assert t.parametric_var == pytest.approx(-(mu - z * sigma), rel=1e-2)
    direct_cvar = -(mu - sigma * stats.norm.pdf(z) / (1 - confidence))
    assert t.parametric_cvar == pytest.approx(direct_cvar, rel=1e-2)
    # historical figures converge to the same normal values on this much data
    assert t.historical_var == pytest.approx(t.parametric_var, rel=2e-2)
    assert t.historical_cvar == pytest.approx(t.parametric_cvar, rel=2e-2)
    annual = tail_risk(returns, confidence, 252)
    assert annual.historical_var == pytest.approx(t.historical_var * math.sqrt(252))


def test_drawdown_beta_correlation_and_concentration() -> None:
    assert max_drawdown(np.array([0.1, -0.5, 0.2, 0.1])) == pytest.approx(0.5)
    assert max_drawdown(np.array([0.01, 0.02])) == 0.0
    bench = RNG.normal(0, 0.01, 5000)
    beta, corr = beta_and_correlation(1.5 * bench, bench)
    assert (beta, corr) == (pytest.approx(1.5), pytest.approx(1.0))
    assert effective_number_of_bets(np.full(4, 0.25)) == pytest.approx(4)
    assert effective_number_of_bets(np.array([1.0, 0.0])) == pytest.approx(1)
    assert herfindahl(np.full(5, 0.2)) == pytest.approx(0.2)
