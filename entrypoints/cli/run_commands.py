"""``pfopt optimize`` and ``pfopt frontier``: one run each, saved to history."""

import shlex
from pathlib import Path
from typing import Any

import click
import msgspec
from rich.console import Console

from adapters.documents.codec import read
from adapters.documents.results import FrontierResponse, OptimizationResponse
from application.specs import Frontier, Optimize
from domain.charts import RUN_CHARTS
from domain.frontier import DEFAULT_POINTS
from domain.objectives import HRP_LINKAGES
from entrypoints.cli.charts import (
    CHART_OPTION,
    CHARTS_OPTION,
    chart_target,
    charts_folder,
    draw_run_chart,
    write_chart,
    write_charts,
)
from entrypoints.cli.commands import short_help
from entrypoints.cli.options import OBJECTIVES, build_objective, run_spec, universe_options
from entrypoints.cli.rebalance_options import rebalance_from, rebalance_options, weights_argument
from entrypoints.cli.render import json_text, print_frontier, print_optimization
from entrypoints.cli.store import run_without_store, with_file_run_store
from entrypoints.container import Container, runs_on
from entrypoints.exports import frontier_csv
from entrypoints.exports import trades_csv as trades_table
from entrypoints.run_charts import kinds_of

PRICES = click.argument("prices", required=False, type=click.Path(path_type=Path))
PORTFOLIO = click.option(
    "--portfolio",
    "portfolio_ref",
    metavar="NAME",
    help="A saved portfolio (its assets and constraints).",
)


NO_SAVE = click.option(
    "--no-save",
    is_flag=True,
    help="Run a PRICES file without the database: nothing is saved to history.",
)


def _run(container: Container, prices: Path | None, no_save: bool, work):
    """``work`` on the store, or on none with ``--no-save`` (history is a convenience for a
    file run, not a precondition)."""
    if no_save:
        if prices is None:
            raise click.UsageError("--no-save needs a PRICES file (stored prices need the store)")
        return run_without_store(work)
    return with_file_run_store(container, work, prices)


def _saved_line(run_id: str, kind: str, no_save: bool, prices: Path | None) -> str:
    """Where the run went, and the commands that take its id (a file run's risk needs the
    file again: history keeps its name, not its prices)."""
    if no_save:
        return "Not saved (--no-save)"
    file = "" if prices is None else f"{shlex.quote(str(prices))} "
    if kind == "single":
        return (
            f"Saved as optimization {run_id}   (pfopt history show {run_id}; "
            f"pfopt risk {file}--optimization {run_id})"
        )
    return (
        f"Saved as frontier {run_id}   (pfopt history show {run_id}; "
        f"pfopt risk {file}--optimization {run_id} --point max_sharpe)"
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
@click.option(
    "--budgets",
    metavar="FILE|A=0.2,B=0.8",
    help="Risk budgets for --objective risk-budget: each asset's share of the variance "
    "(ticker,budget CSV or A=0.2,B=0.8, summing to 1); omitted: equal risk contribution.",
)
@click.option(
    "--linkage",
    type=click.Choice(list(HRP_LINKAGES)),
    help="For --objective hrp: how clusters merge (SciPy's linkage; default single).",
)
@universe_options
@rebalance_options
@click.option(
    "--trades-csv",
    type=click.Path(path_type=Path),
    help="Also write the trades from the holdings as CSV (with --holdings or --shares).",
)
@CHART_OPTION
@CHARTS_OPTION
@NO_SAVE
@click.pass_obj
def optimize(
    container: Container,
    prices: Path | None,
    portfolio_ref: str | None,
    objective: str,
    target: float | None,
    risk_aversion: float,
    budgets: str | None,
    linkage: str | None,
    trades_csv: Path | None,
    chart: Path | None,
    charts_dir: Path | None,
    no_save: bool,
    **opts: Any,
) -> None:
    """Optimize one portfolio from a price CSV (wide: date + one column per ticker; or long:
    date,ticker,close), or from stored prices (--tickers, --portfolio). Saved to history
    unless --no-save. With --holdings (and the trading options) it rebalances from them and
    lists the trades."""
    shares_of_risk = None if budgets is None else weights_argument(budgets, "--budgets", "budget")
    goal = build_objective(
        objective, target, opts["risk_free"], risk_aversion, shares_of_risk, linkage
    )
    rebalance = rebalance_from(opts)
    if trades_csv is not None and rebalance is None and portfolio_ref is None:
        raise click.UsageError("--trades-csv needs holdings (--holdings or --shares) to trade from")
    spec = run_spec(Optimize(goal, rebalance), prices, portfolio_ref, opts)
    target_chart, folder = chart_target(chart, "weights"), charts_folder(charts_dir)
    outcome = _run(container, prices, no_save, lambda store: runs_on(container, store).run(spec))
    doc = read(outcome.document, OptimizationResponse)
    if trades_csv is not None:
        trades_csv.write_text(trades_table(doc))
    write_chart(target_chart, lambda fmt: draw_run_chart(container, outcome, "weights", fmt))
    write_charts(
        folder,
        kinds_of("single", outcome.document),
        lambda kind, fmt: draw_run_chart(container, outcome, kind, fmt),
    )
    if opts["as_json"]:
        _print_json(doc)
        return
    _warn(doc.warnings)
    console = Console(soft_wrap=True)
    print_optimization(doc, console)
    console.print(_saved_line(outcome.id, "single", no_save, prices))


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
@CHARTS_OPTION
@NO_SAVE
@click.pass_obj
def frontier(
    container: Container,
    prices: Path | None,
    portfolio_ref: str | None,
    points: int,
    csv_out: Path | None,
    chart: Path | None,
    charts_dir: Path | None,
    no_save: bool,
    **opts: Any,
) -> None:
    """Trace the efficient frontier from the minimum-variance portfolio to the highest
    reachable return, with the exact max-Sharpe portfolio. Saved to history unless
    --no-save."""
    spec = run_spec(Frontier(points), prices, portfolio_ref, opts)
    target_chart = chart_target(chart, "efficient_frontier")
    folder = charts_folder(charts_dir)

    def work(store):
        from entrypoints.cli.progress import RichProgress  # only frontier draws a bar

        with RichProgress.take() as progress:
            return runs_on(container, store).run(spec, progress)

    outcome = _run(container, prices, no_save, work)
    doc = read(outcome.document, FrontierResponse)
    write_chart(target_chart, lambda fmt: draw_run_chart(container, outcome, "frontier", fmt))
    write_charts(
        folder,
        RUN_CHARTS["frontier"],
        lambda kind, fmt: draw_run_chart(container, outcome, kind, fmt),
    )
    if csv_out is not None:
        csv_out.write_text(frontier_csv(doc))
    if opts["as_json"]:
        _print_json(doc)
        return
    _warn(doc.warnings + doc.notes)
    console = Console(soft_wrap=True)
    print_frontier(doc, console)
    console.print(_saved_line(outcome.id, "frontier", no_save, prices))
