"""The chart port: pictures of a frontier (and of the portfolios along it), of weights, of
sector totals and of risk contributions; and the numbers behind the charts that are more than
a copy of a run's results (composition along the frontier, sector totals)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

import numpy as np

from domain.frontier import FrontierResult
from domain.model import Universe
from domain.types import FloatArray

ChartFormat: TypeAlias = Literal["png", "svg"]
ChartKind: TypeAlias = Literal["frontier", "composition", "weights", "risk", "sectors", "trades"]
RUN_CHARTS: dict[str, tuple[ChartKind, ...]] = {
    "single": ("weights", "risk", "sectors", "trades"),
    "frontier": ("frontier", "composition", "sectors"),
}
"""The charts of each kind of run (``single``, ``frontier``); ``trades`` only for a single run
that started from holdings."""
UNCLASSIFIED = "Unclassified"
COMPOSITION_TOP = 12
"""Assets drawn on their own in the composition chart; the rest are one 'Other' band."""


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


@dataclass(frozen=True, slots=True, eq=False)
class Composition:
    """Weights along the frontier, one row per series and one column per feasible point
    (in increasing volatility).

    labels : the tickers drawn on their own (largest maximum weight first), then
        ``"Other (k assets)"`` when the rest are grouped.
    weights : shape (n_series, n_points), decimal; each column sums as the point's weights do
        (to 1 when fully invested): the grouped band is the sum of the assets it holds.
    volatilities, expected_returns : shape (n_points,), annualized decimals.
    """

    labels: tuple[str, ...]
    weights: FloatArray
    volatilities: FloatArray
    expected_returns: FloatArray
    grouped: int
    """How many assets the 'Other' band holds (0: none)."""


def frontier_composition(frontier: FrontierResult, top: int = COMPOSITION_TOP) -> Composition:
    """The composition of each feasible frontier point; assets never held are left out, and
    beyond ``top + 1`` held assets the smaller ones (by maximum absolute weight along the
    frontier, then by mean weight) are summed into one band."""
    drawn = [p for p in frontier.points if p.metrics is not None and p.weights is not None]
    drawn.sort(key=lambda p: p.metrics.volatility)  # type: ignore[union-attr]
    matrix = np.array([p.weights for p in drawn], dtype=float).T.reshape(len(frontier.tickers), -1)
    peak = np.abs(matrix).max(axis=1, initial=0.0)
    mean = np.abs(matrix).mean(axis=1) if matrix.shape[1] else peak
    order = np.lexsort((-mean, -np.round(peak, 9)))  # ties at a common cap: the most held
    held = [int(i) for i in order if peak[i] > 0]
    own, rest = (held, []) if len(held) <= top + 1 else (held[:top], held[top:])
    rows = [matrix[i] for i in own]
    labels = [frontier.tickers[i] for i in own]
    if rest:
        rows.append(matrix[rest].sum(axis=0))
        labels.append(f"Other ({len(rest)} assets)")
    return Composition(
        tuple(labels),
        np.array(rows, dtype=float).reshape(len(rows), len(drawn)),
        np.array([p.metrics.volatility for p in drawn]),  # type: ignore[union-attr]
        np.array([p.metrics.expected_return for p in drawn]),  # type: ignore[union-attr]
        len(rest),
    )


@dataclass(frozen=True, slots=True)
class SectorTotal:
    """One sector's net weight (``long`` + ``short``, decimals) and its number of holdings."""

    sector: str
    weight: float
    long: float
    short: float
    n_holdings: int


def sector_totals(
    tickers: Sequence[str], weights: FloatArray, sectors: Mapping[str, str]
) -> tuple[SectorTotal, ...]:
    """Weight by sector, largest net weight first; a ticker without a sector is
    ``Unclassified``; a sector with no holding is left out."""
    totals: dict[str, list[float]] = {}
    for ticker, w in zip(tickers, weights, strict=True):
        if w == 0:
            continue
        row = totals.setdefault(sectors.get(ticker) or UNCLASSIFIED, [0.0, 0.0, 0])
        row[0 if w > 0 else 1] += float(w)
        row[2] += 1
    found = [SectorTotal(s, lo + sh, lo, sh, int(n)) for s, (lo, sh, n) in totals.items()]
    return tuple(sorted(found, key=lambda t: (-t.weight, t.sector)))


class ChartRenderer(Protocol):
    """Every method returns the chart as PNG or SVG bytes and raises ``ChartError`` when it
    cannot be drawn. ``caption`` is one line saying what produced the chart (constraints,
    window, estimation, solver); it is wrapped to the chart's width, never cut."""

    def efficient_frontier(
        self, frontier: FrontierResult, assets: AssetPoints, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        """Volatility x, return y: the points coloured by Sharpe ratio (colour bar beside),
        max-Sharpe starred, min-variance marked, the capital market line clipped to the data,
        assets labelled without collisions (only notable ones beyond 40 assets). Raises
        ``ChartError`` (also for a frontier with no feasible point)."""
        ...

    def frontier_composition(
        self, frontier: FrontierResult, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        """Stacked weights of each frontier point against its volatility (its return on the
        top axis), the top 12 assets on their own and the rest as 'Other'."""
        ...

    def weights(
        self, tickers: Sequence[str], weights: FloatArray, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        """A pie up to 6 long holdings, else every holding as a labelled bar (shorts in their
        own colour); beyond 150 holdings the smallest are summed in a separate text row."""
        ...

    def sectors(
        self,
        tickers: Sequence[str],
        weights: FloatArray,
        sectors: Mapping[str, str],
        fmt: ChartFormat,
        *,
        caption: str = "",
        title: str = "Weight by sector",
    ) -> bytes:
        """Net weight by sector (``sectors``: ticker -> sector; missing: Unclassified)."""
        ...

    def trades(
        self,
        tickers: Sequence[str],
        current: FloatArray,
        target: FloatArray,
        fmt: ChartFormat,
        *,
        caption: str = "",
    ) -> bytes:
        """Each asset's weight before and after a rebalance, sorted by the size of its trade,
        the trade beside it; beyond 40 assets the 30 largest trades, saying what the rest
        move."""
        ...

    def risk_contributions(
        self,
        tickers: Sequence[str],
        weights: FloatArray,
        percent: FloatArray,
        fmt: ChartFormat,
        *,
        caption: str = "",
    ) -> bytes:
        """Percent risk contribution beside weight, sorted by contribution; beyond 40
        holdings the top 25, saying what the others carry."""
        ...
