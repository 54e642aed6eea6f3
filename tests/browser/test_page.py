"""The web page in a real browser: Debian's Chromium driven by Playwright against ``pfopt serve``
on a free port with sample data. Without a browser these tests skip with the reason, unless
PFOPT_REQUIRE_BROWSER=1 (as .ci/run sets), which turns a missing browser into a failure."""

import csv
import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, create_key, load_sample_prices, pfopt, serving

CHROMIUM = os.environ.get("PFOPT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEN = ["TEC01", "FIN02", "HEA03", "ENE04", "CON05", "IND06", "UTI07", "TEC08", "FIN09", "HEA10"]


def _browser_or_skip():
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing:
        if os.environ.get("PFOPT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PFOPT_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pfopt serve`` on SQLite with 20 assets of sample prices and their sectors."""
    tmp_path = tmp_path_factory.mktemp("page")
    url = f"sqlite+aiosqlite:///{tmp_path}/page.db"
    prices, sectors = tmp_path / "p.csv", tmp_path / "s.csv"
    pfopt("sample-data", "-o", str(prices), "--sectors-out", str(sectors), "--assets", "20")
    pfopt("--database-url", url, "prices", "import", str(prices), "--sector-map", str(sectors))
    SERVER_DB["url"] = url
    with serving(url) as address:
        yield f"http://{address}"


SERVER_DB: dict[str, str] = {}
"""The module server's database URL (a CLI run written there shows on the page)."""


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server)
    page.wait_for_selector("body[data-ready=true]")
    yield page
    context.close()
    assert errors == [], errors


def _choose(page, tickers) -> None:
    for ticker in tickers:
        page.get_by_role("checkbox", name=ticker).check()


def _run_and_wait(page) -> None:
    page.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "document.getElementById('run').disabled === false"
        " && document.getElementById('progress-area').hidden === false"
    )


def _api(server: str, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{server}{path}", timeout=60, **kwargs)


def _current_run(page, server) -> dict:
    """The run the page shows, as the API returns it from history."""
    run_id = page.evaluate("pfopt.run.id")
    return _api(server, "GET", f"/api/optimizations/{run_id}").json()


def _upload_and_reload(page, server: str, lines: list[str]) -> None:
    """CSV ``lines`` into the store through the API, then the page reloaded to list them."""
    r = _api(
        server,
        "POST",
        "/api/prices",
        content="\n".join(lines) + "\n",
        headers={"content-type": "text/csv"},
    )
    assert r.status_code in (200, 201), r.text
    page.reload()
    page.wait_for_selector("body[data-ready=true]")


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _summary_matches(page, point: dict) -> None:
    summary = page.locator("#selected-summary").inner_text()
    assert summary.startswith(
        f"Return {_pct(point['expected_return'])}, volatility {_pct(point['volatility'])}, "
        f"Sharpe {point['sharpe']:.3f}."
    ), summary


def _table_weights(page) -> dict[str, float]:
    tickers = page.locator("#weights-table tbody tr td:nth-child(1)").all_text_contents()
    cells = page.locator("#weights-table tbody tr td:nth-child(2)").all_text_contents()
    return {t: float(c.split()[0]) for t, c in zip(tickers, cells, strict=True)}


def _risk_volatility(page) -> str:
    page.wait_for_selector("#risk-chart .bars path")
    title = page.locator("#risk-chart .gtitle").text_content() or ""
    return title.removeprefix("Risk contributions: volatility ").split(" (")[0]


def test_the_selected_portfolio_is_the_job_result_everywhere(page, server, tmp_path) -> None:
    """The default selection is named, and what the page shows for it (summary, table, risk
    panel, downloads) is the job's own result, number for number; a clicked point too."""
    ARTIFACTS.mkdir(exist_ok=True)
    _choose(page, TEN)
    page.get_by_label("Max weight (%)").fill("30")
    _run_and_wait(page)
    assert page.locator("#progress-text").inner_text() == "25/25"
    assert page.locator("#selected-title").inner_text() == "Selected portfolio: Max Sharpe"
    record = _current_run(page, server)
    best = record["results"]["max_sharpe"]
    assert page.evaluate("pfopt.point.weights") == best["weights"]
    _summary_matches(page, best)
    shown = _table_weights(page)
    held = {t: w for t, w in best["weights"].items() if abs(w) > 1e-9}
    assert set(shown) == set(held)  # zero weights are not listed ...
    for ticker, weight in held.items():
        assert shown[ticker] == pytest.approx(100 * weight, abs=0.005)
    zero = len(best["weights"]) - len(held)
    toggle = page.locator("#toggle-zero")
    assert toggle.inner_text() == f"Show the {zero} assets at 0 %"  # ... until asked for
    toggle.click()
    assert page.locator("#weights-table tbody tr").count() == 10
    toggle.click()
    assert _risk_volatility(page) == _pct(best["volatility"])  # the run's own model
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "portfolio.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open()))
    assert {r["ticker"]: float(r["weight"]) for r in rows} == best["weights"]
    with page.expect_download() as download:
        page.get_by_role("button", name="All frontier points (CSV)").click()
    points_csv = tmp_path / "points.csv"
    download.value.save_as(points_csv)
    exported = _api(server, "GET", f"/api/optimizations/{record['id']}?format=csv").text
    assert points_csv.read_text() == exported
    # a clicked point: named, ringed on the chart, its numbers the run's
    points = page.locator("#frontier-chart .scatterlayer .trace").first.locator("path.point")
    assert points.count() == 25
    points.nth(12).hover(force=True)
    page.wait_for_function("document.getElementById('hover-info').textContent.includes('Top')")
    points.nth(12).click(force=True)
    page.wait_for_function(
        "document.getElementById('selected-title').textContent.includes('point 13 of 25')"
    )
    chosen = record["results"]["points"][12]
    _summary_matches(page, chosen)
    ring = page.evaluate(
        "(() => { const d = document.getElementById('frontier-chart').data;"
        " const s = d[d.length - 1]; return [s.name, s.x[0], s.y[0]]; })()"
    )
    assert ring == ["Selected", chosen["volatility"], chosen["expected_return"]]
    page.wait_for_function(
        f"(document.querySelector('#risk-chart .gtitle')?.textContent || '')"
        f".includes('{_pct(chosen['volatility'])}')"
    )
    assert _risk_volatility(page) == _pct(chosen["volatility"])
    assert page.locator("#frontier-chart .modebar").count() == 0  # no toolbar over labels
    page.screenshot(path=str(ARTIFACTS / "page-1280x800.png"), full_page=True)


def test_the_window_warnings_and_notes_of_a_run_are_shown(page, server) -> None:
    """A ticker that starts late cuts the common window: the page says where it starts, why,
    and how many days the estimate used."""
    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 7) for d in range(1, 29)]
    lines = ["date,OLDA,OLDB,LATEC"]
    for i, day in enumerate(days):
        late = "" if i < 100 else f"{30 + (i % 7) * 0.3 + i * 0.01:.2f}"
        lines.append(f"{day},{100 + (i % 5) + i * 0.05:.2f},{50 + (i % 3) * 0.7:.2f},{late}")
    _upload_and_reload(page, server, lines)
    _choose(page, ["OLDA", "OLDB", "LATEC"])
    page.get_by_label("Frontier points").fill("5")
    _run_and_wait(page)
    record = _current_run(page, server)
    window = record["results"]["window"]
    assert window["start"] == days[100]
    assert (
        page.locator("#run-window")
        .inner_text()
        .startswith(
            f"Estimated on {window['n_observations']} daily returns, {window['start']} to "
            f"{window['end']}, from stored prices (3 assets)."
        )
    )
    messages = page.locator("#run-messages li").all_inner_texts()
    assert messages and messages[0].startswith(
        f"Warning: common window starts {days[100]} because LATEC started trading then; "
        "100 earlier date(s) not used"
    )
    assert len(messages) == len(record["results"]["warnings"]) + len(record["results"]["notes"])


def test_save_keeps_weights_sectors_settings_and_a_saved_portfolio_opens(page, server) -> None:
    _choose(page, TEN)
    page.get_by_label("Max weight (%)").fill("30")
    page.get_by_label("Covariance").select_option("oas")
    page.get_by_label("Risk-free rate (%, annual)").fill("2")
    _run_and_wait(page)
    record = _current_run(page, server)
    best = record["results"]["max_sharpe"]
    page.get_by_label("Portfolio name").fill("Ten at 30%")
    page.get_by_role("button", name="Save as portfolio").click()
    page.wait_for_selector('text=Saved as "Ten at 30%" with the Max Sharpe weights as targets.')
    saved = next(
        p for p in _api(server, "GET", "/api/portfolios").json() if p["name"] == "Ten at 30%"
    )
    assert saved["target_weights"] == best["weights"]
    assert saved["tickers"] == record["params"]["tickers"]
    stored = {t["ticker"]: t["sector"] for t in _api(server, "GET", "/api/tickers").json()}
    assert saved["sectors"] == {t: stored[t] for t in saved["tickers"]}
    assert set(saved["sectors"].values()) >= {"Technology", "Financials"}
    assert saved["constraints"]["max_weight"] == 0.3
    assert saved["settings"] == {
        "objective": "max_sharpe",
        "target": None,
        "risk_free_rate": 0.02,
        "points": 25,
        "estimation": record["params"]["estimation"],
        "start": None,
        "end": None,
    }
    assert saved["settings"]["estimation"]["covariance"] == "oas"
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert "Ten at 30% (10 assets, target weights)" in page.locator("#portfolio-list").inner_text()
    page.get_by_role("button", name="Open Ten at 30%").click()
    assert page.locator("#ticker-count").inner_text() == "10 selected"
    assert page.get_by_label("Max weight (%)").input_value() == "30"
    assert page.get_by_label("Covariance").input_value() == "oas"
    assert page.get_by_label("Risk-free rate (%, annual)").input_value() == "2"
    assert "press Run to rerun it" in page.locator("#save-status").inner_text()
    _run_and_wait(page)  # rerun as saved: the same portfolio comes back
    again = _current_run(page, server)["results"]["max_sharpe"]
    assert again["weights"] == pytest.approx(best["weights"], abs=1e-12)
    page.get_by_label("Portfolio to select").select_option("min_variance")
    page.wait_for_function(
        "document.getElementById('selected-title').textContent.endsWith('Min variance')"
    )
    page.get_by_role("button", name="Save as portfolio").click()  # same name: an update
    page.wait_for_selector('text=Updated "Ten at 30%" with the Min variance weights as targets.')
    updated = _api(server, "GET", f"/api/portfolios/{saved['id']}").json()
    assert updated["settings"]["objective"] == "min_variance"
    assert (
        updated["target_weights"]
        == _current_run(page, server)["results"]["min_variance"]["weights"]
    )


def test_history_shows_status_metrics_restores_settings_and_compares(page, server) -> None:
    _choose(page, TEN[:6])
    page.get_by_label("Max weight (%)").fill("40")
    page.get_by_label("Covariance").select_option("sample")
    _run_and_wait(page)
    first = _current_run(page, server)
    page.get_by_label("Max weight (%)").fill("")
    page.get_by_label("Covariance").select_option("ledoit_wolf")
    _run_and_wait(page)
    entry = page.locator(f"#history-list li[data-id='{first['id']}']")
    text = entry.inner_text()
    best = first["results"]["max_sharpe"]
    assert "complete" in text and "6 assets from the store · 25 points" in text
    assert (
        f"Max Sharpe {best['sharpe']:.3f}: return {_pct(best['expected_return'])}, "
        f"volatility {_pct(best['volatility'])}"
    ) in text
    entry.get_by_role("checkbox", name="Compare").check()
    page.wait_for_function(
        "document.getElementById('frontier-chart').data.some(t => t.name.startsWith('Compare'))"
    )
    compared = page.evaluate(
        "document.getElementById('frontier-chart').data.find(t => t.name.startsWith('Compare')).x"
    )
    assert compared == [p["volatility"] for p in first["results"]["points"] if p["weights"]]
    entry.locator("button.open").click()
    page.wait_for_function(f"pfopt.run && pfopt.run.id === '{first['id']}'")
    assert page.get_by_label("Max weight (%)").input_value() == "40"
    assert page.get_by_label("Covariance").input_value() == "sample"
    assert page.locator("#ticker-count").inner_text() == "6 selected"
    _summary_matches(page, best)


def test_errors_speak_the_pages_percent(page) -> None:
    _choose(page, TEN[:3])
    page.get_by_label("Max weight (%)").fill("20")
    _run_and_wait(page)
    error = page.locator("#error-max_weight").inner_text()
    assert error == (
        "sum of per-asset maximum weights is 60 % < 100 %, so the portfolio cannot be fully "
        "invested (with 3 assets a common cap needs at least 33.3333 %)"
    )
    assert "invalid" in (page.get_by_label("Max weight (%)").get_attribute("class") or "")
    page.get_by_label("Max weight (%)").fill("3000")
    page.get_by_role("button", name="Run").click()
    assert page.locator("#error-max_weight").inner_text() == (
        "max weight is a percent of the portfolio: give at most 100 (30 means 30 %)"
    )
    page.get_by_label("Max weight (%)").fill("")
    page.get_by_label("Risk-free rate (%, annual)").fill("400")
    page.get_by_role("button", name="Run").click()
    assert (
        "the risk-free rate is a percent a year"
        in page.locator("#error-risk_free_rate").inner_text()
    )


def test_a_cli_run_on_a_file_reopens_without_failing(page, server, tmp_path) -> None:
    """A run made by the CLI from a file whose tickers the store lacks opens with its result,
    says what is missing, and its risk panel says why it cannot be attributed."""
    prices = tmp_path / "f.csv"
    pfopt("sample-data", "-o", str(prices), "--assets", "4", "--seed", "3")
    text = prices.read_text().splitlines()
    text[0] = "date,ZQA,ZQB,ZQC,ZQD"
    prices.write_text("\n".join(text) + "\n")
    db = SERVER_DB["url"]  # the served store: the CLI writes to the same file
    pfopt("--database-url", db, "frontier", str(prices), "--points", "5")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    newest = _api(server, "GET", "/api/optimizations?limit=1").json()[0]
    assert newest["source"] == "f.csv"
    item = page.locator(f"#history-list li[data-id='{newest['id']}']")
    assert "4 assets from f.csv · 5 points" in item.inner_text()
    item.locator("button.open").click()
    page.wait_for_function(f"pfopt.run && pfopt.run.id === '{newest['id']}'")
    assert "from the file f.csv" in page.locator("#run-window").inner_text()
    assert (
        "4 of its tickers (ZQA, ZQB, ZQC, ZQD) are not in the price store"
        in page.locator("#run-messages").inner_text()
    )
    page.wait_for_selector("text=Risk attribution unavailable")
    assert "this run used the file f.csv" in page.locator("#risk-chart").inner_text()
    assert page.locator("#error-general").inner_text() == ""
    record = _api(server, "GET", f"/api/optimizations/{newest['id']}").json()
    _summary_matches(page, record["results"]["max_sharpe"])


def test_rebalance_lists_the_apis_trades_costs_and_whole_shares(page, server, tmp_path) -> None:
    """The Rebalance panel: the trades, costs and shares it shows are the API's for the same
    request, the chart draws current against target, the trades CSV parses to the same
    targets, and bad holdings are explained in percent."""
    five = TEN[:5]
    _choose(page, five)
    page.fill("#max-weight", "40")
    page.fill("#holdings-text", "FIN02 30\nENE04 30\nCON05 20\nCASH 20")
    page.fill("#turnover", "25")
    page.fill("#cost-bps", "10")
    page.fill("#book-value", "100000")
    page.check("#whole-shares")
    page.get_by_role("button", name="Rebalance", exact=True).click()
    page.wait_for_function("document.getElementById('trades-table').hidden === false")
    shown = page.evaluate("pfopt.rebalance")
    body = {
        "tickers": sorted(five),
        "objective": {"kind": "max_sharpe", "risk_free_rate": 0},
        "constraints": {"long_only": True, "max_weight": 0.4},
        "estimation": {"covariance": "ledoit_wolf"},
        "rebalance": {
            "holdings": {"FIN02": 0.3, "ENE04": 0.3, "CON05": 0.2},
            "cash": 0.2,
            "turnover": 0.25,
            "cost_bps": 10,
            "value": 100000,
            "whole_shares": True,
        },
    }
    api = _api(server, "POST", "/api/optimize/portfolio", json=body).json()
    assert shown["weights"] == pytest.approx(api["weights"], abs=1e-12)
    r = shown["rebalance"]
    assert r["turnover"] == pytest.approx(api["rebalance"]["turnover"], abs=1e-12)
    assert r["turnover"] <= 0.25 + 1e-9
    assert r["cost"] == pytest.approx(api["rebalance"]["cost"], abs=1e-12)
    rows = page.locator("#trades-table tbody tr")
    table = {
        rows.nth(i).locator("td").nth(0).inner_text(): [
            c.inner_text() for c in rows.nth(i).locator("td").all()
        ]
        for i in range(rows.count())
    }
    for trade in api["rebalance"]["trades"]:
        cells = table[trade["ticker"]]
        assert cells[2] == f"{trade['weight_to'] * 100:.2f} %"
        assert cells[3] == f"{'+' if trade['change'] > 0 else ''}{trade['change'] * 100:.2f} %"
        assert cells[4] == trade["side"] and cells[6] == f"{round(trade['notional']):,}"
    shares = {row["ticker"]: row["target"] for row in api["rebalance"]["shares"]["rows"]}
    for ticker, target in shares.items():
        if target:
            assert table[ticker][7] == f"{target:g}"
    summary = page.inner_text("#rebalance-summary")
    assert f"Turnover {r['turnover'] * 100:.2f} %" in summary
    assert "cash 20.00 % invested" in summary
    assert f"net of costs {api['rebalance']['expected_return_net'] * 100:.2f} %" in summary
    chart = page.evaluate("document.getElementById('rebalance-chart').data.map(t => t.name)")
    assert chart == ["Current", "Target"]
    with page.expect_download() as download:
        page.get_by_role("button", name="Trades (CSV)").click()
    path = tmp_path / "trades.csv"
    download.value.save_as(path)
    with path.open() as handle:
        parsed = {row["ticker"]: float(row["target"]) for row in csv.DictReader(handle)}
    for ticker, weight in parsed.items():
        assert weight == pytest.approx(api["weights"][ticker], abs=1e-15)
    page.screenshot(path=str(ARTIFACTS / "page-rebalance.png"), full_page=True)

    page.fill("#holdings-text", "TEC01 30\nFIN02 20")
    page.get_by_role("button", name="Rebalance", exact=True).click()
    page.wait_for_function("document.getElementById('error-rebalance').textContent !== ''")
    error = page.inner_text("#error-rebalance")
    assert "holdings: weights sum to 50 % and cash 0 %, not 100 %; give the rest as cash" in error
    page.fill("#holdings-text", "TEC01 thirty")
    page.get_by_role("button", name="Rebalance", exact=True).click()
    assert 'holdings line 1: "TEC01 thirty" is not TICKER PERCENT' in page.inner_text(
        "#error-rebalance"
    )
    page.fill("#holdings-text", "TEC01 100")
    page.fill("#turnover", "250")
    page.get_by_role("button", name="Rebalance", exact=True).click()
    assert "the turnover cap is a percent of the book" in page.inner_text("#error-rebalance")


def test_a_sector_limit_row_fits_its_panel(page) -> None:
    page.get_by_role("button", name="Add a sector limit").click()
    select = page.locator(".sector-limit select").first
    select.select_option("Health Care")
    panel = page.locator("#setup").bounding_box()
    for part in (".sector-limit select", ".sector-limit input >> nth=1", ".sector-limit button"):
        box = page.locator(part).first.bounding_box()
        assert box and box["x"] + box["width"] <= panel["x"] + panel["width"], (part, box, panel)
    assert select.evaluate("s => s.getBoundingClientRect().width") >= 60


def test_unknown_points_and_empty_universe_are_explained_in_place(page) -> None:
    page.get_by_role("button", name="Run").click()
    assert page.locator("#error-tickers").inner_text() == "choose at least two tickers"
    _choose(page, TEN[:2])
    page.get_by_label("Frontier points").fill("500")
    page.get_by_role("button", name="Run").click()
    assert "between 2 and 200" in page.locator("#error-points").inner_text()


def test_targets_are_solved_exactly_by_the_server(page) -> None:
    """A target return or risk selects the exact optimum for that target (not the nearest of
    the 25 grid points), and a target out of reach shows the server's reason beside the field."""
    _choose(page, TEN)
    page.get_by_label("Max weight (%)").fill("30")
    _run_and_wait(page)
    between = page.evaluate(
        "(pfopt.run.points[5].point.expected_return + pfopt.run.points[6].point.expected_return)"
        " / 2"
    )
    target = round(100 * between, 2)
    page.get_by_label("Portfolio to select").select_option("target_return")
    page.get_by_label("Target (%, annual)").fill(str(target))
    page.get_by_label("Target (%, annual)").press("Tab")
    summary = "document.getElementById('selected-summary').textContent"
    page.wait_for_function(f"{summary}.startsWith('Return {target:.2f} %')")
    exact = page.evaluate("pfopt.point.expected_return")
    assert abs(exact - target / 100) < 1e-9
    page.get_by_label("Target (%, annual)").fill("90")
    page.get_by_label("Target (%, annual)").press("Tab")
    page.wait_for_function("document.getElementById('error-target').textContent !== ''")
    assert "above the highest return reachable" in page.locator("#error-target").inner_text()
    risk = round(100 * page.evaluate("pfopt.run.points[8].point.volatility") + 0.01, 2)
    page.get_by_label("Portfolio to select").select_option("target_risk")
    page.get_by_label("Target (%, annual)").fill(str(risk))
    page.get_by_label("Target (%, annual)").press("Tab")
    page.wait_for_function(f"{summary}.includes('volatility {risk:.2f} %')")
    assert page.locator("#error-target").inner_text() == ""
    assert abs(page.evaluate("pfopt.point.volatility") - risk / 100) < 1e-7


def test_risk_parity_is_selected_from_the_server_with_equal_risk_shares(page, server) -> None:
    """Risk parity is off the frontier: the server solves it, the page names and marks it,
    and its risk shares (the run's own attribution) are equal."""
    _choose(page, TEN[:6])
    _run_and_wait(page)
    page.get_by_label("Portfolio to select").select_option("risk_budget")
    title = "document.getElementById('selected-title').textContent"
    page.wait_for_function(f"{title}.includes('Risk parity')")
    page.wait_for_function("Object.keys(pfopt.risk).length === 6")
    shown = page.evaluate("pfopt.point")
    api = _api(
        server,
        "POST",
        "/api/optimize/portfolio",
        json={
            "tickers": sorted(TEN[:6]),
            "objective": {"kind": "risk_budget", "risk_free_rate": 0},
            "constraints": {"long_only": True},
            "estimation": {"covariance": "ledoit_wolf"},
        },
    ).json()
    assert shown["weights"] == pytest.approx(api["weights"], abs=1e-12)
    shares = page.evaluate("Object.values(pfopt.risk)")
    assert all(abs(x - 1 / 6) < 1e-9 for x in shares), shares
    marked = page.evaluate(
        "document.getElementById('frontier-chart').data[pfopt.run.selectedTrace].x[0]"
    )
    assert marked == pytest.approx(api["volatility"], rel=1e-12)
    page.get_by_label("Portfolio to select").select_option("hrp")
    page.wait_for_function(f"{title}.includes('Hierarchical risk parity')")
    hrp = _api(
        server,
        "POST",
        "/api/optimize/portfolio",
        json={"tickers": sorted(TEN[:6]), "objective": {"kind": "hrp"}},
    ).json()
    assert page.evaluate("pfopt.point.weights") == pytest.approx(hrp["weights"], abs=1e-12)


def test_falls_back_to_polling_when_the_socket_cannot_connect(page) -> None:
    page.route_web_socket("**/ws/optimize/progress/*", lambda ws: ws.close(code=1011))
    _choose(page, TEN[:4])
    _run_and_wait(page)
    assert "polling" in page.locator("#transport-note").inner_text()
    assert page.locator("#progress-text").inner_text() == "25/25"
    held = page.evaluate("Object.values(pfopt.point.weights).filter(w => Math.abs(w) > 1e-9)")
    assert page.locator("#weights-table tbody tr").count() == len(held) >= 1


def test_cancel_stops_a_running_frontier(page, server) -> None:
    """Shorts under a leverage cap take the CVXPY route (one conic solve per point), slow
    enough at 200 points to be cancelled part-way."""
    _choose(page, TEN)
    page.get_by_label("Shorts allowed").check()
    page.get_by_label("Leverage cap (sum of |weights|)").fill("1.6")
    page.get_by_label("Min weight (%)").fill("-30")
    page.get_by_label("Max weight (%)").fill("60")
    page.get_by_label("Frontier points").fill("200")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("Number(document.getElementById('progress').value) >= 1")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_selector("text=Cancelled.")
    done = int(page.locator("#progress").get_attribute("value") or "0")
    assert 1 <= done < 200
    assert page.get_by_role("button", name="Run").is_enabled()
    newest = _api(server, "GET", "/api/optimizations?limit=1").json()[0]  # marked in history
    assert newest["status"] != "complete"
    status = page.locator(f"#history-list li[data-id='{newest['id']}'] .status-{newest['status']}")
    status.wait_for()
    assert status.inner_text() == newest["status"]


def test_phone_width_layout(browser, server) -> None:
    """390 x 844: no sideways scroll, the Run button on the first screen, the legend clear of
    the x-axis title, no toolbar over the risk chart's title."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(server)
    page.wait_for_selector("body[data-ready=true]")
    run = page.get_by_role("button", name="Run").bounding_box()
    assert run is not None and run["y"] + run["height"] <= 844, run
    _choose(page, TEN[:5])
    _run_and_wait(page)
    assert page.locator("#progress-text").inner_text() == "25/25"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    legend = page.locator("#frontier-chart .legend").bounding_box()
    title = page.locator("#frontier-chart .xtitle").bounding_box()
    assert legend and title and legend["y"] + legend["height"] <= title["y"], (legend, title)
    page.wait_for_selector("#risk-chart .bars path")
    assert page.locator("#risk-chart .modebar").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "page-phone-first-screen.png"))
    context.close()


def test_many_assets_are_markers_with_names_on_hover(page, server, tmp_path) -> None:
    prices = tmp_path / "many.csv"
    pfopt("sample-data", "-o", str(prices), "--assets", "30", "--days", "300", "--seed", "8")
    lines = prices.read_text().splitlines()
    names = [f"M{i:02d}" for i in range(30)]
    lines[0] = ",".join(["date", *names])
    _upload_and_reload(page, server, lines)
    page.get_by_label("Search tickers").fill("M")
    page.get_by_role("button", name="Select shown").click()
    page.get_by_label("Frontier points").fill("5")
    _run_and_wait(page)
    assets = page.evaluate(
        "document.getElementById('frontier-chart').data.find(t => t.name.startsWith('Assets'))"
    )
    assert assets["mode"] == "markers" and assets["name"] == "Assets (30; hover for names)"
    assert page.locator("#frontier-chart .scatterlayer .textpoint").count() == 0


def test_page_files_are_compressed_cached_and_revalidated(server) -> None:
    index = _api(server, "GET", "/", headers={"accept-encoding": "gzip"})
    assert index.headers["content-encoding"] == "gzip"
    assert index.headers["cache-control"] == "no-cache"
    tag = index.headers["etag"]
    again = _api(server, "GET", "/", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    bundle = next(
        line.split('"')[1]
        for line in index.text.splitlines()
        if "plotly" in line and "src=" in line
    )
    assert bundle.startswith("/vendor/plotly-") and bundle.endswith(".min.js")
    plotly = httpx.get(f"{server}{bundle}", headers={"accept-encoding": "gzip"}, timeout=60)
    assert plotly.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plotly.headers["content-encoding"] == "gzip"
    assert int(plotly.headers["content-length"]) < 0.35 * len(plotly.content)
    for name in ("app.js", "style.css"):
        r = _api(server, "GET", f"/static/{name}")
        assert (
            r.status_code == 200 and r.headers["etag"] and r.headers["cache-control"] == "no-cache"
        )
    assert _api(server, "GET", "/static/../entrypoints/http/app.py").status_code == 404


def test_csv_upload_adds_and_selects_tickers(page) -> None:
    page.locator("#csv-box summary").click()
    rows = "\n".join(f"2024-01-{d:02d},{100 + d},{50 + d * 0.5 + (d % 3)}" for d in range(2, 31))
    page.get_by_label("CSV text").fill(f"date,NEWA,NEWB\n{rows}\n")
    page.get_by_role("button", name="Upload prices").click()
    page.wait_for_selector("text=they are selected")
    assert page.locator("#ticker-count").inner_text() == "2 selected"
    page.get_by_label("CSV text").fill("date,BAD\n2024-01-02,-5\n")
    page.get_by_role("button", name="Upload prices").click()
    page.wait_for_function("document.getElementById('error-prices').textContent !== ''")
    assert "line 2" in page.locator("#error-prices").inner_text()


def test_with_api_keys_the_page_asks_for_one(browser, tmp_path) -> None:
    """Once a key exists the page asks for it, then works with it (WebSocket included)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    load_sample_prices(url, tmp_path, assets=6)
    token = create_key(url, "dana")
    with serving(url) as address:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"http://{address}")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#key-form").is_visible()
        assert "API key" in page.locator("#error-authorization").inner_text()
        page.get_by_label("API key").fill(token[:-3] + "xyz")
        page.get_by_role("button", name="Use key").click()
        page.wait_for_selector("text=the API key is not valid")
        page.get_by_label("API key").fill(token)
        page.get_by_role("button", name="Use key").click()
        page.wait_for_selector("#key-form", state="hidden")
        _choose(page, TEN[:4])
        _run_and_wait(page)
        assert page.locator("#progress-text").inner_text() == "25/25"
        assert page.locator("#transport-note").inner_text() == ""  # live, not polling
        context.close()


def teardown_module() -> None:
    shot = ARTIFACTS / "page-1280x800.png"
    if shot.exists() and os.environ.get("PFOPT_UPDATE_DOCS_IMG") == "1":
        shutil.copy(shot, ROOT / "docs" / "img" / "page.png")


def test_the_api_docs_page_works_offline(browser, server) -> None:
    """``/schema`` renders every operation with every request to another host refused: its
    assets are served by pfopt itself."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    elsewhere: list[str] = []

    def route(request_route) -> None:
        if request_route.request.url.startswith(server):
            request_route.continue_()
        else:
            elsewhere.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/schema")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    title = page.locator(".info .title").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    context.close()
    assert elsewhere == [] and errors == []
    assert title.startswith("pfopt")
    assert "/api/optimize/portfolio" in " ".join(paths)
    assert len(paths) >= 19, paths
