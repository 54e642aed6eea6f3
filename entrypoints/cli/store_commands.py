"""CLI commands on the store: ``db``, ``prices``, ``portfolios`` and ``history``."""

import asyncio
import csv
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import msgspec
from rich import box
from rich.console import Console
from rich.table import Table

from adapters.csv_tables import read_sector_map
from adapters.documents.describe import constraints_text
from adapters.documents.records import portfolio_document, record_document, run_summary
from domain.errors import ValidationError
from domain.model import Asset, Portfolio
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
    span = f"{len(report.tickers)} tickers, {report.first.isoformat()}..{report.last.isoformat()}"
    if report.unchanged:
        click.echo(f"nothing changed: the store already holds all {report.rows} prices ({span})")
        return
    sectors = f", {report.sectors_changed} sectors set" if report.sectors_changed else ""
    click.echo(
        f"imported {report.rows} prices for {span}: {report.added} new, "
        f"{report.changed} changed{sectors}"
    )


@prices_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def prices_list(container, as_json: bool) -> None:
    """Tickers with their sector, first and last date and row count."""

    async def work(uow_factory):
        async with uow_factory() as uow:
            return await uow.prices.summary()

    rows = with_store(container, work)
    if as_json:
        click.echo(json_text(rows))
        return
    table = Table(title=f"Stored prices ({len(rows)} tickers)")
    for name in ("Ticker", "Sector", "First", "Last", "Rows"):
        table.add_column(name, justify="right" if name == "Rows" else "left")
    for r in rows:
        table.add_row(
            r.ticker, r.sector or "-", r.first.isoformat(), r.last.isoformat(), str(r.rows)
        )
    Console(soft_wrap=True).print(table)


@click.group(short_help=short_help("portfolios"))
def portfolios() -> None:
    """Saved portfolios."""


TARGETS_FROM = click.option(
    "--targets-from",
    metavar="RUN_ID",
    help="Keep a history run's weights as the portfolio's target weights (a frontier's: its "
    "max-Sharpe point); its tickers too unless --tickers is given.",
)

CONSTRAINT_OPTIONS = (
    "min_weight",
    "max_weight",
    "bounds",
    "sector_map",
    "sector_limits",
    "factor_loadings",
    "factor_limits",
    "allow_short",
    "leverage",
)


async def _run_weights(uow_factory, run_id: str) -> dict[str, float]:
    """The weights of history run ``run_id``: a single run's, or a frontier's max-Sharpe."""
    async with uow_factory() as uow:
        record = await uow.optimizations.get(run_id)
    results = record.results
    chosen = results if record.kind == "single" else (results.get("max_sharpe") or {})
    weights = chosen.get("weights") or {}
    if not weights:
        raise ValidationError(
            f"run {run_id!r} has no weights to keep (status {record.status})",
            field="targets_from",
        )
    return weights


def _held(text: str | None) -> dict[str, float] | None:
    """``--holdings FILE|A=0.3,...`` as weights of the book (a CASH row is the rest: dropped)."""
    if text is None:
        return None
    from entrypoints.cli.rebalance_options import CASH, weights_argument

    held = weights_argument(text, "--holdings")
    held.pop(CASH, None)
    return held


HOLDINGS = click.option(
    "--holdings",
    metavar="FILE|A=0.3,B=0.7",
    help="What is held now, decimals of the book (ticker,weight CSV or A=0.3,B=0.7; the rest "
    "is cash): runs on the portfolio rebalance from it.",
)


@portfolios.command("create")
@click.argument("name")
@TARGETS_FROM
@HOLDINGS
@universe_options
@click.pass_obj
def portfolios_create(
    container, name: str, targets_from: str | None, holdings: str | None, **opts: Any
) -> None:
    """Save NAME with --tickers and constraint options (sectors from --sector-map), and
    optionally a run's weights as its targets (--targets-from) and what is held now
    (--holdings, which its runs rebalance from)."""

    async def work(uow_factory):
        targets = await _run_weights(uow_factory, targets_from) if targets_from else None
        names = split_list(opts["tickers"]) or (list(targets) if targets else None)
        if not names:
            raise click.UsageError("--tickers A,B,C (or --targets-from RUN_ID) is required")
        portfolio = replace(
            portfolio_from(name, names, opts),
            target_weights=targets,
            current_weights=_held(holdings),
        )
        return await container.manage_portfolios(uow=uow_factory).create(portfolio)

    stored = with_store(container, work)
    held = len(stored.portfolio.assets)
    click.echo(f"saved portfolio {name!r} ({held} assets) as {stored.id}")


@portfolios.command("update")
@click.argument("ref")
@click.option("--rename", metavar="NEW_NAME", help="Give the portfolio a new name.")
@TARGETS_FROM
@click.option("--clear-targets", is_flag=True, help="Drop its target weights.")
@HOLDINGS
@click.option("--clear-holdings", is_flag=True, help="Drop its holdings (all cash).")
@universe_options
@click.pass_context
def portfolios_update(
    ctx: click.Context,
    ref: str,
    rename: str | None,
    targets_from: str | None,
    clear_targets: bool,
    holdings: str | None,
    clear_holdings: bool,
    **opts: Any,
) -> None:
    """Change a saved portfolio (by name or id): its name, tickers, constraints or target
    weights. Only what is given changes; constraint options, when any is given, replace all
    of its constraints."""
    container = ctx.obj
    given = {
        name
        for name in CONSTRAINT_OPTIONS
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }
    if targets_from and clear_targets:
        raise click.UsageError("give --targets-from or --clear-targets, not both")
    if holdings and clear_holdings:
        raise click.UsageError("give --holdings or --clear-holdings, not both")

    async def work(uow_factory):
        manage = container.manage_portfolios(uow=uow_factory)
        stored = await manage.show(ref)
        old = stored.portfolio
        targets = dict(old.target_weights or {})
        if targets_from:
            targets = await _run_weights(uow_factory, targets_from)
        if clear_targets:
            targets = {}
        names = split_list(opts["tickers"]) or list(old.tickers)
        name = rename or old.name
        sectors = old.sectors
        if given:
            new = portfolio_from(name, names, opts)
            sectors = new.sectors if opts["sector_map"] else sectors
        constraints = new.constraints if given else old.constraints
        assets = tuple(Asset(t, sectors.get(t)) for t in names)
        held = _held(holdings) if holdings else dict(old.current_weights or {})
        weights = {} if clear_holdings else held
        if holdings:
            unknown = sorted(set(weights) - set(names))
            if unknown:
                raise click.BadParameter(
                    f"{unknown[0]!r} is not one of the portfolio's tickers", param_hint="--holdings"
                )
        weights = {t: w for t, w in weights.items() if t in set(names)}
        new = Portfolio(name, assets, constraints, weights or None)
        targets = {t: w for t, w in targets.items() if t in set(names)}
        new = replace(new, target_weights=targets or None)
        return await manage.replace(stored.id, new, settings=stored.settings)

    stored = with_store(container, work)
    click.echo(f"updated portfolio {stored.portfolio.name!r} ({stored.id})")


@portfolios.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def portfolios_list(container, as_json: bool) -> None:
    """Saved portfolios: name, assets, whether they keep target weights, id."""
    found = with_store(container, lambda uow: container.manage_portfolios(uow=uow).list())
    if as_json:
        click.echo(json_text([portfolio_document(s) for s in found]))
        return
    if not found:
        click.echo("no saved portfolios yet")
        return
    table = Table(title=f"Saved portfolios ({len(found)})", box=box.SIMPLE_HEAD, show_edge=False)
    for name in ("Name", "Assets", "Targets", "Constraints", "Updated (UTC)", "Id"):
        table.add_column(name)
    for s in found:
        p = portfolio_document(s)
        updated = s.updated_at.isoformat(timespec="minutes")[:16].replace("T", " ")
        table.add_row(
            p.name,
            str(len(p.tickers)),
            "yes" if p.target_weights else "-",
            constraints_text(msgspec.to_builtins(p.constraints)),
            updated if s.updated_at else "-",
            p.id,
        )
    Console(soft_wrap=True, width=max(shutil.get_terminal_size().columns, 150)).print(table)


@portfolios.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="The portfolio document (for PUT).")
@click.pass_obj
def portfolios_show(container, ref: str, as_json: bool) -> None:
    """A saved portfolio (by name or id): its assets, sectors, target weights, constraints and
    run settings."""
    stored = with_store(container, lambda uow: container.manage_portfolios(uow=uow).show(ref))
    doc = portfolio_document(stored)
    if as_json:
        click.echo(json_text(doc))
        return
    console = Console(soft_wrap=True)
    console.print(f"Portfolio {doc.name!r} ({doc.id})", highlight=False)
    console.print(
        f"Constraints: {constraints_text(msgspec.to_builtins(doc.constraints))}", highlight=False
    )
    if doc.settings is not None:
        st = doc.settings
        target = "" if st.target is None else f" at {st.target * 100:.2f} %"
        window = f"{st.start or 'first'}..{st.end or 'last'} stored price"
        console.print(
            f"Settings: {st.objective}{target}, risk-free {st.risk_free_rate * 100:.2f} %, "
            f"{st.points} points, {st.estimation.covariance} covariance, "
            f"{st.estimation.returns} returns, {window}",
            highlight=False,
        )
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    columns = [("Ticker", "left"), ("Sector", "left"), ("Target", "right")]
    columns += [("Held", "right")] if doc.holdings else []
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for ticker in doc.tickers:
        w = doc.target_weights.get(ticker)
        cells = [ticker, doc.sectors.get(ticker, "-"), "-" if w is None else _pct(w)]
        if doc.holdings:
            held = doc.holdings.get(ticker)
            cells.append("-" if held is None else _pct(held))
        table.add_row(*cells)
    console.print(table)
    if doc.holdings:
        cash = max(0.0, 1.0 - sum(doc.holdings.values()))
        console.print(f"Cash {_pct(cash)}; its runs rebalance from these holdings")


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
    "source",
    "n_assets",
    "window_start",
    "window_end",
    "portfolio_id",
    "expected_return",
    "volatility",
    "sharpe",
    "duration_ms",
]


def _history_row(r: OptimizationRecord) -> dict[str, Any]:
    summary = run_summary(r)
    window = summary.window or {}
    return {
        "id": r.id,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "kind": r.kind,
        "objective": r.objective,
        "status": r.status,
        "source": summary.source,
        "n_assets": len(summary.tickers),
        "window_start": window.get("start"),
        "window_end": window.get("end"),
        "portfolio_id": r.portfolio_id,
        "expected_return": summary.expected_return,
        "volatility": summary.volatility,
        "sharpe": summary.sharpe,
        "duration_ms": r.duration_ms,
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.2f} %"


def _history_table(rows: list[dict[str, Any]]) -> Table:
    """Runs side by side: the frontier's numbers are its max-Sharpe point's."""
    table = Table(
        title=f"History ({len(rows)} runs, newest first; a frontier shows its max-Sharpe point)",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    for name in ("Created (UTC)", "Kind", "Objective", "Status", "Source", "Assets", "Window"):
        table.add_column(name, no_wrap=True)
    for name in ("Return", "Volatility", "Sharpe"):
        table.add_column(name, justify="right")
    table.add_column("Id", no_wrap=True)
    for row in rows:
        created = (row["created_at"] or "")[:16].replace("T", " ")
        window = f"{row['window_start']}..{row['window_end']}" if row["window_start"] else "-"
        sharpe = "-" if row["sharpe"] is None else f"{row['sharpe']:.3f}"
        table.add_row(
            created,
            row["kind"],
            row["objective"],
            row["status"],
            row["source"] or "-",
            str(row["n_assets"]),
            window,
            _pct(row["expected_return"]),
            _pct(row["volatility"]),
            sharpe,
            row["id"],
        )
    return table


def _csv_option(text: str):
    return click.option(
        "--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help=text
    )


@click.group(short_help=short_help("history"), invoke_without_command=True)
@click.option("--portfolio", "portfolio_ref", help="Only runs of this saved portfolio.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Full records (parameters and results).")
@_csv_option("Write a one-line-per-run summary CSV here.")
@click.pass_context
def history(
    ctx: click.Context,
    portfolio_ref: str | None,
    limit: int,
    as_json: bool,
    csv_out: Path | None,
) -> None:
    """Past optimizations and frontiers, newest first, with their headline numbers;
    `pfopt history show ID` prints one run in full."""
    if ctx.invoked_subcommand is not None:
        return
    container = ctx.obj

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
    if not rows:
        click.echo("no runs in history yet")
        return
    # a run per line even on a narrow terminal: piped to a pager or a file it stays a table
    width = max(shutil.get_terminal_size().columns, 200)
    Console(soft_wrap=True, width=width).print(_history_table(rows))


@history.command("show")
@click.argument("optimization_id")
@click.option("--json", "as_json", is_flag=True, help="The full record (parameters and results).")
@_csv_option("Write its weights (single) or every point (frontier) to this CSV.")
@click.pass_obj
def history_show(container, optimization_id: str, as_json: bool, csv_out: Path | None) -> None:
    """One run from history: what it ran on, its settings and its result."""
    from adapters.documents.codec import read
    from adapters.documents.describe import run_caption
    from adapters.documents.results import FrontierResponse, OptimizationResponse
    from entrypoints.cli.render import print_frontier, print_optimization
    from entrypoints.exports import record_csv

    async def work(uow_factory):
        async with uow_factory() as uow:
            return await uow.optimizations.get(optimization_id)

    record = with_store(container, work)
    if csv_out is not None:
        csv_out.write_text(record_csv(record))
    if as_json:
        click.echo(json_text(record_document(record)))
        return
    console = Console(soft_wrap=True)
    created = record.created_at.isoformat(timespec="seconds") if record.created_at else "-"
    console.print(
        f"{record.kind} run {record.id}, {created}, status {record.status}", highlight=False
    )
    console.print(run_caption(record.params, record.results), highlight=False)
    for line in record.results.get("warnings", []) + record.results.get("notes", []):
        console.print(f"warning: {line}", highlight=False)
    if record.kind == "single":
        print_optimization(read(record.results, OptimizationResponse), console)
    else:
        print_frontier(read(record.results, FrontierResponse), console)
