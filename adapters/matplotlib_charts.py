"""The ``ChartRenderer`` port on matplotlib: each chart is built by a function of
``adapters.charts`` returning a ``Figure`` (tests read its artists), then rendered to bytes."""

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from adapters.charts.composition import composition_figure
from adapters.charts.frontier import frontier_figure
from adapters.charts.layout import render
from adapters.charts.risk import risk_figure
from adapters.charts.trades import trades_figure
from adapters.charts.weights import sectors_figure, weights_figure
from domain.charts import AssetPoints, ChartFormat
from domain.frontier import FrontierResult
from domain.types import FloatArray

__all__ = ["Figure", "MatplotlibChartRenderer"]


class MatplotlibChartRenderer:
    def __init__(self, dpi: int = 120) -> None:
        self._dpi = dpi

    def frontier_figure(
        self, frontier: FrontierResult, assets: AssetPoints, caption: str = ""
    ) -> Figure:
        return frontier_figure(frontier, assets, caption, self._dpi)

    def efficient_frontier(
        self, frontier: FrontierResult, assets: AssetPoints, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        return render(lambda: self.frontier_figure(frontier, assets, caption), fmt, self._dpi)

    def frontier_composition(
        self, frontier: FrontierResult, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        return render(lambda: composition_figure(frontier, caption, self._dpi), fmt, self._dpi)

    def weights(
        self, tickers: Sequence[str], weights: FloatArray, fmt: ChartFormat, *, caption: str = ""
    ) -> bytes:
        return render(lambda: weights_figure(tickers, weights, caption, self._dpi), fmt, self._dpi)

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
        return render(
            lambda: sectors_figure(tickers, weights, sectors, caption, title, self._dpi),
            fmt,
            self._dpi,
        )

    def risk_contributions(
        self,
        tickers: Sequence[str],
        weights: FloatArray,
        percent: FloatArray,
        fmt: ChartFormat,
        *,
        caption: str = "",
    ) -> bytes:
        return render(
            lambda: risk_figure(tickers, weights, percent, caption, self._dpi), fmt, self._dpi
        )

    def trades(
        self,
        tickers: Sequence[str],
        current: FloatArray,
        target: FloatArray,
        fmt: ChartFormat,
        *,
        caption: str = "",
    ) -> bytes:
        return render(
            lambda: trades_figure(tickers, current, target, caption, self._dpi), fmt, self._dpi
        )
