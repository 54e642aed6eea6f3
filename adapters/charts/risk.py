"""Each holding's share of the portfolio's risk beside its weight."""

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

RISK_ALL = 40
"""Every holding is drawn up to this many; beyond, the top ``RISK_TOP`` by risk share."""
RISK_TOP = 25


def kept_note(n_shown: int, n_held: int, percent_rest: float, weight_rest: float) -> str:
    return (
        f"Top {n_shown} of {n_held} holdings by risk share; the other {n_held - n_shown} "
        f"carry {percent(percent_rest)} of risk ({percent(weight_rest)} of weight)"
    )


def risk_figure(
    tickers: Sequence[str],
    weights: FloatArray,
    shares: FloatArray,
    caption: str = "",
    dpi: int = 100,
) -> Figure:
    w, p = np.asarray(weights, dtype=float), np.asarray(shares, dtype=float)
    held = [int(i) for i in np.argsort(-p, kind="stable") if w[i] != 0]
    if not held:
        raise ChartError("the portfolio holds nothing to draw", field="weights")
    shown = held if len(held) <= RISK_ALL else held[:RISK_TOP]
    rest = held[len(shown) :]
    title = "Risk contribution vs weight"
    if rest:
        title += f" (top {len(shown)} of {len(held)} holdings)"
    per_bar, font = bar_sizes(len(shown))
    figure = new_figure(8.5, max(2.8, 1.25 * per_bar * len(shown) + 1.0), title, caption, dpi)
    ax = figure.add_subplot()
    y = np.arange(len(shown))[::-1].astype(float)
    risk = [float(p[i]) for i in shown]
    held_w = [float(w[i]) for i in shown]
    ax.barh(y + 0.2, risk, height=0.4, color=COLORS["risk"], gid="risk_bars")
    colors = [COLORS["long"] if v >= 0 else COLORS["short"] for v in held_w]
    ax.barh(y - 0.2, held_w, height=0.4, color=colors, gid="weight_bars")
    widen(ax, [*risk, *held_w], 0.2)
    value_labels(ax, y + 0.2, risk, font - 1)
    value_labels(ax, y - 0.2, held_w, font - 1)
    handles = [
        Patch(color=COLORS["risk"], label="Share of risk"),
        Patch(color=COLORS["long"], label="Weight (long)"),
    ]
    if any(v < 0 for v in held_w):
        handles.append(Patch(color=COLORS["short"], label="Weight (short)"))
    labels = [tickers[i] for i in shown]
    xlabel = "Share of portfolio risk (volatility) and weight"
    paired_bar_axes(ax, y, labels, font, xlabel, handles)
    if rest:
        footnote(
            figure, [kept_note(len(shown), len(held), float(p[rest].sum()), float(w[rest].sum()))]
        )
    return figure
