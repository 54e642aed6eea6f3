import numpy as np
import pytest

from domain.errors import ValidationError
from tests.conftest import make_market


def test_same_seed_same_prices() -> None:
    a, b = make_market(n_assets=5, n_days=50, seed=9), make_market(n_assets=5, n_days=50, seed=9)
    np.testing.assert_array_equal(a.history.closes, b.history.closes)
    assert a.history.dates == b.history.dates
    c = make_market(n_assets=5, n_days=50, seed=10)
    assert not np.array_equal(a.history.closes, c.history.closes)


def test_realistic_shape_sectors_and_weekdays() -> None:
    m = make_market(n_assets=14, n_days=750, seed=1)
    assert m.history.closes.shape == (750, 14)
    assert all(d.weekday() < 5 for d in m.history.dates)
    assert set(m.sectors) == set(m.history.tickers)
    assert len(set(m.sectors.values())) == 7
    returns = np.diff(np.log(m.history.closes), axis=0)
    vol = returns.std(axis=0) * np.sqrt(252)
    assert np.all((vol > 0.1) & (vol < 0.6))
    kurtosis = ((returns - returns.mean(0)) ** 4).mean(0) / returns.var(0) ** 2
    assert np.median(kurtosis) > 3.0  # fatter tails than a normal distribution
    corr = np.corrcoef(returns, rowvar=False)
    assert corr[np.triu_indices(14, 1)].mean() > 0.2  # a common market factor


def test_late_starters_and_gaps_leave_holes() -> None:
    m = make_market(n_assets=6, n_days=300, seed=2, late_starters=2, gap_rate=0.01)
    missing = np.isnan(m.history.closes)
    assert missing[0].sum() == 2
    assert missing[200:].sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_assets": 1}, "assets"),
        ({"n_days": 5}, "days"),
        ({"late_starters": 20}, "late_starters"),
        ({"gap_rate": 0.5}, "gap_rate"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_market(**kwargs)
    assert caught.value.field == field
