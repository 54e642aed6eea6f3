"""Risk budgeting through the CLI and HTTP: the run's risk attribution gives every asset its
budget's share of the risk, and the errors name the field."""

import pytest

from tests.e2e.runs import Market, cli_error, http_client, make_market


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("riskbudget"), assets=5, days=500, seed=6)


def test_http_risk_budget_and_its_attribution(market) -> None:
    t = list(market.tickers)
    budgets = dict(zip(t, [0.4, 0.3, 0.1, 0.1, 0.1], strict=True))
    with http_client(market.url) as client:
        r = client.post(
            "/api/optimize/portfolio",
            json={"tickers": t, "objective": {"kind": "risk_budget", "budgets": budgets}},
        )
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["solver"] == "newton_risk_budget"
        report = client.post(
            "/api/risk/attribution", json={"optimization_id": doc["optimization_id"]}
        ).json()
        for ticker, budget in budgets.items():
            # shares of volatility (Euler) equal shares of variance
            assert report["assets"][ticker]["percent"] == pytest.approx(budget, abs=1e-9)
        equal = client.post(
            "/api/optimize/portfolio", json={"tickers": t, "objective": {"kind": "risk_budget"}}
        ).json()
        assert len(equal["weights"]) == 5
        for body, field in [
            ({"kind": "risk_budget", "budgets": {t[0]: 1.0}}, "budgets"),
            ({"kind": "risk_budget", "budgets": dict.fromkeys(t, 20)}, "budgets"),
        ]:
            bad = client.post("/api/optimize/portfolio", json={"tickers": t, "objective": body})
            assert bad.status_code == 422 and bad.json()["field"] == field, bad.text
        capped = client.post(
            "/api/optimize/portfolio",
            json={
                "tickers": t,
                "objective": {"kind": "risk_budget"},
                "constraints": {"max_weight": 0.21},
            },
        )
        assert capped.status_code == 422 and "above its cap" in capped.json()["detail"]


def test_cli_risk_budget(market, tmp_path) -> None:
    t = market.tickers
    file = tmp_path / "budgets.csv"
    file.write_text("ticker,budget\n" + "".join(f"{x},0.2\n" for x in t))
    doc = market.cli_json(
        "optimize", str(market.prices), "--objective", "risk-budget", "--budgets", str(file)
    )
    assert doc["objective"] == "risk_budget" and doc["solver"] == "newton_risk_budget"
    risk = market.cli_json("risk", str(market.prices), "--optimization", doc["optimization_id"])
    assert all(a["percent"] == pytest.approx(0.2, abs=1e-9) for a in risk["assets"].values())
    assert "--budgets applies only to --objective risk-budget" in cli_error(
        "optimize", str(market.prices), "--no-save", "--budgets", f"{t[0]}=1"
    )
    assert "budgets sum to 2, not 1" in cli_error(
        "optimize",
        str(market.prices),
        "--no-save",
        "--objective",
        "risk-budget",
        "--budgets",
        ",".join(f"{x}=0.4" for x in t),
    )


def test_hrp_over_http_and_the_cli(market) -> None:
    t = list(market.tickers)
    with http_client(market.url) as client:
        doc = client.post(
            "/api/optimize/portfolio",
            json={"tickers": t, "objective": {"kind": "hrp", "linkage": "average"}},
        ).json()
        assert doc["solver"] == "hrp_average" and doc["objective"] == "hrp"
        assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-12)
        stored = client.get(f"/api/optimizations/{doc['optimization_id']}").json()
        assert stored["params"]["objective"] == {
            "kind": "hrp",
            "risk_free_rate": 0.0,
            "linkage": "average",
        }
        bad = client.post(
            "/api/optimize/portfolio",
            json={"tickers": t, "objective": {"kind": "hrp", "linkage": "fastest"}},
        )
        assert bad.status_code in (400, 422) and "linkage" in bad.text
    cli = market.cli_json(
        "optimize", str(market.prices), "--no-save", "--objective", "hrp", "--linkage", "average"
    )
    assert cli["weights"] == pytest.approx(doc["weights"], abs=1e-12)
    assert "--linkage applies only to --objective hrp" in cli_error(
        "optimize", str(market.prices), "--no-save", "--linkage", "ward"
    )
