"""Batches through the interfaces a user touches: ``pfopt batch FILE`` (a CSV accounts table and
a JSON batch with a sweep, in-process and on an embedded Dask LocalCluster), ``pfopt batches
show``, and ``POST /api/batches`` with its status, results pages, CSV and Parquet downloads,
WebSocket progress and cancel; every bad input a one-line error or a problem+json."""

import io
import json
import time

import polars as pl
import pytest

from tests.e2e.runs import Market, cli_error, http_client, make_market


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("batches"), assets=8, days=500, seed=9)


@pytest.fixture(scope="module")
def client(market: Market):
    with http_client(market.url) as test_client:
        yield test_client


def _table(market: Market, path, accounts: int = 12) -> None:
    t = market.tickers
    lines = ["account,ticker,weight,turnover"]
    for a in range(accounts):
        names = [t[(a + k) % len(t)] for k in range(4)]
        lines += [f"acct-{a:02d},{n},0.24,{0.1 if a % 2 else ''}" for n in names]
    lines += ["bad,NOPE,0.5,", f"bad,{t[0]},0.5,"]
    path.write_text("\n".join(lines) + "\n")


def test_cli_batch_on_a_table_stores_every_account(market, tmp_path) -> None:
    table = tmp_path / "accounts.csv"
    _table(market, table)
    out = tmp_path / "results.parquet"
    code, stdout, err = market.cli("batch", str(table), "--turnover", "0.2", "--results", str(out))
    assert code == 0, err
    assert "13 of 13 accounts (12 ok, 1 failed) on inprocess" in stdout
    assert "failed bad: ticker 'NOPE' is not in the batch's universe" in stdout
    frame = pl.read_parquet(out)
    assert frame.height == 13 and frame["status"].to_list().count("ok") == 12
    ok = frame.filter(pl.col("status") == "ok")
    assert (ok["turnover"] <= 0.2 + 1e-9).all()
    batch_id = stdout.split("Stored as batch ")[1].split()[0]
    doc = market.cli_json("batches", "show", batch_id, "--failed")
    assert doc["status"] == "done" and [a["account"] for a in doc["accounts"]] == ["bad"]


def test_cli_batch_json_sweep_on_a_local_cluster(market, tmp_path) -> None:
    held = {t: 1 / len(market.tickers) for t in market.tickers}
    batch = {
        "universe": {"tickers": list(market.tickers)},
        "objective": {"kind": "max_utility", "risk_aversion": 2},
        "rebalance": {"holdings": held},
        "sweep": {"risk_aversion": [1, 4], "turnover": [0.05, 0.1, 0.3]},
    }
    file = tmp_path / "sweep.json"
    file.write_text(json.dumps(batch))
    doc = market.cli_json("batch", str(file), "--workers", "2")
    assert doc["status"] == "done" and doc["total"] == 6 and doc["failed"] == 0
    assert doc["executor"] == "dask" and doc["workers"] == 2
    shown = market.cli_json("batches", "show", doc["id"])
    turnover = {a["account"]: a["turnover"] for a in shown["accounts"]}
    assert turnover["risk_aversion=1,turnover=0.05"] == pytest.approx(0.05, abs=1e-9)


def test_cli_bad_files_and_an_unreachable_scheduler(market, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"account,ticker,weight\na,{market.tickers[0]},0.5\na,{market.tickers[1]},x\n")
    assert cli_error("--database-url", market.url, "batch", str(bad)) == (
        "bad.csv: line 3, column weight: 'x' is not a number"
    )
    bad.write_text("account,ticker,wieght\n")
    assert "unknown column 'wieght'" in cli_error("--database-url", market.url, "batch", str(bad))
    broken = tmp_path / "broken.json"
    broken.write_text('{"accounts": [{"id": 1}]}')
    assert "broken.json: Expected `str`, got `int` - at `$.accounts[0].id`" in cli_error(
        "--database-url", market.url, "batch", str(broken)
    )
    table = tmp_path / "ok.csv"
    _table(market, table, 2)
    code, out, err = market.cli("batch", str(table), "--scheduler", "tcp://127.0.0.1:9")
    assert code == 3 and out == ""
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in err
    before = market.cli("batches", "list")[1]
    assert before.count("inprocess") == 1 or "tcp://127.0.0.1:9" not in before


def _body(market: Market, accounts: int = 30) -> dict:
    t = market.tickers
    return {
        "universe": {"tickers": list(t)},
        "objective": {"kind": "min_variance"},
        "constraints": {"max_weight": 0.5},
        "accounts": [
            {
                "id": f"c{a:03d}",
                "tickers": [t[(a + k) % len(t)] for k in range(5)],
                "rebalance": {
                    "holdings": {t[(a + k) % len(t)]: 0.19 for k in range(5)},
                    "cash": 0.05,
                    "turnover": 0.15,
                },
            }
            for a in range(accounts)
        ]
        + [{"id": "too-tight", "constraints": {"max_weight": 0.05}}],
    }


def _finished(client, url: str) -> dict:
    for _ in range(400):
        doc = client.get(url).json()
        if doc["status"] != "running":
            return doc
        time.sleep(0.05)
    raise AssertionError("the batch did not finish")


def test_http_batch_job_status_results_and_downloads(client, market) -> None:
    r = client.post("/api/batches", json=_body(market))
    assert r.status_code == 202, r.text
    doc = r.json()
    assert r.headers["location"] == doc["status_url"]
    with client.websocket_connect(doc["websocket"]) as socket:
        events = []
        while True:
            event = socket.receive_json()
            events.append(event)
            if event["status"] != "running":
                break
    done = [e["done"] for e in events]
    assert done == sorted(done) and events[-1]["status"] == "done" and done[-1] == 31
    state = _finished(client, doc["status_url"])
    assert state["failed"] == 1 and state["summary"]["accounts_per_s"] > 0
    page = client.get(doc["results_url"], params={"offset": 29, "limit": 5}).json()
    assert page["total"] == 31 and [a["account"] for a in page["accounts"]] == ["c029", "too-tight"]
    assert page["accounts"][1]["error_code"] == "infeasible"
    weights = json.loads(page["accounts"][0]["weights"])
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    csv = client.get(doc["results_url"], params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") == 32
    parquet = client.get(doc["results_url"], params={"format": "parquet", "status": "failed"})
    assert pl.read_parquet(io.BytesIO(parquet.content))["account"].to_list() == ["too-tight"]


def test_http_cancel_and_bad_requests(client, market) -> None:
    r = client.post("/api/batches", json=_body(market, 400))
    assert r.status_code == 202
    doc = r.json()
    cancel = client.delete(doc["status_url"])
    assert cancel.status_code == 202 and cancel.json()["cancel_requested"] is True
    state = _finished(client, doc["status_url"])
    assert state["status"] in ("cancelled", "done")  # a batch quicker than the cancel ends done
    for body, field in [
        ({"accounts": []}, "accounts"),
        ({"accounts": [{"id": "a"}, {"id": "a"}]}, "accounts"),
        ({"accounts": [{"id": "a", "tickers": "AAA"}]}, "accounts"),
        ({"sweep": {"colour": [1]}}, "sweep.colour"),
    ]:
        r = client.post("/api/batches", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field, r.json()
    missing = client.get("/api/batches/nope")
    assert missing.status_code == 404
    assert client.get(f"{doc['results_url']}", params={"format": "xls"}).status_code == 422
