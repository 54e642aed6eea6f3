import datetime as dt
import math

import numpy as np
import pytest

from domain.errors import InsufficientHistoryError, InvalidPriceDataError
from domain.prices import PriceHistory
from domain.returns import simple_returns

NAN = math.nan


def _days(n: int) -> list[dt.date]:
    return [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]


def test_simple_returns_are_percent_changes() -> None:
    h = PriceHistory(_days(3), ["A", "B"], [[100, 50], [110, 50], [99, 55]])
    w = simple_returns(h, min_observations=2)
    np.testing.assert_allclose(w.returns, [[0.1, 0.0], [-0.1, 0.1]])
    assert (w.start, w.end, w.n_observations, w.warnings) == (_days(3)[0], _days(3)[2], 2, ())


def test_late_starter_sets_the_common_window_and_is_named() -> None:
    h = PriceHistory(_days(5), ["A", "B"], [[1, NAN], [2, NAN], [3, 10], [4, 11], [5, 12]])
    w = simple_returns(h, min_observations=2)
    np.testing.assert_allclose(w.returns[:, 0], [4 / 3 - 1, 5 / 4 - 1])
    assert w.start == _days(5)[2]
    assert w.warnings == (
        "common window starts 2024-01-03 because B started trading then; 2 earlier date(s) "
        "not used",
    )


def test_early_stopper_ends_the_window() -> None:
    h = PriceHistory(_days(4), ["A", "B"], [[1, 1], [2, 2], [3, 3], [4, NAN]])
    w = simple_returns(h, min_observations=2)
    assert w.end == _days(4)[2]
    assert "common window ends 2024-01-03 because B has no later prices" in w.warnings[0]


def test_holes_are_skipped_for_every_asset_never_filled() -> None:
    h = PriceHistory(_days(4), ["A", "B"], [[100, 10], [NAN, 11], [121, 12], [133.1, 13.2]])
    w = simple_returns(h, min_observations=2)
    np.testing.assert_allclose(w.returns, [[0.21, 0.2], [0.1, 0.1]])
    assert "1 date(s) inside the window had a missing price" in w.warnings[0]
    assert "(A: 1)" in w.warnings[0]


def test_too_little_history_names_the_assets_that_shortened_it() -> None:
    h = PriceHistory(_days(6), ["A", "B"], [[1, NAN], [2, NAN], [3, NAN], [4, 1], [5, 2], [6, 3]])
    with pytest.raises(InsufficientHistoryError) as caught:
        simple_returns(h, min_observations=5)
    assert caught.value.detail == (
        "only 2 return observation(s) in the common window 2024-01-04..2024-01-06 (need at "
        "least 5); the window is set by B; lower min_observations (--min-observations) or give "
        "a longer history"
    )


def test_a_single_common_date_says_so() -> None:
    one = PriceHistory(_days(1), ["A", "B"], [[1, 2]])
    with pytest.raises(InsufficientHistoryError) as caught:
        simple_returns(one)
    assert caught.value.detail == (
        "the prices have 1 trading date(s) in common; returns need at least two"
    )


def test_asset_without_prices_and_disjoint_histories() -> None:
    with pytest.raises(InsufficientHistoryError, match="no prices at all for B"):
        simple_returns(PriceHistory(_days(2), ["A", "B"], [[1, NAN], [2, NAN]]))
    disjoint = PriceHistory(_days(4), ["A", "B"], [[1, NAN], [2, NAN], [NAN, 3], [NAN, 4]])
    with pytest.raises(InsufficientHistoryError, match="share no trading dates"):
        simple_returns(disjoint)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.0, "price of 'B' on 2024-01-02 is 0.0; prices must be positive"),
        (-3.0, "price of 'B' on 2024-01-02 is -3.0"),
        (math.inf, "price of 'B' on 2024-01-02 is inf"),
    ],
)
def test_price_history_rejects_non_positive_prices(value: float, message: str) -> None:
    with pytest.raises(InvalidPriceDataError) as caught:
        PriceHistory(_days(2), ["A", "B"], [[1, 1], [2, value]])
    assert message in caught.value.detail
    assert caught.value.field == "prices.B"


def test_price_history_rejects_unordered_dates() -> None:
    days = _days(2)
    with pytest.raises(InvalidPriceDataError, match="strictly increasing"):
        PriceHistory([days[1], days[0]], ["A", "B"], [[1, 1], [2, 2]])
