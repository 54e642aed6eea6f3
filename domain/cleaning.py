"""Deterministic clean-up of solver output.

Interior-point and ADMM solvers return weights like 3e-11 for assets that are out of the
portfolio and sums like 0.999999999. pfopt cleans them the same way every time:

1. weights with |w| < ``ZERO_TOLERANCE`` (1e-8) become exactly 0 when 0 is within their bounds;
2. weights outside a bound by solver tolerance are clipped onto the bound;
3. the budget residual 1 - sum(w), when at most ``RESIDUAL_TOLERANCE`` (1e-6), is spread over the
   assets strictly inside their bounds in proportion to |w|, so the weights sum to 1 to machine
   precision. A larger residual is left alone and reported (the solve was inaccurate).
"""

import numpy as np

from domain.linear import LinearConstraints
from domain.types import FloatArray

ZERO_TOLERANCE = 1e-8
RESIDUAL_TOLERANCE = 1e-6


def clean_weights(weights: FloatArray, lc: LinearConstraints) -> tuple[FloatArray, str | None]:
    """Apply the three steps above; return the weights and a warning if the residual was large."""
    w = np.array(weights, dtype=float)
    tiny = (np.abs(w) < ZERO_TOLERANCE) & (lc.lower <= 0.0) & (lc.upper >= 0.0)
    w[tiny] = 0.0
    w = np.clip(w, lc.lower, lc.upper)
    residual = 1.0 - float(np.sum(w))
    if abs(residual) > RESIDUAL_TOLERANCE:
        return w, f"weights sum to {1.0 - residual:.9f}, not 1: the solver answer is inaccurate"
    room = (lc.upper - w) if residual > 0 else (w - lc.lower)
    movable = (w != 0.0) & (room > abs(residual))
    if residual != 0.0 and np.any(movable):
        share = np.where(movable, np.abs(w), 0.0)
        w += residual * share / float(np.sum(share))
    return w, None
