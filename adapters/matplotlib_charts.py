"""The ``ChartRenderer`` port on matplotlib (Agg, ``Figure()`` objects: nothing global is kept,
as a server needs)."""

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from domain.charts import AssetPoints, ChartFormat
from domain.errors import ChartError
from domain.frontier import FrontierResult
from domain.types import FloatArray

PIE_LIMIT = 10
BAR_LIMIT = 25
COLORS = {"line": "#1f4e79", "star": "#d62728", "minvar": "#2ca02c", "asset": "#7f7f7f"}


def _literal(ticker: str) -> str:
    """A ticker as literal text: matplotlib reads ``$...$`` as math, and a ticker such as
    ``$\\frac$`` made the whole chart fail."""
    return ticker.replace("$", r"\$")


def _render(figure: Figure, fmt: ChartFormat, dpi: int) -> bytes:
    buffer = io.BytesIO()
    try:
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
    except Exception as error:  # matplotlib raises many kinds; the caller gets one
        raise ChartError(f"could not draw the chart: {error}", field="chart") from error
    return buffer.getvalue()


class MatplotlibChartRenderer:
    def __init__(self, dpi: int = 120) -> None:
        self._dpi = dpi

    def frontier_figure(self, frontier: FrontierResult, assets: AssetPoints) -> Figure:
        drawn = [p for p in frontier.points if p.metrics is not None]
        if not drawn:
            raise ChartError("the frontier has no feasible point to draw", field="frontier")
        figure = Figure(figsize=(8, 5.5))
        ax = figure.add_subplot()
        vols = [p.metrics.volatility for p in drawn]  # type: ignore[union-attr]
        rets = [p.metrics.expected_return for p in drawn]  # type: ignore[union-attr]
        ax.plot(vols, rets, "-o", color=COLORS["line"], markersize=3, label="Efficient frontier")
        ax.scatter(
            assets.volatilities,
            assets.expected_returns,
            s=14,
            color=COLORS["asset"],
            label="Assets",
            zorder=2,
        )
        if len(assets.tickers) <= 40:
            for t, x, y in zip(
                assets.tickers, assets.volatilities, assets.expected_returns, strict=True
            ):
                ax.annotate(
                    _literal(t), (x, y), fontsize=7, xytext=(3, 2), textcoords="offset points"
                )
        mv = frontier.min_variance.metrics
        if mv is not None:
            ax.scatter(
                [mv.volatility],
                [mv.expected_return],
                marker="D",
                s=60,
                color=COLORS["minvar"],
                label="Minimum variance",
                zorder=4,
            )
        best = frontier.max_sharpe.metrics if frontier.max_sharpe is not None else None
        if best is not None:
            ax.scatter(
                [best.volatility],
                [best.expected_return],
                marker="*",
                s=260,
                color=COLORS["star"],
                label=f"Max Sharpe ({best.sharpe:.2f})",
                zorder=5,
                gid="max_sharpe",
            )
            rf = frontier.risk_free_rate
            top = max(max(vols), float(np.max(assets.volatilities))) * 1.05
            slope = (best.expected_return - rf) / best.volatility
            ax.plot(
                [0, top],
                [rf, rf + slope * top],
                "--",
                color=COLORS["star"],
                linewidth=1,
                label="Capital market line",
            )
        skipped = len(frontier.points) - len(drawn)
        if skipped:
            figure.text(0.01, 0.01, f"{skipped} infeasible point(s) omitted", fontsize=8)
        ax.set_xlim(left=0)
        ax.set_xlabel("Volatility (annualized)")
        ax.set_ylabel("Expected return (annualized)")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title("Efficient frontier")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        return figure

    def efficient_frontier(
        self, frontier: FrontierResult, assets: AssetPoints, fmt: ChartFormat
    ) -> bytes:
        return _render(self.frontier_figure(frontier, assets), fmt, self._dpi)

    def weights(self, tickers: Sequence[str], weights: FloatArray, fmt: ChartFormat) -> bytes:
        order = np.argsort(-np.abs(weights), kind="stable")
        held = [i for i in order if weights[i] != 0]
        figure = Figure(figsize=(7, 5))
        ax = figure.add_subplot()
        if len(held) <= PIE_LIMIT and all(weights[i] > 0 for i in held):
            ax.pie(
                [weights[i] for i in held],
                labels=[_literal(tickers[i]) for i in held],
                autopct="%1.1f%%",
                startangle=90,
                counterclock=False,
            )
            ax.set_aspect("equal")
        else:
            shown = held[:BAR_LIMIT]
            labels = [_literal(tickers[i]) for i in shown]
            values = [float(weights[i]) for i in shown]
            if len(held) > BAR_LIMIT:
                labels.append(f"Other ({len(held) - BAR_LIMIT} assets)")
                values.append(float(sum(weights[i] for i in held[BAR_LIMIT:])))
            figure.set_size_inches(7, max(3.0, 0.28 * len(labels) + 1))
            ax.barh(labels[::-1], values[::-1], color=COLORS["line"])
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_xlabel("Weight")
        ax.set_title(f"Weights ({len(held)} holdings)")
        return _render(figure, fmt, self._dpi)

    def risk_contributions(
        self, tickers: Sequence[str], weights: FloatArray, percent: FloatArray, fmt: ChartFormat
    ) -> bytes:
        order = [i for i in np.argsort(-percent, kind="stable") if weights[i] != 0][:BAR_LIMIT]
        figure = Figure(figsize=(8, max(3.0, 0.3 * len(order) + 1.2)))
        ax = figure.add_subplot()
        y = np.arange(len(order))[::-1]
        ax.barh(
            y + 0.2,
            [percent[i] for i in order],
            height=0.4,
            color=COLORS["star"],
            label="Share of risk",
        )
        ax.barh(
            y - 0.2, [weights[i] for i in order], height=0.4, color=COLORS["line"], label="Weight"
        )
        ax.set_yticks(y, [_literal(tickers[i]) for i in order])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title("Risk contribution vs weight")
        ax.legend(fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        return _render(figure, fmt, self._dpi)
