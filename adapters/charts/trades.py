"""A rebalance: each asset's weight before and after, sorted by the size of its trade."""

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from adapters.charts.layout import (
    COLORS,
    footnote,
    new_figure,
    paired_bar_axes,
    percent,
    value_labels,
    widen,
)
from adapters.charts.weights import bar_sizes
from domain.errors import ChartError
from domain.types import FloatArray

TRADES_ALL = 40
"""Every asset held before or after is drawn up to this many; beyond, the largest trades."""
TRADES_TOP = 30
BEFORE = "#9aa5b1"


def trades_figure(
    tickers: Sequence[str],
    current: FloatArray,
    target: FloatArray,
    caption: str = "",
    dpi: int = 100,
) -> Figure:
    before, after = np.asarray(current, dtype=float), np.asarray(target, dtype=float)
    change = after - before
    touched = [
        int(i)
        for i in np.lexsort((-np.abs(after), -np.abs(change)))
        if before[i] != 0 or after[i] != 0
    ]
    if not touched:
        raise ChartError("nothing is held before or after: no trades to draw", field="weights")
    shown = touched if len(touched) <= TRADES_ALL else touched[:TRADES_TOP]
    rest = touched[len(shown) :]
    turnover = 0.5 * (float(np.abs(change).sum()) + max(0.0, 1.0 - float(before.sum())))
    title = f"Current vs target weights (one-way turnover {percent(turnover)})"
    per_bar, font = bar_sizes(len(shown))
    figure = new_figure(8.5, max(2.8, 1.25 * per_bar * len(shown) + 1.0), title, caption, dpi)
    ax = figure.add_subplot()
    y = np.arange(len(shown))[::-1].astype(float)
    now = [float(before[i]) for i in shown]
    then = [float(after[i]) for i in shown]
    ax.barh(y + 0.2, now, height=0.4, color=BEFORE, gid="current_bars")
    colors = [COLORS["long"] if v >= 0 else COLORS["short"] for v in then]
    ax.barh(y - 0.2, then, height=0.4, color=colors, gid="target_bars")
    widen(ax, [*now, *then], 0.24)
    value_labels(ax, y - 0.2, then, font - 1)
    for yy, a, b in zip(y, now, then, strict=True):
        delta = b - a
        if abs(delta) > 1e-10:
            ax.annotate(
                f"{'+' if delta > 0 else ''}{delta * 100:.1f}",
                (max(a, b, 0.0), yy + 0.2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=font - 1,
                color=COLORS["star"] if delta < 0 else COLORS["minvar"],
            )
    handles = [Patch(color=BEFORE, label="Current"), Patch(color=COLORS["long"], label="Target")]
    xlabel = "Weight (the trade in percentage points beside the current bar)"
    paired_bar_axes(ax, y, [tickers[i] for i in shown], font, xlabel, handles)
    if rest:
        moved = float(np.abs(change[rest]).sum())
        footnote(
            figure,
            [
                f"The {len(shown)} largest of {len(touched)} trades and holdings; the other "
                f"{len(rest)} move {percent(moved)} of the book in all"
            ],
        )
    return figure
