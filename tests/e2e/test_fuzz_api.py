"""Schemathesis over the whole API of a real server: no input produces a 5xx.

All phases, stateful included: creations answer with ``Location`` (portfolios, frontier jobs),
from which schemathesis infers the links and chains create -> read -> update -> delete with
real ids. Bounded (15 examples per operation, a fixed seed) so it stays CI-sized. A second,
smaller run goes against PostgreSQL with NUL bytes allowed in every generated string, in both
valid and invalid bodies: PostgreSQL cannot hold a NUL in text, and such strings were 503s that
told the client to retry.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.migrations import upgrade
from tests.e2e.test_serve import server  # noqa: F401  (the running-server fixture)
from tests.servers import load_sample_prices, serving
from tests.storage import empty_postgres, postgres_url


def _schemathesis(address: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"http://{address}/schema/openapi.json",
            "--checks",
            "not_a_server_error",
            "--seed",
            "20261125",
            "--request-timeout",
            "60",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_no_server_errors(server: str) -> None:  # noqa: F811
    result = _schemathesis(
        server, "--max-examples", "15", "--phases", "examples,coverage,fuzzing,stateful"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "✅ Stateful" in result.stdout, result.stdout[-3000:]


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory):
    url = postgres_url()
    empty_postgres(url)
    upgrade(url)
    load_sample_prices(url, tmp_path_factory.mktemp("fuzz-pg"))
    with serving(url) as address:
        yield address


def test_no_server_errors_on_postgresql_with_nul_bytes(postgres_server: str) -> None:
    result = _schemathesis(
        postgres_server,
        "--max-examples",
        "8",
        "--phases",
        "coverage,fuzzing",
        "--mode",
        "all",
        "--generation-allow-x00",
        "true",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
