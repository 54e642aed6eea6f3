"""Portfolio metrics. Inputs and outputs are annualized decimals."""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.types import FloatArray

if TYPE_CHECKING:
    from domain.model import Universe


@dataclass(frozen=True, slots=True)
class PortfolioMetrics:
    """expected_return and volatility are annualized decimals; sharpe is annualized and is None
    when the volatility is zero (the ratio is undefined)."""

    expected_return: float
    volatility: float
    sharpe: float | None


def universe_metrics(
    universe: "Universe", weights: FloatArray, risk_free_rate: float = 0.0
) -> PortfolioMetrics:
    """Return, volatility and Sharpe of ``weights`` (shape (n_assets,)) under the universe's
    risk model (factored when it is)."""
    expected = float(universe.expected_returns @ weights)
    volatility = math.sqrt(max(universe.portfolio_variance(weights), 0.0))
    sharpe = (expected - risk_free_rate) / volatility if volatility > 0 else None
    return PortfolioMetrics(expected, volatility, sharpe)
