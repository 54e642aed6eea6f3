"""The solver the CLI and the HTTP API use, for numerical tests that run on it too."""

from adapters.cvxpy_solver import CvxpySolver
from adapters.exact_solver import ExactFirstSolver
from application.allocate import Allocation
from domain.linear import LinearConstraints
from domain.objectives import MaxSharpe, MinVariance, Objective, TargetReturn
from entrypoints.container import Container
from tests.reference import TIGHT

CVXPY_SOLVERS = ("OSQP", "CLARABEL", "ECOS", "SCS")
EXACT_OBJECTIVES = (MinVariance, TargetReturn, MaxSharpe)


def production_solver() -> ExactFirstSolver:
    """``ExactFirstSolver`` exactly as the container builds it."""
    solver = Container().solver()
    assert isinstance(solver, ExactFirstSolver)
    return solver


def reference_solver() -> CvxpySolver:
    """Clarabel at tolerances far below its defaults (``tests.reference.TIGHT``)."""
    return CvxpySolver(chain=("CLARABEL",), options=TIGHT)


def answered_exactly(objective: Objective, lc: LinearConstraints) -> bool:
    """Whether the production solver hands this problem to the critical-line engine: the exact
    objectives, unless a gross leverage cap can bind (with shorts; long-only, sum |w| = 1)."""
    return isinstance(objective, EXACT_OBJECTIVES) and (lc.leverage is None or lc.long_only)


def assert_engine(allocation: Allocation, objective: Objective, lc: LinearConstraints) -> None:
    """The production solver's answer came from the engine it should have."""
    if answered_exactly(objective, lc):
        assert allocation.solver == "critical_line", allocation.solver
    else:
        assert allocation.solver in CVXPY_SOLVERS, allocation.solver
