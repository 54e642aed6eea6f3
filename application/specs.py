"""What to run: one value per run. The CLI and HTTP parse their own syntax into a ``RunSpec``
and hand it to ``application.runs``; the codec (``adapters.documents``) stores it as the run's
parameters. Rates and weights are annualized decimals."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from domain.constraints import Constraint
from domain.errors import ValidationError
from domain.frontier import DEFAULT_POINTS, check_points
from domain.model import Universe
from domain.objectives import MaxSharpe, Objective, check_rate
from domain.rebalance import RebalanceSpec


@dataclass(frozen=True, slots=True)
class SavedPortfolio:
    """A saved portfolio, by id or name: its assets, sectors and constraints."""

    ref: str


@dataclass(frozen=True, slots=True)
class Assets:
    """An ad-hoc selection with its constraints. ``tickers`` None: every ticker the data has
    (a prices file's columns, the store's tickers, an inline model's)."""

    tickers: tuple[str, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    sectors: Mapping[str, str] = field(default_factory=dict)
    name: str = "adhoc"


@dataclass(frozen=True, slots=True)
class StoredPrices:
    """Daily closes from the store, in the estimation window."""


@dataclass(frozen=True, slots=True)
class PricesFile:
    """A price CSV (wide or long) read for this run only."""

    path: str


@dataclass(frozen=True, slots=True, eq=False)
class InlineModel:
    """The caller's own annualized risk model (dense or factor); nothing is estimated.
    ``repair``: the caller asked that a dense covariance that is not positive semi-definite be
    replaced by the nearest one (otherwise such a model is refused where it is read)."""

    universe: Universe
    repair: bool = False


@dataclass(frozen=True, slots=True)
class Optimize:
    """One optimal portfolio; with ``rebalance``, reached from the holdings it names under
    its trading limits and costs (``domain.rebalance``)."""

    objective: Objective = field(default_factory=MaxSharpe)
    rebalance: RebalanceSpec | None = None

    def __post_init__(self) -> None:
        r = self.rebalance
        if self.objective.name == "min_tracking_error" and (
            r is None or (r.benchmark is None and r.index is None)
        ):
            raise ValidationError(
                "objective min_tracking_error needs a benchmark (rebalance.benchmark weights, "
                "or rebalance.index: a ticker whose prices are the benchmark)",
                field="benchmark",
            )
        if self.objective.name == "min_turnover" and (r is None or not r.holds_something):
            raise ValidationError(
                "objective min_turnover needs the holdings to start from (rebalance.holdings)",
                field="holdings",
            )


@dataclass(frozen=True, slots=True)
class Frontier:
    """The efficient frontier: ``n_points`` evenly spaced target returns, or ``targets``."""

    n_points: int = DEFAULT_POINTS
    targets: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        check_points(self.n_points, self.targets)


AssetsSource: TypeAlias = SavedPortfolio | Assets
DataSource: TypeAlias = StoredPrices | PricesFile | InlineModel
Task: TypeAlias = Optimize | Frontier
RunKind = Literal["single", "frontier"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    """Everything a run needs besides the store: what to solve (``task``), on which assets
    (``assets``) and data (``data``), how to estimate and how to solve. ``risk_free_rate`` is
    the rate Sharpe ratios are reported at (max Sharpe on a single run uses its own)."""

    task: Task
    assets: AssetsSource = field(default_factory=Assets)
    data: DataSource = field(default_factory=StoredPrices)
    estimation: EstimationSettings = field(default_factory=EstimationSettings)
    solver: SolverSettings = field(default_factory=SolverSettings)
    risk_free_rate: float = 0.0

    def __post_init__(self) -> None:
        check_rate(self.risk_free_rate)
        if isinstance(self.data, InlineModel):
            if isinstance(self.assets, SavedPortfolio):
                raise ValidationError(
                    "give exactly one of portfolio_id, tickers or inline", field="portfolio_id"
                )
            tickers = self.assets.tickers
            if tickers is not None and tickers != self.data.universe.tickers:
                raise ValidationError(
                    "an inline model's tickers are its own: give no other tickers",
                    field="tickers",
                )

    def asset_count(self) -> int | None:
        """How many assets the run has when the spec alone says (its tickers, an inline
        model's); None when only the store or the file knows (a saved portfolio, every
        stored ticker, a file's columns)."""
        if isinstance(self.data, InlineModel):
            return self.data.universe.n_assets
        if isinstance(self.assets, Assets) and self.assets.tickers is not None:
            return len(self.assets.tickers)
        return None

    @property
    def kind(self) -> RunKind:
        return "single" if isinstance(self.task, Optimize) else "frontier"

    @property
    def objective_name(self) -> str:
        """What history lists as the run's objective (``frontier`` for a frontier)."""
        return self.task.objective.name if isinstance(self.task, Optimize) else "frontier"
