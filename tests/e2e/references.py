"""Independent references for the option tests: prices read with the csv module, estimates from
numpy, pandas and scikit-learn, optima in closed form. Nothing here calls pfopt's code, so a
reference cannot share a mistake with the code it checks."""

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.covariance import OAS, LedoitWolf
from sklearn.decomposition import PCA

PERIODS_PER_YEAR = 252


@dataclass(frozen=True, slots=True, eq=False)
class PriceFile:
    """A wide price CSV: ``dates`` (n_days,), ``tickers`` (n_assets,), ``closes`` (n_days,
    n_assets)."""

    dates: tuple[dt.date, ...]
    tickers: tuple[str, ...]
    closes: np.ndarray

    @property
    def returns(self) -> np.ndarray:
        """Simple daily returns p_t / p_{t-1} - 1, shape (n_days - 1, n_assets)."""
        return self.closes[1:] / self.closes[:-1] - 1.0


def read_prices(path: Path) -> PriceFile:
    """A gap-free wide price file as written by ``pfopt sample-data``."""
    with path.open() as handle:
        header, *rows = list(csv.reader(handle))
    dates = tuple(dt.date.fromisoformat(r[0]) for r in rows)
    closes = np.array([[float(x) for x in r[1:]] for r in rows])
    return PriceFile(dates, tuple(header[1:]), closes)


def mean_returns(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> np.ndarray:
    return returns.mean(axis=0) * periods


def geometric_returns(prices: PriceFile, periods: int = PERIODS_PER_YEAR) -> np.ndarray:
    """Compound annual growth from the first to the last close (what compounding the simple
    returns gives, computed from the prices instead)."""
    n_observations = len(prices.dates) - 1
    return (prices.closes[-1] / prices.closes[0]) ** (periods / n_observations) - 1.0


def ema_returns(returns: np.ndarray, span: int, periods: int = PERIODS_PER_YEAR) -> np.ndarray:
    """The last value of pandas' exponentially weighted mean (adjust=True), annualized."""
    return pd.DataFrame(returns).ewm(span=span, adjust=True).mean().iloc[-1].to_numpy() * periods


def covariance(returns: np.ndarray, method: str, periods: int = PERIODS_PER_YEAR) -> np.ndarray:
    """Annualized covariance: scikit-learn's Ledoit-Wolf or OAS, or numpy's sample (ddof=1)."""
    if method == "sample":
        return np.cov(returns, rowvar=False, ddof=1) * periods
    estimator = {"ledoit-wolf": LedoitWolf, "oas": OAS}[method]()
    return estimator.fit(returns).covariance_ * periods


def pca_covariance(returns: np.ndarray, n_factors: int, periods: int = PERIODS_PER_YEAR):
    """B F B' + diag(D) annualized, from scikit-learn's PCA: the first components are the
    loadings, their explained variances F, D the residual variances (ddof=1)."""
    pca = PCA(n_components=n_factors).fit(returns)
    loadings = pca.components_.T
    centered = returns - returns.mean(axis=0)
    residual = centered - centered @ loadings @ loadings.T
    dense = loadings @ np.diag(pca.explained_variance_) @ loadings.T
    return (dense + np.diag(residual.var(axis=0, ddof=1))) * periods


def min_variance_weights(cov: np.ndarray) -> np.ndarray:
    """argmin w'Sw s.t. sum(w) = 1, shorts unbounded: S^-1 1 / (1' S^-1 1)."""
    x = np.linalg.solve(cov, np.ones(len(cov)))
    return x / x.sum()


def max_sharpe_weights(mu: np.ndarray, cov: np.ndarray, risk_free_rate: float) -> np.ndarray:
    """argmax (mu'w - rf) / sqrt(w'Sw) s.t. sum(w) = 1, shorts unbounded:
    S^-1 (mu - rf) normalized to sum 1 (needs 1'S^-1 (mu - rf) > 0)."""
    x = np.linalg.solve(cov, mu - risk_free_rate)
    assert x.sum() > 0
    return x / x.sum()


def max_utility_weights(mu: np.ndarray, cov: np.ndarray, risk_aversion: float) -> np.ndarray:
    """argmax mu'w - (a/2) w'Sw s.t. sum(w) = 1, shorts unbounded:
    w = S^-1 (mu - lambda 1) / a with lambda = (1'S^-1 mu - a) / (1'S^-1 1)."""
    ones = np.ones(len(cov))
    s_ones, s_mu = np.linalg.solve(cov, ones), np.linalg.solve(cov, mu)
    multiplier = (ones @ s_mu - risk_aversion) / (ones @ s_ones)
    return (s_mu - multiplier * s_ones) / risk_aversion


def assert_long_only_min_variance(weights: np.ndarray, cov: np.ndarray, tol: float = 1e-8) -> None:
    """``weights`` minimize w'Sw over the simplex, by the KKT conditions: on the held assets
    the weights are the budget-constrained closed form on their sub-matrix, and no asset left
    out has a smaller marginal variance (S w)_i than the held ones share."""
    held = weights > tol
    assert np.all(weights >= -tol)
    np.testing.assert_allclose(
        weights[held], min_variance_weights(cov[np.ix_(held, held)]), rtol=0, atol=1e-8
    )
    marginal = cov @ weights
    assert np.all(marginal[~held] >= marginal[held].mean() - 1e-10)
