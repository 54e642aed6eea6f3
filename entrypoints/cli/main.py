"""``pfopt``: optimize portfolios from the command line."""

import datetime as dt
import sys
from pathlib import Path

import click
import msgspec
from rich.console import Console

from adapters.csv_prices import write_prices
from adapters.csv_tables import write_sector_map
from application.estimate_universe import EstimationSettings
from application.generate_sample_prices import GenerateSamplePricesCommand
from application.optimize_portfolio import OptimizePortfolioCommand
from domain.estimation import DEFAULT_EMA_SPAN, PERIODS_PER_YEAR
from domain.model import Asset, Portfolio
from domain.returns import DEFAULT_MIN_OBSERVATIONS
from entrypoints.cli.errors import report
from entrypoints.cli.options import build_constraints, build_objective
from entrypoints.cli.render import print_optimization
from entrypoints.container import Container
from entrypoints.schemas import OptimizationResponse

OBJECTIVES = ("max-sharpe", "min-variance", "target-return", "target-risk", "max-utility")
DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pfopt: exact mean-variance portfolio optimization."""
    ctx.obj = ctx.obj or Container()


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


def _tickers(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [t.strip() for t in value.split(",") if t.strip()]


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path))
@click.option("--objective", type=click.Choice(OBJECTIVES), default="max-sharpe", show_default=True)
@click.option(
    "--target",
    type=float,
    help="Annualized decimal: return for target-return, volatility for target-risk.",
)
@click.option(
    "--risk-free",
    type=float,
    default=0.0,
    show_default=True,
    help="Annualized risk-free rate, decimal (0.04 = 4 %).",
)
@click.option(
    "--risk-aversion",
    type=float,
    default=1.0,
    show_default=True,
    help="Risk aversion for max-utility: maximize mu'w - (a/2) w'Sw.",
)
@click.option("--min-weight", type=float, help="Minimum weight of every asset (decimal).")
@click.option("--max-weight", type=float, help="Maximum weight of every asset (decimal).")
@click.option(
    "--bound",
    "bounds",
    multiple=True,
    metavar="TICKER=MIN:MAX",
    help="Per-asset weight bounds; repeatable.",
)
@click.option("--sector-map", type=click.Path(path_type=Path), help="CSV with ticker,sector.")
@click.option(
    "--sector-limit",
    "sector_limits",
    multiple=True,
    metavar="SECTOR=MIN:MAX",
    help="Total weight of a sector; repeatable.",
)
@click.option(
    "--factor-loadings",
    type=click.Path(path_type=Path),
    help="CSV with ticker,<factor>,... loadings.",
)
@click.option(
    "--factor-limit",
    "factor_limits",
    multiple=True,
    metavar="FACTOR=MIN:MAX",
    help="Bounds on the portfolio's exposure to a factor; repeatable.",
)
@click.option("--allow-short", is_flag=True, help="Allow negative weights.")
@click.option("--leverage", type=float, help="Cap on gross exposure sum|w| (with --allow-short).")
@click.option(
    "--covariance",
    type=click.Choice(["ledoit-wolf", "oas", "sample"]),
    default="ledoit-wolf",
    show_default=True,
)
@click.option(
    "--returns",
    "returns_method",
    type=click.Choice(["mean", "geometric", "ema"]),
    default="mean",
    show_default=True,
)
@click.option("--ema-span", type=int, default=DEFAULT_EMA_SPAN, show_default=True)
@click.option("--periods-per-year", type=int, default=PERIODS_PER_YEAR, show_default=True)
@click.option(
    "--min-observations",
    type=int,
    default=DEFAULT_MIN_OBSERVATIONS,
    show_default=True,
    help="Fewest daily returns accepted for estimation.",
)
@click.option("--tickers", help="Comma-separated subset of the file's tickers.")
@click.option("--start", type=DATE, help="First date used (YYYY-MM-DD).")
@click.option("--end", type=DATE, help="Last date used (YYYY-MM-DD).")
@click.option(
    "--solver-chain",
    help="Comma-separated solvers to try in order (default OSQP,CLARABEL,ECOS,SCS).",
)
@click.option("--time-limit", type=float, help="Seconds for the whole solve (default 30).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of tables.")
@click.pass_obj
def optimize(
    container: Container,
    prices: Path,
    objective: str,
    target: float | None,
    risk_free: float,
    risk_aversion: float,
    min_weight: float | None,
    max_weight: float | None,
    bounds: tuple[str, ...],
    sector_map: Path | None,
    sector_limits: tuple[str, ...],
    factor_loadings: Path | None,
    factor_limits: tuple[str, ...],
    allow_short: bool,
    leverage: float | None,
    covariance: str,
    returns_method: str,
    ema_span: int,
    periods_per_year: int,
    min_observations: int,
    tickers: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    solver_chain: str | None,
    time_limit: float | None,
    as_json: bool,
) -> None:
    """Optimize one portfolio from a price CSV (wide: date + one column per ticker; or long:
    date,ticker,close)."""
    constraints = build_constraints(
        allow_short=allow_short,
        leverage=leverage,
        min_weight=min_weight,
        max_weight=max_weight,
        bounds=bounds,
        sector_map=sector_map,
        sector_limits=sector_limits,
        factor_loadings=factor_loadings,
        factor_limits=factor_limits,
    )
    goal = build_objective(objective, target, risk_free, risk_aversion)
    source = container.csv_prices(path=prices)
    names = _tickers(tickers) or list(source.load().tickers)
    solver_args = {}
    if solver_chain is not None:
        solver_args["solver__chain"] = _tickers(solver_chain)
    if time_limit is not None:
        solver_args["solver__time_limit_s"] = time_limit
    use_case = container.optimize_portfolio(prices=source, **solver_args)
    result = use_case.execute(
        OptimizePortfolioCommand(
            portfolio=Portfolio(prices.stem, tuple(Asset(t) for t in names), constraints),
            objective=goal,
            estimation=EstimationSettings(
                covariance=covariance.replace("-", "_"),
                returns=returns_method,  # type: ignore[arg-type]
                periods_per_year=periods_per_year,
                ema_span=ema_span,
                min_observations=min_observations,
                start=start.date() if start else None,
                end=end.date() if end else None,
            ),
            risk_free_rate=risk_free,
        )
    )
    doc = OptimizationResponse.from_domain(result, risk_free)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(doc), indent=2).decode())
        return
    for warning in doc.warnings:
        click.echo(f"warning: {warning}", err=True)
    print_optimization(doc, Console(soft_wrap=True))


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
