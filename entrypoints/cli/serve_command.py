"""``pfopt serve``: the HTTP API and the web page, one process or several."""

import os

import click

from application.api_keys import AuthPolicy, ManageKeys
from domain.errors import ValidationError
from entrypoints.cli.commands import short_help
from entrypoints.cli.store import prepare, with_store
from entrypoints.container import Container
from entrypoints.http.observability import configure_logging
from entrypoints.http.shutdown import HANDOVER_S


@click.command(short_help=short_help("serve"))
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
    check_port_free(host, port)
    configure_logging()  # JSON lines: one per request, and every warning
    click.echo(f"pfopt API on http://{host}:{port} (schema at /schema)", err=True)
    click.echo(_access_note(container, host), err=True)
    if workers == 1:
        uvicorn.run(
            create_app(container),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=HANDOVER_S,
        )
        return
    os.environ["PFOPT_DATABASE_URL"] = url  # each worker process builds its own app from it
    uvicorn.run(
        "entrypoints.http.asgi:create",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=HANDOVER_S,
    )


def check_port_free(host: str, port: int) -> None:
    """Refuse a taken port in one line before anything is printed (uvicorn would print the
    banner and then its own ERROR and traceback-like lines); a bind the OS refuses for
    another reason (no such address, no permission) is refused the same way."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ValidationError(
            f"--host {host!r} is not an address here ({error.strerror})", field="host"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ValidationError(
                    f"port {port} on {host} is already in use (another pfopt serve?); "
                    "stop it or pick another with --port",
                    field="port",
                ) from None
            raise ValidationError(
                f"cannot listen on {host}:{port} ({error.strerror})", field="port"
            ) from None


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
