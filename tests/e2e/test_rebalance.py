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
    assert doc["solver"] in ("daqp", "OSQP", "CLARABEL", "ECOS", "SCS")  # turnover: not the engine
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


def test_http_shares_held_and_whole_shares_to_trade(client, market) -> None:
    t = list(market.tickers)
    body = {
        "tickers": t,
        "constraints": {"max_weight": 0.5},
        "rebalance": {
            "shares": {t[0]: 100, t[1]: 40},
            "cash_amount": 2500.0,
            "whole_shares": True,
            "turnover": 0.6,
        },
    }
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    shares = doc["rebalance"]["shares"]
    assert shares["method"] == "milp" and shares["status"] == "optimal"
    rows = {row["ticker"]: row for row in shares["rows"]}
    assert rows[t[0]]["held"] == 100 and rows[t[1]]["held"] == 40
    worth = sum(row["held"] * row["price"] for row in rows.values())
    assert shares["value"] == pytest.approx(worth + 2500.0)  # valued at the last closes
    spent = sum(row["target"] * row["price"] for row in rows.values())
    assert spent + shares["leftover"] == pytest.approx(shares["value"])
    for row in rows.values():
        assert row["target"] == int(row["target"]) and row["trade"] == row["target"] - row["held"]
        assert row["notional"] == pytest.approx(row["trade"] * row["price"])
    assert doc["rebalance"]["cash_from"] == pytest.approx(2500.0 / shares["value"])
    assert 0 <= shares["tracking_error"] < 0.05 and shares["rmse"] < 0.05
    # an inline model has no prices of its own: they are given
    inline = {
        "inline": {
            "tickers": ["A", "B"],
            "expected_returns": [0.08, 0.05],
            "covariance": [[0.04, 0.01], [0.01, 0.02]],
        },
        "rebalance": {"whole_shares": True, "value": 1000, "prices": {"A": 33.0, "B": 7.5}},
    }
    doc = client.post("/api/optimize/portfolio", json=inline).json()
    assert doc["rebalance"]["shares"]["leftover"] < 33.0
    missing = client.post(
        "/api/optimize/portfolio",
        json={**inline, "rebalance": {"whole_shares": True, "value": 1000, "prices": {"A": 3}}},
    )
    assert missing.status_code == 422 and missing.json()["field"] == "prices"
    assert "no positive price for B" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("rebalance", "field", "detail"),
    [
        ({"shares": {"TEC01": 5}, "holdings": {"TEC01": 1.0}}, "shares", "not both"),
        ({"shares": {"TEC01": 5}, "cash": 0.1}, "cash", "give cash_amount"),
        ({"shares": {"TEC01": 5}, "value": 10}, "value", "give no value"),
        ({"whole_shares": True}, "value", "whole shares need the book's value"),
        ({"whole_shares": True, "value": 1000, "lot": 0}, "lot", "lot must be > 0"),
        ({"shares": {"TEC01": -5}}, "shares", "held short"),
        ({"cash_amount": 100}, "cash_amount", "goes with holdings in shares"),
        ({"prices": {"TEC01": -1}}, "prices", "prices must be > 0"),
        ({"shares": {"TEC01": 1e308}}, "shares", "value overflows"),
    ],
)
def test_http_bad_shares_name_the_field(client, market, rebalance, field, detail) -> None:
    body = {"tickers": list(market.tickers), "rebalance": rebalance}
    r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code in (400, 422), r.text
    assert r.json()["field"] == field and detail in r.json()["detail"], r.json()


def test_cli_shares_and_whole_shares(market, tmp_path) -> None:
    t = market.tickers
    held = tmp_path / "shares.csv"
    held.write_text(f"ticker,shares\n{t[0]},50\n{t[2]},20\nCASH,1000\n")
    code, out, err = market.cli(
        "optimize", str(market.prices), "--no-save", "--shares", str(held), "--whole-shares"
    )
    assert code == 0, err
    assert "Whole shares (milp, optimal) for" in out
    header = next(line for line in out.splitlines() if "Held" in line)
    for column in ("Price", "Held", "Target", "Weight", "Trade", "Notional"):
        assert column in header
    assert "allocation error (RMSE)" in out and "Cash left" in out
    doc = market.cli_json(
        "optimize",
        str(market.prices),
        "--no-save",
        "--whole-shares",
        "--value",
        "5000",
        "--allocation",
        "greedy",
        "--lot",
        "0.5",
    )
    shares = doc["rebalance"]["shares"]
    assert shares["method"] == "greedy" and shares["value"] == 5000
    assert all((row["target"] * 2) == int(row["target"] * 2) for row in shares["rows"])
    for args, message in [
        (["--whole-shares"], "whole shares need the book's value"),
        (["--shares", f"{t[0]}=x"], "expected TICKER=NUMBER, e.g. AAPL=10,MSFT=5"),
        (["--shares", str(held), "--cash-amount", "5"], "cash is given twice"),
        (["--lot", "A=x", "--whole-shares", "--value", "9"], "expected TICKER=NUMBER"),
    ]:
        assert message in cli_error("optimize", str(market.prices), "--no-save", *args), args


def test_position_rules_over_http_and_cli(client, market) -> None:
    t = list(market.tickers)
    body = {
        "tickers": t,
        "rebalance": {"max_names": 3, "min_position": 0.2},
        "constraints": {"max_weight": 0.6},
    }
    doc = client.post("/api/optimize/portfolio", json=body).json()
    held = [w for w in doc["weights"].values() if w > 0]
    assert len(held) <= 3 and min(held) >= 0.2 - 1e-9
    assert doc["rebalance"]["names"] == len(held) and doc["rebalance"]["mip_gap"] == 0.0
    assert doc["solver"].startswith("SCIP, then ")
    bad = client.post(
        "/api/optimize/portfolio", json={"tickers": t, "rebalance": {"max_names": 99}}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "max_names"
    code, out, err = market.cli(
        "optimize", str(market.prices), "--no-save", "--max-names", "2", "--max-weight", "0.6"
    )
    assert code == 0, err
    assert "2 names (MIP gap" in out
    assert "max_names 2: the 2 largest weight caps sum to 0.5 (50 %)" in cli_error(
        "optimize", str(market.prices), "--no-save", "--max-names", "2", "--max-weight", "0.25"
    )


def test_a_saved_portfolio_keeps_holdings_its_runs_rebalance_from(client, market) -> None:
    t = list(market.tickers)
    held = {t[0]: 0.5, t[1]: 0.3}
    saved = client.post(
        "/api/portfolios",
        json={"name": "book", "tickers": t, "holdings": held, "constraints": {"max_weight": 0.5}},
    )
    assert saved.status_code == 201, saved.text
    doc = saved.json()
    assert doc["holdings"] == held
    again = client.put(f"/api/portfolios/{doc['id']}", json=doc)  # a GET document goes back
    assert again.status_code == 200 and again.json()["holdings"] == held
    run = client.post(
        "/api/optimize/portfolio",
        json={"portfolio_id": doc["id"], "rebalance": {"turnover": 0.2}},
    ).json()
    assert run["rebalance"]["cash_from"] == pytest.approx(0.2)
    assert run["rebalance"]["turnover"] <= 0.2 + 1e-9
    stored = client.get(f"/api/optimizations/{run['optimization_id']}").json()
    assert stored["params"]["rebalance"]["holdings"] == held  # the start is kept
    plain = client.post("/api/optimize/portfolio", json={"portfolio_id": doc["id"]}).json()
    assert plain["rebalance"]["cash_from"] == pytest.approx(0.2)  # trades listed from them
    over = client.post(
        "/api/portfolios", json={"name": "over", "tickers": t, "holdings": {t[0]: 60, t[1]: 40}}
    )
    assert over.status_code == 422 and over.json()["field"] == "holdings"
    assert "decimals of the book" in over.json()["detail"]


def test_cli_portfolio_holdings(market, tmp_path) -> None:
    t = market.tickers
    code, out, err = market.cli(
        "portfolios",
        "create",
        "cli-book",
        "--tickers",
        ",".join(t[:4]),
        "--holdings",
        f"{t[0]}=0.6,{t[1]}=0.4",
    )
    assert code == 0, err
    code, out, _ = market.cli("portfolios", "show", "cli-book")
    assert "Held" in out and "60.00 %" in out and "Cash 0.00 %" in out
    doc = market.cli_json("optimize", "--portfolio", "cli-book", "--turnover", "0.1")
    assert doc["rebalance"]["turnover"] <= 0.1 + 1e-9
    assert market.cli("portfolios", "update", "cli-book", "--clear-holdings")[0] == 0
    assert market.cli_json("portfolios", "show", "cli-book")["holdings"] == {}
    assert "'ZZZ' is not one of the portfolio's tickers" in cli_error(
        "--database-url", market.url, "portfolios", "update", "cli-book", "--holdings", "ZZZ=1"
    )


def test_the_trades_as_csv_from_the_cli_and_history(client, market, tmp_path) -> None:
    import csv

    t = market.tickers
    out = tmp_path / "trades.csv"
    doc = market.cli_json(
        "optimize",
        str(market.prices),
        "--holdings",
        f"{t[0]}=0.5,{t[1]}=0.5",
        "--whole-shares",
        "--value",
        "20000",
        "--trades-csv",
        str(out),
    )
    rows = {row["ticker"]: row for row in csv.DictReader(out.open())}
    for trade in doc["rebalance"]["trades"]:
        row = rows[trade["ticker"]]
        assert float(row["change"]) == trade["change"] and row["side"] == trade["side"]
    for share in doc["rebalance"]["shares"]["rows"]:
        assert float(rows[share["ticker"]]["target_shares"]) == share["target"]
    stored = client.get(f"/api/optimizations/{doc['optimization_id']}?format=trades")
    assert stored.status_code == 200 and stored.headers["content-type"].startswith("text/csv")
    assert stored.text == out.read_text()
    plain = market.optimize_file()["optimization_id"]
    none = client.get(f"/api/optimizations/{plain}?format=trades")
    assert none.status_code in (400, 422) and none.json()["field"] == "format"
    assert "--trades-csv needs holdings" in cli_error(
        "optimize", str(market.prices), "--no-save", "--trades-csv", str(out)
    )


def test_a_rebalance_has_a_trades_chart_over_http_and_the_cli(client, market, tmp_path) -> None:
    t = market.tickers
    doc = client.post(
        "/api/optimize/portfolio",
        json={"tickers": list(t), "rebalance": {"holdings": {t[0]: 1.0}, "turnover": 0.4}},
    ).json()
    png = client.get(f"/api/optimizations/{doc['optimization_id']}/charts/trades.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    plain = client.post("/api/optimize/portfolio", json={"tickers": list(t)}).json()
    none = client.get(f"/api/optimizations/{plain['optimization_id']}/charts/trades.png")
    assert none.status_code == 404 and "no trades chart" in none.json()["detail"]
    folder = tmp_path / "charts"
    code, _, err = market.cli(
        "optimize",
        str(market.prices),
        "--no-save",
        "--holdings",
        f"{t[0]}=1",
        "--charts",
        str(folder),
    )
    assert code == 0, err
    assert (folder / "trades.png").read_bytes().startswith(b"\x89PNG")


def test_an_index_ticker_as_the_benchmark(client, market) -> None:
    """The index is estimated beside the assets (its covariance with them is what the
    tracking error needs) and never held: the result lists only the run's assets."""
    t = list(market.tickers)
    assets, index = t[:4], t[5]
    body = {"tickers": assets, "objective": {"kind": "min_tracking_error"}}
    doc = client.post("/api/optimize/portfolio", json={**body, "rebalance": {"index": index}})
    assert doc.status_code == 200, doc.text
    doc = doc.json()
    assert set(doc["weights"]) == set(assets)
    te = doc["rebalance"]["tracking_error"]
    # the same from a dense model: a run on all five with the index's weight fixed at 0
    both = client.post(
        "/api/optimize/portfolio",
        json={
            "tickers": [*assets, index],
            "objective": {"kind": "min_tracking_error"},
            "constraints": {"bounds": {index: [0, 0]}},
            "rebalance": {"benchmark": {index: 1.0}},
        },
    ).json()
    assert te == pytest.approx(both["rebalance"]["tracking_error"], rel=1e-7)
    for ticker in assets:
        assert doc["weights"][ticker] == pytest.approx(both["weights"][ticker], abs=1e-6)
    capped = client.post(
        "/api/optimize/portfolio",
        json={"tickers": assets, "rebalance": {"index": index, "max_tracking_error": te * 1.5}},
    ).json()
    assert capped["rebalance"]["tracking_error"] <= te * 1.5 + 1e-9
    for rebalance, field, detail in [
        ({"index": "NOPE"}, "index", "index NOPE:"),
        ({"index": index, "benchmark": {t[0]: 1.0}}, "index", "not both"),
        ({"index": index, "max_tracking_error": te / 2}, "max_tracking_error", "the least"),
    ]:
        r = client.post("/api/optimize/portfolio", json={"tickers": assets, "rebalance": rebalance})
        assert r.status_code in (400, 422) and r.json()["field"] == field, r.text
        assert detail in r.json()["detail"]
    code, out, err = market.cli(
        "optimize",
        str(market.prices),
        "--tickers",
        ",".join(assets),
        "--index",
        index,
        "--objective",
        "min-tracking-error",
        "--no-save",
    )
    assert code == 0, err
    assert f"tracking error {te * 100:.2f} %/yr" in out


def test_min_turnover_starts_from_shares_too(client, market) -> None:
    t = list(market.tickers)
    doc = client.post(
        "/api/optimize/portfolio",
        json={
            "tickers": t,
            "objective": {"kind": "min_turnover"},
            "constraints": {"max_weight": 0.5},
            "rebalance": {"shares": {t[0]: 100}},
        },
    )
    assert doc.status_code == 200, doc.text
    assert doc.json()["rebalance"]["turnover"] == pytest.approx(0.5, abs=1e-8)
