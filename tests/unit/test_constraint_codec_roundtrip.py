"""``adapters.constraint_codec``: decode(encode(c)) gives back c, through JSON too.

Infinite bounds are stored as null and must come back as -inf / +inf; the encoded document is
plain JSON (json.dumps then json.loads leaves it unchanged).
"""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.constraint_codec import decode, encode
from domain.constraints import (
    AssetBounds,
    Budget,
    Constraint,
    FactorBounds,
    GroupLimits,
    LongOnly,
    WeightBounds,
)

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
finite = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)


@st.composite
def ranges(draw, open_sides: bool = True) -> tuple[float, float]:
    """A valid (lower, upper): lower <= upper, either side possibly infinite."""
    lo, hi = sorted((draw(finite), draw(finite)))
    if open_sides and draw(st.booleans()):
        lo = -math.inf
    if open_sides and draw(st.booleans()):
        hi = math.inf
    return lo, hi


budgets = st.builds(Budget, st.none() | st.floats(1.0, 10.0, allow_nan=False, allow_infinity=False))
long_only = st.just(LongOnly())


@st.composite
def weight_bounds(draw) -> WeightBounds:
    lo, hi = draw(ranges(open_sides=False))
    return WeightBounds(draw(st.none() | st.just(lo)), draw(st.none() | st.just(hi)))


asset_bounds = st.builds(AssetBounds, st.dictionaries(names, ranges(), max_size=5))


@st.composite
def group_limits(draw) -> GroupLimits:
    groups = draw(st.dictionaries(names, names, max_size=6))
    limits = draw(st.dictionaries(names, ranges(), max_size=4))
    return GroupLimits(groups, limits, draw(st.sampled_from(["sector", "region", "industry"])))


@st.composite
def factor_bounds(draw) -> FactorBounds:
    factors = tuple(draw(st.lists(names, min_size=1, max_size=4, unique=True)))
    row = st.lists(finite, min_size=len(factors), max_size=len(factors))
    loadings = draw(st.dictionaries(names, row, max_size=5))
    limited = draw(st.lists(st.sampled_from(factors), unique=True))
    limits = {name: draw(ranges()) for name in limited}
    return FactorBounds(factors, loadings, limits)


constraints = st.one_of(
    budgets, long_only, weight_bounds(), asset_bounds, group_limits(), factor_bounds()
)


def assert_same(original: Constraint, decoded: Constraint) -> None:
    """Field by field; sequences compared as lists (loadings come back as JSON lists)."""
    assert type(decoded) is type(original)
    match original:
        case Budget(leverage=lev):
            assert decoded.leverage == lev
        case LongOnly():
            pass
        case WeightBounds(min_weight=lo, max_weight=hi):
            assert (decoded.min_weight, decoded.max_weight) == (lo, hi)
        case AssetBounds(bounds=b):
            assert dict(decoded.bounds) == dict(b)
            assert all(isinstance(p, tuple) for p in decoded.bounds.values())
        case GroupLimits(groups=g, limits=lim, kind=kind):
            assert dict(decoded.groups) == dict(g)
            assert dict(decoded.limits) == dict(lim)
            assert decoded.kind == kind
        case FactorBounds(factors=f, loadings=ld, limits=lim):
            assert tuple(decoded.factors) == f
            assert {t: list(v) for t, v in decoded.loadings.items()} == {
                t: list(v) for t, v in ld.items()
            }
            assert dict(decoded.limits) == dict(lim)
        case _:
            raise AssertionError(f"unexpected constraint {original!r}")


def _nulls_only(document) -> bool:
    """No float in the encoded form is infinite or NaN (JSON has neither)."""
    if isinstance(document, dict):
        return all(_nulls_only(v) for v in document.values())
    if isinstance(document, list):
        return all(_nulls_only(v) for v in document)
    return not isinstance(document, float) or math.isfinite(document)


@settings(max_examples=200, deadline=None)
@given(st.lists(constraints, max_size=8).map(tuple))
def test_decode_of_encode_gives_the_constraints_back(items: tuple[Constraint, ...]) -> None:
    document = encode(items)
    assert document["version"] == 1
    assert _nulls_only(document)
    decoded = decode(document)
    assert len(decoded) == len(items)
    for original, back in zip(items, decoded, strict=True):
        assert_same(original, back)
    # The generated loadings are lists, so the dataclasses compare equal as wholes too.
    assert decoded == items


@settings(max_examples=200, deadline=None)
@given(st.lists(constraints, max_size=8).map(tuple))
def test_encoded_form_survives_json(items: tuple[Constraint, ...]) -> None:
    document = encode(items)
    again = json.loads(json.dumps(document, allow_nan=False))
    assert again == document
    for original, back in zip(items, decode(again), strict=True):
        assert_same(original, back)


@settings(max_examples=200, deadline=None)
@given(
    budgets,
    weight_bounds(),
    asset_bounds,
    group_limits(),
    factor_bounds(),
    st.randoms(use_true_random=False),
)
def test_a_tuple_mixing_every_type(budget, bounds, assets, groups, factors, rng) -> None:
    items = [budget, LongOnly(), bounds, assets, groups, factors]
    rng.shuffle(items)
    document = json.loads(json.dumps(encode(tuple(items)), allow_nan=False))
    assert {i["type"] for i in document["items"]} == {
        "budget",
        "long_only",
        "weight_bounds",
        "asset_bounds",
        "group_limits",
        "factor_bounds",
    }
    decoded = decode(document)
    assert [type(c) for c in decoded] == [type(c) for c in items]
    for original, back in zip(items, decoded, strict=True):
        assert_same(original, back)


def test_infinite_sides_are_null_and_come_back_infinite() -> None:
    items = (
        AssetBounds({"A": (-math.inf, 0.3), "B": (0.1, math.inf)}),
        GroupLimits({"A": "Tech"}, {"Tech": (-math.inf, math.inf)}),
        FactorBounds(("value",), {"A": (1.0,)}, {"value": (-math.inf, 2.0)}),
    )
    document = encode(items)
    assert document["items"][0]["bounds"] == {"A": [None, 0.3], "B": [0.1, None]}
    assert document["items"][1]["limits"] == {"Tech": [None, None]}
    assert document["items"][2]["limits"] == {"value": [None, 2.0]}
    back = decode(json.loads(json.dumps(document)))
    assert back[0].bounds == {"A": (-math.inf, 0.3), "B": (0.1, math.inf)}
    assert back[1].limits == {"Tech": (-math.inf, math.inf)}
    assert back[2].limits == {"value": (-math.inf, 2.0)}
    # Loadings are stored as lists and come back as lists, not the tuples given.
    assert back[2].loadings == {"A": [1.0]}
    assert back[:2] == items[:2]
