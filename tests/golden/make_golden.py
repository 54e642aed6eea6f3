"""Golden documents in today's run format: ``python -m tests.golden.make_golden`` rewrites them.

Every document comes from deterministic inputs (``pfopt sample-data --assets 6 --days 400
--seed 7``) run through the real CLI, HTTP app and SQLite store in a scratch directory. What
changes from run to run is replaced by fixed placeholders (see ``normalize``): ids become
``00000000-0000-4000-8000-00000000000N`` in order of first appearance, timestamps a fixed
instant, ``duration_ms`` 0.0 and the scratch directory ``<workdir>``. So regenerating writes the
same files, and ``tests/integration/test_golden_documents.py`` compares today's output with them.
"""

import contextlib
import io
import json
import re
import sqlite3
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from adapters.migrations import upgrade
from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app

GOLDEN = Path(__file__).resolve().parent
FILES = (
    "optimize.json",
    "frontier.json",
    "history.json",
    "optimization_single.json",
    "optimization_frontier.json",
    "stored_rows.json",
)

SAMPLE = ("--assets", "6", "--days", "400", "--seed", "7")
TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04", "CON05", "IND06"]
# Shorts with a leverage cap, common and per-asset bounds (one side open), sector limits and
# factor bounds with loadings: every branch of adapters/constraint_codec.py is stored.
PORTFOLIO = {
    "name": "golden",
    "tickers": TICKERS,
    "constraints": {
        "long_only": False,
        "leverage": 1.6,
        "min_weight": -0.2,
        "max_weight": 0.45,
        "bounds": {"TEC01": [None, 0.3], "FIN02": [0.02, None], "HEA03": [-0.1, 0.4]},
        "sectors": {
            "TEC01": "Technology",
            "FIN02": "Financials",
            "HEA03": "Health",
            "ENE04": "Energy",
            "CON05": "Consumer",
            "IND06": "Industrials",
        },
        "sector_limits": {"Technology": [0.0, 0.35], "Energy": [None, 0.25]},
        "factor_names": ["value", "size"],
        "factor_loadings": {
            "TEC01": [0.2, 1.1],
            "FIN02": [1.0, 0.9],
            "HEA03": [0.5, 1.0],
            "ENE04": [1.2, 0.8],
            "CON05": [0.1, 1.0],
            "IND06": [0.7, 1.2],
        },
        "factor_bounds": {"value": [0.3, 0.9], "size": [None, 1.2]},
    },
}
SINGLE = {"objective": {"kind": "min_variance"}}
FRONTIER = {"points": 5, "risk_free_rate": 0.01}

PLACEHOLDER_TIME = "2000-01-01T00:00:00"
TIME_KEYS = {"created_at", "updated_at", "ended_at"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Normalizer:
    """Replaces ids, timestamps, durations and the scratch directory by fixed values; one
    instance maps the same id to the same placeholder in every document it sees."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = str(workdir)
        self.ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        value = match.group(0)
        if value not in self.ids:
            self.ids[value] = f"00000000-0000-4000-8000-{len(self.ids) + 1:012d}"
        return self.ids[value]

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if key == "duration_ms" and value is not None:
            return 0.0
        if key in TIME_KEYS and value is not None:
            return PLACEHOLDER_TIME
        if isinstance(value, str):
            return UUID.sub(self._id, value.replace(self.workdir, "<workdir>"))
        return value


def cli(*args: str) -> str:
    """``pfopt ARGS`` in-process; its stdout, and it must exit 0."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    if code != 0:
        raise RuntimeError(f"pfopt {' '.join(args)} exited {code}: {err.getvalue()}")
    return out.getvalue()


def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as JSON: SQLite's text for dates, exact decimals as strings."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def stored_rows(db: Path, portfolio_id: str, run_ids: list[str]) -> dict[str, Any]:
    """The rows straight from the SQLite file, JSON columns parsed, every other column as the
    file holds it."""
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:

        def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
            return [dict(r) for r in connection.execute(sql, params)]

        portfolio = rows("SELECT * FROM portfolio WHERE id = ?", portfolio_id)
        assets = rows(
            "SELECT * FROM portfolio_asset WHERE portfolio_id = ? ORDER BY position", portfolio_id
        )
        runs = [rows("SELECT * FROM optimization WHERE id = ?", i)[0] for i in run_ids]
    finally:
        connection.close()
    for p in portfolio:
        p["constraints"] = json.loads(p["constraints"])
    for r in runs:
        r["params_json"] = json.loads(r["params_json"])
        r["results_json"] = json.loads(r["results_json"])
    return {
        "portfolio": [_row(p) for p in portfolio],
        "portfolio_asset": [_row(a) for a in assets],
        "optimization": [_row(r) for r in runs],
    }


def build(workdir: Path) -> dict[str, Any]:
    """Every golden document, normalized, from runs in ``workdir`` (an empty directory)."""
    db = workdir / "store.db"
    url = f"sqlite+aiosqlite:///{db}"
    upgrade(url)
    prices, sectors = workdir / "prices.csv", workdir / "sectors.csv"
    base = ("--database-url", url)
    cli(*base, "sample-data", "-o", str(prices), "--sectors-out", str(sectors), *SAMPLE)
    docs: dict[str, Any] = {}
    optimize = "optimize", str(prices), "--json", "--objective", "min-variance"
    docs["optimize.json"] = json.loads(cli(*base, *optimize, "--max-weight", "0.4"))
    frontier = "frontier", str(prices), "--json", "--points", "5"
    docs["frontier.json"] = json.loads(cli(*base, *frontier))
    docs["history.json"] = json.loads(cli(*base, "history", "--json"))

    cli(*base, "prices", "import", str(prices), "--sector-map", str(sectors))
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as client:
        r = client.post("/api/portfolios", json=PORTFOLIO)
        assert r.status_code in (200, 201), r.text
        portfolio_id = r.json()["id"]
        r = client.post("/api/optimize/portfolio", json={"portfolio_id": portfolio_id, **SINGLE})
        assert r.status_code == 200, r.text
        single_id = r.json()["optimization_id"]
        r = client.post(
            "/api/optimize/efficient-frontier?wait=true",
            json={"portfolio_id": portfolio_id, **FRONTIER},
        )
        assert r.status_code == 200, r.text
        frontier_id = r.json()["optimization_id"]
        for name, run_id in (("single", single_id), ("frontier", frontier_id)):
            r = client.get(f"/api/optimizations/{run_id}")
            assert r.status_code == 200, r.text
            docs[f"optimization_{name}.json"] = r.json()
    docs["stored_rows.json"] = stored_rows(db, portfolio_id, [single_id, frontier_id])
    normalize = Normalizer(workdir)
    out = {name: normalize(docs[name]) for name in FILES}
    # Stored timestamps keep SQLite's text form, one second apart so "newest first" holds.
    rows = out["stored_rows.json"]
    for p in rows["portfolio"]:
        p["created_at"] = p["updated_at"] = stored_time(0)
    for i, r in enumerate(rows["optimization"], start=1):
        r["created_at"] = stored_time(i)
    return out


def stored_time(seconds: int) -> str:
    return f"2000-01-01 00:00:{seconds:02d}.000000"


def dump(document: Any) -> str:
    return json.dumps(document, indent=2) + "\n"


def write(target: Path = GOLDEN) -> list[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        docs = build(Path(scratch))
    paths = []
    for name, document in docs.items():
        path = target / name
        path.write_text(dump(document))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN):
        print(written)
