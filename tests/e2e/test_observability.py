"""What an operator sees of a real ``pfopt serve`` with API keys: a request id on every
answer, one JSON log line per request (owner, route template, status, duration, solver; never
the key), Prometheus metrics scraped while a load runs, and liveness apart from readiness."""

import json
import threading

import httpx
import pytest

from tests.servers import create_key, load_sample_prices, serving

TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observed")
    url = f"sqlite+aiosqlite:///{folder}/o.db"
    load_sample_prices(url, folder, assets=6)
    token = create_key(url, "alice")
    log = folder / "server.log"
    mp = pytest.MonkeyPatch()
    mp.setenv("PFOPT_TEST_SERVER_LOG", str(log))
    try:
        with serving(url) as address:
            yield f"http://{address}", token, log
    finally:
        mp.undo()


def _lines(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_every_answer_has_a_request_id_and_one_json_log_line(served) -> None:
    base, token, log = served
    key = {"authorization": f"Bearer {token}"}
    mine = httpx.post(
        f"{base}/api/optimize/portfolio",
        json={"tickers": TICKERS},
        headers={**key, "x-request-id": "trace-42"},
        timeout=60,
    )
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "trace-42"
    run_id = mine.json()["optimization_id"]
    fresh = httpx.get(f"{base}/api/optimizations/{run_id}", headers=key, timeout=30)
    generated = fresh.headers["x-request-id"]
    assert len(generated) == 32 and generated != "trace-42"
    forged = httpx.get(f"{base}/health", headers={"x-request-id": "a\tb" * 50}, timeout=30)
    assert len(forged.headers["x-request-id"]) == 32  # not echoed: not a sane token
    refused = httpx.get(f"{base}/api/portfolios", timeout=30)
    assert refused.status_code == 401 and refused.headers["x-request-id"]

    lines = {
        line.get("request_id"): line for line in _lines(log) if line["logger"] == "pfopt.access"
    }
    solve = lines["trace-42"]
    assert solve["owner"] == "alice" and solve["status"] == 200
    assert solve["route"] == "/api/optimize/portfolio" and solve["method"] == "POST"
    assert solve["solver"] == "critical_line" and solve["duration_ms"] > 0
    read = lines[generated]
    assert read["route"] == "/api/optimizations/{optimization_id}"  # the template, not the id
    assert run_id not in json.dumps(read)
    denied = lines[refused.headers["x-request-id"]]
    assert denied["status"] == 401 and denied["code"] == "unauthorized" and "owner" not in denied
    assert token not in log.read_text()
    assert token.split("_", 2)[2] not in log.read_text()  # the secret (it may hold "_")


def _samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics_are_scraped_during_a_load_run(served) -> None:
    base, token, _ = served
    key = {"authorization": f"Bearer {token}"}
    stop = threading.Event()
    statuses: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=base, headers=key, timeout=60) as client:
            while not stop.is_set():
                statuses.append(
                    client.post("/api/optimize/portfolio", json={"tickers": TICKERS}).status_code
                )
                statuses.append(
                    client.post(
                        "/api/optimize/portfolio", json={"tickers": ["NOPE", "TEC01"]}
                    ).status_code
                )

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    scrapes = []
    try:
        while len(statuses) < 80:
            scrapes.append(httpx.get(f"{base}/metrics", timeout=30))
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert all(s.status_code == 200 for s in scrapes)
    assert set(statuses) <= {200, 404, 422, 429, 503}, set(statuses)
    last = _samples(httpx.get(f"{base}/metrics", timeout=30).text)
    route = 'route="/api/optimize/portfolio"'
    ok = f'pfopt_http_request_duration_seconds_count{{method="POST",{route},status="200"}}'
    assert last[ok] >= statuses.count(200)
    assert last[
        'pfopt_solve_duration_seconds_count{kind="single",solver="critical_line"}'
    ] >= statuses.count(200)
    errors = {k: v for k, v in last.items() if k.startswith("pfopt_http_errors_total")}
    assert sum(errors.values()) >= statuses.count(404) + statuses.count(422)
    for series in (
        'pfopt_solve_queue_depth{lane="light"}',
        'pfopt_solves_running{lane="large"}',
        'pfopt_solves_admitted{lane="light"}',
        'pfopt_db_pool_connections{state="in_use"}',
        "pfopt_frontier_jobs_running",
    ):
        assert series in last, series
    # Some scrape saw the load: solves running or waiting at that moment.
    busy = [_samples(s.text).get('pfopt_solves_admitted{lane="light"}', 0) for s in scrapes]
    assert max(busy) >= 1, busy


def test_liveness_and_readiness_are_apart(served) -> None:
    base, _, _ = served
    assert httpx.get(f"{base}/health/live", timeout=10).json() == {
        "status": "ok",
        "database": "not checked",
    }
    assert httpx.get(f"{base}/health/ready", timeout=10).json() == {
        "status": "ok",
        "database": "ok",
    }
