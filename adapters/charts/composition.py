"""The composition along the frontier: each point's weights stacked against its volatility,
its expected return on the top axis (as Riskfolio-Lib's ``plot_frontier_area``)."""

import numpy as np
from matplotlib.figure import Figure

from adapters.charts.layout import footnote, literal, new_figure, percent_axis
from domain.charts import frontier_composition
from domain.errors import ChartError
from domain.frontier import FrontierResult


def composition_figure(frontier: FrontierResult, caption: str = "", dpi: int = 100) -> Figure:
    comp = frontier_composition(frontier)
    if comp.weights.shape[1] == 0:
        raise ChartError("the frontier has no feasible point to draw", field="frontier")
    figure = new_figure(9.0, 5.2, "Composition along the frontier", caption, dpi)
    ax = figure.add_subplot()
    palette = [series_color(i, len(comp.labels), comp.grouped) for i in range(len(comp.labels))]
    x = comp.volatilities
    if len(x) == 1:  # one point: a stacked bar of it
        x = np.array([x[0] * 0.995, x[0] * 1.005])
        weights = np.repeat(comp.weights, 2, axis=1)
    else:
        weights = comp.weights
    longs, shorts = np.clip(weights, 0, None), np.clip(weights, None, 0)
    labels = [literal(t) for t in comp.labels]
    ax.stackplot(
        x, longs, labels=labels, colors=palette, linewidth=0.3, edgecolor="white", gid="composition"
    )
    if (shorts < 0).any():
        ax.stackplot(x, shorts, colors=palette, linewidth=0.3, edgecolor="white", alpha=0.75)
        ax.axhline(0, color="black", linewidth=0.8)
    best = frontier.max_sharpe.metrics if frontier.max_sharpe is not None else None
    if best is not None and x[0] <= best.volatility <= x[-1]:
        ax.axvline(
            best.volatility,
            linestyle="--",
            color="black",
            linewidth=1,
            label=f"Max Sharpe ({best.sharpe:.2f})",
        )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(min(0.0, float(shorts.sum(axis=0).min())), max(1.0, float(longs.sum(axis=0).max())))
    ax.set_xlabel("Volatility (annualized)")
    ax.set_ylabel("Weight")
    percent_axis(ax, "x", 1)
    percent_axis(ax, "y", 0)
    top = ax.twiny()
    top.set_xlim(ax.get_xlim())
    ticks = np.linspace(x[0], x[-1], 6)
    top.set_xticks(
        ticks,
        [f"{r * 100:.1f} %" for r in np.interp(ticks, comp.volatilities, comp.expected_returns)],
        fontsize=8,
    )
    top.set_xlabel("Expected return (annualized)", fontsize=9)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        names[::-1],
        fontsize=7.5,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
    )
    notes = []
    if comp.grouped:
        notes.append(
            f"The {len(comp.labels) - 1} assets with the largest weight anywhere on the "
            f"frontier are drawn on their own; {comp.grouped} others are summed as 'Other'"
        )
    footnote(figure, notes)
    return figure


def series_color(i: int, n: int, grouped: int) -> str:
    """A distinct colour per asset (tab20 order: pairs of dark and light kept apart), grey for
    'Other'."""
    if grouped and i == n - 1:
        return "#bdbdbd"
    cycle = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#17becf",
        "#bcbd22",
        "#aec7e8",
        "#ffbb78",
        "#98df8a",
        "#ff9896",
        "#c5b0d5",
    ]
    return cycle[i % len(cycle)]
