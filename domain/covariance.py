"""Keeping a covariance matrix usable by a convex solver."""

import numpy as np

from domain.types import FloatArray

PSD_TOLERANCE = 1e-10
"""Eigenvalues above -PSD_TOLERANCE * largest eigenvalue count as numerically zero, not negative."""


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
