"""The HTTP API through Litestar's test client on a real (SQLite) store."""

import time
from importlib.metadata import version
from pathlib import Path

import msgspec
import numpy as np
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from adapters import csv_prices
from adapters.csv_bulk import read_bulk
from adapters.documents.results import OptimizationResponse
from adapters.migrations import upgrade
from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.conftest import random_universe
from tests.storage import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def client(request, tmp_path: Path, capsys):
    """The app on a fresh store with 6 assets of sample prices: SQLite, then PostgreSQL."""
    url = fresh_database(request.param, tmp_path)
    prices = tmp_path / "p.csv"
    assert main(["--database-url", url, "sample-data", "-o", str(prices), "--assets", "6"]) == 0
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    capsys.readouterr()
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as test_client:
        yield test_client


def test_health(client) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}


def test_openapi_is_titled_pfopt_with_its_version(client) -> None:
    info = client.get("/schema/openapi.json").json()["info"]
    assert info["title"] == "pfopt"
    assert info["version"] == version("pfopt")


def test_optimize_on_stored_tickers_is_saved(client) -> None:
    body = {
        "tickers": ["TEC01", "FIN02", "HEA03"],
        "objective": {"kind": "min_variance"},
        "constraints": {"max_weight": 0.6},
    }
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert sum(doc["weights"].values()) == pytest.approx(1.0)
    assert max(doc["weights"].values()) <= 0.6 + 1e-12
    # The cap does not bind on these three assets: the answer is the uncapped one.
    assert max(doc["weights"].values()) < 0.6 - 0.1
    uncapped = {k: v for k, v in body.items() if k != "constraints"}
    free = client.post("/api/optimize/portfolio", json=uncapped).json()
    assert free["weights"].keys() == doc["weights"].keys()
    for ticker, weight in free["weights"].items():
        assert doc["weights"][ticker] == pytest.approx(weight, abs=1e-12)
    saved = client.get(f"/api/optimizations/{doc['optimization_id']}").json()
    assert saved["results"]["weights"] == doc["weights"]


def test_an_optimize_answer_is_its_response_struct_encoded(client) -> None:
    """The handler sends the stored document's JSON: byte for byte what Litestar would send
    for the ``OptimizationResponse`` it describes, and the schema still names that struct."""
    u = random_universe(6, seed=4)
    inline = {
        "tickers": list(u.tickers),
        "expected_returns": u.expected_returns.tolist(),
        "covariance": u.covariance.tolist(),
    }
    for body in (
        {"inline": inline},
        {
            "inline": inline,
            "objective": {"kind": "min_variance"},
            "constraints": {"long_only": False, "leverage": 1.6},
        },
    ):
        r = client.post("/api/optimize/portfolio", json=body)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.content == msgspec.json.encode(msgspec.convert(r.json(), OptimizationResponse))
    schema = client.get("/schema/openapi.json").json()
    answer = schema["paths"]["/api/optimize/portfolio"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("OptimizationResponse")


def test_max_sharpe_on_a_riskless_singular_model_is_a_clear_422(client) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 2)) * 0.2
    inline = {
        "tickers": [f"S{i}" for i in range(12)],
        "expected_returns": rng.uniform(0.05, 0.2, 12).tolist(),
        "covariance": (x @ x.T).tolist(),
    }
    r = client.post("/api/optimize/portfolio", json={"inline": inline})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "covariance"
    assert "max Sharpe has no maximum" in r.json()["detail"]


def test_solver_options_reach_the_solver(client) -> None:
    u = random_universe(5, seed=3)
    inline = {
        "tickers": list(u.tickers),
        "expected_returns": u.expected_returns.tolist(),
        "covariance": u.covariance.tolist(),
    }
    exact = client.post("/api/optimize/portfolio", json={"inline": inline}).json()
    assert exact["solver"] == "critical_line"
    chosen = client.post(
        "/api/optimize/portfolio", json={"inline": inline, "solver": {"chain": ["CLARABEL"]}}
    ).json()
    assert chosen["solver"] == "CLARABEL"
    for ticker, weight in exact["weights"].items():
        assert chosen["weights"][ticker] == pytest.approx(weight, abs=1e-6)
    bad = client.post(
        "/api/optimize/portfolio", json={"inline": inline, "solver": {"chain": ["X"]}}
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "solver_chain"
    slow = {
        "inline": inline,
        "objective": {"kind": "max_utility"},
        "solver": {"time_limit_s": 1e-9},
    }
    r = client.post("/api/optimize/portfolio", json=slow)
    assert r.status_code == 504
    assert "time limit" in r.json()["detail"]


def test_optimize_inline_universe_and_factor_model(client) -> None:
    u = random_universe(5, seed=1)
    inline = {
        "tickers": list(u.tickers),
        "expected_returns": u.expected_returns.tolist(),
        "covariance": u.covariance.tolist(),
    }
    r = client.post("/api/optimize/portfolio", json={"inline": inline})
    assert r.status_code == 200, r.text
    assert r.json()["window"] is None
    factor = {
        "tickers": ["A", "B", "C"],
        "expected_returns": [0.05, 0.08, 0.1],
        "loadings": [[1.0], [0.8], [1.2]],
        "factor_covariance": [[0.03]],
        "specific_variance": [0.02, 0.03, 0.05],
    }
    r = client.post(
        "/api/optimize/portfolio", json={"inline": factor, "objective": {"kind": "min_variance"}}
    )
    assert r.status_code == 200, r.text
    dense = np.outer([1, 0.8, 1.2], [1, 0.8, 1.2]) * 0.03 + np.diag([0.02, 0.03, 0.05])
    w = np.array(list(r.json()["weights"].values()))
    assert r.json()["volatility"] == pytest.approx(np.sqrt(w @ dense @ w))


def test_portfolio_crud_and_optimize_by_id(client) -> None:
    created = client.post(
        "/api/portfolios",
        json={
            "name": "core",
            "tickers": ["TEC01", "FIN02", "HEA03", "ENE04"],
            "constraints": {
                "max_weight": 0.5,
                "sectors": {"TEC01": "Tech"},
                "sector_limits": {"Tech": [None, 0.2]},
            },
        },
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert [p["name"] for p in client.get("/api/portfolios").json()] == ["core"]
    assert client.get(f"/api/portfolios/{pid}").json()["sectors"] == {"TEC01": "Tech"}
    r = client.post("/api/optimize/portfolio", json={"portfolio_id": pid})
    assert r.status_code == 200, r.text
    assert r.json()["weights"]["TEC01"] == pytest.approx(0.2, abs=1e-9)  # the sector cap binds
    assert max(r.json()["weights"].values()) <= 0.5 + 1e-12
    assert sum(r.json()["weights"].values()) == pytest.approx(1.0, abs=1e-9)
    assert (
        client.post("/api/portfolios", json={"name": "core", "tickers": ["A", "B"]}).status_code
        == 409
    )
    assert client.delete(f"/api/portfolios/{pid}").status_code == 204
    assert client.get(f"/api/portfolios/{pid}").status_code == 404


def test_risk_attribution(client) -> None:
    r = client.post(
        "/api/risk/attribution",
        json={"weights": {"TEC01": 0.5, "FIN02": 0.5}, "benchmark": "HEA03", "factors": 1},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert sum(a["ctr"] for a in doc["assets"].values()) == pytest.approx(doc["volatility"])
    assert doc["beta"] is not None


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/api/optimize/portfolio", {}, 422, "give exactly one of portfolio_id, tickers or inline"),
        ("/api/optimize/portfolio", {"tickers": ["TEC01"], "unknown": 1}, 400, "unknown"),
        (
            "/api/optimize/portfolio",
            {"tickers": ["TEC01", "NOPE"]},
            404,
            "no stored prices for 'NOPE'",
        ),
        (
            "/api/optimize/portfolio",
            {"tickers": ["TEC01", "FIN02"], "constraints": {"max_weight": 0.3}},
            422,
            "sum of per-asset maximum weights is 0.6 (60 %) < 1 (100 %)",
        ),
        (
            "/api/optimize/portfolio",
            {"tickers": ["TEC01", "FIN02"], "objective": {"kind": "target_return"}},
            400,
            "missing required field `target_return`",
        ),
        (
            "/api/optimize/portfolio",
            {
                "tickers": ["TEC01", "FIN02"],
                "objective": {"kind": "target_return", "target_return": 5},
            },
            422,
            "target return 5 (500 %) is above the highest return reachable",
        ),
        (
            "/api/optimize/portfolio",
            {
                "inline": {
                    "tickers": ["A", "B"],
                    "expected_returns": [0.1],
                    "covariance": [[1, 0], [0, 1]],
                }
            },
            422,
            "expected_returns has 1 values for 2 tickers",
        ),
        (
            "/api/optimize/portfolio",
            {
                "tickers": ["TEC01", "FIN02"],
                "objective": {"kind": "max_utility", "risk_aversion": -1},
            },
            400,
            "risk_aversion",
        ),
        ("/api/risk/attribution", {}, 422, "give exactly one of weights or optimization_id"),
        ("/api/portfolios", {"name": "", "tickers": ["A", "B"]}, 400, "name"),
    ],
)
def test_errors_are_problem_json_naming_the_field(client, path, body, status, detail) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert detail in r.json()["detail"]


def test_unknown_ids_are_404(client) -> None:
    for path in ("/api/optimizations/nope", "/api/portfolios/nope"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"


FRONTIER = {
    "tickers": ["TEC01", "FIN02", "HEA03", "ENE04"],
    "points": 6,
    "constraints": {"max_weight": 0.5},
}


def test_frontier_wait_answers_at_once(client) -> None:
    """With ``?wait=true`` the answer is the finished job's status document, the one a job's
    status URL gives (its ``result`` is the stored frontier document)."""
    r = client.post(
        "/api/optimize/efficient-frontier?wait=true", json={**FRONTIER, "session_id": "w1"}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["status"] == "done" and doc["session_id"] == "w1"
    assert doc["result"]["status"] == "complete"
    assert len(doc["result"]["points"]) == 6
    stored = client.get(f"/api/optimizations/{doc['optimization_id']}").json()
    assert stored["results"] == doc["result"]
    job = client.post("/api/optimize/efficient-frontier", json={**FRONTIER, "session_id": "j1"})
    assert job.status_code == 202, job.text
    for _ in range(200):
        status = client.get("/api/optimize/efficient-frontier/j1").json()
        if status["status"] == "done":
            break
        time.sleep(0.05)
    assert set(status) == set(doc)
    changing = ("session_id", "optimization_id", "result", "seq")
    same = {k: v for k, v in status.items() if k not in changing}
    assert same == {k: doc[k] for k in same}
    per_run = ("duration_ms", "optimization_id")
    assert {k: v for k, v in status["result"].items() if k not in per_run} == {
        k: v for k, v in doc["result"].items() if k not in per_run
    }


def test_missing_objective_fields_are_named(client) -> None:
    r = client.post(
        "/api/optimize/portfolio",
        json={"tickers": ["TEC01", "FIN02"], "objective": {"kind": "target_return"}},
    )
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "objective.target_return"


def test_frontier_job_with_live_progress_and_a_late_subscriber(client) -> None:
    r = client.post("/api/optimize/efficient-frontier", json={**FRONTIER, "session_id": "s1"})
    assert r.status_code == 202, r.text
    assert r.json()["ws_url"] == "/ws/optimize/progress/s1"
    with client.websocket_connect("/ws/optimize/progress/s1") as ws:
        events = [ws.receive_json()]
        while events[-1].get("status") not in ("done", "failed", "cancelled"):
            events.append(ws.receive_json())
    progress = [e for e in events[1:] if "current" in e and "status" not in e]
    assert [e["current"] for e in progress] == sorted(e["current"] for e in progress)
    assert events[-1]["status"] == "done"
    assert events[-1]["result_url"] == "/api/optimize/efficient-frontier/s1"
    final = client.get("/api/optimize/efficient-frontier/s1").json()
    assert final["status"] == "done"
    assert final["current"] == final["total"] == 6
    assert len(final["result"]["points"]) == 6
    with client.websocket_connect("/ws/optimize/progress/s1") as late:
        assert late.receive_json()["status"] == "done"  # the latest state, at once
    again = client.post("/api/optimize/efficient-frontier", json={**FRONTIER, "session_id": "s1"})
    assert again.status_code == 409


def test_unknown_session(client) -> None:
    assert client.get("/api/optimize/efficient-frontier/nope").status_code == 404
    assert client.delete("/api/optimize/efficient-frontier/nope").status_code == 404
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/optimize/progress/nope") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 4404


def test_failed_job_reports_the_domain_error(client) -> None:
    body = {**FRONTIER, "constraints": {"max_weight": 0.1}, "session_id": "bad"}
    assert client.post("/api/optimize/efficient-frontier", json=body).status_code == 202
    with client.websocket_connect("/ws/optimize/progress/bad") as ws:
        event = ws.receive_json()
        while event.get("status") not in ("done", "failed", "cancelled"):
            event = ws.receive_json()
    assert event["status"] == "failed"
    assert "sum of per-asset maximum weights" in event["error"]["detail"]


def test_limits(client, monkeypatch) -> None:
    import entrypoints.http.requests as requests

    monkeypatch.setattr(requests, "MAX_ASSETS", 3)
    r = client.post("/api/optimize/portfolio", json={"tickers": ["A", "B", "C", "D"]})
    assert r.status_code == 422
    assert r.json()["detail"] == "tickers has 4 assets; the limit is 3 (PFOPT_MAX_ASSETS)"
    huge = {"inline": {"tickers": ["A"], "expected_returns": [0.0] * 3_000_000}}
    assert client.post("/api/optimize/portfolio", json=huge).status_code == 413


def test_saturated_solver_answers_503_with_retry_after(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PFOPT_MAX_CONCURRENT_SOLVES", "0")
    url = f"sqlite+aiosqlite:///{tmp_path}/busy.db"
    upgrade(url)
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as busy:
        r = busy.post(
            "/api/optimize/portfolio",
            json={
                "inline": {
                    "tickers": ["A", "B"],
                    "expected_returns": [0.1, 0.2],
                    "covariance": [[1, 0], [0, 1]],
                }
            },
        )
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        assert r.json()["code"] == "busy"
        assert busy.get("/health").status_code == 200


def test_charts_of_stored_runs_are_rendered_then_cached(client, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PFOPT_CHARTS_DIR", str(tmp_path / "cache"))
    single = client.post(
        "/api/optimize/portfolio", json={"tickers": ["TEC01", "FIN02", "HEA03"]}
    ).json()["optimization_id"]
    frontier = client.post("/api/optimize/efficient-frontier?wait=true", json=FRONTIER).json()[
        "optimization_id"
    ]
    for run_id, name, media in [
        (single, "weights.png", "image/png"),
        (single, "risk.svg", "image/svg+xml"),
        (frontier, "frontier.png", "image/png"),
    ]:
        r = client.get(f"/api/optimizations/{run_id}/charts/{name}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(media)
        cached = tmp_path / "cache" / "charts" / f"{run_id}_{name}"
        assert cached.read_bytes() == r.content
        assert client.get(f"/api/optimizations/{run_id}/charts/{name}").content == r.content
    assert client.get(f"/api/optimizations/{single}/charts/frontier.png").status_code == 404
    assert client.get(f"/api/optimizations/{single}/charts/weights.gif").status_code == 404
    inline = client.post(
        "/api/optimize/portfolio",
        json={
            "inline": {
                "tickers": ["A", "B"],
                "expected_returns": [0.1, 0.2],
                "covariance": [[0.04, 0], [0, 0.09]],
            }
        },
    ).json()["optimization_id"]
    r = client.get(f"/api/optimizations/{inline}/charts/risk.png")
    assert r.status_code == 404
    assert "needs the run's prices in the store" in r.json()["detail"]


def test_risk_attribution_on_a_callers_factor_model(client) -> None:
    body = {
        "weights": {"A": 0.5, "B": 0.3, "C": 0.2},
        "inline": {
            "tickers": ["A", "B", "C"],
            "expected_returns": [0.05, 0.08, 0.1],
            "loadings": [[1.0, 0.2], [0.8, -0.1], [1.2, 0.4]],
            "factor_covariance": [[0.03, 0.0], [0.0, 0.01]],
            "specific_variance": [0.02, 0.03, 0.05],
        },
    }
    r = client.post("/api/risk/attribution", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    f = doc["factors"]
    assert sum(f["variance"]) + f["specific_variance"] == pytest.approx(doc["volatility"] ** 2)
    assert sum(a["ctr"] for a in doc["assets"].values()) == pytest.approx(doc["volatility"])
    assert doc["tail"] == []
    assert doc["window"] is None
    bad = client.post("/api/risk/attribution", json={**body, "weights": {"Z": 1.0}})
    assert bad.status_code == 422
    assert "'Z' is not in the universe" in bad.json()["detail"]


def test_prices_upload_csv_and_json_then_read_back(client) -> None:
    csv_body = "date,AAA,BBB\n2024-01-02,10,20\n2024-01-03,11,21\n"
    r = client.post("/api/prices", content=csv_body, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 4
    rows = [{"date": "2024-01-04", "ticker": "AAA", "close": 12.5}]
    assert client.post("/api/prices", json=rows).status_code == 200
    back = client.get("/api/prices/AAA?start=2024-01-03").json()
    assert back == [{"date": "2024-01-03", "close": 11.0}, {"date": "2024-01-04", "close": 12.5}]
    bad = client.post(
        "/api/prices", content="date,AAA\n2024-01-02,-1\n", headers={"content-type": "text/csv"}
    )
    assert bad.status_code == 422
    assert "upload.csv line 2, column 'AAA'" in bad.json()["detail"]
    dup = client.post("/api/prices", json=rows + rows)
    assert dup.status_code == 422
    assert "prices[1]: duplicate price for AAA" in dup.json()["detail"]
    assert client.get("/api/prices/AAA?start=2030-01-01").status_code == 404


def test_a_large_csv_upload_is_read_in_bulk_with_exact_errors(client, monkeypatch) -> None:
    """Over 1 MB the upload goes through the bulk reader, as a file does: the same prices,
    and a bad cell still named by line and column (the row reader words it)."""
    rng = np.random.default_rng(8)
    days = np.datetime64("2001-01-01") + np.arange(1300)
    closes = np.round(rng.uniform(5, 500, (1300, 100)), 4)
    header = "date," + ",".join(f"U{j:02d}" for j in range(100))
    lines = [
        header,
        *(f"{d}," + ",".join(map(repr, row.tolist())) for d, row in zip(days, closes, strict=True)),
    ]
    body = "\n".join(lines) + "\n"
    assert len(body) > 1_000_000
    answers = []

    def spy(*args, **kwargs):
        answers.append(read_bulk(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(csv_prices, "read_bulk", spy)
    r = client.post("/api/prices", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert answers and answers[0] is not None  # the bulk reader's prices
    assert r.json()["rows"] == closes.size
    back = client.get("/api/prices/U07?limit=50000").json()
    assert [p["close"] for p in back] == closes[:, 7].tolist()
    lines[700] = lines[700].replace(repr(float(closes[699, 3])), "-3", 1)
    bad = client.post(
        "/api/prices", content="\n".join(lines) + "\n", headers={"content-type": "text/csv"}
    )
    assert bad.status_code == 422
    assert "upload.csv line 701, column 'U03'" in bad.json()["detail"]


def test_tickers_that_could_carry_markup_are_refused(client) -> None:
    csv_body = "date,<svg onload=alert(1)>\n2024-01-02,10\n"
    r = client.post("/api/prices", content=csv_body, headers={"content-type": "text/csv"})
    assert r.status_code == 422
    assert r.json()["field"] == "tickers"
    long = [{"date": "2024-01-02", "ticker": "X" * 33, "close": 1.0}]
    assert client.post("/api/prices", json=long).json()["field"] == "tickers"


def test_price_reads_are_paginated(client) -> None:
    first = client.get("/api/prices/TEC01?limit=100")
    assert first.status_code == 200
    assert len(first.json()) == 100
    pages, link = [first.json()], first.headers["link"]
    assert link == '</api/prices/TEC01?limit=100&offset=100>; rel="next"'
    while link:
        page = client.get(link[1 : link.index(">")])
        pages.append(page.json())
        link = page.headers.get("link")
    dates = [row["date"] for rows in pages for row in rows]
    assert dates == sorted(set(dates))
    assert dates == [row["date"] for row in client.get("/api/prices/TEC01?limit=50000").json()]
    bad = client.get("/api/prices/TEC01?limit=0")
    assert bad.status_code == 422
    assert bad.json()["field"] == "limit"


def test_put_portfolio_history_and_csv_export(client) -> None:
    pid = client.post("/api/portfolios", json={"name": "p", "tickers": ["TEC01", "FIN02"]}).json()[
        "id"
    ]
    r = client.put(
        f"/api/portfolios/{pid}", json={"name": "q", "tickers": ["TEC01", "FIN02", "HEA03"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["tickers"] == ["TEC01", "FIN02", "HEA03"]
    run_id = client.post("/api/optimize/portfolio", json={"portfolio_id": pid}).json()[
        "optimization_id"
    ]
    history = client.get(f"/api/portfolios/{pid}/optimizations?limit=10").json()
    assert [h["id"] for h in history] == [run_id]
    assert client.get(f"/api/portfolios/{pid}/optimizations?limit=0").status_code == 422
    exported = client.get(f"/api/optimizations/{run_id}?format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0] == "ticker,weight"
    assert len(exported.text.splitlines()) == 4


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {}),
        (b"{not json", {}),
        (b'[{"date": "x"}]', {}),
        (b"\xff\xfe\x00", {"content-type": "text/csv"}),
        (b"", {"content-type": "text/csv"}),
    ],
)
def test_bad_price_uploads_are_4xx(client, content, headers) -> None:
    r = client.post("/api/prices", content=content, headers=headers)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_tickers_with_sectors(client) -> None:
    listed = client.get("/api/tickers").json()
    assert [t["ticker"] for t in listed][:2] == ["CON05", "ENE04"]
    assert all(t["sector"] is None and t["rows"] > 1000 for t in listed)
    r = client.put("/api/sectors", json={"TEC01": "Technology", "FIN02": "Financials"})
    assert r.json() == {"updated": 2}
    sectors = {t["ticker"]: t["sector"] for t in client.get("/api/tickers").json()}
    assert sectors["TEC01"] == "Technology"
    assert sectors["ENE04"] is None
    bad = client.put("/api/sectors", json={"TEC01": ""})
    assert bad.status_code == 422
    assert bad.json()["field"] == "sectors[TEC01]"


def test_recent_runs_list_without_results(client) -> None:
    done = client.post("/api/optimize/efficient-frontier?wait=true", json=FRONTIER).json()
    client.post("/api/optimize/portfolio", json={"tickers": ["TEC01", "FIN02"]})
    runs = client.get("/api/optimizations?limit=10").json()
    assert [r["kind"] for r in runs] == ["single", "frontier"]
    assert runs[1]["id"] == done["optimization_id"]
    assert runs[1]["points"] == 6
    assert runs[1]["tickers"] == FRONTIER["tickers"]
    assert "results" not in runs[1]
    best = done["result"]["max_sharpe"]
    assert (runs[1]["sharpe"], runs[1]["volatility"]) == (best["sharpe"], best["volatility"])
    assert runs[1]["source"] == "store" and runs[1]["window"] == done["result"]["window"]
    frontiers = client.get("/api/optimizations?kind=frontier&limit=10").json()
    assert [r["id"] for r in frontiers] == [done["optimization_id"]]
    assert client.get("/api/optimizations?kind=nope").json()["field"] == "kind"
    assert client.get("/api/optimizations?limit=0").status_code == 422


def test_a_socket_opened_before_the_post_gets_the_whole_run(client) -> None:
    with client.websocket_connect("/ws/optimize/progress/early") as ws:
        body = {**FRONTIER, "session_id": "early"}
        assert client.post("/api/optimize/efficient-frontier", json=body).status_code == 202
        events = [ws.receive_json()]
        while events[-1].get("status") not in ("done", "failed", "cancelled"):
            events.append(ws.receive_json())
    assert events[-1]["status"] == "done"
    assert events[0]["session_id"] == "early"


def test_pagination_bounds_name_the_parameter(client) -> None:
    huge = client.get("/api/optimizations?limit=73&offset=37369935110369638113346954844593717248")
    assert huge.status_code in (400, 422)
    assert huge.json()["field"] == "offset"
    assert client.get("/api/prices/TEC01?offset=-1").json()["field"] == "offset"
    assert client.get("/api/optimizations?limit=501").json()["field"] == "limit"


def test_a_portfolio_read_with_get_can_be_put_back_unchanged(client) -> None:
    """Every constraint kind round-trips: GET's document is a valid PUT body, and PUT of it
    changes nothing (but ``updated_at``)."""
    from tests.golden.make_golden import PORTFOLIO

    body = {**PORTFOLIO, "name": "round-trip", "tickers": ["TEC01", "FIN02", "HEA03", "ENE04"]}
    body["constraints"] = {
        **PORTFOLIO["constraints"],
        "sectors": {
            t: s for t, s in PORTFOLIO["constraints"]["sectors"].items() if t in body["tickers"]
        },
        "factor_loadings": {
            t: v
            for t, v in PORTFOLIO["constraints"]["factor_loadings"].items()
            if t in body["tickers"]
        },
    }
    created = client.post("/api/portfolios", json=body)
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    first = client.get(url).json()
    assert first["constraints"]["leverage"] == 1.6
    assert first["constraints"]["factor_bounds"] == {"value": [0.3, 0.9], "size": [None, 1.2]}
    put = client.put(url, json=first)
    assert put.status_code == 200, put.text
    again = client.get(url).json()
    assert {k: v for k, v in again.items() if k != "updated_at"} == {
        k: v for k, v in first.items() if k != "updated_at"
    }
    listed = [p for p in client.get("/api/portfolios").json() if p["id"] == first["id"]]
    assert listed == [again]
    other = client.put(url, json={**first, "id": "someone-else"})
    assert other.status_code == 422 and other.json()["field"] == "id"
