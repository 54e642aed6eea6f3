"""``adapters.documents``: a run spec encoded as its request document, sent through JSON and
decoded, is the spec it was; the same for objectives and constraints of every kind."""

import math

import msgspec
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.documents.constraints import constraints_document, to_constraints
from adapters.documents.objectives import KINDS, objective_document, to_objective
from adapters.documents.specs import FrontierRequest, OptimizeRequest, spec_request, to_spec
from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from application.specs import (
    Assets,
    Frontier,
    InlineModel,
    Optimize,
    RunSpec,
    SavedPortfolio,
    StoredPrices,
)
from domain.constraints import build_constraints
from domain.model import Universe
from domain.objectives import MaxSharpe, MaxUtility, MinVariance, TargetReturn, TargetRisk
from domain.risk_model import FactorModel
from tests.unit.test_constraint_codec_roundtrip import assert_same

TICKERS = ("AAA", "BBB", "CCC")
weight = st.floats(0.0, 1.0, allow_nan=False)
rate = st.floats(-1.0, 1.0, allow_nan=False)
pairs = st.tuples(weight, weight).map(sorted).map(tuple)


@st.composite
def constraint_sets(draw):
    """What the CLI and the API can say: ``build_constraints`` of any of its words."""
    long_only = draw(st.booleans())
    sectors = draw(st.dictionaries(st.sampled_from(TICKERS), st.sampled_from(["Tech", "Energy"])))
    limits = draw(st.dictionaries(st.sampled_from(["Tech", "Energy"]), pairs, max_size=2))
    factors = draw(st.booleans())
    constraints = build_constraints(
        long_only=long_only,
        leverage=None if long_only else draw(st.none() | st.floats(1.0, 3.0)),
        min_weight=draw(st.none() | st.just(0.0)),
        max_weight=draw(st.none() | st.floats(0.4, 1.0)),
        bounds=draw(st.dictionaries(st.sampled_from(TICKERS), pairs, max_size=3)),
        sectors=sectors,
        sector_limits=limits,
        factors=("value",) if factors else (),
        loadings={t: [float(i)] for i, t in enumerate(TICKERS)} if factors else {},
        factor_limits={"value": (0.0, 1.5)} if factors else {},
    )
    return constraints, sectors


objectives = st.one_of(
    st.just(MinVariance()),
    st.builds(MaxSharpe, rate),
    st.builds(TargetReturn, st.floats(-0.5, 0.5)),
    st.builds(TargetRisk, st.floats(0.01, 1.0)),
    st.builds(MaxUtility, st.floats(0.1, 20.0)),
)


@st.composite
def universes(draw) -> Universe:
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    mu = rng.normal(0.08, 0.05, len(TICKERS))
    if draw(st.booleans()):
        a = rng.normal(size=(len(TICKERS), len(TICKERS)))
        return Universe(TICKERS, mu, a @ a.T / 10)
    loadings = rng.normal(size=(len(TICKERS), 2))
    factor = FactorModel(loadings, np.diag([0.04, 0.01]), rng.uniform(0.01, 0.05, len(TICKERS)))
    return Universe(TICKERS, mu, factor_model=factor)


@st.composite
def specs(draw) -> RunSpec:
    task = draw(
        st.one_of(st.builds(Optimize, objectives), st.builds(Frontier, st.integers(2, 200)))
    )
    if draw(st.booleans()):
        assets, data = SavedPortfolio(draw(st.text(min_size=1, max_size=10))), StoredPrices()
    else:
        constraints, sectors = draw(constraint_sets())
        inline = draw(st.booleans())
        tickers = None if inline else TICKERS
        name = "inline" if inline else "adhoc"
        assets = Assets(tickers, constraints, sectors, name)
        data = InlineModel(draw(universes())) if inline else StoredPrices()
    estimation = EstimationSettings(
        covariance=draw(st.sampled_from(["ledoit_wolf", "oas", "sample"])),
        returns=draw(st.sampled_from(["mean", "geometric", "ema"])),
        periods_per_year=draw(st.integers(1, 365)),
        ema_span=draw(st.integers(1, 1000)),
        min_observations=draw(st.integers(2, 500)),
        factors=draw(st.none() | st.integers(1, 5)),
    )
    solver = SolverSettings(
        draw(st.none() | st.just(("CLARABEL", "OSQP"))),
        draw(st.none() | st.floats(0.1, 100.0)),
        draw(st.none() | st.floats(1e-12, 1e-2)),
    )
    rf = draw(rate)
    if isinstance(task, Optimize) and isinstance(task.objective, MaxSharpe):
        rf = task.objective.risk_free_rate  # the API has one rate for max Sharpe: its own
    return RunSpec(
        task=task, assets=assets, data=data, estimation=estimation, solver=solver, risk_free_rate=rf
    )


def _through_json(spec: RunSpec) -> RunSpec:
    document = spec_request(spec)
    kind = OptimizeRequest if isinstance(spec.task, Optimize) else FrontierRequest
    return to_spec(msgspec.json.decode(msgspec.json.encode(document), type=kind))


def _same_universe(a: Universe, b: Universe) -> None:
    assert a.tickers == b.tickers
    np.testing.assert_array_equal(a.expected_returns, b.expected_returns)
    if a.factor_model is None:
        np.testing.assert_array_equal(a.covariance, b.covariance)
        return
    for name in ("loadings", "factor_covariance", "specific_variance"):
        np.testing.assert_array_equal(getattr(a.factor_model, name), getattr(b.factor_model, name))


@settings(max_examples=150, deadline=None)
@given(specs())
def test_a_spec_comes_back_from_its_request_document(spec: RunSpec) -> None:
    back = _through_json(spec)
    assert back.task == spec.task
    assert back.estimation == spec.estimation
    assert back.solver == spec.solver
    assert back.risk_free_rate == spec.risk_free_rate
    if isinstance(spec.assets, SavedPortfolio):
        assert back.assets == spec.assets
    else:
        assert isinstance(back.assets, Assets)
        assert (back.assets.tickers, back.assets.name) == (spec.assets.tickers, spec.assets.name)
        assert back.assets.sectors == spec.assets.sectors
        assert len(back.assets.constraints) == len(spec.assets.constraints)
        for original, decoded in zip(spec.assets.constraints, back.assets.constraints, strict=True):
            assert_same(original, decoded)
    if isinstance(spec.data, InlineModel):
        assert isinstance(back.data, InlineModel)
        _same_universe(spec.data.universe, back.data.universe)
    else:
        assert back.data == spec.data


@settings(max_examples=100, deadline=None)
@given(objectives, rate)
def test_every_objective_kind_comes_back(objective, risk_free_rate: float) -> None:
    document = objective_document(objective, risk_free_rate)
    assert document.__struct_config__.tag == objective.name
    assert to_objective(
        msgspec.json.decode(msgspec.json.encode(document), type=type(document))
    ) == (objective)


def test_the_codec_knows_every_domain_objective() -> None:
    """The registry is the one list of objectives (CLI choices, API schema, stored kinds):
    every member of the domain's ``Objective`` union, and nothing else."""
    import typing

    from domain.objectives import Objective

    assert set(KINDS) == {member.name for member in typing.get_args(Objective)}
    assert {"min_variance", "max_sharpe", "min_tracking_error", "min_turnover"} <= set(KINDS)


@settings(max_examples=150, deadline=None)
@given(constraint_sets())
def test_constraints_come_back_from_their_document(drawn) -> None:
    constraints, sectors = drawn
    document = constraints_document(constraints, sectors)
    assert all(
        not isinstance(v, float) or math.isfinite(v)
        for pair in document.bounds.values()
        for v in pair
    )
    back = to_constraints(msgspec.json.decode(msgspec.json.encode(document), type=type(document)))
    assert len(back) == len(constraints)
    for original, decoded in zip(constraints, back, strict=True):
        assert_same(original, decoded)
