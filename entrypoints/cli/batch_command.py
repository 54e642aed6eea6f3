"""``pfopt batch FILE`` and ``pfopt batches``: many accounts on one shared universe."""

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from entrypoints.cli.commands import short_help
from entrypoints.container import Container

TABLE_SUFFIXES = (".csv", ".parquet")


def _engine(container: Container):
    from adapters.storage.engines import make_sync_engine
    from entrypoints.cli.store import prepare

    url = container.config.database_url()
    engine = make_sync_engine(url)
    prepare(url, container.config.migrate(), engine)
    return engine


def _document(file: Path, defaults: dict):
    from adapters.documents.batch import read_document, read_table

    if file.suffix.lower() in TABLE_SUFFIXES:
        return read_table(file, defaults)
    if any(v is not None for k, v in defaults.items() if k != "objective"):
        raise click.UsageError(
            "--turnover, --max-weight, --cost-bps and --risk-aversion apply to an accounts "
            "table (CSV/Parquet); a JSON batch states them itself"
        )
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        from domain.errors import ValidationError

        raise ValidationError(f"{file}: no such file", field="accounts") from None
    return read_document(data, file.name)


def _results_file(path: Path, outcomes) -> None:
    from entrypoints.exports import batch_csv, batch_rows

    rows = batch_rows(outcomes)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import polars as pl

        pl.DataFrame(rows, infer_schema_length=None).write_parquet(path)
    elif suffix == ".json":
        path.write_text(json.dumps(rows, indent=1))
    else:
        path.write_text(batch_csv(outcomes))


def _print_state(state, console: Console, dashboard: str | None = None) -> None:
    s = state.summary
    rate = s.get("accounts_per_s")
    console.print(
        f"Batch {state.id}: {state.status}, {state.done} of {state.total} accounts "
        f"({state.done - state.failed} ok, {state.failed} failed) on {state.executor} "
        f"({state.workers} worker{'s' * (state.workers != 1)})"
    )
    if s:
        console.print(
            f"  {s.get('wall_s', 0):.2f} s in all, {rate} accounts/s: estimate "
            f"{s.get('estimate_s', 0):.2f} s, solve {s.get('solve_s', 0):.2f} s, store "
            f"{s.get('store_s', 0):.2f} s; {s.get('tasks')} tasks of {s.get('chunk')} accounts, "
            f"{s.get('mean_account_ms', 0):.2f} ms an account"
        )
    if state.error:
        console.print(f"  error: {state.error.get('detail')}")
    if dashboard:
        console.print(f"  Dask dashboard: {dashboard}")


def _print_failures(outcomes, console: Console, limit: int = 10) -> None:
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed[:limit]:
        console.print(f"  failed {o.account}: {o.error.get('detail')}")
    if len(failed) > limit:
        console.print(f"  ... and {len(failed) - limit} more (pfopt batches show ID --failed)")


@click.command(short_help=short_help("batch"))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--workers", type=click.IntRange(1, 256), help="Run on N local worker processes.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A Dask scheduler (tcp://host:8786) to run on; also PFOPT_DASK_SCHEDULER.",
)
@click.option(
    "--pool",
    is_flag=True,
    help="With --workers: a plain process pool instead of an embedded Dask LocalCluster.",
)
@click.option(
    "--prices",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Estimate the shared universe from this price CSV instead of stored prices.",
)
@click.option("--objective", default=None, help="Accounts table: the objective (min-variance).")
@click.option("--turnover", type=float, help="Accounts table: one-way turnover cap (decimal).")
@click.option("--max-weight", type=float, help="Accounts table: cap on each weight (decimal).")
@click.option("--cost-bps", type=float, help="Accounts table: trading cost in basis points.")
@click.option("--risk-aversion", type=float, help="Accounts table: for --objective max-utility.")
@click.option(
    "--results",
    "results_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every account's result (.csv, .parquet or .json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the batch's state as JSON.")
@click.pass_obj
def batch(
    container: Container,
    file: Path,
    workers: int | None,
    scheduler: str | None,
    pool: bool,
    prices: Path | None,
    results_out: Path | None,
    as_json: bool,
    **defaults,
) -> None:
    """Rebalance every account in FILE against one shared universe, estimated once.

    FILE is a JSON batch (universe, objective, constraints, rebalance, and accounts or a
    sweep) or an accounts table (.csv/.parquet: account,ticker,weight and optional
    per-account columns objective, turnover, max_weight, cost_bps, ...). Each account is
    stored as it finishes; one that fails is stored with its error and the rest go on."""
    from entrypoints.batch_runs import run_batch_document
    from entrypoints.cli.progress import RichProgress
    from entrypoints.container import batch_executor

    if pool and workers is None:
        raise click.UsageError("--pool needs --workers N")
    doc = _document(file, defaults)
    executor = batch_executor(workers, scheduler, pool)
    engine = _engine(container)
    source = None
    if prices is not None:
        source = container.price_files().open(str(prices))
    try:
        with RichProgress.take() as progress:
            run = run_batch_document(
                container, engine, doc, executor, prices=source, progress=progress
            )
    finally:
        engine.dispose()
    if results_out is not None:
        _results_file(results_out, run.outcomes)
    if as_json:
        from entrypoints.exports import batch_state

        click.echo(json.dumps(batch_state(run.state)))
        return
    console = Console(soft_wrap=True)
    _print_state(run.state, console, getattr(executor, "dashboard", None))
    _print_failures(run.outcomes, console)
    console.print(f"Stored as batch {run.state.id}   (pfopt batches show {run.state.id})")


@click.group(short_help=short_help("batches"))
def batches() -> None:
    """Stored batches and their accounts."""


@batches.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.pass_obj
def list_batches(container: Container, limit: int) -> None:
    """Batches, newest first."""
    from adapters.storage.batches import SqlAlchemyBatchStore

    engine = _engine(container)
    try:
        states = SqlAlchemyBatchStore(engine).list(limit)
    finally:
        engine.dispose()
    table = Table("status", "accounts", "failed", "executor", "accounts/s", "id")
    for s in states:
        table.add_row(
            s.status,
            f"{s.done}/{s.total}",
            str(s.failed),
            s.executor,
            str(s.summary.get("accounts_per_s", "")),
            s.id,
        )
    Console(width=200).print(table)


@batches.command("show")
@click.argument("batch_id")
@click.option("--failed", is_flag=True, help="List only the accounts that failed.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option(
    "--results",
    "results_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write every account's result (.csv, .parquet or .json).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show_batch(
    container: Container,
    batch_id: str,
    failed: bool,
    limit: int,
    results_out: Path | None,
    as_json: bool,
) -> None:
    """A batch's state and its first accounts (all of them with --results)."""
    from adapters.storage.batches import SqlAlchemyBatchStore

    engine = _engine(container)
    try:
        store = SqlAlchemyBatchStore(engine)
        state = store.get(batch_id)
        status = "failed" if failed else None
        page, count = store.results(batch_id, 0, None if results_out else limit, status)
    finally:
        engine.dispose()
    if results_out is not None:
        _results_file(results_out, page)
    if as_json:
        from entrypoints.exports import batch_rows, batch_state

        click.echo(json.dumps({**batch_state(state), "accounts": batch_rows(page[:limit])}))
        return
    console = Console(soft_wrap=True)
    _print_state(state, console)
    table = Table("account", "status", "solver", "return", "volatility", "turnover", "note")
    for o in page[:limit]:
        m = o.measures
        table.add_row(
            o.account,
            o.status,
            o.solver or "",
            _pct(m.get("expected_return")),
            _pct(m.get("volatility")),
            _pct(m.get("turnover")),
            "" if o.error is None else str(o.error.get("detail")),
        )
    console.print(table)
    if count > limit:
        console.print(f"{limit} of {count} accounts shown (--results FILE writes them all)")


def _pct(x) -> str:
    return "" if x is None else f"{100 * x:.2f}%"
