"""The charts a report needs, checked for what they say rather than for pixels: the capital
market line stays inside the data's box, labels never collide, shorts have their own colour,
every holding is a bar while the chart can hold it, the caption is there and wrapped, the
composition sums to the points' weights."""

import numpy as np
import pytest
from matplotlib.text import Text

from adapters.charts.composition import composition_figure
from adapters.charts.frontier import NOTABLE_MAX, clip_line, frontier_figure
from adapters.charts.labels import LABEL_GID
from adapters.charts.layout import COLORS
from adapters.charts.risk import risk_figure
from adapters.charts.weights import BAR_KEEP, sectors_figure, weights_figure
from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.matplotlib_charts import MatplotlibChartRenderer
from application.compute_frontier import trace_frontier
from domain.charts import (
    UNCLASSIFIED,
    AssetPoints,
    asset_points,
    frontier_composition,
    sector_totals,
)
from domain.constraints import LongOnly, WeightBounds
from domain.errors import ChartError
from domain.linear import compile_constraints
from tests.conftest import random_universe

CAPTION = (
    "20 assets from prices.csv | long only, weights <= 30 % each | 2019-01-02..2023-12-29 "
    "(1257 daily returns) | Ledoit-Wolf covariance, mean returns | risk-free 2 % | solver "
    "critical_line | CAPTIONTOKEN"
)


def _frontier(n: int, seed: int = 3, rf: float = 0.01, cap: float | None = None):
    universe = random_universe(n, seed=seed)
    constraints = [LongOnly()] + ([WeightBounds(0.0, cap)] if cap else [])
    lc = compile_constraints(universe.tickers, constraints)
    return universe, trace_frontier(CriticalLineFrontierSolver(), universe, lc, risk_free_rate=rf)


def _boxes(figure, artists):
    renderer = figure.canvas.get_renderer()
    out = []
    for artist in artists:
        artist.update_positions(renderer)
        out.append(Text.get_window_extent(artist, renderer))
    return out


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _labels(figure):
    return [t for t in figure.axes[0].texts if t.get_gid() == LABEL_GID]


def test_the_capital_market_line_is_clipped_to_the_datas_box() -> None:
    universe, result = _frontier(12)
    figure = frontier_figure(result, asset_points(universe))
    ax = figure.axes[0]
    (cml,) = [line for line in ax.lines if line.get_gid() == "cml"]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xs, ys = cml.get_xdata(), cml.get_ydata()
    assert min(xs) >= x0 - 1e-12 and max(xs) <= x1 + 1e-12
    assert min(ys) >= y0 - 1e-12 and max(ys) <= y1 + 1e-12
    best = result.max_sharpe.metrics
    slope = (best.expected_return - 0.01) / best.volatility
    assert 0.01 + slope * x1 > y1  # the unclipped line would have stretched the y axis
    tops = [p.metrics.expected_return for p in result.points if p.metrics]
    assert y1 <= max(*tops, *universe.expected_returns) + 0.1 * np.ptp(universe.expected_returns)


def test_clip_line_keeps_the_part_inside_the_box() -> None:
    assert clip_line(0.0, 2.0, (0.1, 0.4, 0.0, 0.5)) == ([0.1, 0.25], [0.2, 0.5])
    assert clip_line(0.9, 1.0, (0.1, 0.4, 0.0, 0.5)) is None  # above the box everywhere
    assert clip_line(0.2, 0.0, (0.1, 0.4, 0.0, 0.5)) == ([0.1, 0.4], [0.2, 0.2])


def test_clustered_asset_labels_do_not_collide() -> None:
    _, result = _frontier(12)
    rng = np.random.default_rng(0)
    tickers = ("JNJ", "PG", "KO", "PEP", "WMT", "MCD", "CL", "MDLZ", "GIS", "KMB", "HSY", "CLX")
    assets = AssetPoints(tickers, 0.2 + rng.normal(0, 0.002, 12), 0.08 + rng.normal(0, 0.002, 12))
    figure = frontier_figure(result, assets, CAPTION)
    labels = _labels(figure)
    assert len(labels) >= 5
    boxes = _boxes(figure, labels)
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1 :]), labels[i].get_text()
    renderer = figure.canvas.get_renderer()
    legend = figure.axes[0].get_legend().get_window_extent(renderer)
    assert not any(_overlap(b, legend) for b in boxes)
    frame = figure.axes[0].get_window_extent(renderer)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)


def test_many_assets_label_only_the_notable_ones() -> None:
    universe, result = _frontier(60, seed=5)
    assets = asset_points(universe)
    figure = frontier_figure(result, assets)
    texts = {t.get_text() for t in _labels(figure)}
    assert 3 <= len(texts) <= NOTABLE_MAX
    top = int(np.argmax(assets.expected_returns))
    assert assets.tickers[top] in texts
    boxes = _boxes(figure, _labels(figure))
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_frontier_points_are_coloured_by_sharpe_with_a_colour_bar() -> None:
    universe, result = _frontier(12)
    figure = frontier_figure(result, asset_points(universe))
    assert len(figure.axes) == 2 and figure.axes[1].get_ylabel() == "Sharpe ratio"
    coloured = [c for c in figure.axes[0].collections if c.get_array() is not None]
    sharpe = [p.metrics.sharpe for p in result.points if p.metrics]
    np.testing.assert_allclose(coloured[0].get_array(), sharpe)


def test_the_caption_is_in_the_svg_and_wraps_to_the_width() -> None:
    universe, result = _frontier(12)
    renderer = MatplotlibChartRenderer(dpi=100)
    for svg in (
        renderer.efficient_frontier(result, asset_points(universe), "svg", caption=CAPTION),
        renderer.frontier_composition(result, "svg", caption=CAPTION),
        renderer.weights(["A", "B"], np.array([0.4, 0.6]), "svg", caption=CAPTION),
        renderer.sectors(["A", "B"], np.array([0.4, 0.6]), {}, "svg", caption=CAPTION),
        renderer.risk_contributions(
            ["A", "B"], np.array([0.4, 0.6]), np.array([0.3, 0.7]), "svg", caption=CAPTION
        ),
    ):
        assert b"CAPTIONTOKEN" in svg
    figure = weights_figure(["A", "B"], np.array([0.4, 0.6]), CAPTION * 3)
    (caption,) = [t for t in figure.texts if t.get_gid() == "caption"]
    assert caption.get_text().count("\n") >= 3
    assert caption.get_window_extent().width <= figure.bbox.width
    assert "".join(caption.get_text().split()) == "".join(
        (CAPTION * 3).replace("%", "\u00a0%").split()
    ).replace("\u00a0", "")  # every word kept, in order


def test_shorts_have_their_own_colour_and_legend_entry() -> None:
    tickers = ["A", "B", "C", "D", "E", "F", "G"]
    w = np.array([0.5, 0.4, 0.3, 0.1, -0.05, -0.1, -0.15])
    figure = weights_figure(tickers, w)
    ax = figure.axes[0]
    bars = ax.patches
    assert len(bars) == len(w)
    colors = {(float(b.get_width()) < 0): tuple(np.round(b.get_facecolor(), 3)) for b in bars}
    assert colors[True] != colors[False]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Long", "Short"]
    risk = risk_figure(tickers, w, np.abs(w) / np.abs(w).sum())
    assert "Weight (short)" in [t.get_text() for t in risk.axes[0].get_legend().get_texts()]


def test_a_hundred_holdings_are_all_bars_with_value_labels() -> None:
    w = np.random.default_rng(1).dirichlet(np.ones(100))
    figure = weights_figure([f"T{i}" for i in range(100)], w)
    ax = figure.axes[0]
    assert len(ax.patches) == 100
    assert len(ax.get_yticklabels()) == 100
    values = [t for t in ax.texts if t.get_gid() == "value_label"]
    assert len(values) == 100 and values[0].get_text().endswith(" %")
    assert not [t for t in figure.texts if t.get_gid() == "footnote"]


def test_five_hundred_holdings_keep_the_rest_apart_from_the_bars() -> None:
    w = np.random.default_rng(2).dirichlet(np.ones(500))
    figure = weights_figure([f"T{i}" for i in range(500)], w)
    ax = figure.axes[0]
    assert len(ax.patches) == BAR_KEEP
    assert max(p.get_width() for p in ax.patches) == pytest.approx(w.max())
    (note,) = [t for t in figure.texts if t.get_gid() == "footnote"]
    rest = np.sort(w)[: 500 - BAR_KEEP].sum()
    assert f"the {500 - BAR_KEEP} smallest holdings" in note.get_text()
    assert f"{rest * 100:.1f} %" in note.get_text()


def test_a_pie_names_small_slices_only_in_its_legend() -> None:
    w = np.array([0.6, 0.3, 0.07, 0.02, 0.01])
    figure = weights_figure(["A", "B", "C", "D", "E"], w)
    ax = figure.axes[0]
    inline = [t.get_text() for t in ax.texts if t.get_text()]
    assert inline == ["60.0 %", "30.0 %", "7.0 %"]
    assert len(ax.get_legend().get_texts()) == 5


def test_the_risk_chart_says_what_it_kept_and_keeps_its_legend_off_the_bars() -> None:
    rng = np.random.default_rng(4)
    w = rng.dirichlet(np.ones(80))
    share = rng.dirichlet(np.ones(80))
    figure = risk_figure([f"T{i}" for i in range(80)], w, share)
    ax = figure.axes[0]
    assert len(ax.get_yticklabels()) == 25
    (note,) = [t for t in figure.texts if t.get_gid() == "footnote"]
    rest = np.sort(share)[:55].sum()
    assert note.get_text().startswith(
        f"Top 25 of 80 holdings by risk share; the other 55 carry {rest * 100:.1f} % of risk"
    )
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= ax.get_window_extent(renderer).x1


def test_composition_columns_sum_to_one_and_group_the_rest() -> None:
    _, result = _frontier(30, seed=7, cap=0.1)
    comp = frontier_composition(result, top=12)
    np.testing.assert_allclose(comp.weights.sum(axis=0), 1.0, atol=1e-9)
    assert comp.labels[-1] == f"Other ({comp.grouped} assets)" and comp.grouped > 0
    assert len(comp.labels) == 13
    assert np.all(np.diff(comp.volatilities) >= 0)
    figure = composition_figure(result)
    polys = [c for c in figure.axes[0].collections if c.get_gid() == "composition"]
    assert len(polys) == 13  # one band per series, stacked
    tops = np.sum([p.get_paths()[0].vertices[:, 1].max() for p in polys[-1:]])
    assert tops == pytest.approx(1.0)


def test_sector_totals_and_chart() -> None:
    tickers = ["A", "B", "C", "D"]
    w = np.array([0.5, 0.3, 0.0, 0.2])
    totals = sector_totals(tickers, w, {"A": "Tech", "B": "Tech", "C": "Energy"})
    assert [(t.sector, round(t.weight, 12), t.n_holdings) for t in totals] == [
        ("Tech", 0.8, 2),
        (UNCLASSIFIED, 0.2, 1),
    ]
    figure = sectors_figure(tickers, w, {"A": "Tech", "B": "Tech"})
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["Tech (2)", "Unclassified (1)"]  # largest on top
    values = sorted(t.get_text() for t in figure.axes[0].texts if t.get_gid() == "value_label")
    assert values == ["20.0 %", "80.0 %"]


def test_every_kind_renders_at_every_size() -> None:
    renderer = MatplotlibChartRenderer(dpi=40)
    for n in (5, 40):
        universe, result = _frontier(n, seed=n)
        w = np.random.default_rng(n).dirichlet(np.ones(n))
        tickers = list(universe.tickers)
        for data in (
            renderer.efficient_frontier(result, asset_points(universe), "png"),
            renderer.frontier_composition(result, "png"),
            renderer.weights(tickers, w, "png"),
            renderer.sectors(tickers, w, {t: t[:1] for t in tickers}, "png"),
            renderer.risk_contributions(tickers, w, w, "png"),
        ):
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert COLORS["long"] != COLORS["short"]


def test_composition_of_one_point_draws_and_of_none_is_a_chart_error() -> None:
    universe, result = _frontier(12)
    lc = compile_constraints(universe.tickers, [LongOnly()])
    top = result.return_range.highest
    renderer = MatplotlibChartRenderer(dpi=40)
    one = trace_frontier(
        CriticalLineFrontierSolver(), universe, lc, risk_free_rate=0.01, targets=(top,)
    )
    assert renderer.frontier_composition(one, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    none = trace_frontier(
        CriticalLineFrontierSolver(), universe, lc, risk_free_rate=0.01, targets=(top + 1,)
    )
    with pytest.raises(ChartError, match="no feasible point"):
        renderer.frontier_composition(none, "png")


def test_the_trades_chart_sorts_by_trade_and_says_what_it_leaves_out() -> None:
    from adapters.charts.trades import TRADES_ALL, TRADES_TOP, trades_figure

    tickers = ["A", "B", "C", "D"]
    current, target = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.2, 0.3, 0.2, 0.3])
    figure = trades_figure(tickers, current, target, CAPTION)
    ax = figure.axes[0]
    # the largest trades first (a tie: the larger target first), then the unchanged
    assert [t.get_text() for t in ax.get_yticklabels()] == ["D", "A", "B", "C"]  # top down
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert "+30.0" in texts and "-30.0" in texts
    assert any("turnover 30.0 %" in t for t in texts)
    assert any("CAPTIONTOKEN" in t for t in texts)
    n = TRADES_ALL + 10
    many = [f"T{i}" for i in range(n)]
    before, after = np.full(n, 1 / n), np.roll(np.full(n, 1 / n), 0)
    after[:10] += 0.001
    after[10:20] -= 0.001
    figure = trades_figure(many, before, after)
    assert len(figure.axes[0].get_yticklabels()) == TRADES_TOP
    assert any(f"The {TRADES_TOP} largest of {n}" in t.get_text() for t in figure.findobj(Text))
    with pytest.raises(ChartError):
        trades_figure(tickers, np.zeros(4), np.zeros(4))
