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
