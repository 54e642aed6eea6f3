"""The chart port: pictures of a frontier, of weights and of risk contributions."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

import numpy as np

from domain.frontier import FrontierResult
from domain.model import Universe
from domain.types import FloatArray

ChartFormat: TypeAlias = Literal["png", "svg"]


@dataclass(frozen=True, slots=True, eq=False)
class AssetPoints:
    """Each asset's annualized volatility and expected return, shape (n_assets,), for the
    scatter behind a frontier."""

    tickers: tuple[str, ...]
    volatilities: FloatArray
    expected_returns: FloatArray


def asset_points(universe: Universe) -> AssetPoints:
    """Each asset alone, from the universe's risk model (factored or dense)."""
    model = universe.factor_model
    variances = model.diagonal() if model is not None else np.diag(universe.covariance)
    return AssetPoints(
        universe.tickers, np.sqrt(np.clip(variances, 0.0, None)), universe.expected_returns
    )


class ChartRenderer(Protocol):
    def efficient_frontier(
        self, frontier: FrontierResult, assets: AssetPoints, fmt: ChartFormat
    ) -> bytes:
        """Volatility x, return y, max-Sharpe starred, min-variance marked, capital market line.
        Raises ``ChartError`` (also for a frontier with no feasible point)."""
        ...

    def weights(self, tickers: Sequence[str], weights: FloatArray, fmt: ChartFormat) -> bytes:
        """A pie up to 10 holdings, sorted bars with an 'Other' group beyond."""
        ...

    def risk_contributions(
        self, tickers: Sequence[str], weights: FloatArray, percent: FloatArray, fmt: ChartFormat
    ) -> bytes:
        """Percent risk contribution beside weight, sorted by contribution."""
        ...
