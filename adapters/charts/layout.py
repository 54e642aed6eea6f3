"""What every chart shares: a figure with its title and caption band, colours, percent axes,
value labels on bars, footnotes, and rendering to bytes (Agg, ``Figure()`` objects: nothing
global is kept, as a server needs)."""

import io
from collections.abc import Callable

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import PercentFormatter

from domain.charts import ChartFormat
from domain.errors import ChartError

matplotlib.rcParams["svg.fonttype"] = "none"
"""SVG text stays text (searchable, selectable in a report), not glyph outlines. Read at draw
time by the SVG backend, the same for every chart: set once for the process."""

COLORS = {
    "line": "#1f4e79",
    "long": "#1f4e79",
    "short": "#e07b00",
    "star": "#d62728",
    "minvar": "#2ca02c",
    "asset": "#8c8c8c",
    "risk": "#d62728",
    "text": "#444444",
}
TITLE_PT, CAPTION_PT, FOOT_PT = 12.0, 8.0, 7.5
PAD_IN = 0.08


def literal(text: str) -> str:
    """A ticker as literal text: matplotlib reads ``$...$`` as math, and a ticker such as
    ``$\\frac$`` made the whole chart fail."""
    return text.replace("$", r"\$")


def percent(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f} %"


def wrap(text: str, size: float, width_px: float, figure: Figure) -> list[str]:
    """``text`` in lines no wider than ``width_px`` at ``size`` points, measured with the
    figure's renderer: broken between " | " parts where they fit, else between words (a
    number keeps its unit), and a word longer than a line between characters."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    prop = FontProperties(size=size)

    def fits(s: str) -> bool:
        return renderer.get_text_width_height_descent(s, prop, ismath=False)[0] <= width_px

    lines: list[str] = []
    for part in text.replace(" %", "\u00a0%").split(" | "):
        if lines and fits(f"{lines[-1]} | {part}"):
            lines[-1] = f"{lines[-1]} | {part}"
            continue
        if lines and fits(f"{lines[-1]} |"):
            lines[-1] += " |"
        start = len(lines)
        for word in part.split(" "):
            joined = f"{lines[-1]} {word}" if len(lines) > start else word
            if len(lines) > start and fits(joined):
                lines[-1] = joined
                continue
            while len(word) > 1 and not fits(word):  # one over-long word: cut it
                cut = max([1, *(k for k in range(2, len(word)) if fits(word[:k]))])
                lines.append(word[:cut])
                word = word[cut:]
            lines.append(word)
    return [line for line in lines if line]


def new_figure(width: float, height: float, title: str, caption: str, dpi: int) -> Figure:
    """A figure ``width`` x (``height`` + its header) inches: the title and the caption
    (wrapped to the width) in a band on top, the rest laid out by constrained layout."""
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    lines = (
        wrap(literal(caption), CAPTION_PT, (width - 2 * PAD_IN) * dpi, figure) if caption else []
    )
    head = (TITLE_PT * 1.5 + len(lines) * CAPTION_PT * 1.3) / 72 + 2 * PAD_IN
    total = height + head
    figure.set_size_inches(width, total)
    figure.set_layout_engine(ConstrainedLayoutEngine(rect=(0, 0, 1, height / total)))
    x = PAD_IN / width
    top = 1 - PAD_IN / total
    figure.text(x, top, title, fontsize=TITLE_PT, fontweight="bold", va="top", gid="title")
    if lines:
        y = top - TITLE_PT * 1.5 / 72 / total
        figure.text(
            x,
            y,
            "\n".join(lines),
            fontsize=CAPTION_PT,
            color=COLORS["text"],
            va="top",
            linespacing=1.3,
            gid="caption",
        )
    return figure


def footnote(figure: Figure, lines: list[str]) -> None:
    """Text under the chart (below the canvas: the tight bounding box of the saved image takes
    it in), for what a chart left out."""
    if lines:
        figure.text(
            PAD_IN / figure.get_figwidth(),
            -0.004,
            "\n".join(lines),
            fontsize=FOOT_PT,
            color=COLORS["text"],
            va="top",
            gid="footnote",
        )


def percent_axis(ax: Axes, axis: str = "x", decimals: int | None = None) -> None:
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def widen(ax: Axes, values, pad_fraction: float = 0.16) -> None:
    """Horizontal bar limits that include 0 and leave room for a value label past each end."""
    low, high = min(0.0, *values), max(0.0, *values)
    pad = pad_fraction * ((high - low) or 1.0)
    ax.set_xlim(low - (pad if low < 0 else 0), high + (pad if high > 0 or low == 0 else 0))


def value_labels(ax: Axes, positions, values, size: float, at=None, prefix: str = "") -> None:
    """ "12.3 %" just past the end of each horizontal bar (left of a negative one), in the
    room ``widen`` made, so no label sits on a bar's colour; ``at``: where each bar ends when
    that is not its value (a net figure written past a long or short bar)."""
    ends = values if at is None else at
    for y, v, end in zip(positions, values, ends, strict=True):
        text = ax.annotate(
            prefix + percent(v, 1 if abs(v) >= 0.001 or v == 0 else 2),
            (end, y),
            xytext=(2 if v >= 0 else -2, 0) if at is None else (7 if v >= 0 else -7, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=size,
            color=COLORS["text"],
            gid="value_label",
        )
        text.set_in_layout(False)


def paired_bar_axes(
    ax: Axes, y, labels: list[str], font: float, xlabel: str, handles: list
) -> None:
    """The axes of two bars per asset (risk beside weight, current beside target): the
    tickers down the side, a percent x axis from a zero line, the legend outside the bars."""
    ax.set_yticks(y, [literal(t) for t in labels], fontsize=font)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    percent_axis(ax, "x")
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )


def render(build: Callable[[], Figure], fmt: ChartFormat, dpi: int) -> bytes:
    """The figure ``build`` returns, as PNG or SVG; any failure is one ``ChartError``."""
    buffer = io.BytesIO()
    try:
        figure = build()
        figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    except ChartError:
        raise
    except Exception as error:  # matplotlib raises many kinds; the caller gets one
        raise ChartError(f"could not draw the chart: {error}", field="chart") from error
    return buffer.getvalue()
