"""``pfopt serve`` as a real server process on a free loopback port, for end-to-end tests."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PFOPT = str(Path(sys.executable).parent / "pfopt")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pfopt(*args: str) -> None:
    subprocess.run([PFOPT, *args], check=True, capture_output=True, cwd=ROOT)


def create_key(url: str, name: str) -> str:
    """``pfopt keys create --name NAME`` on ``url``: the key it prints once."""
    made = subprocess.run(
        [PFOPT, "--database-url", url, "keys", "create", "--name", name],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return made.stdout.split()[0]


def load_sample_prices(url: str, folder: Path, assets: int = 12) -> None:
    prices = folder / "p.csv"
    pfopt("sample-data", "-o", str(prices), "--assets", str(assets))
    pfopt("--database-url", url, "prices", "import", str(prices))


@contextmanager
def serving(url: str, *extra: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``pfopt --database-url URL serve --port P EXTRA...``; yields ``127.0.0.1:P`` once /health
    answers, stops the server afterwards."""
    with server_process(url, *extra, env=env) as (address, _):
        yield address


@contextmanager
def server_process(
    url: str, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``serving`` that also yields the process (a test may kill it)."""
    port = free_port()
    # The server logs a JSON line per request: to a file (never a pipe nobody reads, which
    # blocks the server once full); PFOPT_TEST_SERVER_LOG keeps it for a post-mortem.
    log = os.environ.get("PFOPT_TEST_SERVER_LOG")
    stderr = open(log, "a") if log else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        [PFOPT, "--database-url", url, "serve", "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, **(env or {})},
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://{address}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, _tail(stderr)
            assert time.monotonic() < deadline, "server did not come up in 120 s"
            time.sleep(0.2)
        yield address, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        stderr.close()


def _tail(stream, size: int = 8000) -> str:
    """The end of a server's log, for an assertion message."""
    stream.flush()
    stream.seek(0)
    return stream.read().decode(errors="replace")[-size:]
