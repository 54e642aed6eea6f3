"""``--chart PATH`` for the CLI: checked before any work, written after, never fatal."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import click

from domain.charts import ChartFormat
from domain.errors import ChartError

CHART_OPTION = click.option(
    "--chart",
    "chart",
    type=click.Path(path_type=Path),
    help="Also draw a chart: FILE.png or FILE.svg, or a directory for a timestamped PNG.",
)


def chart_target(chart: Path | None, kind: str) -> tuple[Path, ChartFormat] | None:
    """Where and in which format to draw; an unknown suffix is a usage error up front."""
    if chart is None:
        return None
    if chart.is_dir():
        stamp = dt.datetime.now().strftime("%Y%m%d_%H%M%S")
        return chart / f"{kind}_{stamp}.png", "png"
    suffix = chart.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise click.BadParameter(
            f"{chart.name!r}: use a .png or .svg file name, or a directory", param_hint="--chart"
        )
    return chart, suffix  # type: ignore[return-value]


def write_chart(
    target: tuple[Path, ChartFormat] | None, render: Callable[[ChartFormat], bytes]
) -> None:
    """Draw and save; a chart failure is reported as a warning, the result stands."""
    if target is None:
        return
    path, fmt = target
    try:
        data = render(fmt)
        path.write_bytes(data)
    except ChartError as error:
        click.echo(f"warning: {error.detail}", err=True)
        return
    except OSError as error:
        click.echo(f"warning: could not write the chart to {path}: {error.strerror}", err=True)
        return
    click.echo(f"chart written to {path}", err=True)
