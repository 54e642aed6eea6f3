"""``pfopt``: optimize portfolios and trace efficient frontiers from the command line.

This module stays light (click only): the root group lists the commands from
``entrypoints.cli.commands`` and imports one only when it runs, and the container is made in
the group's callback, so ``pfopt --help`` loads no numpy, msgspec or store."""

import importlib
import sys

import click

from entrypoints.cli.commands import COMMANDS


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (see ``entrypoints.cli.commands``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, _, attribute = COMMANDS[cmd_name].target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] == "frontier" and not {"-h", "--help"} & set(args):
            from entrypoints.cli.progress import start_early

            start_early()  # the bar shows while the command's modules load
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name].help) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="PFOPT_DATABASE_URL",
    help="Where history, portfolios and prices live (default: an SQLite file in the "
    "user data directory; PostgreSQL as postgresql+psycopg://...).",
)
@click.option("--migrate", is_flag=True, help="Upgrade the database schema first if it is behind.")
@click.version_option(package_name="pfopt", prog_name="pfopt", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, migrate: bool) -> None:
    """pfopt: exact mean-variance portfolio optimization."""
    from adapters.database_url import checked_database_url, default_database_url
    from entrypoints.container import Container

    container = ctx.obj or Container()
    url = checked_database_url(database_url) if database_url else default_database_url()
    container.config.database_url.from_value(url)
    container.config.migrate.from_value(migrate)
    ctx.obj = container


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the CLI and turn every failure into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="pfopt", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.exceptions.Abort:
        _stop_early_bar()
        return 130
    except Exception as error:  # every failure becomes one line; see entrypoints.cli.errors
        from entrypoints.cli.errors import report

        _stop_early_bar()
        return report(error)
    finally:
        _stop_early_bar()
    return 0


def _stop_early_bar() -> None:
    """Clear a progress bar started before the command ran, so an error line stands alone."""
    progress = sys.modules.get("entrypoints.cli.progress")
    if progress is not None:
        progress.stop_early()


if __name__ == "__main__":
    sys.exit(main())
