"""The efficient frontier (points coloured by Sharpe ratio, the capital market line clipped to
the data, assets labelled without collisions)."""

import numpy as np
from matplotlib.figure import Figure

from adapters.charts.labels import as_rows, boxes, place_labels
from adapters.charts.layout import COLORS, footnote, literal, new_figure, percent_axis
from domain.charts import AssetPoints
from domain.errors import ChartError
from domain.frontier import FrontierResult

LABEL_ALL = 40
"""Up to this many assets every one is labelled; beyond, only the notable ones."""
NOTABLE_MAX = 30
MARGIN = 0.06
"""Of the data's span, on each side of the axis box."""


def data_box(xs, ys) -> tuple[float, float, float, float]:
    """The axis limits: the frontier's and the assets' extent with a margin (volatility
    never below 0)."""
    x0, x1, y0, y1 = float(np.min(xs)), float(np.max(xs)), float(np.min(ys)), float(np.max(ys))
    mx, my = MARGIN * ((x1 - x0) or abs(x1) or 0.01), MARGIN * ((y1 - y0) or abs(y1) or 0.01)
    return max(0.0, x0 - mx), x1 + mx, y0 - my, y1 + my


def clip_line(rf: float, slope: float, box) -> tuple[list[float], list[float]] | None:
    """The part of y = rf + slope x, x >= 0, inside ``box`` (x0, x1, y0, y1); None if none."""
    x0, x1, y0, y1 = box
    lo, hi = max(x0, 0.0), x1
    if slope != 0:
        a, b = (y0 - rf) / slope, (y1 - rf) / slope
        lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
    elif not y0 <= rf <= y1:
        return None
    if hi <= lo:
        return None
    return [lo, hi], [rf + slope * lo, rf + slope * hi]


def notable_assets(frontier: FrontierResult, assets: AssetPoints) -> list[int]:
    """Assets worth a label among many: those the max-Sharpe portfolio holds most, those no
    other asset dominates (the upper-left hull), the highest return and the lowest volatility."""
    vols, rets = np.asarray(assets.volatilities), np.asarray(assets.expected_returns)
    chosen: list[int] = []
    best = frontier.max_sharpe
    if best is not None and best.weights is not None:
        held = dict(zip(frontier.tickers, best.weights, strict=True))
        weights = np.array([held.get(t, 0.0) for t in assets.tickers])
        chosen += [int(i) for i in np.argsort(-weights, kind="stable")[:12] if weights[i] > 0.005]
    order = np.lexsort((-rets, vols))
    top = -np.inf
    for i in order:  # by volatility: an asset is on the hull if it beats every calmer one
        if rets[i] > top:
            chosen.append(int(i))
            top = rets[i]
    chosen += [int(np.argmax(rets)), int(np.argmin(vols))]
    return list(dict.fromkeys(chosen))[:NOTABLE_MAX]


def frontier_figure(
    frontier: FrontierResult, assets: AssetPoints, caption: str = "", dpi: int = 100
) -> Figure:
    drawn = [p.metrics for p in frontier.points if p.metrics is not None]
    if not drawn:
        raise ChartError("the frontier has no feasible point to draw", field="frontier")
    figure = new_figure(8.5, 5.6, "Efficient frontier", caption, dpi)
    ax = figure.add_subplot()
    vols = np.array([m.volatility for m in drawn])
    rets = np.array([m.expected_return for m in drawn])
    sharpe = np.array([np.nan if m.sharpe is None else m.sharpe for m in drawn])
    avols, arets = np.asarray(assets.volatilities), np.asarray(assets.expected_returns)
    ax.plot(
        vols, rets, "-", color=COLORS["line"], linewidth=1.2, zorder=3, label="Efficient frontier"
    )
    points = ax.scatter(vols, rets, c=sharpe, cmap="viridis", s=22, zorder=4, edgecolors="none")
    if np.isfinite(sharpe).any():
        bar = figure.colorbar(points, ax=ax, pad=0.01, fraction=0.04, aspect=30)
        bar.set_label("Sharpe ratio", fontsize=9)
    ax.scatter(
        avols,
        arets,
        s=12,
        color=COLORS["asset"],
        alpha=0.8,
        label="Assets",
        zorder=2,
        edgecolors="none",
    )
    special = _special_points(ax, frontier)
    box = data_box(np.concatenate([vols, avols]), np.concatenate([rets, arets]))
    best = frontier.max_sharpe.metrics if frontier.max_sharpe is not None else None
    if best is not None and best.volatility > 0:
        slope = (best.expected_return - frontier.risk_free_rate) / best.volatility
        segment = clip_line(frontier.risk_free_rate, slope, box)
        if segment is not None:
            ax.plot(
                *segment,
                "--",
                color=COLORS["star"],
                linewidth=1,
                label="Capital market line",
                gid="cml",
                zorder=3,
            )
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_xlabel("Volatility (annualized)")
    ax.set_ylabel("Expected return (annualized)")
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.grid(alpha=0.3)
    legend = ax.legend(fontsize=8, loc="best")
    figure.draw_without_rendering()
    figure.set_layout_engine("none")  # the layout is final: labels are measured against it
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    hard = np.vstack(
        [
            *(boxes(figure, ax, [x], [y], r) for x, y, r in special),
            as_rows([legend.get_window_extent(renderer)]),
        ]
    )
    along = np.linspace(0, len(vols) - 1, 8 * len(vols))
    line = (
        np.interp(along, np.arange(len(vols)), vols),
        np.interp(along, np.arange(len(vols)), rets),
    )
    soft = np.vstack([boxes(figure, ax, avols, arets, 2.5), boxes(figure, ax, *line, 2.5)])
    notes = _label_assets(figure, ax, frontier, assets, hard, soft)
    if len(frontier.points) > len(drawn):
        notes.append(f"{len(frontier.points) - len(drawn)} infeasible point(s) omitted")
    footnote(figure, notes)
    return figure


def _special_points(ax, frontier: FrontierResult) -> list[tuple[float, float, float]]:
    """Mark the minimum-variance and max-Sharpe portfolios; their (x, y, radius in points)
    for labels to keep clear of."""
    found = []
    mv = frontier.min_variance.metrics
    if mv is not None:
        ax.scatter(
            [mv.volatility],
            [mv.expected_return],
            marker="D",
            s=60,
            color=COLORS["minvar"],
            label="Minimum variance",
            zorder=5,
            gid="min_variance",
        )
        found.append((mv.volatility, mv.expected_return, 6.0))
    best = frontier.max_sharpe.metrics if frontier.max_sharpe is not None else None
    if best is not None:
        ax.scatter(
            [best.volatility],
            [best.expected_return],
            marker="*",
            s=260,
            color=COLORS["star"],
            edgecolors="white",
            linewidths=0.5,
            label=f"Max Sharpe ({best.sharpe:.2f})",
            zorder=6,
            gid="max_sharpe",
        )
        found.append((best.volatility, best.expected_return, 10.0))
    return found


def _label_assets(figure, ax, frontier, assets: AssetPoints, hard, soft) -> list[str]:
    """Label every asset up to 40, the notable ones beyond; say what was left out."""
    avols, arets = np.asarray(assets.volatilities), np.asarray(assets.expected_returns)
    many = len(assets.tickers) > LABEL_ALL
    picked = notable_assets(frontier, assets)
    if not many:
        picked += [int(i) for i in np.argsort(-arets, kind="stable")]
    items = [
        (literal(assets.tickers[i]), float(avols[i]), float(arets[i]))
        for i in dict.fromkeys(picked)
    ]
    _, skipped = place_labels(figure, ax, items, hard, soft)
    notes = []
    if many:
        notes.append(
            f"{len(items) - len(skipped)} of {len(assets.tickers)} assets labelled, the notable "
            "ones: held most at max Sharpe, undominated, highest return, lowest volatility"
        )
    if skipped:
        more = " ..." if len(skipped) > 12 else ""
        notes.append(f"No room to label {len(skipped)}: {', '.join(skipped[:12])}{more}")
    return notes
