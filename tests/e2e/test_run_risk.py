"""A stored run's portfolio is attributed on the run's own model: every one of its tickers,
zero weights included, over its window with its estimation methods, so the attribution's
volatility is the one the run reported (the page's risk panel and the summary agree)."""

import pytest

from tests.e2e.runs import Market, cli_error, http_client, make_market


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("runrisk"), assets=8, days=500, seed=9)


@pytest.fixture(scope="module")
def client(market: Market):
    with http_client(market.url) as test_client:
        yield test_client


def _risk(client, **body) -> dict:
    r = client.post("/api/risk/attribution", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_frontier_point_is_attributed_with_the_runs_volatility(client, market) -> None:
    body = {
        "tickers": list(market.tickers),
        "points": 5,
        "start": "2019-03-01",
        "estimation": {"covariance": "oas"},
        "constraints": {"max_weight": 0.6},
    }
    done = client.post("/api/optimize/efficient-frontier?wait=true", json=body).json()
    run_id, result = done["optimization_id"], done["result"]
    chosen = [(i, p) for i, p in enumerate(result["points"])]
    chosen += [("max_sharpe", result["max_sharpe"]), ("min_variance", result["min_variance"])]
    assert any(w == 0 for w in result["max_sharpe"]["weights"].values())
    for point, doc in chosen:
        report = _risk(client, optimization_id=run_id, point=point)
        assert report["volatility"] == pytest.approx(doc["volatility"], rel=1e-10, abs=1e-12)
        assert set(report["assets"]) == set(doc["weights"])  # zeros are part of the model
        shares = sum(a["percent"] for a in report["assets"].values())
        assert shares == pytest.approx(1.0, abs=1e-9)
    # re-estimating on the non-zero holdings alone (what the page used to do) differs
    held = {t: w for t, w in result["max_sharpe"]["weights"].items() if w > 0}
    alone = _risk(client, weights=held, estimation={"covariance": "oas"}, start="2019-03-01")
    assert alone["volatility"] != pytest.approx(result["max_sharpe"]["volatility"], rel=1e-10)


def test_a_single_run_is_attributed_on_its_own_model(client, market) -> None:
    body = {
        "tickers": list(market.tickers[:5]),
        "objective": {"kind": "min_variance"},
        "estimation": {"covariance": "sample"},
        "end": "2020-06-30",
    }
    doc = client.post("/api/optimize/portfolio", json=body).json()
    report = _risk(client, optimization_id=doc["optimization_id"])
    assert report["volatility"] == pytest.approx(doc["volatility"], rel=1e-10)
    assert report["window"]["end"] <= "2020-06-30"


def test_run_attribution_errors_name_the_field(client, market) -> None:
    frontier = client.post(
        "/api/optimize/efficient-frontier?wait=true",
        json={"tickers": list(market.tickers[:3]), "points": 3},
    ).json()["optimization_id"]
    single = market.optimize_file()["optimization_id"]  # a CLI run on the file
    for body, field, detail in [
        ({"optimization_id": frontier}, "point", "a frontier run has many portfolios"),
        ({"optimization_id": frontier, "point": 9}, "point", "point 9 is past the run's 3"),
        ({"optimization_id": frontier, "point": "best"}, "point", "Invalid enum value 'best'"),
        ({"weights": {"TEC01": 1.0}, "point": 1}, "point", "point needs optimization_id"),
        (
            {"optimization_id": single},
            "optimization_id",
            "needs its prices in the store; this run used the file prices.csv",
        ),
    ]:
        r = client.post("/api/risk/attribution", json=body)
        assert r.status_code in (400, 422), r.text
        assert r.json()["field"] == field
        assert detail in r.json()["detail"]


def test_cli_risk_of_a_run_uses_the_runs_own_model(market) -> None:
    """``pfopt risk --optimization ID`` agrees with the run as the HTTP attribution does:
    a store run, a frontier point, a file run given its file again."""
    tickers = ",".join(market.tickers)
    single = market.optimize_stored("--covariance", "oas", "--end", "2020-06-30")
    report = market.cli_json("risk", "--optimization", single["optimization_id"])
    assert report["volatility"] == pytest.approx(single["volatility"], rel=1e-10)
    assert report["window"] == single["window"]
    # a typed estimation option overrides the run's own
    other = market.cli_json(
        "risk", "--optimization", single["optimization_id"], "--covariance", "sample"
    )
    assert other["volatility"] != pytest.approx(single["volatility"], rel=1e-6)

    frontier = market.cli_json(
        "frontier", "--tickers", tickers, "--points", "4", "--max-weight", "0.6"
    )
    run_id = frontier["optimization_id"]
    for point, doc in [("max_sharpe", frontier["max_sharpe"]), ("2", frontier["points"][2])]:
        report = market.cli_json("risk", "--optimization", run_id, "--point", point)
        assert report["volatility"] == pytest.approx(doc["volatility"], rel=1e-10)
        assert set(report["assets"]) == set(doc["weights"])

    on_file = market.optimize_file("--covariance", "sample")
    again = market.cli_json(
        "risk", str(market.prices), "--optimization", on_file["optimization_id"]
    )
    assert again["volatility"] == pytest.approx(on_file["volatility"], rel=1e-10)


def test_cli_risk_of_a_run_errors_are_one_line(market) -> None:
    frontier = market.cli_json("frontier", "--tickers", ",".join(market.tickers), "--points", "3")
    run_id = frontier["optimization_id"]
    on_file = market.optimize_file()["optimization_id"]
    url = ("--database-url", market.url)
    for args, message in [
        (["--optimization", run_id], "a frontier run has many portfolios: give point"),
        (["--optimization", run_id, "--point", "7"], "point 7 is past the run's 3 points"),
        (["--optimization", run_id, "--point", "best"], "'best': give a point index"),
        (["--weights", "TEC01=1", "--point", "1"], "--point needs --optimization"),
        (["--optimization", on_file], "read its prices from the file prices.csv: pass it"),
    ]:
        assert message in cli_error(*url, "risk", *args), args
