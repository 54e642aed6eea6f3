"""The reference solver settings numerical tests and benchmarks compare pfopt against."""

TIGHT = {
    "CLARABEL": {
        "tol_gap_abs": 1e-14,
        "tol_gap_rel": 1e-14,
        "tol_feas": 1e-14,
        "tol_ktratio": 1e-12,
        "max_iter": 500,
    }
}
"""Clarabel at tolerances far below its defaults: a reference to 1e-8 in weights or better."""
