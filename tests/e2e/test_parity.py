"""The CLI and the HTTP API are two syntaxes for one run: the same run written as flags and as a
body gives the same answer, and a run the CLI records reads back the same through HTTP.

A safety net for the refactor of the run contract (specs, orchestrator, codec): both sides are
driven through their public interfaces only, on one SQLite store of sample prices.
"""

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.e2e.runs import (
    Doc,
    Market,
    assert_same_frontier,
    assert_same_point,
    assert_same_run,
    assert_same_weights,
    http_client,
    http_get,
    http_json,
    make_market,
    weight_vector,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("parity"))


@pytest.fixture(scope="module")
def client(market: Market) -> Iterator[TestClient]:
    with http_client(market.url) as test_client:
        yield test_client


def _sectors(market: Market) -> list[str]:
    return ["--sector-map", str(market.sectors)]


SECTOR_MAP = "<sector map>"
"""Stands for the sample's sector map in CASES: ``--sector-map FILE`` on the CLI side, the
``ticker: sector`` mapping in the HTTP body (the file's path is known only at run time)."""

# (CLI flags after ``optimize --tickers ALL``, HTTP body without ``tickers``). Each constraint
# binds on this data (seed 5, 6 assets): see test_the_parity_cases_bind.
CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "max_sharpe_risk_free_max_weight": (
        ["--risk-free", "0.02", "--max-weight", "0.35"],
        {
            "objective": {"kind": "max_sharpe", "risk_free_rate": 0.02},
            "constraints": {"max_weight": 0.35},
        },
    ),
    "min_variance_asset_bounds": (
        ["--objective", "min-variance", "--bound", "HEA03=0:0.25", "--bound", "TEC01=0.1:0.5"],
        {
            "objective": {"kind": "min_variance"},
            "constraints": {"bounds": {"HEA03": [0, 0.25], "TEC01": [0.1, 0.5]}},
        },
    ),
    "target_return_sector_limits": (
        [
            *("--objective", "target-return", "--target", "0.3", SECTOR_MAP),
            *("--sector-limit", "Health Care=:0.3", "--sector-limit", "Energy=0.1:"),
        ],
        {
            "objective": {"kind": "target_return", "target_return": 0.3},
            "constraints": {
                "sectors": SECTOR_MAP,
                "sector_limits": {"Health Care": [None, 0.3], "Energy": [0.1, None]},
            },
        },
    ),
    "target_risk_shorts_with_leverage": (
        ["--objective", "target-risk", "--target", "0.25", "--allow-short", "--leverage", "1.5"],
        {
            "objective": {"kind": "target_risk", "target_risk": 0.25},
            "constraints": {"long_only": False, "leverage": 1.5},
        },
    ),
    "max_utility_min_and_max_weight": (
        [
            *("--objective", "max-utility", "--risk-aversion", "3"),
            *("--min-weight", "0.05", "--max-weight", "0.6"),
        ],
        {
            "objective": {"kind": "max_utility", "risk_aversion": 3.0},
            "constraints": {"min_weight": 0.05, "max_weight": 0.6},
        },
    ),
}


def _case(market: Market, name: str) -> tuple[list[str], dict[str, Any]]:
    """The case with the sector map filled in: a file for the CLI, a mapping for HTTP."""
    args, body = CASES[name]
    flags = [a for arg in args for a in (_sectors(market) if arg == SECTOR_MAP else [arg])]
    constraints = dict(body["constraints"])
    if constraints.get("sectors") == SECTOR_MAP:
        constraints["sectors"] = market.sector_of()
    return flags, {**body, "constraints": constraints, "tickers": list(market.tickers)}


@pytest.mark.parametrize("name", list(CASES))
def test_flags_and_body_give_the_same_run(market: Market, client: TestClient, name: str) -> None:
    flags, body = _case(market, name)
    by_cli = market.optimize_stored(*flags)
    by_http = http_json(client, "/api/optimize/portfolio", body)
    assert_same_run(by_http, by_cli)
    assert by_http["optimization_id"] != by_cli["optimization_id"]  # two recorded runs


def test_the_parity_cases_bind(market: Market) -> None:
    """Why the cases above test the constraints: each one moves the answer (checked on the CLI
    side; the parity test then carries it to HTTP)."""
    sectors = market.sector_of()

    def weights(name: str) -> dict[str, float]:
        return market.optimize_stored(*_case(market, name)[0])["weights"]

    def sector(w: dict[str, float], name: str) -> float:
        return sum(x for t, x in w.items() if sectors[t] == name)

    capped = weights("max_sharpe_risk_free_max_weight")
    assert max(capped.values()) == pytest.approx(0.35, abs=1e-9)
    assert max(market.optimize_stored("--risk-free", "0.02")["weights"].values()) > 0.35 + 1e-3
    bounded = weights("min_variance_asset_bounds")
    assert bounded["HEA03"] == pytest.approx(0.25, abs=1e-9)
    assert bounded["TEC01"] == pytest.approx(0.1, abs=1e-9)
    targeted = market.optimize_stored(*_case(market, "target_return_sector_limits")[0])
    assert targeted["expected_return"] == pytest.approx(0.3, abs=1e-9)
    assert sector(targeted["weights"], "Health Care") == pytest.approx(0.3, abs=1e-9)
    assert sector(targeted["weights"], "Energy") >= 0.1 - 1e-9
    free = market.optimize_stored("--objective", "target-return", "--target", "0.3")
    assert sector(free["weights"], "Health Care") > 0.3 + 1e-3
    shorts = weights("target_risk_shorts_with_leverage")
    assert min(shorts.values()) < -1e-3
    assert sum(abs(x) for x in shorts.values()) == pytest.approx(1.5, abs=1e-6)
    floored = weights("max_utility_min_and_max_weight")
    assert min(floored.values()) == pytest.approx(0.05, abs=1e-9)


FRONTIER_FLAGS = ["--points", "5", "--risk-free", "0.01", "--max-weight", "0.4"]
FRONTIER_BODY = {"points": 5, "risk_free_rate": 0.01, "constraints": {"max_weight": 0.4}}


def _http_frontier(client: TestClient, body: dict[str, Any]) -> Doc:
    """The frontier document of the finished job ``?wait=true`` answers with."""
    job = http_json(client, "/api/optimize/efficient-frontier?wait=true", body)
    assert job["status"] == "done", job
    return job["result"]


def test_frontier_flags_and_body_give_the_same_frontier(market: Market, client: TestClient) -> None:
    tickers = ",".join(market.tickers)
    by_cli = market.cli_json("frontier", "--tickers", tickers, *FRONTIER_FLAGS)
    by_http = _http_frontier(client, {**FRONTIER_BODY, "tickers": list(market.tickers)})
    assert len(by_cli["points"]) == 5
    assert by_cli["risk_free_rate"] == 0.01
    assert_same_frontier(by_http, by_cli)
    assert by_http["return_range"] == pytest.approx(by_cli["return_range"], abs=1e-12)
    # the cap is part of both: the highest-return point holds exactly 0.4 of some asset
    assert max(by_cli["points"][-1]["weights"].values()) == pytest.approx(0.4, abs=1e-9)


@pytest.fixture(scope="module")
def saved(market: Market) -> str:
    """A portfolio saved by the CLI with a sector cap that binds; returns its id."""
    code, _, err = market.cli(
        *("portfolios", "create", "core", "--tickers", "TEC01,FIN02,HEA03,ENE04,CON05"),
        *("--max-weight", "0.4", *_sectors(market), "--sector-limit", "Health Care=:0.2"),
    )
    assert code == 0, err
    code, out, err = market.cli("portfolios", "show", "core", "--json")
    assert code == 0, err
    return str(json.loads(out)["id"])


def test_a_saved_portfolio_is_the_same_run_by_name_and_by_id(
    market: Market, client: TestClient, saved: str
) -> None:
    by_cli = market.cli_json("optimize", "--portfolio", "core", "--objective", "min-variance")
    body = {"portfolio_id": saved, "objective": {"kind": "min_variance"}}
    by_http = http_json(client, "/api/optimize/portfolio", body)
    assert list(by_cli["weights"]) == ["TEC01", "FIN02", "HEA03", "ENE04", "CON05"]
    assert by_cli["weights"]["HEA03"] == pytest.approx(0.2, abs=1e-9)  # the saved cap binds
    assert_same_run(by_http, by_cli)
    for run in (by_cli, by_http):
        record = http_get(client, f"/api/optimizations/{run['optimization_id']}")
        assert record["portfolio_id"] == saved


def test_a_saved_portfolio_traces_the_same_frontier(
    market: Market, client: TestClient, saved: str
) -> None:
    by_cli = market.cli_json("frontier", "--portfolio", "core", "--points", "4")
    by_http = _http_frontier(client, {"portfolio_id": saved, "points": 4})
    assert_same_frontier(by_http, by_cli)
    assert all(p["weights"]["HEA03"] <= 0.2 + 1e-9 for p in by_cli["points"])


def _csv_rows(client: TestClient, run_id: str) -> list[dict[str, str]]:
    r = client.get(f"/api/optimizations/{run_id}?format=csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def _chart(client: TestClient, run_id: str, name: str, media: str) -> bytes:
    r = client.get(f"/api/optimizations/{run_id}/charts/{name}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    return r.content


def _history_record(market: Market, run_id: str) -> Doc:
    """The record ``pfopt history --json`` lists for ``run_id`` (there is no ``history show``;
    ``pfopt history --help`` lists only filters)."""
    (record,) = [r for r in market.cli_json("history", "--limit", "500") if r["id"] == run_id]
    return record


@pytest.fixture
def charts_dir(tmp_path, monkeypatch) -> None:
    """Rendered charts are cached on disk: keep them in the test's folder."""
    monkeypatch.setenv("PFOPT_CHARTS_DIR", str(tmp_path / "charts"))


@pytest.mark.usefixtures("charts_dir")
def test_a_cli_run_reads_back_through_http(market: Market, client: TestClient) -> None:
    run = market.optimize_stored("--max-weight", "0.4", "--risk-free", "0.01")
    run_id = run["optimization_id"]
    record = http_get(client, f"/api/optimizations/{run_id}")
    assert record["id"] == run_id
    assert record["kind"] == "single"
    assert record["objective"] == "max_sharpe"
    assert record["results"]["weights"] == run["weights"]
    rows = _csv_rows(client, run_id)
    assert {r["ticker"]: float(r["weight"]) for r in rows} == run["weights"]
    assert [r["ticker"] for r in rows] == list(market.tickers)
    assert _chart(client, run_id, "weights.png", "image/png").startswith(PNG_MAGIC)
    assert _chart(client, run_id, "risk.png", "image/png").startswith(PNG_MAGIC)
    assert _history_record(market, run_id) == record


@pytest.mark.usefixtures("charts_dir")
def test_a_cli_frontier_reads_back_through_http(market: Market, client: TestClient) -> None:
    run = market.cli_json("frontier", "--tickers", ",".join(market.tickers), *FRONTIER_FLAGS)
    run_id = run["optimization_id"]
    record = http_get(client, f"/api/optimizations/{run_id}")
    assert record["kind"] == "frontier"
    stored = record["results"]
    assert len(stored["points"]) == len(run["points"]) == 5
    for kept, printed in zip(stored["points"], run["points"], strict=True):
        assert kept["weights"] == printed["weights"]
    assert_same_point(stored["max_sharpe"], run["max_sharpe"])
    assert_same_point(stored["min_variance"], run["min_variance"])
    rows = _csv_rows(client, run_id)
    assert len(rows) == 5
    for row, point in zip(rows, run["points"], strict=True):
        assert row["status"] == point["status"]
        for metric in ("target_return", "expected_return", "volatility", "sharpe"):
            assert float(row[metric]) == point[metric], metric
        weights = {t: float(row[t]) for t in market.tickers}
        assert_same_weights(weights, point["weights"], atol=0)
        assert weight_vector(weights, market.tickers).sum() == pytest.approx(1.0, abs=1e-9)
    svg = _chart(client, run_id, "frontier.svg", "image/svg+xml")
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert _history_record(market, run_id) == record
