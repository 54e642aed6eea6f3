import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from adapters.csv_prices import CsvPriceSource, read_prices, write_prices
from adapters.csv_tables import read_factor_loadings, read_sector_map
from domain.errors import InvalidPriceDataError, NotFoundError, ValidationError


@pytest.fixture(autouse=True, params=["row_by_row", "bulk_first"])
def reader(request, monkeypatch) -> str:
    """Every test here runs twice: as small files read (row by row), and with the bulk reader
    tried first (as for large files), which must give the same prices and the same errors."""
    if request.param == "bulk_first":
        monkeypatch.setattr("adapters.csv_prices.BULK_BYTES", 0)
    return request.param


def _write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


WIDE = "date,AAA,BBB\n2024-01-02,10,20\n2024-01-03,11,\n2024-01-04,12,22\n"
LONG = (
    "ticker,date,close\nAAA,2024-01-02,10\nBBB,2024-01-02,20\nAAA,2024-01-03,11\n"
    "AAA,2024-01-04,12\nBBB,2024-01-04,22\n"
)


def test_wide_and_long_read_the_same(tmp_path: Path) -> None:
    wide = read_prices(_write(tmp_path, WIDE))
    long = read_prices(_write(tmp_path, LONG, "long.csv"))
    assert wide.tickers == long.tickers == ("AAA", "BBB")
    assert wide.dates == long.dates
    np.testing.assert_array_equal(wide.closes, long.closes)
    assert math.isnan(wide.closes[1, 1])


def test_round_trip_through_write(tmp_path: Path) -> None:
    history = read_prices(_write(tmp_path, WIDE))
    out = tmp_path / "out.csv"
    with out.open("w", newline="") as handle:
        write_prices(history, handle)
    again = read_prices(out)
    np.testing.assert_array_equal(again.closes, history.closes)


def test_unsorted_dates_are_sorted_and_bom_is_ignored(tmp_path: Path) -> None:
    text = "\ufeffDate,AAA,BBB\n2024-01-03,11,21\n2024-01-02,10,20\n"
    history = read_prices(_write(tmp_path, text))
    assert history.dates == (dt.date(2024, 1, 2), dt.date(2024, 1, 3))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "date,AAA,BBB\n2024-01-02,10,20\n2024-13-01,1,2\n",
            "prices.csv line 3, column 'date': bad date '2024-13-01' (expected YYYY-MM-DD)",
        ),
        (
            "date,AAA,BBB\n2024-01-02,10,abc\n",
            "prices.csv line 2, column 'BBB': not a number: 'abc'",
        ),
        (
            "date,AAA,BBB\n2024-01-02,10,0\n",
            "prices.csv line 2, column 'BBB': price must be from 1e-08 to 1e+15, got 0",
        ),
        (
            "date,AAA,BBB\n2024-01-02,-5,1\n",
            "prices.csv line 2, column 'AAA': price must be from 1e-08 to 1e+15, got -5",
        ),
        (
            "date,AAA,BBB\n2024-01-02,inf,1\n",
            "prices.csv line 2, column 'AAA': price must be from 1e-08 to 1e+15, got inf",
        ),
        (
            "date,AAA,BBB\n2024-01-02,1,2\n2024-01-02,1,2\n",
            "prices.csv line 3, column 'date': duplicate date 2024-01-02 (also line 2)",
        ),
        (
            "date,AAA,AAA\n2024-01-02,1,2\n",
            "prices.csv line 1, column 'AAA': duplicate column (also column 2)",
        ),
        ("date,AAA,BBB\n2024-01-02,1\n", "prices.csv line 2, column 'date': 2 cells, header has 3"),
        ("day,AAA,BBB\n2024-01-02,1,2\n", "the first column of a wide price file must be 'date'"),
        ("", "prices.csv: the file is empty"),
        ("date,AAA,BBB\n", "prices.csv: no price rows"),
        (
            "date,ticker,close\n2024-01-02,AAA,1\n2024-01-02,AAA,2\n",
            "prices.csv line 3, column 'date': duplicate price for AAA on 2024-01-02 (also line 2)",
        ),
        ("date,ticker,close\n2024-01-02,AAA,\n", "prices.csv line 2, column 'close': empty price"),
        ("date,ticker,close\n2024-01-02,,1\n", "prices.csv line 2, column 'ticker': empty ticker"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidPriceDataError) as caught:
        read_prices(_write(tmp_path, text))
    assert message in caught.value.detail


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="file not found"):
        read_prices(tmp_path / "nope.csv")


def test_source_selects_tickers_and_dates(tmp_path: Path) -> None:
    source = CsvPriceSource(_write(tmp_path, WIDE))
    h = source.load(["BBB"], start=dt.date(2024, 1, 3))
    assert h.tickers == ("BBB",)
    assert h.closes.shape == (2, 1)
    assert h.dates == (dt.date(2024, 1, 3), dt.date(2024, 1, 4))
    with pytest.raises(NotFoundError, match=r"ticker 'ZZZ' is not in prices\.csv"):
        source.load(["AAA", "ZZZ"])


def test_sector_map_and_factor_loadings(tmp_path: Path) -> None:
    sectors = read_sector_map(_write(tmp_path, "ticker,sector\nAAA,Tech\nBBB,Energy\n", "s.csv"))
    assert sectors == {"AAA": "Tech", "BBB": "Energy"}
    factors, loadings = read_factor_loadings(
        _write(tmp_path, "ticker,MKT,VAL\nAAA,1.1,0.2\nBBB,0.9,-0.1\n", "f.csv")
    )
    assert factors == ("MKT", "VAL")
    assert loadings["BBB"] == [0.9, -0.1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,sector\nAAA,Tech\n", "s.csv line 1: the first column must be 'ticker'"),
        ("ticker,sector\nAAA,Tech\nAAA,Energy\n", "s.csv line 3: duplicate ticker 'AAA'"),
        ("ticker,sector\nAAA,\n", "s.csv line 2: empty ticker or sector"),
        ("ticker,sector,x\nAAA,Tech,1\n", "s.csv line 1: expected columns ticker,sector"),
    ],
)
def test_sector_map_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_sector_map(_write(tmp_path, text, "s.csv"))
    assert message in caught.value.detail


def test_factor_loading_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"f.csv line 2, column 'MKT': not a finite number"):
        read_factor_loadings(_write(tmp_path, "ticker,MKT\nAAA,x\n", "f.csv"))
