"""CLI commands on the store: ``db``, ``prices``, ``portfolios`` and ``history``."""

import asyncio
import csv
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from adapters.csv_tables import read_sector_map
from adapters.documents.records import portfolio_document, record_document
from domain.records import OptimizationRecord
from entrypoints.cli.commands import short_help
from entrypoints.cli.options import portfolio_from, split_list, universe_options
from entrypoints.cli.render import json_text
from entrypoints.cli.store import with_store


def _url(container) -> str:
    return container.config.database_url()


@click.group(short_help=short_help("db"))
def db() -> None:
    """Database schema: upgrade, downgrade, current."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(container, revision: str) -> None:
    """Apply migrations up to REVISION (default head)."""
    from adapters.migrations import upgrade

    upgrade(_url(container), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(container, revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    from adapters.migrations import downgrade

    downgrade(_url(container), revision)
    click.echo(f"database at {revision}")


@db.command("current")
@click.pass_obj
def db_current(container) -> None:
    """Show the schema revision of the database and the one this code needs."""
    from adapters.migrations import current, head
    from adapters.storage import make_engine

    url = _url(container)

    async def read() -> str | None:
        engine = make_engine(url)
        try:
            return await current(engine)
        finally:
            await engine.dispose()

    click.echo(f"current {asyncio.run(read()) or 'none'}, head {head(url)}")


@click.group("prices", short_help=short_help("prices"))
def prices_group() -> None:
    """The price store: import CSV files, list what is stored."""


@prices_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--sector-map",
    type=click.Path(path_type=Path),
    help="CSV of ticker,sector stored with the prices (the web page filters by it).",
)
@click.pass_obj
def prices_import(container, file: Path, sector_map: Path | None) -> None:
    """Import a wide or long price CSV; all rows or none, re-importing is harmless."""
    source = container.csv_prices(path=file)
    sectors = read_sector_map(sector_map) if sector_map else None
    report = with_store(
        container, lambda uow: container.import_prices(uow=uow).execute(source, sectors)
    )
    click.echo(
        f"imported {report.rows} prices for {len(report.tickers)} tickers, "
        f"{report.first.isoformat()}..{report.last.isoformat()}"
    )


@prices_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def prices_list(container, as_json: bool) -> None:
    """Tickers with their first and last date and row count."""

    async def work(uow_factory):
        async with uow_factory() as uow:
            return await uow.prices.summary()

    rows = with_store(container, work)
    if as_json:
        click.echo(json_text(rows))
        return
    table = Table(title=f"Stored prices ({len(rows)} tickers)")
    for name in ("Ticker", "First", "Last", "Rows"):
        table.add_column(name)
    for r in rows:
        table.add_row(r.ticker, r.first.isoformat(), r.last.isoformat(), str(r.rows))
    Console(soft_wrap=True).print(table)


@click.group(short_help=short_help("portfolios"))
def portfolios() -> None:
    """Saved portfolios."""


@portfolios.command("create")
@click.argument("name")
@universe_options
@click.pass_obj
def portfolios_create(container, name: str, **opts: Any) -> None:
    """Save NAME with --tickers and constraint options (sectors from --sector-map)."""
    names = split_list(opts["tickers"])
    if not names:
        raise click.UsageError("--tickers A,B,C is required")
    portfolio = portfolio_from(name, names, opts)
    stored = with_store(
        container, lambda uow: container.manage_portfolios(uow=uow).create(portfolio)
    )
    click.echo(f"saved portfolio {name!r} ({len(names)} assets) as {stored.id}")


@portfolios.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def portfolios_list(container, as_json: bool) -> None:
    found = with_store(container, lambda uow: container.manage_portfolios(uow=uow).list())
    if as_json:
        click.echo(json_text([portfolio_document(s) for s in found]))
        return
    for s in found:
        click.echo(f"{s.portfolio.name}\t{len(s.portfolio.assets)} assets\t{s.id}")


@portfolios.command("show")
@click.argument("ref")
@click.pass_obj
def portfolios_show(container, ref: str) -> None:
    """Print a saved portfolio (by name or id) as JSON."""
    stored = with_store(container, lambda uow: container.manage_portfolios(uow=uow).show(ref))
    click.echo(json_text(portfolio_document(stored)))


@portfolios.command("delete")
@click.argument("ref")
@click.pass_obj
def portfolios_delete(container, ref: str) -> None:
    """Delete a saved portfolio; its history stays, unlinked."""
    stored = with_store(container, lambda uow: container.manage_portfolios(uow=uow).delete(ref))
    click.echo(f"deleted portfolio {stored.portfolio.name!r}")


HISTORY_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "objective",
    "status",
    "portfolio_id",
    "expected_return",
    "volatility",
    "sharpe",
    "duration_ms",
]


def _history_row(r: OptimizationRecord) -> dict[str, Any]:
    doc = r.results if r.kind == "single" else {}
    return {
        "id": r.id,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "kind": r.kind,
        "objective": r.objective,
        "status": r.status,
        "portfolio_id": r.portfolio_id,
        "expected_return": doc.get("expected_return"),
        "volatility": doc.get("volatility"),
        "sharpe": doc.get("sharpe"),
        "duration_ms": r.duration_ms,
    }


@click.command(short_help=short_help("history"))
@click.option("--portfolio", "portfolio_ref", help="Only runs of this saved portfolio.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Full records (parameters and results).")
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a one-line-per-run summary CSV here.",
)
@click.pass_obj
def history(
    container, portfolio_ref: str | None, limit: int, as_json: bool, csv_out: Path | None
) -> None:
    """Past optimizations and frontiers, newest first."""

    async def work(uow_factory):
        pid = None
        if portfolio_ref is not None:
            pid = (await container.manage_portfolios(uow=uow_factory).show(portfolio_ref)).id
        async with uow_factory() as uow:
            return await uow.optimizations.list(pid, limit=limit)

    records = with_store(container, work)
    rows = [_history_row(r) for r in records]
    if csv_out is not None:
        with csv_out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    if as_json:
        click.echo(json_text([record_document(r) for r in records]))
        return
    for row in rows:
        click.echo(
            f"{row['created_at']}  {row['kind']:<8} {row['objective']:<14} "
            f"{row['status']:<10} {row['id']}"
        )
