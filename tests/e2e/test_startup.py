"""A command imports only what it uses: ``pfopt --help``, and ``pfopt optimize`` on the default
path (the exact engine answers it), load neither CVXPY nor matplotlib (together about two
seconds of imports). Run in a fresh interpreter: this test process has everything loaded."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

HEAVY = {"cvxpy", "matplotlib"}
PROBE = """
import json, sys
from entrypoints.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _imports(tmp_path: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PFOPT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db"},
        timeout=300,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return set(report["modules"])


@pytest.fixture(scope="module")
def prices(tmp_path_factory) -> Path:
    from entrypoints.cli.main import main

    path = tmp_path_factory.mktemp("startup") / "p.csv"
    assert main(["sample-data", "-o", str(path), "--assets", "8", "--days", "300"]) == 0
    return path


def test_help_imports_no_solver_and_no_plotting(tmp_path: Path) -> None:
    loaded = _imports(tmp_path, "--help")
    assert not loaded & HEAVY, loaded & HEAVY
    assert not loaded & {"sqlalchemy", "alembic", "sklearn", "scipy"}


def test_a_default_optimize_imports_no_cvxpy_and_no_matplotlib(tmp_path: Path, prices) -> None:
    loaded = _imports(tmp_path, "optimize", str(prices), "--max-weight", "0.3")
    assert not loaded & HEAVY, loaded & HEAVY
    assert "sklearn" in loaded  # Ledoit-Wolf did run: the probe saw a real optimization


def test_what_needs_cvxpy_still_gets_it(tmp_path: Path, prices) -> None:
    loaded = _imports(
        tmp_path, "optimize", str(prices), "--objective", "target-risk", "--target", "0.2"
    )
    assert "cvxpy" in loaded
