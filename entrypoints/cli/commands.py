"""Every ``pfopt`` command: where it lives and its one-line help.

The root group lists commands from this table and imports a command's module only when that
command runs, so ``pfopt --help`` costs click alone (about 70 ms) instead of numpy, msgspec,
the container and the store (about 0.6 s). The command modules take their ``short_help`` from
here, so the listing and ``pfopt COMMAND --help`` cannot drift apart."""

from typing import NamedTuple


class Entry(NamedTuple):
    target: str
    """``module:attribute`` of the click command."""
    help: str


COMMANDS: dict[str, Entry] = {
    "batch": Entry(
        "entrypoints.cli.batch_command:batch",
        "Rebalance many accounts on one shared universe (Dask).",
    ),
    "batches": Entry("entrypoints.cli.batch_command:batches", "Stored batches and their accounts."),
    "db": Entry(
        "entrypoints.cli.store_commands:db", "Database schema: upgrade, downgrade, current."
    ),
    "frontier": Entry(
        "entrypoints.cli.run_commands:frontier",
        "Trace the efficient frontier and its max-Sharpe portfolio.",
    ),
    "history": Entry(
        "entrypoints.cli.store_commands:history", "Past optimizations and frontiers, newest first."
    ),
    "keys": Entry("entrypoints.cli.keys_commands:keys", "API keys: create, list, revoke."),
    "optimize": Entry(
        "entrypoints.cli.run_commands:optimize",
        "Optimize one portfolio from prices (a CSV or the store).",
    ),
    "portfolios": Entry("entrypoints.cli.store_commands:portfolios", "Saved portfolios."),
    "prices": Entry(
        "entrypoints.cli.store_commands:prices_group",
        "The price store: import CSV files, list what is stored.",
    ),
    "risk": Entry(
        "entrypoints.cli.risk_command:risk",
        "Risk attribution of fixed weights (MCTR, contributions).",
    ),
    "sample-data": Entry(
        "entrypoints.cli.sample_command:sample_data",
        "Write a deterministic, realistic daily price CSV.",
    ),
    "serve": Entry("entrypoints.cli.serve_command:serve", "Run the HTTP API and the web page."),
}


def short_help(name: str) -> str:
    return COMMANDS[name].help
