"""Rebalancing through the interfaces a user touches: ``pfopt optimize --holdings ...`` and
``POST /api/optimize/portfolio`` with ``rebalance``; the trades and what they cost, the run's
holdings kept in history, and every bad input a one-line error naming the field."""

import json

import pytest

from tests.e2e.runs import Market, cli_error, http_client, make_market


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Market:
    return make_market(tmp_path_factory.mktemp("rebalance"), assets=6, days=500, seed=4)


@pytest.fixture(scope="module")
def client(market: Market):
    with http_client(market.url) as test_client:
        yield test_client


def _equal(market: Market) -> dict[str, float]:
    return {t: 1 / len(market.tickers) for t in market.tickers}


def test_http_rebalance_reports_trades_costs_and_tracking(client, market) -> None:
    held = _equal(market)
    body = {
        "tickers": list(market.tickers),
        "constraints": {"max_weight": 0.5},
        "rebalance": {
            "holdings": held,
            "turnover": 0.1,
            "cost_bps": 10,
            "benchmark": held,
            "value": 1_000_000,
        },
    }
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    report = doc["rebalance"]
    assert report["turnover"] == pytest.approx(0.1, abs=1e-9)
    changes = {t["ticker"]: t["change"] for t in report["trades"]}
    for ticker, weight in doc["weights"].items():  # a change below 1e-10 is no trade
        assert weight == pytest.approx(held[ticker] + changes.get(ticker, 0.0), abs=1e-10)
    assert report["cost"] == pytest.approx(0.001 * sum(abs(c) for c in changes.values()))
    assert report["expected_return_net"] == pytest.approx(doc["expected_return"] - report["cost"])
    assert report["active_share"] == pytest.approx(0.1, abs=1e-9)  # from holdings = benchmark
    for trade in report["trades"]:
        assert trade["notional"] == pytest.approx(trade["change"] * 1_000_000)
        assert trade["side"] == ("buy" if trade["change"] > 0 else "sell")
    assert doc["solver"] in ("OSQP", "CLARABEL", "ECOS", "SCS")
    stored = client.get(f"/api/optimizations/{doc['optimization_id']}").json()
    assert stored["params"]["rebalance"]["holdings"] == held  # history keeps the start
    assert stored["results"]["rebalance"] == report


def test_http_objectives_from_holdings_and_a_benchmark(client, market) -> None:
    t = list(market.tickers)
    bench = {t[0]: 0.6, t[1]: 0.4}
    doc = client.post(
        "/api/optimize/portfolio",
        json={
            "tickers": t,
            "objective": {"kind": "min_tracking_error"},
            "rebalance": {"benchmark": bench},
        },
    ).json()
    assert doc["weights"][t[0]] == pytest.approx(0.6, abs=1e-6)
    assert doc["rebalance"]["tracking_error"] == pytest.approx(0.0, abs=1e-5)
    doc = client.post(
        "/api/optimize/portfolio",
        json={
            "tickers": t,
            "objective": {"kind": "min_turnover"},
            "constraints": {"max_weight": 0.4},
            "rebalance": {"holdings": {t[0]: 0.8}, "cash": 0.2},
        },
    ).json()
    assert doc["weights"][t[0]] == pytest.approx(0.4, abs=1e-8)
    assert doc["rebalance"]["turnover"] == pytest.approx(0.6, abs=1e-8)


@pytest.mark.parametrize(
    ("rebalance", "objective", "field", "detail"),
    [
        ({"holdings": {"NOPE": 1.0}}, None, "holdings", "ticker 'NOPE' is not in this run's"),
        ({"holdings": {"TEC01": 0.5}}, None, "holdings", "sum to 0.5 (50 %) and cash 0"),
        ({"holdings": {"TEC01": -0.2, "FIN02": 1.2}}, None, "holdings", "held short"),
        ({"turnover": 10}, None, "turnover", "above 1: it is a decimal"),
        ({"max_tracking_error": 0.02}, None, "benchmark", "needs a benchmark"),
        ({"benchmark": {"TEC01": 0.4}}, None, "benchmark", "weights sum to 0.4"),
        ({"cost_bps": -3}, None, "cost_bps", "costs are basis points"),
        (None, "min_tracking_error", "benchmark", "min_tracking_error needs a benchmark"),
        (None, "min_turnover", "holdings", "min_turnover needs the holdings"),
        (
            {"holdings": {"TEC01": 0.9}, "cash": 0.1, "turnover": 0.05},
            None,
            "turnover",
            "turnover cap 0.05 (5 %) is below the least turnover",
        ),
        ({"turnover": 0.1, "colour": 1}, None, "rebalance", "colour"),
    ],
)
def test_http_bad_rebalance_is_a_4xx_naming_the_field(
    client, market, rebalance, objective, field, detail
) -> None:
    body: dict = {"tickers": list(market.tickers), "constraints": {"max_weight": 0.5}}
    if rebalance is not None:
        body["rebalance"] = rebalance
    if objective is not None:
        body["objective"] = {"kind": objective}
    before = len(client.get("/api/optimizations?limit=500").json())
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code in (400, 422), r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in (problem.get("field") or ""), problem
    assert detail.lower() in problem["detail"].lower(), problem
    assert len(client.get("/api/optimizations?limit=500").json()) == before  # nothing stored


def test_cli_rebalance_table_and_json(market, tmp_path) -> None:
    holdings = tmp_path / "holdings.csv"
    t = market.tickers
    holdings.write_text(f"ticker,weight\n{t[0]},0.4\n{t[1]},0.4\nCASH,0.2\n")
    args = ["optimize", str(market.prices), "--max-weight", "0.5", "--holdings", str(holdings)]
    args += ["--turnover", "0.3", "--cost-bps", "10", "--value", "250000"]
    code, out, err = market.cli(*args)
    assert code == 0, err
    assert "Rebalance (max sharpe)" in out
    header = next(line for line in out.splitlines() if "Current" in line)
    for column in ("Ticker", "Current", "Target", "Trade", "Side", "Cost", "Notional"):
        assert column in header
    assert "Cash 20.00 % invested" in out
    assert "Turnover 30.00 %" in out and "expected return net of costs" in out
    doc = market.cli_json(*args)
    assert doc["rebalance"]["turnover"] == pytest.approx(0.3, abs=1e-9)
    assert doc["rebalance"]["cash_from"] == 0.2
    shown = json.loads(json.dumps(doc["rebalance"]["trades"]))
    assert all(trade["notional"] == pytest.approx(trade["change"] * 250000) for trade in shown)
    inline = market.cli_json(
        "optimize",
        str(market.prices),
        "--holdings",
        f"{t[0]}=0.5,{t[1]}=0.5",
        "--benchmark",
        f"{t[0]}=0.5,{t[1]}=0.5",
        "--max-te",
        "0.05",
    )
    assert inline["rebalance"]["tracking_error"] <= 0.05 + 1e-9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--holdings", "NOPE=1"], "holdings: ticker 'NOPE' is not in this run's assets"),
        (["--holdings", "TEC01=x"], "expected TICKER=NUMBER"),
        (["--holdings", "missing.csv"], "'missing.csv': no such file"),
        (["--cash", "0.2"], "--cash needs --holdings"),
        (["--holdings", "TEC01=0.5"], "sum to 0.5 (50 %) and cash 0 (0 %), not 1"),
        (["--turnover", "15"], "turnover is 15, above 1: it is a decimal"),
        (["--max-te", "0.02"], "max_tracking_error needs a benchmark"),
        (["--cost-bps", "A=x"], "expected TICKER=NUMBER, e.g. AAPL=5,MSFT=20"),
        (["--objective", "min-tracking-error"], "min_tracking_error needs a benchmark"),
        (["--objective", "min-turnover"], "min_turnover needs the holdings"),
    ],
)
def test_cli_bad_rebalance_exits_2_in_one_line(market, args, message) -> None:
    assert message in cli_error("optimize", str(market.prices), "--no-save", *args)
