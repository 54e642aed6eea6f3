"""Risk attribution and risk metrics of a fixed portfolio.

Units: weights are decimals; volatilities, VaR and CVaR are decimals of portfolio value
(0.02 = 2 %), annualized where the name says so; daily figures are per observation period.
The methodology, with formulas, is in docs/risk.md.
"""

import math
from dataclasses import dataclass

import numpy as np

from domain.errors import ValidationError
from domain.risk_model import FactorModel
from domain.types import FloatArray

Z = {0.95: 1.6448536269514722, 0.99: 2.3263478740408408}
"""Standard normal quantiles for the two confidence levels pfopt reports."""
PHI_Z = {c: math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for c, z in Z.items()}


@dataclass(frozen=True, slots=True, eq=False)
class AssetAttribution:
    """Per asset, shape (n_assets,): MCTR_i = (S w)_i / sigma, CTR_i = w_i MCTR_i (they sum to
    sigma exactly, Euler), percent = CTR / sigma (sums to 1). Annualized like S."""

    volatility: float
    marginal: FloatArray
    component: FloatArray
    percent: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class FactorAttribution:
    """Exposures B'w (n_factors,), each factor's variance contribution
    x_k (F x)_k with x = B'w, the specific variance sum D w^2, and their shares of the total
    variance: factor contributions + specific = w'Sw exactly."""

    exposures: FloatArray
    factor_variance: FloatArray
    specific_variance: float
    total_variance: float

    @property
    def factor_share(self) -> FloatArray:
        return self.factor_variance / self.total_variance

    @property
    def specific_share(self) -> float:
        return self.specific_variance / self.total_variance


def asset_attribution(weights: FloatArray, covariance: FloatArray) -> AssetAttribution:
    sigma_w = covariance @ weights
    variance = float(weights @ sigma_w)
    if variance <= 0:
        raise ValidationError(
            "the portfolio has zero variance: nothing to attribute", field="weights"
        )
    volatility = math.sqrt(variance)
    marginal = sigma_w / volatility
    component = weights * marginal
    return AssetAttribution(volatility, marginal, component, component / volatility)


def factor_attribution(weights: FloatArray, model: FactorModel) -> FactorAttribution:
    exposures = model.loadings.T @ weights
    factor_variance = exposures * (model.factor_covariance @ exposures)
    specific = float(model.specific_variance @ (weights * weights))
    total = float(factor_variance.sum()) + specific
    return FactorAttribution(exposures, factor_variance, specific, total)


@dataclass(frozen=True, slots=True)
class TailRisk:
    """Value at risk and conditional VaR (expected shortfall) as positive loss fractions."""

    confidence: float
    parametric_var: float
    parametric_cvar: float
    historical_var: float
    historical_cvar: float


def tail_risk(portfolio_returns: FloatArray, confidence: float, horizon: int = 1) -> TailRisk:
    """Per-period VaR/CVaR scaled by sqrt(horizon) (252 for annualized figures).

    Parametric: normal with the sample mean and standard deviation of the period returns,
    VaR = -(mu h - z sigma sqrt(h)), CVaR = -(mu h - sigma sqrt(h) phi(z) / (1 - c)).
    Historical: the empirical (1 - c) quantile of period returns and the mean of the returns at
    or below it, scaled by sqrt(h) (square-root-of-time, stated as an approximation).
    """
    z, phi = Z[confidence], PHI_Z[confidence]
    mu, sigma = float(portfolio_returns.mean()), float(portfolio_returns.std(ddof=1))
    root = math.sqrt(horizon)
    parametric_var = -(mu * horizon - z * sigma * root)
    parametric_cvar = -(mu * horizon - sigma * root * phi / (1 - confidence))
    cutoff = float(np.quantile(portfolio_returns, 1 - confidence))
    tail = portfolio_returns[portfolio_returns <= cutoff]
    return TailRisk(
        confidence, parametric_var, parametric_cvar, -cutoff * root, -float(tail.mean()) * root
    )


def max_drawdown(portfolio_returns: FloatArray) -> float:
    """Largest peak-to-trough fall of the compounded value of the fixed-weight backtest
    (rebalanced every period), as a positive fraction."""
    value = np.cumprod(1.0 + portfolio_returns)
    peaks = np.maximum.accumulate(np.concatenate([[1.0], value]))[1:]
    return float(np.max(1.0 - value / peaks))


def beta_and_correlation(
    portfolio_returns: FloatArray, benchmark: FloatArray
) -> tuple[float, float]:
    cov = np.cov(portfolio_returns, benchmark, ddof=1)
    return float(cov[0, 1] / cov[1, 1]), float(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]))


def effective_number_of_bets(percent_contributions: FloatArray) -> float:
    """1 / sum(p_i^2) over the percent risk contributions: N for an equal-risk portfolio, 1 when
    one asset carries all the risk."""
    return float(1.0 / np.sum(percent_contributions**2))


def herfindahl(weights: FloatArray) -> float:
    """sum(w_i^2): 1/N for equal weights, 1 for a single holding."""
    return float(np.sum(weights**2))
