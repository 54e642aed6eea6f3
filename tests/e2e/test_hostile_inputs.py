"""Bodies, paths and values that were 500s, wrong "retry" 503s or silent corruption, on both
databases: each is now a 4xx naming the field, and what is accepted is stored exactly."""

import csv
import io

import pytest
from litestar.testing import TestClient

from entrypoints.cli.main import main
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.storage import fresh_database

TICKERS = ["TEC01", "FIN02", "HEA03"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    url = fresh_database(request.param, folder)
    prices = folder / "p.csv"
    assert main(["sample-data", "-o", str(prices), "--assets", "4", "--days", "300"]) == 0
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as test_client:
        yield test_client


def _inline(**arrays) -> dict:
    return {"tickers": ["A", "B"], "expected_returns": [0.1, 0.2], **arrays}


def _factor(**parts) -> dict:
    base = {"loadings": [[1.0], [0.5]], "factor_covariance": [[0.04]]}
    return _inline(**{**base, "specific_variance": [0.01, 0.02], **parts})


def _problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == field, body
    return body


HUGE = 1e308
ROUTES = ["/api/optimize/portfolio", "/api/optimize/efficient-frontier?wait=true"]


@pytest.mark.parametrize("route", [*ROUTES, "/api/risk/attribution"])
@pytest.mark.parametrize(
    ("inline", "field"),
    [
        (_inline(covariance=[[1, 2], [3]]), "covariance"),
        (_factor(loadings=[[1], [1, 2]]), "loadings"),
        (_factor(factor_covariance=[[1], []]), "factor_covariance"),
        (_factor(loadings=[]), "loadings"),
        (_inline(covariance=[[HUGE, 0], [0, HUGE]]), "covariance"),
        (_factor(loadings=[[HUGE], [HUGE]], factor_covariance=[[HUGE]]), "loadings"),
        (_factor(factor_covariance=[[HUGE]]), "factor_covariance"),
        (_factor(specific_variance=[HUGE, 1]), "specific_variance"),
        (
            _inline(covariance=[[0.04, 0], [0, 0.09]], expected_returns=[HUGE, 0.1]),
            "expected_returns",
        ),
    ],
)
def test_ragged_and_overflowing_models_name_the_array(client, route, inline, field) -> None:
    body = {"inline": inline}
    if route.startswith("/api/risk"):
        body["weights"] = {"A": 0.5, "B": 0.5}
    problem = _problem(client.post(route, json=body), 422, field)
    if "1e+308" in problem["detail"]:
        assert "annualized decimals" in problem["detail"]


BODY_ROUTES = [
    ("POST", "/api/optimize/portfolio"),
    ("POST", "/api/optimize/efficient-frontier"),
    ("POST", "/api/risk/attribution"),
    ("POST", "/api/portfolios"),
    ("PUT", "/api/sectors"),
]


@pytest.mark.parametrize(("method", "route"), BODY_ROUTES)
@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"name": "\xff\xfe", "tickers": ["A"]}', "not valid UTF-8"),
        (b'{"tickers": ["\xc3"]}', "not valid UTF-8"),
    ],
)
def test_undecodable_json_is_a_400(client, method, route, raw, detail) -> None:
    response = client.request(
        method, route, content=raw, headers={"content-type": "application/json"}
    )
    assert detail in _problem(response, 400, "body")["detail"]


def test_undecodable_price_rows_name_the_prices(client) -> None:
    for raw in (b"[" * 100_000, b'[{"date": "2024-01-02", "ticker": "\xff", "close": 1}]'):
        response = client.post(
            "/api/prices", content=raw, headers={"content-type": "application/json"}
        )
        _problem(response, 422, "prices")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "core\x00", "tickers": TICKERS}, "name"),
        ({"name": "core", "tickers": ["TEC01", "FIN\x0002"]}, "tickers"),
        ({"name": "core", "tickers": ["TEC01", "T" * 33]}, "tickers"),
        ({"name": "core", "tickers": ["TEC01", "T" * 5000]}, "tickers"),
        ({"name": "core", "tickers": TICKERS, "sectors": {"TEC01": "S" * 101}}, "sectors[TEC01]"),
        ({"name": "core", "tickers": TICKERS, "sectors": {"TEC01": "Tech\x00"}}, "sectors[TEC01]"),
    ],
)
def test_text_no_column_can_hold_is_refused_before_the_database(client, body, field) -> None:
    _problem(client.post("/api/portfolios", json=body), 422, field)
    assert client.get("/api/portfolios").json() == []  # nothing half-written


@pytest.mark.parametrize(
    ("sectors", "field"),
    [
        ({"T" * 5000: "Tech"}, "sectors"),
        ({"TEC\x0001": "Tech"}, "sectors"),
        ({"TEC01": "S" * 101}, "sectors[TEC01]"),
        ({"TEC01": "Te\x00ch"}, "sectors[TEC01]"),
    ],
)
def test_sectors_follow_the_same_rules(client, sectors, field) -> None:
    _problem(client.put("/api/sectors", json=sectors), 422, field)


@pytest.mark.parametrize(
    "path",
    [
        "/api/optimizations/%00",
        "/api/optimizations/abc%00def/charts/weights.png",
        "/api/portfolios/%00",
        "/api/optimize/efficient-frontier/%00",
        "/api/prices/TEC%0001",
    ],
)
def test_a_nul_in_a_path_names_nothing(client, path) -> None:
    _problem(client.get(path), 404, "path")


def test_a_nul_in_a_query_is_malformed(client) -> None:
    _problem(client.get("/api/optimizations?portfolio_id=%00"), 400, "query")


def _rows(ticker: str, *closes: float) -> list[dict]:
    return [
        {"date": f"2024-01-{day:02d}", "ticker": ticker, "close": close}
        for day, close in enumerate(closes, start=2)
    ]


def test_every_accepted_close_is_stored_exactly(client) -> None:
    closes = (1e-8, 0.123456789, 1e13, 1e15, 123.45678901234567)
    assert client.post("/api/prices", json=_rows("EXACT", *closes)).status_code == 200
    stored = client.get("/api/prices/EXACT").json()
    assert [p["close"] for p in stored] == list(closes)


@pytest.mark.parametrize("close", [1e-9, 1e16, 1e308])
def test_closes_outside_the_stored_range_are_refused(client, close) -> None:
    body = _problem(
        client.post("/api/prices", json=_rows("RANGE", 1.0, close)), 422, "prices.RANGE"
    )
    assert "from 1e-08 to 1e+15" in body["detail"]
    assert client.get("/api/prices/RANGE").status_code == 404  # the whole import was refused


def test_a_csv_import_outside_the_range_names_the_cell(client) -> None:
    text = "date,RANGE\n2024-01-02,1\n2024-01-03,1e13\n2024-01-04,1e16\n"
    response = client.post("/api/prices", content=text, headers={"content-type": "text/csv"})
    assert "line 4, column 'RANGE'" in _problem(response, 422, "RANGE")["detail"]


def test_a_ticker_with_a_slash_reads_back(client) -> None:
    rows = _rows("BRK/B", *(300.0 + k for k in range(5)))
    assert client.post("/api/prices", json=rows).status_code == 200
    page = client.get("/api/prices/BRK%2FB", params={"limit": 2})
    assert page.status_code == 200
    assert [p["close"] for p in page.json()] == [300.0, 301.0]
    assert "/api/prices/BRK%2FB?limit=2&offset=2" in page.headers["link"]
    assert [p["close"] for p in client.get("/api/prices/BRK/B").json()][-1] == 304.0


def test_a_ticker_matplotlib_would_read_as_math_still_charts(client) -> None:
    inline = _inline(tickers=["$\\frac$", "$x^2$"], covariance=[[0.04, 0], [0, 0.09]])
    run = client.post("/api/optimize/portfolio", json={"inline": inline})
    assert run.status_code == 200, run.text
    chart = client.get(f"/api/optimizations/{run.json()['optimization_id']}/charts/weights.png")
    assert chart.status_code == 200, chart.text
    assert chart.content.startswith(b"\x89PNG")


def test_csv_exports_are_spreadsheet_safe(client) -> None:
    tickers = ["=HYPERLINK(1)", "+SUM(2)", "-3", "@A1"]
    inline = {
        "tickers": tickers,
        "expected_returns": [0.05, 0.07, 0.09, 0.11],
        "covariance": [[0.04 if i == j else 0.0 for j in range(4)] for i in range(4)],
    }
    run = client.post("/api/optimize/portfolio", json={"inline": inline})
    assert run.status_code == 200, run.text
    exported = client.get(f"/api/optimizations/{run.json()['optimization_id']}?format=csv").text
    rows = list(csv.reader(io.StringIO(exported)))
    assert [r[0] for r in rows[1:]] == [f"'{t}" for t in tickers]
    assert all(float(r[1]) >= 0 for r in rows[1:])  # numbers stay numbers
    frontier = client.post(
        "/api/optimize/efficient-frontier?wait=true", json={"inline": inline, "points": 3}
    )
    assert frontier.status_code in (200, 201), frontier.text
    run_id = frontier.json()["result"]["optimization_id"]
    header = next(
        csv.reader(io.StringIO(client.get(f"/api/optimizations/{run_id}?format=csv").text))
    )
    assert header[5:] == [f"'{t}" for t in tickers]


def test_an_unreachable_database_is_a_503_that_names_no_host() -> None:
    """Before authentication too: the key lookup fails, and the client learns only to retry."""
    container = Container()
    container.config.database_url.from_value("postgresql+psycopg://postgres@127.0.0.1:1/none")
    container.config.auth_required.from_value(True)
    key = {"authorization": f"Bearer pfo_{'0' * 16}_{'a' * 43}"}
    with TestClient(app=create_app(container)) as client:
        for path in ("/api/tickers", "/health"):
            response = client.get(path, headers=key)
            body = _problem(response, 503, "database")
            assert response.headers["retry-after"]
            assert body["detail"] == "the database is unavailable; retry shortly"
            assert "127.0.0.1" not in response.text and "port" not in response.text


@pytest.mark.parametrize(
    "url", ["nonsense", "mysql://root@localhost/db", "sqlite:/relative-without-slashes"]
)
def test_the_cli_refuses_a_database_url_it_cannot_use(url, capsys) -> None:
    assert main(["--database-url", url, "prices", "list"]) == 2
    err = capsys.readouterr().err
    assert "is not one pfopt can use" in err and err.count("\n") == 1


def test_the_cli_takes_plain_driverless_urls(tmp_path, capsys) -> None:
    """``sqlite:///FILE`` and ``postgresql://`` name SQLAlchemy's synchronous defaults; pfopt
    runs them on its own drivers instead of failing with an internal error."""
    prices = tmp_path / "p.csv"
    assert main(["sample-data", "-o", str(prices), "--assets", "3", "--days", "300"]) == 0
    url = f"sqlite:///{tmp_path}/plain.db"
    assert main(["--database-url", url, "prices", "import", str(prices)]) == 0
    assert main(["--database-url", url, "optimize", "--tickers", "TEC01,FIN02,HEA03"]) == 0
    assert "imported" in capsys.readouterr().out
