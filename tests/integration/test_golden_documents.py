"""Run documents in today's format: tests/golden/, from ``python -m tests.golden.make_golden``.

Three guarantees for changes to the run serialization:

* the code still produces documents of exactly the golden shape (every dict's keys, every
  leaf's type) and the same numbers (rtol 1e-9);
* rows stored in today's format stay readable through the HTTP API and the CLI;
* rows stored before the run documents (``revision_0003/stored_rows.json``: class names in the
  parameters, nested metrics) are converted by migration 0004 and read the same way.
"""

import asyncio
import csv
import datetime as dt
import io
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.constraint_codec import decode
from adapters.documents.codec import builtins, read
from adapters.documents.constraints import constraints_document
from adapters.documents.results import FrontierResponse, OptimizationResponse
from adapters.documents.specs import RunParams
from adapters.migrations import downgrade, upgrade
from adapters.orm import OptimizationRow, PortfolioAssetRow, PortfolioRow
from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.golden.make_golden import FILES, GOLDEN, build, stored_rows
from tests.storage import fresh_database

RTOL, ATOL = 1e-9, 1e-12
"""Floats as in the golden files; ATOL only so that an exact 0.0 may come back as 1e-17."""


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


def assert_same_document(expected: Any, actual: Any, path: str = "$") -> None:
    """Same keys in every dict, same list lengths, same leaf types; floats within RTOL, other
    leaves (strings after normalization, ints, booleans, null) equal."""
    assert type(actual) is type(expected), f"{path}: {type(actual).__name__}, golden has " + (
        f"{type(expected).__name__} ({expected!r})"
    )
    if isinstance(expected, dict):
        missing, extra = set(expected) - set(actual), set(actual) - set(expected)
        assert not missing and not extra, f"{path}: missing keys {missing}, new keys {extra}"
        for key, value in expected.items():
            assert_same_document(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} items, golden {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_same_document(e, a, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert math.isclose(actual, expected, rel_tol=RTOL, abs_tol=ATOL), (
            f"{path}: {actual!r}, golden {expected!r}"
        )
    else:
        assert actual == expected, f"{path}: {actual!r}, golden {expected!r}"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, Any]:
    """Today's documents from the golden inputs, normalized the way the golden files are."""
    return build(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", FILES)
def test_today_produces_the_golden_document(fresh: dict[str, Any], name: str) -> None:
    assert_same_document(golden(name), fresh[name])


def test_the_golden_files_cover_what_they_claim() -> None:
    """Guards the golden inputs themselves: the stored portfolio uses every codec branch but
    long_only (it allows shorts), and the runs are one single and one frontier."""
    rows = golden("stored_rows.json")
    (portfolio,) = rows["portfolio"]
    items = portfolio["constraints"]["items"]
    assert portfolio["constraints"]["version"] == 1
    assert [i["type"] for i in items] == [
        "budget",
        "weight_bounds",
        "asset_bounds",
        "group_limits",
        "factor_bounds",
    ]
    assert items[0]["leverage"] == 1.6
    assert None in items[2]["bounds"]["TEC01"] and None in items[2]["bounds"]["FIN02"]
    assert len(rows["portfolio_asset"]) == 6
    assert [r["kind"] for r in rows["optimization"]] == ["single", "frontier"]
    assert {r["portfolio_id"] for r in rows["optimization"]} == {portfolio["id"]}
    assert [r["kind"] for r in golden("history.json")] == ["frontier", "single"]
    single_cli = golden("history.json")[1]["params"]
    assert single_cli["constraints"]["long_only"] is True
    assert single_cli["schema_version"] == 2
    assert "type" not in json.dumps(golden("optimization_single.json")["params"])


def _rows_for_insert(rows: list[dict[str, Any]], table) -> list[dict[str, Any]]:
    """JSON values to what the Core table takes: DateTime columns from SQLite's text, the
    Numeric weight from its exact string; JSON columns go in as the parsed documents."""
    out = []
    for row in rows:
        values = dict(row)
        for column in table.columns:
            value = values.get(column.name)
            if value is None:
                continue
            if column.type.python_type is dt.datetime:
                values[column.name] = dt.datetime.fromisoformat(value)
            elif column.type.python_type is Decimal:
                values[column.name] = Decimal(value)
        out.append(values)
    return out


def insert_golden_rows(url: str, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """Insert the stored rows of stored_rows.json verbatim (SQLAlchemy Core, no repository
    code) into the database at ``url``; returns the rows inserted."""
    rows = rows if rows is not None else golden("stored_rows.json")
    tables = (
        ("portfolio", PortfolioRow.__table__),
        ("portfolio_asset", PortfolioAssetRow.__table__),
        ("optimization", OptimizationRow.__table__),
    )

    async def write() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                for name, table in tables:
                    await connection.execute(insert(table), _rows_for_insert(rows[name], table))
        finally:
            await engine.dispose()

    asyncio.run(write())
    return rows


@pytest.fixture(params=["today", "revision_0003"])
def stored(request, tmp_path: Path, monkeypatch) -> tuple[str, dict[str, Any]]:
    """A fresh SQLite store at head holding only golden rows (no prices): today's, or those
    of revision 0003 inserted at that revision and upgraded (migration 0004 converts them).
    Returns the rows as they are stored at head."""
    monkeypatch.setenv("PFOPT_CHARTS_DIR", str(tmp_path / "charts"))
    (tmp_path / "charts").mkdir()
    if request.param == "today":
        url = fresh_database("sqlite", tmp_path)
        return url, insert_golden_rows(url)
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    insert_golden_rows(url, golden("revision_0003/stored_rows.json"))
    upgrade(url)
    return url, stored_rows(tmp_path / "old.db", *_ids(golden("revision_0003/stored_rows.json")))


def _ids(rows: dict[str, Any]) -> tuple[str, list[str]]:
    return rows["portfolio"][0]["id"], [r["id"] for r in rows["optimization"]]


def test_migration_0004_keeps_every_number_of_old_rows(tmp_path: Path) -> None:
    """The converted rows hold the old weights, metrics and points, in today's documents (they
    decode into the codec's Structs), and downgrading restores the old rows exactly."""
    old = golden("revision_0003/stored_rows.json")
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    insert_golden_rows(url, old)
    upgrade(url)
    new = stored_rows(tmp_path / "old.db", *_ids(old))
    (single_old, frontier_old), (single, frontier) = old["optimization"], new["optimization"]
    single_doc = read(single["results_json"], OptimizationResponse)
    assert single_doc.weights == single_old["results_json"]["weights"]
    metrics = single_old["results_json"]["metrics"]
    assert (single_doc.expected_return, single_doc.volatility, single_doc.sharpe) == (
        metrics["expected_return"],
        metrics["volatility"],
        metrics["sharpe"],
    )
    frontier_doc = read(frontier["results_json"], FrontierResponse)
    assert [p.weights for p in frontier_doc.points] == [
        p["weights"] for p in frontier_old["results_json"]["points"]
    ]
    assert frontier_doc.status == "complete" and frontier_doc.assets is not None
    params = read(single["params_json"], RunParams)
    assert params.objective is not None and params.objective.__struct_config__.tag == "min_variance"
    # The converted parameters read as those a run on that portfolio records today (fields
    # added since, such as ``rebalance``, take their defaults).
    today = golden("stored_rows.json")["optimization"][0]["params_json"]
    assert builtins(read(single["params_json"], RunParams)) == today
    assert read(frontier["params_json"], RunParams).points == 5
    downgrade(url, "0003")
    back = stored_rows(tmp_path / "old.db", *_ids(old))
    assert back["optimization"] == old["optimization"]


def test_stored_rows_are_readable(stored, capsys) -> None:
    url, rows = stored
    (portfolio,) = rows["portfolio"]
    single, frontier = rows["optimization"]
    assets = rows["portfolio_asset"]
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as client:
        r = client.get(f"/api/portfolios/{portfolio['id']}")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["id"] == portfolio["id"]
        assert doc["name"] == portfolio["name"]
        assert doc["tickers"] == [a["ticker"] for a in assets]
        assert doc["sectors"] == {a["ticker"]: a["sector"] for a in assets}
        # The column's codec form comes back in the API's constraint shape, the one a run on
        # the portfolio records in its params (and the one a PUT takes).
        assert doc["constraints"] == builtins(
            constraints_document(decode(portfolio["constraints"]), doc["sectors"])
        )
        assert doc["constraints"] == single["params_json"]["constraints"]

        for row in (single, frontier):
            r = client.get(f"/api/optimizations/{row['id']}")
            assert r.status_code == 200, r.text
            doc = r.json()
            assert doc["params"] == row["params_json"]
            assert doc["results"] == row["results_json"]
            for key in ("id", "kind", "objective", "status", "portfolio_id", "duration_ms"):
                assert doc[key] == row[key], key
            assert dt.datetime.fromisoformat(doc["created_at"]).replace(
                tzinfo=None
            ) == dt.datetime.fromisoformat(row["created_at"])

        r = client.get(f"/api/optimizations/{single['id']}?format=csv")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(r.text)))
        assert lines[0] == ["ticker", "weight"]
        weights = single["results_json"]["weights"]
        assert [t for t, _ in lines[1:]] == list(weights)
        assert {t: float(w) for t, w in lines[1:]} == weights

        r = client.get(f"/api/optimizations/{frontier['id']}?format=csv")
        assert r.status_code == 200, r.text
        table = list(csv.DictReader(io.StringIO(r.text)))
        points = frontier["results_json"]["points"]
        assert len(table) == len(points) == frontier["params_json"]["points"]
        tickers = list(frontier["results_json"]["min_variance"]["weights"])
        for line, point in zip(table, points, strict=True):
            assert float(line["target_return"]) == point["target_return"]
            assert float(line["volatility"]) == point["volatility"]
            assert line["status"] == point["status"]
            assert {t: float(line[t]) for t in tickers} == point["weights"]

        for run_id, chart in ((frontier["id"], "frontier"), (single["id"], "weights")):
            r = client.get(f"/api/optimizations/{run_id}/charts/{chart}.svg")
            assert r.status_code == 200, (chart, r.text)
            assert r.headers["content-type"].startswith("image/svg+xml")
            assert b"<svg" in r.content[:2000]

        listed = client.get("/api/optimizations").json()
        assert [o["id"] for o in listed] == [frontier["id"], single["id"]]

    capsys.readouterr()
    assert main(["--database-url", url, "history", "--json"]) == 0
    out, err = capsys.readouterr()
    history = json.loads(out)
    assert [h["id"] for h in history] == [frontier["id"], single["id"]], err
    for h, row in zip(history, (frontier, single), strict=True):
        assert h["params"] == row["params_json"]
        assert h["results"] == row["results_json"]
        assert h["kind"] == row["kind"] and h["portfolio_id"] == row["portfolio_id"]
