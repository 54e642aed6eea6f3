"""Hypothesis against the two ways data comes in: the CSV price parser and every request body.
Nothing may raise anything but a domain error, no body may get a 5xx, and every rejection must
name the field it is about."""

import io
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from adapters.csv_prices import parse_prices
from adapters.migrations import upgrade
from domain.errors import DomainError
from entrypoints.container import Container
from entrypoints.http.app import create_app
from tests.servers import load_sample_prices

CELL = st.one_of(
    st.sampled_from(["2024-01-02", "2024-01-03", "2024-13-01", "", "nan", "-1", "0", "1e308"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=string.printable, max_size=8),
)
ROW = st.lists(CELL, min_size=1, max_size=5).map(",".join)
CSV = st.lists(ROW, min_size=0, max_size=8).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(CSV, st.text(max_size=200)))
def test_the_csv_parser_accepts_or_names_the_problem(text: str) -> None:
    refused: DomainError | None = None
    try:
        history = parse_prices(io.StringIO(text), "fuzz.csv")
    except DomainError as error:
        refused = error
    if refused is not None:
        assert refused.detail and refused.field, refused
    else:
        assert len(history.dates) == history.closes.shape[0]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers()
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = {
    "/api/optimize/portfolio": ["tickers", "inline", "objective", "constraints", "solver", "start"],
    "/api/optimize/efficient-frontier?wait=true": [
        "tickers",
        "points",
        "constraints",
        "session_id",
    ],
    "/api/portfolios": ["name", "tickers", "constraints"],
    "/api/risk/attribution": ["weights", "optimization_id", "factors", "benchmark"],
    "/api/prices": ["date", "ticker", "close"],
}
TICKERS = st.lists(st.sampled_from(["TEC01", "FIN02", "HEA03", "NOPE", ""]), max_size=4)


def _bodies(path: str):
    names = FIELDS[path]
    shaped = st.fixed_dictionaries(
        {},
        optional={name: (TICKERS if name == "tickers" else JSON) for name in names},
    )
    return st.one_of(shaped, JSON, st.lists(shaped, max_size=3))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite+aiosqlite:///{folder}/fuzz.db"
    upgrade(url)
    load_sample_prices(url, folder, assets=4)
    container = Container()
    container.config.database_url.from_value(url)
    with TestClient(app=create_app(container)) as test_client:
        yield test_client


@pytest.mark.parametrize("path", list(FIELDS))
def test_request_bodies_never_get_a_5xx_and_rejections_name_a_field(client, path) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(_bodies(path))
    def check(body) -> None:
        r = client.post(path, json=body)
        assert r.status_code < 500, (body, r.text)
        if r.status_code >= 400:
            problem = r.json()
            assert r.headers["content-type"].startswith("application/problem+json")
            assert problem["detail"] and problem.get("field"), (body, problem)

    check()
