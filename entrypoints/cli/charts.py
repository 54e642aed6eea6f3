"""``--chart PATH`` and ``--charts DIR`` for the CLI: checked before any work, written after,
never fatal (a chart that cannot be drawn is a warning; the run stands)."""

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from domain.charts import ChartFormat
from domain.errors import ChartError, DomainError

CHART_OPTION = click.option(
    "--chart",
    "chart",
    type=click.Path(path_type=Path),
    help="Also draw a chart: FILE.png or FILE.svg, or a directory for a timestamped PNG.",
)
CHARTS_OPTION = click.option(
    "--charts",
    "charts_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Also draw every chart of the run as DIR/<kind>.png (optimize: weights, risk, "
    "sectors, and trades from holdings; frontier: frontier, composition, sectors). DIR is "
    "created if missing.",
)
IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".pdf", ".webp")


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


def charts_folder(folder: Path | None) -> Path | None:
    """``--charts DIR`` checked up front: a file (or a file name) is a usage error."""
    if folder is None:
        return None
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(
            f"{str(folder)!r} is a file, not a directory (use --chart for one file)",
            param_hint="--charts",
        )
    if not folder.exists() and folder.suffix.lower() in IMAGE_SUFFIXES:
        raise click.BadParameter(
            f"{folder.name!r} looks like a file name: --charts takes a directory "
            "(use --chart FILE for one chart)",
            param_hint="--charts",
        )
    return folder


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
    except DomainError as error:  # ChartError, or the data a chart needs could not be had
        click.echo(f"warning: {error.detail}", err=True)
        return
    except OSError as error:
        click.echo(f"warning: could not write the chart to {path}: {error.strerror}", err=True)
        return
    click.echo(f"chart written to {path}", err=True)


def write_charts(
    folder: Path | None, kinds: Sequence[str], render: Callable[[str, ChartFormat], bytes]
) -> None:
    """Every chart of ``kinds`` as ``folder/<kind>.png``, each one on its own: one that
    fails is a warning and the others are still drawn."""
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        click.echo(f"warning: could not create {folder}: {error.strerror}", err=True)
        return
    for kind in kinds:
        write_chart((folder / f"{kind}.png", "png"), lambda fmt, k=kind: render(k, fmt))


def run_documents(container: Any, outcome: Any) -> tuple[dict, dict]:
    """A finished run's params and results documents, as history keeps them."""
    return container.codec().params(outcome.run), outcome.document


def run_risk_report(container: Any, outcome: Any, params: dict, results: dict):
    """The run's risk attribution on its own model, its prices read again: from its file, or
    from the store."""
    from application.specs import InlineModel, PricesFile
    from entrypoints.run_charts import risk_report

    data = outcome.run.spec.data
    if isinstance(data, InlineModel):
        raise ChartError(
            "the risk chart needs prices; this run used an inline risk model", field="chart"
        )
    if isinstance(data, PricesFile):
        prices = container.price_files().open(data.path)
        return risk_report(prices, container.estimator(), params, results)
    from entrypoints.cli.store import with_run_store

    return with_run_store(
        container, lambda store: risk_report(store.prices, container.estimator(), params, results)
    )


def draw_run_chart(container: Any, outcome: Any, kind: str, fmt: ChartFormat) -> bytes:
    """One chart of a finished run, drawn from its documents (as the server draws it)."""
    from entrypoints.run_charts import draw

    params, results = run_documents(container, outcome)
    report = run_risk_report(container, outcome, params, results) if kind == "risk" else None
    return draw(container.charts(), kind, params, results, fmt, report)


def risk_caption(report: Any, settings: Any, source: str, optimization_id: str | None) -> str:
    """What ``pfopt risk`` attributed, in one line: the weights, the prices and window, the
    estimation and the resulting volatility."""
    from adapters.documents.describe import COVARIANCE_NAMES

    held = int((report.weights != 0).sum())
    parts = [
        f"weights of optimization {optimization_id}" if optimization_id else "given weights",
        f"{held} holdings, prices from {source}",
    ]
    if report.start is not None and report.end is not None:
        parts.append(f"{report.start}..{report.end} ({report.n_observations} daily returns)")
    covariance = COVARIANCE_NAMES.get(settings.covariance, settings.covariance)
    parts.append(f"{covariance}, {settings.returns} returns")
    parts.append(f"volatility {report.assets.volatility * 100:.2f} %")
    return " | ".join(parts)
