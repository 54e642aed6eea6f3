"""Mistakes a new user makes, answered with an error or a warning that says what went wrong:
percent typed for a decimal, a target below the minimum-variance return, ragged arrays, a
frontier request that cannot run (refused before a job starts)."""

import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.storage import fresh_database


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("mistakes")
    url = fresh_database("sqlite", folder)
    prices = folder / "p.csv"
    assert main(["sample-data", "-o", str(prices), "--assets", "5", "--days", "500"]) == 0
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    return url, prices


@pytest.fixture
def client(store):
    container = Container()
    container.config.database_url.from_value(store[0])
    with TestClient(app=create_app(container)) as test_client:
        yield test_client


TICKERS = ["TEC01", "FIN02", "HEA03", "ENE04"]


def _two(**arrays) -> dict:
    """An inline universe of two assets with the given risk-model arrays."""
    return {"tickers": ["A", "B"], "expected_returns": [0.1, 0.2], **arrays}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--max-weight", "25"],
            "max_weight is 25, above 1: weights are decimals (0.25 means 25 %)",
        ),
        (["--min-weight", "5"], "min_weight is 5, above 1: weights are decimals"),
        (["--bound", "TEC01=0:30"], "bounds[TEC01] is 30, above 1: weights are decimals"),
        (
            ["--risk-free", "4"],
            "risk_free_rate is 4, above 1: rates are decimals (0.04 means 4 %/yr)",
        ),
        (
            ["--objective", "min-variance", "--risk-free", "4"],
            "risk_free_rate is 4, above 1: rates are decimals",
        ),
    ],
)
def test_cli_percent_for_decimal_is_an_error(store, capsys, args, message) -> None:
    capsys.readouterr()
    code = main(["optimize", str(store[1]), *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_cli_frontier_rate_in_percent_is_an_error(store, capsys) -> None:
    capsys.readouterr()
    assert main(["frontier", str(store[1]), "--risk-free", "4"]) == 2
    assert "rates are decimals" in capsys.readouterr().err


def test_shorts_may_exceed_one(store, capsys) -> None:
    """A weight above 1 is a real position when shorts are allowed (130/30 and the like)."""
    capsys.readouterr()
    args = ["optimize", str(store[1]), "--allow-short", "--max-weight", "1.3", "--json"]
    assert main(args) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"


def test_cli_target_below_the_minimum_variance_return_warns(store, capsys) -> None:
    capsys.readouterr()
    args = ["optimize", str(store[1]), "--objective", "target-return", "--target", "-0.05"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    floor = main(["optimize", str(store[1]), "--objective", "min-variance", "--json"])
    assert floor == 0
    lowest = json.loads(capsys.readouterr().out)
    assert doc["weights"] == pytest.approx(lowest["weights"], abs=1e-12)
    assert any(
        "target return -0.05 (-5 %) is below the minimum-variance" in w for w in doc["warnings"]
    )
    assert main(args) == 0
    assert (
        "warning: target return -0.05 (-5 %) is below the minimum-variance"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("path", "body", "field", "detail"),
    [
        (
            "/api/optimize/portfolio",
            {"tickers": TICKERS, "constraints": {"max_weight": 25}},
            "max_weight",
            "max_weight is 25, above 1: weights are decimals (0.25 means 25 %)",
        ),
        (
            "/api/optimize/portfolio",
            {"tickers": TICKERS, "objective": {"kind": "max_sharpe", "risk_free_rate": 4}},
            "risk_free_rate",
            "risk_free_rate is 4, above 1: rates are decimals",
        ),
        (
            "/api/optimize/efficient-frontier",
            {"tickers": TICKERS, "risk_free_rate": 4},
            "risk_free_rate",
            "rates are decimals (0.04 means 4 %/yr)",
        ),
        (
            "/api/optimize/efficient-frontier",
            {"tickers": TICKERS, "points": 500},
            "points",
            "points must be between 2 and 200, got 500",
        ),
        (
            "/api/portfolios",
            {"name": "p", "tickers": TICKERS, "constraints": {"sector_limits": {"X": [0, 40]}}},
            "sector_limits",
            "sector_limits[X] is 40, above 1",
        ),
        (
            "/api/optimize/portfolio",
            {"inline": _two(covariance=[[1, 2], [3]])},
            "covariance",
            "covariance must be a matrix (equal-length rows of numbers)",
        ),
        (
            "/api/optimize/portfolio",
            {
                "inline": _two(
                    loadings=[[1.0], [0.5, 2.0]],
                    factor_covariance=[[0.1]],
                    specific_variance=[0.1, 0.1],
                )
            },
            "loadings",
            "loadings must be a matrix",
        ),
        (
            "/api/risk/attribution",
            {
                "weights": {"A": 0.5, "B": 0.5},
                "inline": _two(covariance=[[1, 0], [0]]),
            },
            "covariance",
            "covariance must be a matrix",
        ),
    ],
)
def test_http_mistakes_are_4xx_naming_the_field(client, path, body, field, detail) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert detail in r.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/optimize/portfolio", "/api/optimize/efficient-frontier", "/api/risk/attribution"]
)
def test_an_inline_correlation_above_one_is_refused_naming_the_pair(client, path) -> None:
    inline = {
        "tickers": ["A", "B", "C"],
        "expected_returns": [0.1, 0.2, 0.15],
        "covariance": [[0.04, 0.01, 0.0], [0.01, 0.09, 0.07], [0.0, 0.07, 0.04]],
    }
    body = {"inline": inline} | ({"weights": {"A": 0.5, "B": 0.5}} if "risk" in path else {})
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["field"] == "inline.covariance"
    assert problem["detail"].startswith(
        "inline covariance: the correlation of B and C is 1.16667, above 1 (covariance 0.07, "
        'variances 0.09 and 0.04); fix the matrix, or send "repair": true'
    )
    inline["repair"] = True  # the caller asks: nearest PSD matrix, and the result says so
    r = client.post(path, json=body | {"inline": inline})
    assert r.status_code in (200, 202), r.text
    if path == "/api/optimize/portfolio":
        assert any("not positive semi-definite" in w for w in r.json()["warnings"])


def test_http_target_below_the_minimum_variance_return_warns(client) -> None:
    body = {"tickers": TICKERS, "objective": {"kind": "target_return", "target_return": -0.5}}
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 200, r.text
    assert any("below the minimum-variance" in w for w in r.json()["warnings"])


def test_http_estimation_takes_every_setting(client) -> None:
    base = {"tickers": TICKERS, "objective": {"kind": "max_sharpe"}}
    plain = client.post("/api/optimize/portfolio", json=base).json()
    ema = {**base, "estimation": {"returns": "ema", "ema_span": 20}}
    short = client.post("/api/optimize/portfolio", json=ema).json()
    longer = {**base, "estimation": {"returns": "ema", "ema_span": 400}}
    assert (
        short["expected_return"]
        != client.post("/api/optimize/portfolio", json=longer).json()["expected_return"]
    )
    assert short["weights"] != plain["weights"]
    too_few = {**base, "estimation": {"min_observations": 10_000}}
    r = client.post("/api/optimize/portfolio", json=too_few)
    assert r.status_code == 422
    assert "return observation(s) in the common window" in r.json()["detail"]


INLINE = {
    "tickers": ["A", "B", "C"],
    "expected_returns": [0.05, 0.08, 0.11],
    "covariance": [[0.04, 0.006, 0.004], [0.006, 0.09, 0.01], [0.004, 0.01, 0.16]],
}


def test_frontier_on_the_callers_own_model(client) -> None:
    """The frontier takes ``inline`` exactly as optimize does, at once and as a job."""
    body = {"inline": INLINE, "points": 5, "constraints": {"max_weight": 0.6}}
    r = client.post("/api/optimize/efficient-frontier?wait=true", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()["result"]
    assert doc["window"] is None
    assert len(doc["points"]) == 5
    assert all(max(p["weights"].values()) <= 0.6 + 1e-12 for p in doc["points"])
    assert doc["max_sharpe"]["weights"] is not None
    single = client.post(
        "/api/optimize/portfolio",
        json={
            "inline": INLINE,
            "constraints": {"max_weight": 0.6},
            "objective": {"kind": "max_sharpe"},
        },
    ).json()
    assert doc["max_sharpe"]["weights"] == pytest.approx(single["weights"], abs=1e-10)
    job = client.post("/api/optimize/efficient-frontier", json=body)
    assert job.status_code == 202, job.text
    with client.websocket_connect(job.json()["ws_url"]) as socket:
        while socket.receive_json().get("status") not in ("done", "failed", "cancelled"):
            pass
    status = client.get(job.json()["status_url"]).json()
    assert status["status"] == "done"
    assert len(status["result"]["points"]) == 5
    chart = client.get(f"/api/optimizations/{status['optimization_id']}/charts/frontier.svg")
    assert chart.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inline": INLINE, "points": 500}, "points"),
        ({"inline": {**INLINE, "covariance": [[1, 2], [3]]}}, "covariance"),
        ({"inline": INLINE, "constraints": {"bounds": {"Z": [0, 0.5]}}}, "bounds"),
        ({"inline": INLINE, "tickers": ["A", "B"]}, "portfolio_id"),
        ({"inline": INLINE, "constraints": {"min_weight": 0.5, "max_weight": 0.2}}, "min_weight"),
    ],
)
def test_frontier_requests_are_checked_before_a_job_starts(client, body, field) -> None:
    r = client.post("/api/optimize/efficient-frontier", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
