"""A factor risk model S = B F B' + diag(D), kept in factored form.

With k factors and n assets it holds n*k + k*k + n numbers instead of n*n, and S @ w costs
O(n*k): the frontier engine and the solvers use the structure instead of the dense matrix.
"""

from dataclasses import dataclass

import numpy as np

from domain.errors import InvalidUniverseError
from domain.types import FloatArray, frozen_array, numbers


@dataclass(frozen=True, slots=True, eq=False)
class FactorModel:
    """Loadings B (n_assets, n_factors), factor covariance F (n_factors, n_factors, symmetric
    PSD) and specific variances D (n_assets,), all in the same units (annualized in a Universe)."""

    loadings: FloatArray
    factor_covariance: FloatArray
    specific_variance: FloatArray

    def __init__(self, loadings: object, factor_covariance: object, specific_variance: object):
        b = numbers(loadings, "loadings", 2)
        f = np.atleast_2d(numbers(factor_covariance, "factor_covariance", 2, scalar_ok=True))
        d = numbers(specific_variance, "specific_variance", 1)
        n, k = b.shape
        if f.shape != (k, k):
            raise InvalidUniverseError(
                f"factor_covariance has shape {f.shape}, expected ({k}, {k})",
                field="factor_covariance",
            )
        if d.shape != (n,):
            raise InvalidUniverseError(
                f"specific_variance has {d.shape[0]} values for {n} assets",
                field="specific_variance",
            )
        for name, array in (("loadings", b), ("factor_covariance", f), ("specific_variance", d)):
            if not np.all(np.isfinite(array)):
                raise InvalidUniverseError(f"{name} has NaN or inf", field=name)
        if np.any(d < 0):
            raise InvalidUniverseError("specific_variance must be >= 0", field="specific_variance")
        f = (f + f.T) / 2.0
        if np.linalg.eigvalsh(f)[0] < -1e-12 * max(float(np.abs(f).max()), 1e-300):
            raise InvalidUniverseError(
                "factor_covariance is not positive semi-definite", field="factor_covariance"
            )
        object.__setattr__(self, "loadings", b)
        object.__setattr__(self, "factor_covariance", frozen_array(f))
        object.__setattr__(self, "specific_variance", d)

    @property
    def n_assets(self) -> int:
        return int(self.loadings.shape[0])

    def scaled(self, factor: float) -> "FactorModel":
        """The same model with every variance multiplied by ``factor`` (e.g. 252 to annualize)."""
        return FactorModel(
            self.loadings, self.factor_covariance * factor, self.specific_variance * factor
        )

    def rows(self, index: np.ndarray) -> FloatArray:
        """S[index, :] without forming S: shape (len(index), n_assets)."""
        out = (self.loadings[index] @ self.factor_covariance) @ self.loadings.T
        out[np.arange(len(index)), index] += self.specific_variance[index]
        return out

    def diagonal(self) -> FloatArray:
        b = self.loadings
        return np.einsum("ij,jk,ik->i", b, self.factor_covariance, b) + self.specific_variance

    def matvec(self, weights: FloatArray) -> FloatArray:
        """S @ weights in O(n_assets * n_factors)."""
        b = self.loadings
        return b @ (self.factor_covariance @ (b.T @ weights)) + self.specific_variance * weights

    def dense(self) -> FloatArray:
        b = self.loadings
        return b @ self.factor_covariance @ b.T + np.diag(self.specific_variance)

    def factor_root(self) -> FloatArray:
        """G with G'G = B F B', shape (n_factors, n_assets): w'Sw = |G w|^2 + sum(D w^2)."""
        eigenvalues, vectors = np.linalg.eigh(self.factor_covariance)
        return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))).T @ self.loadings.T
