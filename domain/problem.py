"""What goes into a solver and what comes back."""

from dataclasses import dataclass
from typing import Literal, TypeAlias

from domain.linear import LinearConstraints
from domain.model import Universe
from domain.objectives import NEEDS_REBALANCE, Objective
from domain.rebalance import Rebalance
from domain.types import FloatArray

SolveStatus: TypeAlias = Literal["optimal", "optimal_inaccurate"]


@dataclass(frozen=True, slots=True, eq=False)
class Problem:
    """One optimization: the universe, its compiled constraints and the objective, and what
    it starts from when it rebalances a book (turnover, costs, a benchmark)."""

    universe: Universe
    constraints: LinearConstraints
    objective: Objective
    rebalance: Rebalance | None = None

    @property
    def exact_fits(self) -> bool:
        """Whether the critical-line engine states this problem: no trading term changes it
        and the objective is one of mean-variance's (turnover and costs need a conic
        solver for now)."""
        shaped = self.rebalance is not None and self.rebalance.shapes_problem
        return not shaped and self.objective.name not in NEEDS_REBALANCE


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
    gap: float | None = None
    """A mixed-integer solver's relative optimality gap (0: proven optimal)."""


@dataclass(frozen=True, slots=True)
class ReturnRange:
    """Lowest and highest expected return (annualized) any feasible portfolio reaches.

    ``highest`` is ``inf`` when shorts without a leverage cap make it unbounded.
    """

    lowest: float
    highest: float
