"""The in-memory fake and the CSV adapter answer the same way."""

from pathlib import Path

import numpy as np
import pytest

from adapters.csv_prices import CsvPriceSource, write_prices
from domain.errors import NotFoundError
from domain.ports import PriceSource
from tests.conftest import make_market
from tests.fakes import InMemoryPriceSource

MARKET = make_market(n_assets=5, n_days=60, seed=8, gap_rate=0.02)


@pytest.fixture(params=["fake", "csv"])
def source(request, tmp_path: Path) -> PriceSource:
    if request.param == "fake":
        return InMemoryPriceSource(MARKET.history)
    path = tmp_path / "p.csv"
    with path.open("w", newline="") as handle:
        write_prices(MARKET.history, handle)
    return CsvPriceSource(path)


def test_all_tickers_by_default(source: PriceSource) -> None:
    h = source.load()
    assert h.tickers == MARKET.history.tickers
    np.testing.assert_allclose(h.closes, MARKET.history.closes, equal_nan=True)


def test_subset_in_the_requested_order_and_date_window(source: PriceSource) -> None:
    wanted = [MARKET.history.tickers[3], MARKET.history.tickers[0]]
    start, end = MARKET.history.dates[10], MARKET.history.dates[20]
    h = source.load(wanted, start, end)
    assert h.tickers == tuple(wanted)
    assert (h.dates[0], h.dates[-1], len(h.dates)) == (start, end, 11)


def test_unknown_ticker_is_not_found(source: PriceSource) -> None:
    with pytest.raises(NotFoundError, match="'NOPE'"):
        source.load(["NOPE"])
