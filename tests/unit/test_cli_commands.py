"""The root group's command table (listed without importing the commands) matches the commands."""

import click

from entrypoints.cli.commands import COMMANDS
from entrypoints.cli.main import cli


def test_every_listed_command_loads_with_the_listed_help() -> None:
    context = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None, name
        assert command.get_short_help_str(limit=200) == entry.help, name
        assert len(entry.help) <= 60, f"{name}: keep the listing on one line"


def test_an_unknown_command_is_a_usage_error() -> None:
    context = click.Context(cli)
    assert cli.get_command(context, "optimise") is None
    assert "optimize" in cli.list_commands(context)
