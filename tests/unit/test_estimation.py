import numpy as np
import pandas as pd
import pytest

from domain.covariance import ensure_psd
from domain.errors import ValidationError
from domain.estimation import expected_returns

RNG = np.random.default_rng(0)
RETURNS = RNG.normal(0.0005, 0.01, size=(300, 4))


def test_mean_is_arithmetic_times_periods() -> None:
    np.testing.assert_allclose(expected_returns(RETURNS, "mean"), RETURNS.mean(axis=0) * 252)


def test_geometric_compounds() -> None:
    expected = np.prod(1 + RETURNS, axis=0) ** (252 / 300) - 1
    np.testing.assert_allclose(expected_returns(RETURNS, "geometric"), expected)


@pytest.mark.parametrize("span", [1, 20, 500])
def test_ema_matches_pandas_ewm(span: int) -> None:
    reference = pd.DataFrame(RETURNS).ewm(span=span).mean().iloc[-1].to_numpy() * 252
    np.testing.assert_allclose(expected_returns(RETURNS, "ema", ema_span=span), reference)


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(ValidationError, match="returns method must be one of"):
        expected_returns(RETURNS, "median")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="periods_per_year must be > 0"):
        expected_returns(RETURNS, "mean", periods_per_year=0)
    with pytest.raises(ValidationError, match="ema_span must be >= 1"):
        expected_returns(RETURNS, "ema", ema_span=0)


def test_psd_matrix_is_left_alone() -> None:
    cov = np.cov(RETURNS, rowvar=False)
    repaired, warning = ensure_psd(cov)
    assert warning is None
    np.testing.assert_array_equal(repaired, cov)


def test_indefinite_matrix_is_clipped_with_a_warning() -> None:
    cov = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    repaired, warning = ensure_psd(cov)
    assert np.linalg.eigvalsh(repaired).min() >= -1e-12
    assert warning is not None and "not positive semi-definite" in warning
    assert "smallest eigenvalue -0.8" in warning


def test_singular_psd_matrix_is_left_alone() -> None:
    """Rank-deficient (more assets than observations) has no Cholesky factor but is PSD."""
    few = RNG.normal(0.0, 0.01, size=(3, 6))
    cov = np.cov(few, rowvar=False)
    assert np.linalg.matrix_rank(cov) < 6
    repaired, warning = ensure_psd(cov)
    assert warning is None
    np.testing.assert_array_equal(repaired, (cov + cov.T) / 2.0)
