"""How a run wants its solvers: a value the entrypoints parse and the container reads."""

from dataclasses import dataclass

from domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """``chain`` names the CVXPY solvers to try in order (``None``: the configured default). A
    single optimization with a chain of its own skips the exact engine, so the caller gets the
    solver they named; a frontier keeps the exact engine and uses the chain when it falls back.
    ``time_limit_s`` bounds the whole solve in seconds (``None``: the configured default).
    ``tolerance`` is the convergence tolerance of the CVXPY solvers (gap and feasibility,
    ``None``: 1e-10); the exact engine needs none."""

    chain: tuple[str, ...] | None = None
    time_limit_s: float | None = None
    tolerance: float | None = None

    def __post_init__(self) -> None:
        if self.chain is not None and not self.chain:
            raise ValidationError("solver chain: name at least one solver", field="solver_chain")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise ValidationError("solver time limit must be > 0 seconds", field="time_limit_s")
        if self.tolerance is not None and not 0 < self.tolerance <= 1e-2:
            raise ValidationError(
                f"solver tolerance must be in (0, 0.01], got {self.tolerance:g}",
                field="tolerance",
            )

    def capped(self, most_s: float) -> "SolverSettings":
        """Refuse a time limit above ``most_s`` (the server's ceiling), naming it."""
        if self.time_limit_s is not None and self.time_limit_s > most_s:
            raise ValidationError(
                f"solver.time_limit_s is {self.time_limit_s:g} s; the limit is {most_s:g} s "
                "(PFOPT_MAX_TIME_LIMIT_S)",
                field="time_limit_s",
            )
        return self
