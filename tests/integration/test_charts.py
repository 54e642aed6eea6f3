"""Charts: valid PNG/SVG of the expected size, the star where the max-Sharpe portfolio is."""

import struct

import numpy as np
import pytest

from adapters.frontier_solvers import CriticalLineFrontierSolver
from adapters.matplotlib_charts import MatplotlibChartRenderer
from application.compute_frontier import trace_frontier
from domain.charts import asset_points
from domain.constraints import LongOnly
from domain.errors import ChartError
from domain.frontier import FrontierPoint
from domain.linear import compile_constraints
from tests.conftest import random_universe

UNIVERSE = random_universe(12, seed=3)
LC = compile_constraints(UNIVERSE.tickers, [LongOnly()])


def _frontier(**kwargs):
    return trace_frontier(CriticalLineFrontierSolver(), UNIVERSE, LC, risk_free_rate=0.01, **kwargs)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_frontier_png_and_svg() -> None:
    renderer = MatplotlibChartRenderer(dpi=100)
    png = renderer.efficient_frontier(_frontier(), asset_points(UNIVERSE), "png")
    width, height = _png_size(png)
    assert 600 < width < 900 and 400 < height < 650  # 8 x 5.5 in at 100 dpi, tight box
    svg = renderer.efficient_frontier(_frontier(), asset_points(UNIVERSE), "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_the_star_is_at_the_max_sharpe_portfolio() -> None:
    result = _frontier()
    figure = MatplotlibChartRenderer().frontier_figure(result, asset_points(UNIVERSE))
    (star,) = [c for c in figure.axes[0].collections if c.get_gid() == "max_sharpe"]
    best = result.max_sharpe.metrics
    np.testing.assert_allclose(star.get_offsets()[0], [best.volatility, best.expected_return])


def test_single_point_draws_and_empty_frontier_is_a_chart_error() -> None:
    top = _frontier().return_range.highest
    single = _frontier(targets=(top,))
    assert _png_size(
        MatplotlibChartRenderer().efficient_frontier(single, asset_points(UNIVERSE), "png")
    )
    infeasible = _frontier(targets=(top + 1.0,))
    assert all(isinstance(p, FrontierPoint) and p.metrics is None for p in infeasible.points)
    with pytest.raises(ChartError, match="no feasible point"):
        MatplotlibChartRenderer().efficient_frontier(infeasible, asset_points(UNIVERSE), "png")


@pytest.mark.parametrize("n", [4, 500])
def test_weights_pie_or_bars_and_risk_bars(n: int) -> None:
    tickers = [f"T{i}" for i in range(n)]
    w = np.random.default_rng(1).dirichlet(np.ones(n))
    renderer = MatplotlibChartRenderer()
    assert _png_size(renderer.weights(tickers, w, "png"))
    assert _png_size(renderer.risk_contributions(tickers, w, w, "png"))
