"""Keeping a covariance matrix usable by a convex solver."""

from collections.abc import Sequence

import numpy as np

from domain.types import FloatArray

PSD_TOLERANCE = 1e-10
"""Eigenvalues above -PSD_TOLERANCE * largest eigenvalue count as numerically zero, not negative."""


def indefinite_reason(covariance: FloatArray, tickers: Sequence[str]) -> str | None:
    """None when ``covariance`` is positive semi-definite (within ``PSD_TOLERANCE``), else
    what is wrong with it, naming the assets: a negative variance, the pair whose correlation
    is furthest above 1, or (every pair consistent on its own) the smallest eigenvalue."""
    _, warning = ensure_psd(covariance)
    if warning is None:
        return None
    symmetric = (covariance + covariance.T) / 2.0
    variances = np.diag(symmetric)
    if (variances < 0).any():
        k = int(np.argmin(variances))
        return f"the variance of {tickers[k]} is negative ({variances[k]:.4g})"
    sd = np.sqrt(variances)
    scale = np.outer(sd, sd)
    size = np.abs(symmetric)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(scale > 0, size / scale, np.where(size > 0, np.inf, 0.0))
    np.fill_diagonal(corr, 0.0)
    i, j = np.unravel_index(int(np.argmax(corr)), corr.shape)
    if np.isinf(corr[i, j]):
        zero, other = (i, j) if variances[i] == 0 else (j, i)
        return (
            f"{tickers[zero]} has variance 0 but covariance {symmetric[i, j]:.6g} with "
            f"{tickers[other]}"
        )
    if corr[i, j] > 1.0 + 1e-9:
        return (
            f"the correlation of {tickers[i]} and {tickers[j]} is "
            f"{symmetric[i, j] / scale[i, j]:.6g}, above 1 (covariance {symmetric[i, j]:.6g}, "
            f"variances {variances[i]:.6g} and {variances[j]:.6g})"
        )
    smallest = float(np.linalg.eigvalsh(symmetric)[0])
    return (
        "it is not positive semi-definite (smallest eigenvalue "
        f"{smallest:.3g}): every pairwise correlation is within [-1, 1], but together they "
        "are inconsistent"
    )


def ensure_psd(covariance: FloatArray) -> tuple[FloatArray, str | None]:
    """Return a positive semi-definite covariance and a warning when it had to be repaired.

    A matrix with clearly negative eigenvalues (pairwise-estimated, user-supplied or rounded) makes
    the variance of some portfolio negative, so the solver would chase it. The repair clips those
    eigenvalues to zero and rebuilds V diag(lambda) V', which is the nearest PSD matrix in the
    Frobenius norm (Higham 1988); the diagonal then moves slightly and the warning says how much.
    """
    symmetric = (covariance + covariance.T) / 2.0
    try:
        # A Cholesky factor exists only for a positive definite matrix, and finding one costs a
        # fraction of the eigendecomposition: the common case needs no spectrum at all.
        np.linalg.cholesky(symmetric)
        return symmetric, None
    except np.linalg.LinAlgError:
        pass  # singular or indefinite: the spectrum decides
    eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
    largest = max(float(eigenvalues[-1]), 0.0)
    smallest = float(eigenvalues[0])
    if smallest >= -PSD_TOLERANCE * max(largest, 1e-300):
        return symmetric, None
    clipped = np.clip(eigenvalues, 0.0, None)
    repaired = (eigenvectors * clipped) @ eigenvectors.T
    repaired = (repaired + repaired.T) / 2.0
    change = float(np.max(np.abs(np.diag(repaired) - np.diag(symmetric))))
    warning = (
        f"covariance was not positive semi-definite (smallest eigenvalue {smallest:.3g}); "
        f"negative eigenvalues were clipped to 0 (variances moved by at most {change:.3g})"
    )
    return repaired, warning
