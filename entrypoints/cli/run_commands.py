"""``pfopt optimize`` and ``pfopt frontier``: one run each, saved to history."""

from pathlib import Path
from typing import Any

import click
import msgspec
from rich.console import Console

from adapters.documents.codec import read
from adapters.documents.results import FrontierResponse, OptimizationResponse
from application.specs import Frontier, Optimize
from domain.frontier import DEFAULT_POINTS
from entrypoints.cli.charts import CHART_OPTION, chart_target, write_chart
from entrypoints.cli.commands import short_help
from entrypoints.cli.options import OBJECTIVES, build_objective, run_spec, universe_options
from entrypoints.cli.render import json_text, print_frontier, print_optimization
from entrypoints.cli.store import with_run_store
from entrypoints.container import Container, runs_on
from entrypoints.exports import frontier_csv

PRICES = click.argument("prices", required=False, type=click.Path(path_type=Path))
PORTFOLIO = click.option(
    "--portfolio",
    "portfolio_ref",
    metavar="NAME",
    help="A saved portfolio (its assets and constraints).",
)


def _print_json(doc: msgspec.Struct) -> None:
    click.echo(json_text(doc))


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command(short_help=short_help("optimize"))
@PRICES
@PORTFOLIO
@click.option("--objective", type=click.Choice(OBJECTIVES), default="max-sharpe", show_default=True)
@click.option(
    "--target",
    type=float,
    help="Annualized decimal: return for target-return, volatility for target-risk.",
)
@click.option(
    "--risk-aversion",
    type=float,
    default=1.0,
    show_default=True,
    help="Risk aversion for max-utility: maximize mu'w - (a/2) w'Sw.",
)
@universe_options
@CHART_OPTION
@click.pass_obj
def optimize(
    container: Container,
    prices: Path | None,
    portfolio_ref: str | None,
    objective: str,
    target: float | None,
    risk_aversion: float,
    chart: Path | None,
    **opts: Any,
) -> None:
    """Optimize one portfolio from a price CSV (wide: date + one column per ticker; or long:
    date,ticker,close), or from stored prices (--tickers, --portfolio). Saved to history."""
    goal = build_objective(objective, target, opts["risk_free"], risk_aversion)
    spec = run_spec(Optimize(goal), prices, portfolio_ref, opts)
    target_chart = chart_target(chart, "weights")
    outcome = with_run_store(container, lambda store: runs_on(container, store).run(spec))
    doc = read(outcome.document, OptimizationResponse)
    allocation = outcome.result.allocation
    write_chart(
        target_chart,
        lambda fmt: container.charts().weights(allocation.tickers, allocation.weights, fmt),
    )
    if opts["as_json"]:
        _print_json(doc)
        return
    _warn(doc.warnings)
    print_optimization(doc, Console(soft_wrap=True))


@click.command(short_help=short_help("frontier"))
@PRICES
@PORTFOLIO
@click.option(
    "--points",
    default=DEFAULT_POINTS,
    show_default=True,
    help="Number of frontier points (2 to 200).",
)
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the points (metrics and weights) to this CSV.",
)
@universe_options
@CHART_OPTION
@click.pass_obj
def frontier(
    container: Container,
    prices: Path | None,
    portfolio_ref: str | None,
    points: int,
    csv_out: Path | None,
    chart: Path | None,
    **opts: Any,
) -> None:
    """Trace the efficient frontier from the minimum-variance portfolio to the highest
    reachable return, with the exact max-Sharpe portfolio. Saved to history."""
    spec = run_spec(Frontier(points), prices, portfolio_ref, opts)
    target_chart = chart_target(chart, "efficient_frontier")

    def work(store):
        from entrypoints.cli.progress import RichProgress  # only frontier draws a bar

        with RichProgress.take() as progress:
            return runs_on(container, store).run(spec, progress)

    outcome = with_run_store(container, work)
    run = outcome.result
    doc = read(outcome.document, FrontierResponse)
    write_chart(
        target_chart,
        lambda fmt: container.charts().efficient_frontier(run.frontier, run.assets, fmt),
    )
    if csv_out is not None:
        csv_out.write_text(frontier_csv(doc))
    if opts["as_json"]:
        _print_json(doc)
        return
    _warn(doc.warnings + doc.notes)
    print_frontier(doc, Console(soft_wrap=True))
