"""``pfopt keys``: API keys for the HTTP API. A key is printed once, at creation; the store keeps
only a salted digest. Once any key exists the server requires one on every /api and /ws route."""

import click
from rich.console import Console
from rich.table import Table

from application.api_keys import ManageKeys
from entrypoints.cli.commands import short_help
from entrypoints.cli.store import with_store


@click.group("keys", short_help=short_help("keys"))
def keys() -> None:
    """API keys: create, list, revoke."""


@keys.command("create")
@click.option("--name", required=True, help="The owner: keys with the same name share data.")
@click.pass_obj
def create(container, name: str) -> None:
    """Create a key and print it (this is the only time it is shown)."""
    record, token = with_store(container, lambda uow: ManageKeys(uow).create(name))
    click.echo(token)
    click.echo(
        f"key {record.id} for owner {record.name!r}: store it now, it cannot be shown again",
        err=True,
    )


@keys.command("list")
@click.pass_obj
def list_keys(container) -> None:
    """Every key with its owner, creation and revocation time (never the secret)."""
    records = with_store(container, lambda uow: ManageKeys(uow).list())
    table = Table(title=f"API keys ({len(records)})")
    for name in ("Id", "Owner", "Created", "Revoked"):
        table.add_column(name)
    for r in records:
        created = r.created_at.isoformat(timespec="seconds") if r.created_at else ""
        revoked = r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else ""
        table.add_row(r.id, r.name, created, revoked)
    Console(soft_wrap=True).print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
def revoke(container, key_id: str) -> None:
    """Revoke a key by its id (the middle part of the key); it stops working at once."""
    record = with_store(container, lambda uow: ManageKeys(uow).revoke(key_id))
    click.echo(f"revoked key {record.id} of owner {record.name!r}")
