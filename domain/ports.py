"""Ports: what the application needs from the outside world, as Protocols.

Adapters implement them structurally (no inheritance); tests use in-memory fakes.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from domain.estimation import CovarianceMethod
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.prices import PriceHistory
from domain.problem import Problem, Solution
from domain.risk_model import FactorModel
from domain.types import FloatArray


class Solver(Protocol):
    def solve(self, problem: Problem) -> Solution:
        """Optimal weights for ``problem``.

        Raises ``InfeasibleError``, ``UnboundedError``, ``SolverFailedError`` (every solver in the
        chain failed, naming them) or ``SolverTimeoutError``; never a library exception.
        """
        ...

    def highest_return(self, universe: Universe, constraints: LinearConstraints) -> float:
        """The highest expected return (annualized) reachable under ``constraints``, one LP
        (``inf`` when unbounded): what a target return or a max Sharpe is checked against
        before solving. One side only: the lowest was never read, and its LP cost a fifth
        of a 20-asset solve.

        Raises ``InfeasibleError`` when the constraints admit no portfolio at all.
        """
        ...


class RiskEstimator(Protocol):
    def covariance(self, returns: FloatArray, method: CovarianceMethod) -> FloatArray:
        """Covariance per period (not annualized), shape (n_assets, n_assets).

        ``returns`` has shape (n_observations, n_assets), simple returns per period.
        """
        ...

    def factor_model(self, returns: FloatArray, n_factors: int) -> FactorModel:
        """A statistical factor model of ``returns`` (PCA), per period, not annualized."""
        ...


class PriceSource(Protocol):
    def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        """Daily closes for ``tickers`` (all known ones when None) between start and end inclusive.

        Raises ``NotFoundError`` naming a ticker the source does not have, and
        ``InvalidPriceDataError`` for unusable data.
        """
        ...
