"""``pfopt sample-data``: a deterministic synthetic market to try everything on."""

import sys
from pathlib import Path

import click

from adapters.csv_prices import write_prices
from adapters.csv_tables import write_sector_map
from application.generate_sample_prices import GenerateSamplePricesCommand
from entrypoints.cli.commands import short_help
from entrypoints.container import Container


@click.command("sample-data", short_help=short_help("sample-data"))
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
