"""Run specs as documents, both ways: the HTTP request bodies of an optimization and a
frontier, and the parameters kept with every run in history."""

import datetime as dt
from typing import Annotated, Literal

import msgspec

from adapters.documents import SCHEMA_VERSION
from adapters.documents.constraints import (
    ConstraintsDocument,
    Document,
    constraints_document,
    to_constraints,
)
from adapters.documents.objectives import (
    MaxSharpeDocument,
    Objectives,
    objective_document,
    to_objective,
)
from adapters.documents.rebalance import RebalanceDocument, rebalance_document, to_rebalance
from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from application.specs import (
    Assets,
    Frontier,
    InlineModel,
    Optimize,
    PricesFile,
    RunSpec,
    SavedPortfolio,
    StoredPrices,
)
from domain.covariance import indefinite_reason
from domain.errors import InvalidUniverseError, ValidationError
from domain.estimation import DEFAULT_EMA_SPAN, PERIODS_PER_YEAR
from domain.frontier import DEFAULT_POINTS
from domain.model import Universe
from domain.returns import DEFAULT_MIN_OBSERVATIONS
from domain.risk_model import FactorModel


class EstimationDocument(Document):
    covariance: Literal["ledoit_wolf", "oas", "sample"] = "ledoit_wolf"
    returns: Literal["mean", "geometric", "ema"] = "mean"
    periods_per_year: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = PERIODS_PER_YEAR
    ema_span: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = DEFAULT_EMA_SPAN
    min_observations: Annotated[int, msgspec.Meta(ge=2, le=10_000_000)] = DEFAULT_MIN_OBSERVATIONS
    factors: Annotated[int, msgspec.Meta(ge=1)] | None = None


class SolverDocument(Document):
    """``chain``: CVXPY solvers to try in order (null: the server's default, exact engine
    first); ``time_limit_s``: seconds for the whole solve; ``tolerance``: the CVXPY solvers'
    convergence tolerance (null: 1e-10)."""

    time_limit_s: Annotated[float, msgspec.Meta(gt=0)] | None = None
    chain: list[str] | None = None
    tolerance: Annotated[float, msgspec.Meta(gt=0, le=0.01)] | None = None


class InlineUniverseBody(Document):
    """The caller's own annualized risk model: a dense ``covariance``, or a factor model
    (``loadings`` n x k, ``factor_covariance`` k x k, ``specific_variance`` n)."""

    tickers: list[str]
    expected_returns: list[float]
    covariance: list[list[float]] | None = None
    loadings: list[list[float]] | None = None
    factor_covariance: list[list[float]] | None = None
    specific_variance: list[float] | None = None
    repair: bool = False
    """A dense ``covariance`` that is not positive semi-definite (a correlation above 1, a
    negative variance, inconsistent pairs) is refused, naming what is wrong: an inline model
    is the caller's own. True: use the nearest positive semi-definite matrix instead, with a
    warning in the result."""


class _Request(Document):
    """Exactly one of ``portfolio_id`` (a saved portfolio: its assets and constraints),
    ``tickers`` (stored prices) or ``inline``."""

    portfolio_id: str | None = None
    tickers: list[str] | None = None
    inline: InlineUniverseBody | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    constraints: ConstraintsDocument = msgspec.field(default_factory=ConstraintsDocument)
    estimation: EstimationDocument = msgspec.field(default_factory=EstimationDocument)
    solver: SolverDocument = msgspec.field(default_factory=SolverDocument)


class OptimizeRequest(_Request):
    objective: Objectives = msgspec.field(default_factory=MaxSharpeDocument)
    rebalance: RebalanceDocument | None = None
    """Start from holdings: trading limits, costs and a benchmark (``RebalanceDocument``)."""


class FrontierRequest(_Request):
    risk_free_rate: float = 0.0
    points: int = DEFAULT_POINTS
    session_id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._~-]{1,64}$")] | None = None


def to_estimation(
    doc: EstimationDocument, start: dt.date | None = None, end: dt.date | None = None
) -> EstimationSettings:
    """The settings the document names (the same field names), in the window given."""
    fields = {name: getattr(doc, name) for name in doc.__struct_fields__}
    return EstimationSettings(**fields, start=start, end=end)


def run_estimation(params: dict, results: dict | None = None) -> EstimationSettings:
    """The estimation settings and price window a stored run used (its ``RunParams``), so its
    model can be rebuilt exactly: the same prices, the same methods. The window is the one
    its ``results`` report having used, when they do: an open end would otherwise take in
    prices imported since."""
    doc = msgspec.convert(params.get("estimation") or {}, EstimationDocument)
    window = (results or {}).get("window") or {}
    start = window.get("start") or params.get("start")
    end = window.get("end") or params.get("end")
    return to_estimation(
        doc,
        None if start is None else dt.date.fromisoformat(start),
        None if end is None else dt.date.fromisoformat(end),
    )


def estimation_document(settings: EstimationSettings) -> EstimationDocument:
    """The inverse of ``to_estimation`` (the window travels beside it)."""
    return EstimationDocument(
        **{name: getattr(settings, name) for name in EstimationDocument.__struct_fields__}
    )


def to_solver(doc: SolverDocument) -> SolverSettings:
    chain = None if doc.chain is None else tuple(doc.chain)
    return SolverSettings(chain, doc.time_limit_s, doc.tolerance)


def solver_document(settings: SolverSettings) -> SolverDocument:
    chain = None if settings.chain is None else list(settings.chain)
    return SolverDocument(
        time_limit_s=settings.time_limit_s, chain=chain, tolerance=settings.tolerance
    )


def to_universe(body: InlineUniverseBody) -> Universe:
    factor = None
    if body.loadings is not None:
        if body.factor_covariance is None or body.specific_variance is None:
            raise ValidationError(
                "inline: loadings need factor_covariance and specific_variance",
                field="inline.factor_covariance",
            )
        factor = FactorModel(body.loadings, body.factor_covariance, body.specific_variance)
    universe = Universe(body.tickers, body.expected_returns, body.covariance, factor)
    if factor is None and not body.repair:
        reason = indefinite_reason(universe.covariance, universe.tickers)
        if reason is not None:
            raise InvalidUniverseError(
                f'inline covariance: {reason}; fix the matrix, or send "repair": true to use '
                "the nearest positive semi-definite one",
                field="inline.covariance",
            )
    return universe


def universe_body(universe: Universe, repair: bool = False) -> InlineUniverseBody:
    mu = universe.expected_returns.tolist()
    f = universe.factor_model
    if f is None:
        return InlineUniverseBody(
            tickers=list(universe.tickers),
            expected_returns=mu,
            covariance=universe.covariance.tolist(),
            repair=repair,
        )
    return InlineUniverseBody(
        tickers=list(universe.tickers),
        expected_returns=mu,
        loadings=f.loadings.tolist(),
        factor_covariance=f.factor_covariance.tolist(),
        specific_variance=f.specific_variance.tolist(),
    )


def to_spec(doc: OptimizeRequest | FrontierRequest) -> RunSpec:
    """The run a request asks for. Checks what only the document knows (one universe source);
    the values check themselves when made."""
    if sum(x is not None for x in (doc.portfolio_id, doc.tickers, doc.inline)) != 1:
        raise ValidationError(
            "give exactly one of portfolio_id, tickers or inline", field="portfolio_id"
        )
    if doc.portfolio_id is not None:
        assets: SavedPortfolio | Assets = SavedPortfolio(doc.portfolio_id)
    else:
        tickers = None if doc.tickers is None else tuple(doc.tickers)
        name = "adhoc" if doc.inline is None else "inline"
        c = doc.constraints
        assets = Assets(tickers, to_constraints(c), dict(c.sectors), name)
    data = (
        StoredPrices()
        if doc.inline is None
        else InlineModel(to_universe(doc.inline), repair=doc.inline.repair)
    )
    if isinstance(doc, OptimizeRequest):
        rebalance = None if doc.rebalance is None else to_rebalance(doc.rebalance)
        task: Optimize | Frontier = Optimize(to_objective(doc.objective), rebalance)
        rate = doc.objective.risk_free_rate
    else:
        task, rate = Frontier(doc.points), doc.risk_free_rate
    return RunSpec(
        task=task,
        assets=assets,
        data=data,
        estimation=to_estimation(doc.estimation, doc.start, doc.end),
        solver=to_solver(doc.solver),
        risk_free_rate=rate,
    )


def spec_request(spec: RunSpec) -> OptimizeRequest | FrontierRequest:
    """The request that asks for ``spec`` (a spec on a prices file has none: the API reads
    stored prices or an inline model)."""
    if isinstance(spec.data, PricesFile):
        raise ValidationError("a run on a prices file has no API request", field="prices")
    common: dict = {
        "estimation": estimation_document(spec.estimation),
        "solver": solver_document(spec.solver),
        "start": spec.estimation.start,
        "end": spec.estimation.end,
    }
    if isinstance(spec.assets, SavedPortfolio):
        common["portfolio_id"] = spec.assets.ref
    else:
        a = spec.assets
        common["constraints"] = constraints_document(a.constraints, dict(a.sectors))
        if isinstance(spec.data, InlineModel):
            common["inline"] = universe_body(spec.data.universe, spec.data.repair)
        else:
            common["tickers"] = None if a.tickers is None else list(a.tickers)
    if isinstance(spec.task, Optimize):
        objective = objective_document(spec.task.objective, spec.risk_free_rate)
        r = spec.task.rebalance
        rebalance = None if r is None else rebalance_document(r)
        return OptimizeRequest(objective=objective, rebalance=rebalance, **common)
    return FrontierRequest(risk_free_rate=spec.risk_free_rate, points=spec.task.n_points, **common)


class RunParams(Document, kw_only=True):
    """What a run was asked, as kept in history: the spec with what it named resolved (a saved
    portfolio's tickers and constraints as they were then), and where its data came from
    (``source``: ``store``, the prices file's name, or ``inline``)."""

    schema_version: int = SCHEMA_VERSION
    kind: Literal["single", "frontier"]
    source: str
    tickers: list[str]
    constraints: ConstraintsDocument
    estimation: EstimationDocument | None
    """Null for an inline model (nothing is estimated)."""
    start: dt.date | None = None
    end: dt.date | None = None
    solver: SolverDocument = msgspec.field(default_factory=SolverDocument)
    risk_free_rate: float = 0.0
    objective: Objectives | None = None
    """Single runs."""
    rebalance: RebalanceDocument | None = None
    """Single runs that started from holdings (or tracked a benchmark)."""
    points: int | None = None
    """Frontier runs (the number of points asked)."""
    targets: list[float] | None = None
