"""``pfopt``: optimize portfolios and trace efficient frontiers from the command line."""

import os
import sys
from pathlib import Path
from typing import Any

import click
import msgspec
from rich.console import Console

from adapters.csv_prices import write_prices
from adapters.csv_tables import write_sector_map
from adapters.database_url import default_database_url
from adapters.documents.codec import read
from adapters.documents.results import FrontierResponse, OptimizationResponse
from application.api_keys import AuthPolicy, ManageKeys
from application.generate_sample_prices import GenerateSamplePricesCommand
from application.specs import Frontier, Optimize
from domain.errors import ValidationError
from domain.frontier import DEFAULT_POINTS
from entrypoints.cli.charts import CHART_OPTION, chart_target, write_chart
from entrypoints.cli.errors import report
from entrypoints.cli.keys_commands import keys
from entrypoints.cli.options import (
    OBJECTIVES,
    build_objective,
    run_spec,
    universe_options,
)
from entrypoints.cli.progress import RichProgress
from entrypoints.cli.render import json_text, print_frontier, print_optimization
from entrypoints.cli.risk_command import risk
from entrypoints.cli.store import prepare, with_run_store, with_store
from entrypoints.cli.store_commands import db, history, portfolios, prices_group
from entrypoints.container import Container, runs_on
from entrypoints.exports import frontier_csv

PRICES = click.argument("prices", required=False, type=click.Path(path_type=Path))
PORTFOLIO = click.option(
    "--portfolio",
    "portfolio_ref",
    metavar="NAME",
    help="A saved portfolio (its assets and constraints).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="PFOPT_DATABASE_URL",
    help="Where history, portfolios and prices live (default: an SQLite file in the "
    "user data directory; PostgreSQL as postgresql+psycopg://...).",
)
@click.option("--migrate", is_flag=True, help="Upgrade the database schema first if it is behind.")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, migrate: bool) -> None:
    """pfopt: exact mean-variance portfolio optimization."""
    container = ctx.obj or Container()
    container.config.database_url.from_value(database_url or default_database_url())
    container.config.migrate.from_value(migrate)
    ctx.obj = container


cli.add_command(db)
cli.add_command(prices_group)
cli.add_command(portfolios)
cli.add_command(history)
cli.add_command(risk)
cli.add_command(keys)


@cli.command("sample-data")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Price CSV to write (wide format); stdout when omitted.",
)
@click.option(
    "--sectors-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the ticker,sector map here.",
)
@click.option("--assets", default=20, show_default=True, help="Number of assets.")
@click.option("--days", default=1260, show_default=True, help="Trading days (1260 ~ 5 years).")
@click.option("--seed", default=42, show_default=True, help="Random seed: same seed, same file.")
@click.option(
    "--late-starters",
    default=0,
    show_default=True,
    help="Assets that start trading part-way (leading empty cells).",
)
@click.option(
    "--gap-rate",
    default=0.0,
    show_default=True,
    help="Probability that any one price is missing (0 to 0.2).",
)
@click.pass_obj
def sample_data(
    container: Container,
    output: Path | None,
    sectors_out: Path | None,
    assets: int,
    days: int,
    seed: int,
    late_starters: int,
    gap_rate: float,
) -> None:
    """Write a deterministic, realistic daily price CSV (factor model, fat tails, sectors)."""
    market = container.generate_sample_prices().execute(
        GenerateSamplePricesCommand(
            n_assets=assets, n_days=days, seed=seed, late_starters=late_starters, gap_rate=gap_rate
        )
    )
    if output is None:
        write_prices(market.history, sys.stdout)
    else:
        with output.open("w", newline="") as handle:
            write_prices(market.history, handle)
        click.echo(
            f"wrote {len(market.history.dates)} days x {assets} assets to {output}", err=True
        )
    if sectors_out is not None:
        with sectors_out.open("w", newline="") as handle:
            write_sector_map(market.sectors, handle)


def _print_json(doc: msgspec.Struct) -> None:
    click.echo(json_text(doc))


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command()
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


@cli.command()
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
        with RichProgress() as progress:
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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; more than one needs PostgreSQL (jobs are shared through it).",
)
@click.pass_obj
def serve(container: Container, host: str, port: int, workers: int) -> None:
    """Run the HTTP API (Litestar on uvicorn) on the configured database."""
    import uvicorn

    from entrypoints.http.app import create_app

    url = container.config.database_url()
    if workers > 1 and not url.startswith("postgresql"):
        raise ValidationError(
            "--workers above 1 needs a PostgreSQL database (frontier jobs are shared through "
            "it); SQLite serves one process",
            field="workers",
        )
    prepare(url, container.config.migrate())
    click.echo(f"pfopt API on http://{host}:{port} (schema at /schema)", err=True)
    click.echo(_access_note(container, host), err=True)
    if workers == 1:
        uvicorn.run(create_app(container), host=host, port=port, log_level="warning")
        return
    os.environ["PFOPT_DATABASE_URL"] = url  # each worker process builds its own app from it
    uvicorn.run(
        "entrypoints.http.asgi:create",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
    )


def _access_note(container: Container, host: str) -> str:
    """Say at start-up who can use the server, by the same policy the server applies."""
    required = container.config.auth_required()

    async def enabled(uow) -> bool:
        return await AuthPolicy(ManageKeys(uow), uow, required).enabled()

    if with_store(container, enabled):
        return "API keys required on /api and /ws (create or list them with 'pfopt keys')"
    loopback = host in ("127.0.0.1", "localhost", "::1")
    where = "this machine only" if loopback else f"anyone who can reach {host}"
    return (
        f"no API keys: the API is open to {where}; create a key ('pfopt keys create --name N') "
        "or set PFOPT_AUTH=required before exposing it"
    )


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the CLI and turn every failure into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="pfopt", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.exceptions.Abort:
        return 130
    except Exception as error:  # every failure becomes one line; see entrypoints.cli.errors
        return report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
