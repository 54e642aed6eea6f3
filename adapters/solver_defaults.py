"""Solver defaults, apart from the solvers themselves so reading them imports no CVXPY."""

DEFAULT_CHAIN: tuple[str, ...] = ("OSQP", "CLARABEL", "ECOS", "SCS")
"""CVXPY solvers tried in order when a run names none."""
DEFAULT_TIME_LIMIT_S = 30.0
"""Seconds for a whole CVXPY solve when a run names none."""
