"""The bulk reader (polars) against the row reader on the same files: the same prices, or it
declines and the row reader gives its own answer. Cells are drawn from the spellings where two
parsers could disagree: missing-price tokens in any case and padding, signs, exponents,
underscores, infinities, dates in other ISO forms."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.csv_bulk import read_bulk
from adapters.csv_prices import parse_prices, read_prices
from domain.errors import DomainError

PRICES = st.one_of(
    st.floats(0.01, 1e6, allow_nan=False).map(repr),
    st.decimals("0.0001", "99999", places=4).map(str),
    st.sampled_from(
        [
            "",
            "NA",
            "na",
            " NA",
            "N/A",
            "nan",
            "NaN",
            "null",
            "None",
            "nUll",
            "inf",
            "-inf",
            "0",
            "-1",
            "1e3",
            "1E-2",
            "+5",
            "1_000",
            " 12.5",
            "12.5 ",
            ".5",
            "5.",
            "abc",
            "0x10",
            "1.5e",
            "--1",
        ]
    ),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2024-01-02", "2024-1-02", "20240102", "2024-02-30", " 2024-01-05"]),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(read):
    try:
        history = read()
    except DomainError as error:
        return "error", str(error)
    return "ok", (history.dates, history.tickers, history.closes.tobytes())


def _both(tmp_path: Path, text: str):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = _outcome(lambda: parse_prices(handle, path.name))
    return rows, path


def _text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@SETTINGS
@given(st.lists(st.tuples(DATES, st.lists(PRICES, min_size=3, max_size=3)), min_size=1, max_size=6))
def test_wide_files_read_alike(tmp_path_factory, lines) -> None:
    tmp_path = tmp_path_factory.mktemp("wide")
    text = _text([["date", "AAA", "BBB", "CCC"], *([d, *p] for d, p in lines)])
    if '"' in text:
        return
    rows, path = _both(tmp_path, text)
    bulk = read_bulk(path.read_bytes(), ["date", "AAA", "BBB", "CCC"], long=False)
    if bulk is not None:
        assert rows == ("ok", (bulk.dates, bulk.tickers, bulk.closes.tobytes()))


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["AAA", "BBB", " CCC", "DDD"]), DATES, PRICES),
        min_size=1,
        max_size=8,
    )
)
def test_long_files_read_alike(tmp_path_factory, lines) -> None:
    tmp_path = tmp_path_factory.mktemp("long")
    text = _text([["ticker", "date", "close"], *(list(x) for x in lines)])
    if '"' in text:
        return
    rows, path = _both(tmp_path, text)
    bulk = read_bulk(path.read_bytes(), ["ticker", "date", "close"], long=True)
    if bulk is not None:
        assert rows == ("ok", (bulk.dates, bulk.tickers, bulk.closes.tobytes())), repr(text)


def test_a_large_file_is_read_in_bulk_and_its_errors_stay_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    days = np.arange("2020-01-01", "2024-12-31", dtype="datetime64[D]")[:1200]
    closes = np.round(rng.uniform(5, 500, (days.size, 150)), 4)
    closes[:40, 7] = np.nan  # a late starter
    header = ["date", *(f"T{i:03d}" for i in range(150))]
    body = [
        [str(d), *("" if np.isnan(x) else repr(float(x)) for x in row)]
        for d, row in zip(days, closes, strict=True)
    ]
    path = tmp_path / "large.csv"
    path.write_text(_text([header, *body]))
    assert path.stat().st_size >= 1_000_000
    bulk = read_bulk(path.read_bytes(), header, long=False)
    assert bulk is not None
    history = read_prices(path)
    np.testing.assert_array_equal(history.closes, closes)
    body[900][42] = "12,5".replace(",", ";")  # a decimal comma typed as a semicolon
    path.write_text(_text([header, *body]))
    with pytest.raises(
        DomainError, match=r"large.csv line 902, column 'T041': not a number: '12;5'"
    ):
        read_prices(path)


def test_a_nan_close_in_a_long_file_is_left_to_the_row_reader(tmp_path: Path) -> None:
    """polars reads "nan" as NaN, not null; the row reader calls it an empty price."""
    text = "ticker,date,close\nAAA,2000-01-01,nan\nAAA,2000-01-03,5\n"
    assert read_bulk(text.encode(), ["ticker", "date", "close"], long=True) is None
    rows, _ = _both(tmp_path, text)
    assert rows[0] == "error" and "empty price" in rows[1]
