"""The web page in a real browser: Debian's Chromium driven by Playwright against ``pfopt serve``
on a free port with sample data. Without a browser these tests skip with the reason, unless
PFOPT_REQUIRE_BROWSER=1 (as .ci/run sets), which turns a missing browser into a failure."""

import os
import shutil
from pathlib import Path

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
    with serving(url) as address:
        yield f"http://{address}"


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


def test_frontier_run_hover_save_and_history(page, server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_label("Search tickers").fill("tec")
    shown = page.locator("#ticker-list input").evaluate_all("boxes => boxes.map(b => b.value)")
    assert len(shown) >= 2 and all("TEC" in t for t in shown), shown
    page.get_by_label("Search tickers").fill("")
    page.get_by_label("Sector").select_option("Technology")
    sectors = set(page.locator("#ticker-list small").all_inner_texts())
    assert sectors == {"Technology"}
    page.get_by_label("Sector").select_option("")
    _choose(page, TEN)
    assert page.locator("#ticker-count").inner_text() == "10 selected"
    page.get_by_label("Max weight (%)").fill("30")
    _run_and_wait(page)
    assert page.locator("#progress-text").inner_text() == "25/25"
    assert page.locator("#progress").get_attribute("value") == "25"
    assert page.locator("#error-general").inner_text() == ""
    points = page.locator("#frontier-chart .scatterlayer .trace").first.locator("path.point")
    assert points.count() == 25
    points.nth(12).hover(force=True)
    page.wait_for_function("document.getElementById('hover-info').textContent.includes('Top')")
    hover = page.locator("#hover-info").inner_text()
    assert "Return" in hover and "volatility" in hover and "%" in hover
    label = page.locator("#frontier-chart .hoverlayer").text_content() or ""
    assert "Sharpe" in label
    points.nth(12).click(force=True)
    page.wait_for_function(
        "document.getElementById('selected-summary').textContent === "
        "document.getElementById('hover-info').textContent"
    )
    rows = page.locator("#weights-table tbody tr")
    assert rows.count() == 10
    # Cells by content (innerText of a row depends on layout, and was once read mid-render).
    cells = page.locator("#weights-table tbody tr td:nth-child(2)").all_text_contents()
    weights = [float(text.split()[0]) for text in cells]
    assert max(weights) <= 30.0 + 1e-6
    assert abs(sum(weights) - 100.0) < 0.1
    page.wait_for_selector("#risk-chart .bars path")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "portfolio.csv"
    page.screenshot(path=str(ARTIFACTS / "page-1280x800.png"), full_page=True)
    page.get_by_label("Portfolio name").fill("Ten with a 30% cap")
    page.get_by_role("button", name="Save as portfolio").click()
    page.wait_for_selector('text=Saved as "Ten with a 30% cap".')
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert "Ten with a 30% cap (10 assets)" in page.locator("#portfolio-list").inner_text()
    history = page.locator("#history-list button").first
    assert "10 assets, 25 points" in history.inner_text()
    history.click()
    page.wait_for_function("document.querySelectorAll('#weights-table tbody tr').length === 10")
    assert page.locator("#ticker-count").inner_text() == "10 selected"


def test_infeasible_setup_shows_the_server_explanation(page) -> None:
    _choose(page, TEN[:3])
    page.get_by_label("Max weight (%)").fill("20")
    _run_and_wait(page)
    error = page.locator("#error-max_weight")
    assert "sum of per-asset maximum weights is 0.6 (60 %) < 1 (100 %)" in error.inner_text()
    assert "invalid" in (page.get_by_label("Max weight (%)").get_attribute("class") or "")


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
        "(pfopt.run.points[5].expected_return + pfopt.run.points[6].expected_return) / 2"
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
    risk = round(100 * page.evaluate("pfopt.run.points[8].volatility") + 0.01, 2)
    page.get_by_label("Portfolio to select").select_option("target_risk")
    page.get_by_label("Target (%, annual)").fill(str(risk))
    page.get_by_label("Target (%, annual)").press("Tab")
    page.wait_for_function(f"{summary}.includes('volatility {risk:.2f} %')")
    assert page.locator("#error-target").inner_text() == ""
    assert abs(page.evaluate("pfopt.point.volatility") - risk / 100) < 1e-7


def test_falls_back_to_polling_when_the_socket_cannot_connect(page) -> None:
    page.route_web_socket("**/ws/optimize/progress/*", lambda ws: ws.close(code=1011))
    _choose(page, TEN[:4])
    _run_and_wait(page)
    assert "polling" in page.locator("#transport-note").inner_text()
    assert page.locator("#progress-text").inner_text() == "25/25"
    assert page.locator("#weights-table tbody tr").count() == 4


def test_cancel_stops_a_running_frontier(page) -> None:
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


def test_phone_width_layout(browser, server) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(server)
    page.wait_for_selector("body[data-ready=true]")
    _choose(page, TEN[:5])
    _run_and_wait(page)
    assert page.locator("#progress-text").inner_text() == "25/25"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)
    context.close()


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
