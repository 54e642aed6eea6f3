"""A command imports only what it uses: ``pfopt --help`` loads click and little else (no numpy,
no store), and ``pfopt optimize`` on the default path (the exact engine, Ledoit-Wolf, a sector
limit's LP) loads neither CVXPY, matplotlib, scikit-learn, SciPy nor Alembic (together about
three seconds of imports), nor SQLAlchemy (the embedded SQLite store is read and written through
the standard library there). Run in a fresh interpreter: this test process has everything
loaded."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

HEAVY = {"cvxpy", "matplotlib", "sklearn", "scipy", "alembic"}
PROBE = """
import json, sys
from entrypoints.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imports(tmp_path: Path, *args: str) -> set[str]:
    """The packages (top-level names) and modules the command loaded."""
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
    return set(report["modules"]) | {m.split(".")[0] for m in report["modules"]}


@pytest.fixture(scope="module")
def prices(tmp_path_factory) -> Path:
    from entrypoints.cli.main import main

    path = tmp_path_factory.mktemp("startup") / "p.csv"
    sectors = path.with_name("sectors.csv")
    command = ["sample-data", "-o", str(path), "--sectors-out", str(sectors), "--assets", "8"]
    assert main([*command, "--days", "300"]) == 0
    return path


def test_help_imports_no_solver_and_no_plotting(tmp_path: Path) -> None:
    loaded = _imports(tmp_path, "--help")
    assert not loaded & HEAVY, loaded & HEAVY
    assert not loaded & {"numpy", "msgspec", "sqlalchemy", "dependency_injector", "rich"}


def test_a_default_optimize_imports_no_cvxpy_and_no_matplotlib(tmp_path: Path, prices) -> None:
    _imports(tmp_path, "db", "upgrade")  # a new store is migrated once, with Alembic
    loaded = _imports(
        tmp_path,
        *("optimize", str(prices), "--max-weight", "0.3"),
        *(
            "--sector-map",
            str(prices.with_name("sectors.csv")),
            "--sector-limit",
            "Technology=0:0.2",
        ),
    )
    assert not loaded & HEAVY, loaded & HEAVY
    assert "highspy" in loaded  # the sector limit's return-range LP did run
    assert not loaded & {"pydantic", "yaml", "werkzeug"}  # see entrypoints.injector
    assert "sqlalchemy" not in loaded  # a CLI run on an SQLite file: adapters.storage.sqlite_native


def test_what_needs_cvxpy_still_gets_it(tmp_path: Path, prices) -> None:
    loaded = _imports(
        tmp_path, "optimize", str(prices), "--objective", "target-risk", "--target", "0.2"
    )
    assert "cvxpy" in loaded
