import numpy as np

from domain.cleaning import clean_weights
from domain.constraints import LongOnly, WeightBounds
from domain.linear import compile_constraints

TICKERS = ("A", "B", "C", "D")


def test_noise_is_zeroed_clipped_and_the_residual_spread() -> None:
    lc = compile_constraints(TICKERS, [LongOnly(), WeightBounds(max_weight=0.5)])
    raw = np.array([3e-11, 0.5 + 4e-10, 0.3 - 2e-9, 0.2 - 1e-9])
    w, warning = clean_weights(raw, lc)
    assert warning is None
    assert w[0] == 0.0
    assert w[1] == 0.5
    assert abs(w.sum() - 1.0) < 1e-15
    np.testing.assert_allclose(w[2:], [0.3, 0.2], atol=1e-8)


def test_cleaning_is_deterministic() -> None:
    lc = compile_constraints(TICKERS, [LongOnly()])
    raw = np.array([0.25 + 1e-10, 0.25, 0.25 - 3e-10, 0.25])
    first, _ = clean_weights(raw, lc)
    second, _ = clean_weights(raw.copy(), lc)
    np.testing.assert_array_equal(first, second)


def test_a_large_residual_is_reported_not_hidden() -> None:
    lc = compile_constraints(TICKERS, [LongOnly()])
    w, warning = clean_weights(np.array([0.25, 0.25, 0.25, 0.24]), lc)
    assert warning is not None and "weights sum to 0.990000000" in warning
    assert w.sum() == 0.99


def test_a_tiny_weight_is_kept_when_zero_is_outside_its_bounds() -> None:
    lc = compile_constraints(TICKERS, [WeightBounds(min_weight=-0.5, max_weight=-1e-9)])
    raw = np.array([-5e-9, 0.0, 0.0, 0.0])
    w, _ = clean_weights(raw, lc)
    assert w[0] < 0
