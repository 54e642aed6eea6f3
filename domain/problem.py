"""What goes into a solver and what comes back."""

from dataclasses import dataclass
from typing import Literal, TypeAlias

from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import Objective
from domain.types import FloatArray

SolveStatus: TypeAlias = Literal["optimal", "optimal_inaccurate"]


@dataclass(frozen=True, slots=True, eq=False)
class Problem:
    """One optimization: the universe, its compiled constraints and the objective."""

    universe: Universe
    constraints: LinearConstraints
    objective: Objective


@dataclass(frozen=True, slots=True)
class SolverAttempt:
    """One solver tried for a problem and what it said (``optimal``, ``error: ...``)."""

    solver: str
    outcome: str


@dataclass(frozen=True, slots=True, eq=False)
class Solution:
    """Raw weights from a solver, before ``domain.cleaning`` tidies them.

    ``weights`` has shape (n_assets,), decimal. ``solver`` names the solver whose answer this is
    and ``attempts`` every solver tried, in order, so fallbacks are visible to the user.
    """

    weights: FloatArray
    solver: str
    status: SolveStatus
    attempts: tuple[SolverAttempt, ...] = ()
    kkt_residual: float | None = None
    """Largest violation of the optimality conditions, where the solver can state it."""


@dataclass(frozen=True, slots=True)
class ReturnRange:
    """Lowest and highest expected return (annualized) any feasible portfolio reaches.

    ``highest`` is ``inf`` when shorts without a leverage cap make it unbounded.
    """

    lowest: float
    highest: float
