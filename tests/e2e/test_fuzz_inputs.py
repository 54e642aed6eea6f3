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


# Hostile shapes: ragged and overflowing matrices, NUL and control characters in text, deep
# nesting and invalid UTF-8 as raw bytes. Each once was a 500 or a database error.
HUGE = st.sampled_from([1e308, -1e308, 1e200, 1e13, 5e-324])
NUMBER = st.one_of(st.floats(allow_nan=False, allow_infinity=False), HUGE)
RAGGED = st.lists(st.lists(NUMBER, max_size=3), min_size=0, max_size=3)
NASTY_TEXT = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=8).map(lambda t: t + "\x00"),
    st.sampled_from(["\x00", "a\nb", "$\\frac$", "BRK/B", "=SUM(1)", "x" * 300, "\u202e", ""]),
)
INLINE = st.fixed_dictionaries(
    {
        "tickers": st.lists(NASTY_TEXT | st.sampled_from(["A", "B", "C"]), min_size=0, max_size=3),
        "expected_returns": st.lists(NUMBER, max_size=3),
    },
    optional={
        "covariance": RAGGED,
        "loadings": RAGGED,
        "factor_covariance": RAGGED,
        "specific_variance": st.lists(NUMBER, max_size=3),
    },
)
HOSTILE = {
    "/api/optimize/portfolio": st.fixed_dictionaries({"inline": INLINE}),
    "/api/optimize/efficient-frontier?wait=true": st.fixed_dictionaries(
        {"inline": INLINE, "points": st.integers(2, 4)}
    ),
    "/api/risk/attribution": st.fixed_dictionaries(
        {"inline": INLINE, "weights": st.dictionaries(NASTY_TEXT, NUMBER, max_size=3)}
    ),
    "/api/portfolios": st.fixed_dictionaries(
        {
            "name": NASTY_TEXT,
            "tickers": st.lists(NASTY_TEXT, max_size=3),
            "sectors": st.dictionaries(NASTY_TEXT, NASTY_TEXT, max_size=2),
        }
    ),
    "/api/prices": st.lists(
        st.fixed_dictionaries(
            {
                "date": st.sampled_from(["2024-01-02", "2024-01-03"]),
                "ticker": NASTY_TEXT,
                "close": NUMBER,
            }
        ),
        max_size=3,
    ),
}
RAW = st.one_of(
    st.integers(1, 20_000).map(lambda depth: b"[" * depth),
    st.integers(1, 5_000).map(lambda depth: b'{"inline":' * depth),
    st.binary(max_size=40).map(lambda junk: b'{"name": "' + junk + b'", "tickers": ["A"]}'),
    st.sampled_from([b'{"tickers": ["\xff"]}', b'{"name": "\xed\xa0\x80"}', b"\x00", b""]),
)


def _refusal_is_named(r, body) -> None:
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        problem = r.json()
        assert problem["detail"] and problem.get("field"), (body, problem)


@pytest.mark.parametrize("path", list(HOSTILE))
def test_hostile_shapes_never_get_a_5xx(client, path) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(HOSTILE[path])
    def check(body) -> None:
        _refusal_is_named(client.post(path, json=body), body)

    check()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/optimize/portfolio"),
        ("POST", "/api/risk/attribution"),
        ("POST", "/api/portfolios"),
        ("PUT", "/api/sectors"),
        ("POST", "/api/prices"),
    ],
)
def test_undecodable_bodies_never_get_a_5xx(client, method, path) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(RAW)
    def check(raw: bytes) -> None:
        headers = {"content-type": "application/json"}
        _refusal_is_named(client.request(method, path, content=raw, headers=headers), raw[:80])

    check()
