"""Schemathesis over the whole API of a real server: no input produces a 5xx.

All phases, stateful included: creations answer with ``Location`` (portfolios, frontier jobs),
from which schemathesis infers the links and chains create -> read -> update -> delete with
real ids. Bounded (15 examples per operation, a fixed seed) so it stays CI-sized.
"""

import subprocess
import sys
from pathlib import Path

from tests.e2e.test_serve import server  # noqa: F401  (the running-server fixture)


def test_no_server_errors(server: str) -> None:  # noqa: F811
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"http://{server}/schema/openapi.json",
            "--max-examples",
            "15",
            "--checks",
            "not_a_server_error",
            "--seed",
            "20261125",
            "--request-timeout",
            "60",
            "--phases",
            "examples,coverage,fuzzing,stateful",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "✅ Stateful" in result.stdout, result.stdout[-3000:]
