"""Weights of one portfolio (a pie for a few long holdings, else a bar per holding) and its
totals by sector."""

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from adapters.charts.layout import (
    COLORS,
    footnote,
    literal,
    new_figure,
    percent,
    percent_axis,
    value_labels,
    widen,
)
from domain.charts import UNCLASSIFIED, sector_totals
from domain.errors import ChartError
from domain.types import FloatArray

PIE_LIMIT = 6
"""A pie up to this many holdings (all long); bars beyond, which stay readable."""
PIE_INLINE = 0.05
"""Slices below this share carry no inline label (the legend names every slice)."""
BAR_LIMIT = 150
"""Every holding is a bar up to this many; beyond, the largest ``BAR_KEEP`` are."""
BAR_KEEP = 100


def bar_sizes(n: int) -> tuple[float, float]:
    """Inches per bar and the tick font size for ``n`` bars: the figure grows with them."""
    if n <= 30:
        return 0.26, 8.0
    if n <= 60:
        return 0.19, 7.0
    return 0.15, 6.0


def sign_colors(values) -> list[str]:
    return [COLORS["long"] if v >= 0 else COLORS["short"] for v in values]


def sign_legend(values) -> list[Patch]:
    handles = [Patch(color=COLORS["long"], label="Long")]
    if any(v < 0 for v in values):
        handles.append(Patch(color=COLORS["short"], label="Short"))
    return handles


def weights_figure(
    tickers: Sequence[str], weights: FloatArray, caption: str = "", dpi: int = 100
) -> Figure:
    w = np.asarray(weights, dtype=float)
    held = [int(i) for i in np.argsort(-w, kind="stable") if w[i] != 0]
    if not held:
        raise ChartError("the portfolio holds nothing to draw", field="weights")
    gross, net = float(np.abs(w).sum()), float(w.sum())
    title = f"Weights ({len(held)} holdings)"
    if len(held) > BAR_LIMIT:
        title = f"Weights (the largest {BAR_KEEP} of {len(held)} holdings)"
    if (w < 0).any():
        title += f": net {percent(net)}, gross {percent(gross)}"
    if len(held) <= PIE_LIMIT and all(w[i] > 0 for i in held):
        return _pie(tickers, w, held, title, caption, dpi)
    shown, rest = held, []
    if len(held) > BAR_LIMIT:
        by_size = sorted(held, key=lambda i: (-abs(w[i]), i))
        kept = set(by_size[:BAR_KEEP])
        shown, rest = [i for i in held if i in kept], by_size[BAR_KEEP:]
    per_bar, font = bar_sizes(len(shown))
    figure = new_figure(7.5, max(2.6, per_bar * len(shown) + 1.0), title, caption, dpi)
    ax = figure.add_subplot()
    values = [float(w[i]) for i in shown]
    y = np.arange(len(shown))[::-1]
    ax.barh(y, values, height=0.75, color=sign_colors(values), gid="weight_bars")
    ax.set_yticks(y, [literal(tickers[i]) for i in shown], fontsize=font)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    widen(ax, values)
    value_labels(ax, y, values, font - 0.5)
    percent_axis(ax, "x")
    ax.set_xlabel("Weight")
    ax.grid(axis="x", alpha=0.3)
    ax.axvline(0, color="black", linewidth=0.6)
    if (w < 0).any():
        ax.legend(
            handles=sign_legend(values),
            fontsize=8,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=2,
            frameon=False,
        )
    if rest:
        small = w[rest]
        split = ""
        if (small < 0).any():
            split = (
                f" ({percent(float(small[small > 0].sum()))} long, "
                f"{percent(float(small[small < 0].sum()))} short)"
            )
        footnote(
            figure,
            [
                f"Other: the {len(rest)} smallest holdings are not drawn; together "
                f"{percent(float(small.sum()))} net{split}, each between "
                f"{percent(float(np.abs(small).min()), 3)} and "
                f"{percent(float(np.abs(small).max()), 3)}"
            ],
        )
    return figure


def _pie(tickers, w, held, title, caption, dpi) -> Figure:
    figure = new_figure(7.0, 4.4, title, caption, dpi)
    ax = figure.add_subplot()
    values = [float(w[i]) for i in held]
    total = sum(values)
    wedges, *_ = ax.pie(
        values,
        autopct=lambda p: f"{p:.1f} %" if p / 100 >= PIE_INLINE else "",
        pctdistance=0.72,
        startangle=90,
        counterclock=False,
        wedgeprops={"edgecolor": "white", "linewidth": 1},
        textprops={"fontsize": 8, "color": "white"},
    )
    ax.set_aspect("equal")
    ax.legend(
        wedges,
        [
            f"{literal(tickers[i])}  {percent(v / total if total else 0)}"
            for i, v in zip(held, values, strict=True)
        ],
        fontsize=8,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    return figure


def sectors_figure(
    tickers: Sequence[str],
    weights: FloatArray,
    sectors: Mapping[str, str],
    caption: str = "",
    title: str = "Weight by sector",
    dpi: int = 100,
) -> Figure:
    totals = sector_totals(tickers, np.asarray(weights, dtype=float), sectors)
    if not totals:
        raise ChartError("the portfolio holds nothing to draw", field="weights")
    per_bar, font = bar_sizes(len(totals))
    figure = new_figure(7.5, max(2.4, 1.3 * per_bar * len(totals) + 1.0), title, caption, dpi)
    ax = figure.add_subplot()
    y = np.arange(len(totals))[::-1]
    shorts = any(t.short < 0 for t in totals)
    net = [t.weight for t in totals]
    if shorts:
        ax.barh(y, [t.long for t in totals], height=0.7, color=COLORS["long"], alpha=0.45)
        ax.barh(y, [t.short for t in totals], height=0.7, color=COLORS["short"], alpha=0.45)
        ax.scatter(net, y, marker="D", s=28, color="black", zorder=3, label="Net")
        handles = [
            Patch(color=COLORS["long"], alpha=0.45, label="Long"),
            Patch(color=COLORS["short"], alpha=0.45, label="Short"),
        ]
        ax.legend(
            handles=[*handles, *ax.get_legend_handles_labels()[0]],
            fontsize=8,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=3,
            frameon=False,
        )
        widen(ax, [*net, *(t.long for t in totals), *(t.short for t in totals)], 0.22)
    else:
        ax.barh(y, net, height=0.7, color=sign_colors(net), gid="sector_bars")
        widen(ax, net)
    if shorts:
        ends = [max(t.long, t.weight) if t.weight >= 0 else min(t.short, t.weight) for t in totals]
        value_labels(ax, y, net, font - 0.5, at=ends, prefix="net ")
    else:
        value_labels(ax, y, net, font - 0.5)
    ax.set_yticks(y, [f"{literal(t.sector)} ({t.n_holdings})" for t in totals], fontsize=font)
    ax.set_ylim(-0.6, len(totals) - 0.4)
    percent_axis(ax, "x")
    ax.set_xlabel("Net weight (holdings in brackets)")
    ax.grid(axis="x", alpha=0.3)
    ax.axvline(0, color="black", linewidth=0.6)
    if all(t.sector == UNCLASSIFIED for t in totals):
        footnote(figure, ["No sector is known for these tickers: give a sector map (--sector-map)"])
    return figure
