"""Shared type aliases for numeric arrays."""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A float64 ndarray; shapes are stated where it is used."""


def frozen_array(values: object, *, ndim: int | None = None) -> FloatArray:
    """A read-only float64 copy, so a frozen value object cannot be mutated through its array."""
    array = np.array(values, dtype=np.float64, copy=True)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"expected a {ndim}-d array, got shape {array.shape}")
    array.setflags(write=False)
    return array


MAX_MAGNITUDE = 1e12
"""Largest absolute value a risk-model input may hold. Inputs are annualized decimals (a
variance of 0.04 is a 20 % volatility), so 1e12 is already absurd; finite values far beyond it
(1e308) overflow to inf in the first product and reach the solvers as NaN."""


def numbers(values: object, field: str, ndim: int, *, scalar_ok: bool = False) -> FloatArray:
    """``values`` as a read-only float64 array of ``ndim`` dimensions (fewer with
    ``scalar_ok``: a 1 x 1 matrix given as a number), or an
    ``InvalidUniverseError`` naming ``field`` (a ragged matrix, text, the wrong nesting, a value
    beyond ``MAX_MAGNITUDE``), so a malformed array from a request body is a 4xx, never a
    traceback. NaN and inf pass: the callers name the asset they belong to."""
    from domain.errors import InvalidUniverseError  # errors imports nothing from here

    shape = "a list of numbers" if ndim == 1 else "a matrix (equal-length rows of numbers)"
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (ValueError, TypeError):
        raise InvalidUniverseError(
            f"{field} must be {shape}: its rows differ in length or hold something else",
            field=field,
        ) from None
    if array.ndim != ndim and not (scalar_ok and array.ndim < ndim):
        raise InvalidUniverseError(
            f"{field} must be {shape}, got an array of shape {array.shape}", field=field
        )
    huge = np.abs(array) > MAX_MAGNITUDE  # False for NaN and for inf's own check downstream
    huge &= np.isfinite(array)
    if huge.any():
        value = float(array[np.unravel_index(int(np.argmax(huge)), array.shape)])
        raise InvalidUniverseError(
            f"{field} holds {value:.3g}, beyond {MAX_MAGNITUDE:.0e}: risk inputs are annualized "
            "decimals (a variance of 0.04 is a 20 % volatility)",
            field=field,
        )
    array.setflags(write=False)
    return array
