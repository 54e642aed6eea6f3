"""Point labels without collisions: a deterministic greedy search over offsets around each
point, measured with the figure's renderer. Call it once the layout is final."""

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

RADII = (4.0, 9.0, 15.0)
"""Offsets tried, in points; from the second one on, a leader line joins label and point."""
DIRECTIONS = (
    (1.0, 0.0, "left", "center"),
    (0.75, 0.75, "left", "bottom"),
    (0.75, -0.75, "left", "top"),
    (-1.0, 0.0, "right", "center"),
    (-0.75, 0.75, "right", "bottom"),
    (-0.75, -0.75, "right", "top"),
    (0.0, 1.0, "center", "bottom"),
    (0.0, -1.0, "center", "top"),
)
LABEL_GID = "asset_label"


def boxes(figure: Figure, ax: Axes, x, y, radius_pt: float) -> np.ndarray:
    """Squares of ``radius_pt`` around data points, shape (n, 4) as x0, y0, x1, y1 pixels."""
    if len(x) == 0:
        return np.empty((0, 4))
    centres = ax.transData.transform(np.column_stack([x, y]))
    r = radius_pt * figure.dpi / 72
    return np.column_stack([centres - r, centres + r])


def as_rows(extents: Sequence[Bbox]) -> np.ndarray:
    return np.array([[b.x0, b.y0, b.x1, b.y1] for b in extents]).reshape(-1, 4)


def _hits(box: np.ndarray, others: np.ndarray) -> bool:
    if not len(others):
        return False
    return bool(
        np.any(
            (others[:, 0] < box[2])
            & (others[:, 2] > box[0])
            & (others[:, 1] < box[3])
            & (others[:, 3] > box[1])
        )
    )


def place_labels(
    figure: Figure,
    ax: Axes,
    items: Sequence[tuple[str, float, float]],
    hard: np.ndarray,
    soft: np.ndarray,
    fontsize: float = 7.0,
) -> tuple[list[Annotation], list[str]]:
    """Label each ``(text, x, y)`` in order at the first offset whose text box stays inside
    the axes and overlaps neither a placed label nor a ``hard`` box (special markers, the
    legend), preferring one that also misses every ``soft`` box (other points, the line).
    Returns the labels placed and the texts that found no place (left unlabelled)."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    inside = (frame.x0 + 1, frame.y0 + 1, frame.x1 - 1, frame.y1 - 1)
    taken = hard.reshape(-1, 4)
    placed: list[Annotation] = []
    skipped: list[str] = []
    for text, x, y in items:
        probe = ax.annotate(
            text, (x, y), xytext=(0, 0), textcoords="offset points", fontsize=fontsize
        )
        found = None
        for avoid_soft in (True, False):
            for radius in RADII:
                for dx, dy, ha, va in DIRECTIONS:
                    probe.xyann = (dx * radius, dy * radius)
                    probe.set_horizontalalignment(ha)
                    probe.set_verticalalignment(va)
                    probe.update_positions(renderer)
                    extent = Text.get_window_extent(probe, renderer)  # the text, not its leader
                    box = np.array([extent.x0 - 1, extent.y0 - 1, extent.x1 + 1, extent.y1 + 1])
                    if (
                        box[0] < inside[0]
                        or box[1] < inside[1]
                        or box[2] > inside[2]
                        or box[3] > inside[3]
                        or _hits(box, taken)
                        or (avoid_soft and _hits(box, soft))
                    ):
                        continue
                    found = (dx * radius, dy * radius, ha, va, radius, box)
                    break
                if found:
                    break
            if found:
                break
        probe.remove()
        if found is None:
            skipped.append(text)
            continue
        ox, oy, ha, va, radius, box = found
        leader = radius > RADII[0]
        label = ax.annotate(
            text,
            (x, y),
            xytext=(ox, oy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=fontsize,
            color="#222222",
            gid=LABEL_GID,
            arrowprops={
                "arrowstyle": "-",
                "color": "#9a9a9a",
                "lw": 0.5,
                "shrinkA": 0,
                "shrinkB": 2,
            }
            if leader
            else None,
            zorder=6,
        )
        label.set_in_layout(False)
        placed.append(label)
        taken = np.vstack([taken, box])
    return placed, skipped
