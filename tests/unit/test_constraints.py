import math

import numpy as np
import pytest

from domain.constraints import (
    AssetBounds,
    Budget,
    FactorBounds,
    GroupLimits,
    LongOnly,
    WeightBounds,
)
from domain.errors import InfeasibleError, InvalidConstraintError
from domain.feasibility import precheck
from domain.linear import compile_constraints

TICKERS = ("AAA", "BBB", "CCC", "DDD")
SECTORS = {"AAA": "Tech", "BBB": "Tech", "CCC": "Energy", "DDD": "Utilities"}


def test_compile_intersects_bounds() -> None:
    lc = compile_constraints(
        TICKERS,
        [LongOnly(), WeightBounds(max_weight=0.5), AssetBounds({"BBB": (0.1, 0.7)}), Budget(2.0)],
    )
    np.testing.assert_array_equal(lc.lower, [0, 0.1, 0, 0])
    np.testing.assert_array_equal(lc.upper, [0.5, 0.5, 0.5, 0.5])
    assert lc.long_only
    assert lc.leverage == 2.0


def test_no_constraints_means_free_weights() -> None:
    lc = compile_constraints(TICKERS, [])
    assert np.all(np.isinf(lc.lower)) and np.all(np.isinf(lc.upper))
    assert not lc.long_only


def test_group_rows_are_indicators_with_family() -> None:
    lc = compile_constraints(TICKERS, [GroupLimits(SECTORS, {"Tech": (0.1, 0.4)})])
    (row,) = lc.rows
    np.testing.assert_array_equal(row.coefficients, [1, 1, 0, 0])
    assert (row.lower, row.upper, row.members, row.family) == (0.1, 0.4, (0, 1), "sector")
    assert lc.matrix().shape == (1, 4)


def test_factor_rows_follow_ticker_order() -> None:
    loadings = {"AAA": [1.0, 0.1], "BBB": [0.5, 0.2], "CCC": [1.5, -0.3], "DDD": [0.2, 0.0]}
    lc = compile_constraints(TICKERS, [FactorBounds(("MKT", "VAL"), loadings, {"VAL": (0, 1)})])
    (row,) = lc.rows
    np.testing.assert_array_equal(row.coefficients, [0.1, 0.2, -0.3, 0.0])
    assert row.label == "factor 'VAL' exposure"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Budget(0.5), "leverage must be a finite number >= 1"),
        (lambda: WeightBounds(0.5, 0.2), "lower bound 0.5 is above upper bound 0.2"),
        (lambda: WeightBounds(max_weight=math.inf), "max_weight must be finite"),
        (lambda: AssetBounds({"AAA": (0.3, 0.1)}), "bounds[AAA]: lower bound 0.3"),
        (lambda: GroupLimits(SECTORS, {"Tech": (0.5, 0.1)}), "sector_limits[Tech]"),
        (
            lambda: FactorBounds(("MKT",), {}, {"SIZE": (0, 1)}),
            "factor_limits: unknown factor 'SIZE'",
        ),
        (
            lambda: FactorBounds(("MKT",), {"AAA": [math.nan]}, {}),
            "factor loadings of 'AAA': need 1 finite numbers",
        ),
    ],
)
def test_malformed_constraints_name_the_field(build, message: str) -> None:
    with pytest.raises(InvalidConstraintError, match=None) as caught:
        build()
    assert message in caught.value.detail


def test_unknown_ticker_in_bounds() -> None:
    with pytest.raises(InvalidConstraintError, match="bounds: unknown ticker 'ZZZ'"):
        compile_constraints(TICKERS, [AssetBounds({"ZZZ": (0, 1)})])


def test_sector_limit_for_a_sector_nobody_is_in() -> None:
    with pytest.raises(InvalidConstraintError, match="no asset is in sector 'Tehc'"):
        compile_constraints(TICKERS, [GroupLimits(SECTORS, {"Tehc": (0, 0.3)})])


def test_factor_loadings_missing_for_a_ticker() -> None:
    with pytest.raises(InvalidConstraintError, match="factor loadings missing for 'DDD'"):
        compile_constraints(
            TICKERS, [FactorBounds(("MKT",), {"AAA": [1], "BBB": [1], "CCC": [1]}, {})]
        )


def _precheck(*constraints) -> None:
    precheck(TICKERS, compile_constraints(TICKERS, [LongOnly(), *constraints]))


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        (
            (WeightBounds(min_weight=0.3),),
            "sum of per-asset minimum weights is 1.2 (120 %) > 1 (100 %)",
        ),
        (
            (WeightBounds(max_weight=0.2),),
            "sum of per-asset maximum weights is 0.8 (80 %) < 1 (100 %), so the "
            "portfolio cannot be fully "
            "invested (with 4 assets a common cap needs at least 0.25 (25 %))",
        ),
        (
            (WeightBounds(max_weight=0.2), AssetBounds({"AAA": (0.3, 1.0)})),
            "'AAA': minimum weight 0.3 (30 %) is above its maximum 0.2 (20 %)",
        ),
        (
            (GroupLimits(SECTORS, {"Tech": (0.6, 1), "Energy": (0.5, 1)}),),
            "sector 'Tech' min 0.6 (60 %) + sector 'Energy' min 0.5 (50 %) "
            "exceed the budget: 1.1 (110 %) > 1 (100 %)",
        ),
        (
            (WeightBounds(max_weight=0.3), GroupLimits(SECTORS, {"Energy": (0.4, 1)})),
            "sector 'Energy' min 0.4 (40 %) is more than its 1 asset(s) can hold (their maximum "
            "weights sum to 0.3 (30 %))",
        ),
        (
            (WeightBounds(min_weight=0.1), GroupLimits(SECTORS, {"Tech": (0, 0.15)})),
            "sector 'Tech' max 0.15 (15 %) is below the sum of its assets' "
            "minimum weights 0.2 (20 %)",
        ),
        (
            (GroupLimits(SECTORS, {"Tech": (0, 0.3), "Energy": (0, 0.2), "Utilities": (0, 0.1)}),),
            "sector maxima and asset maxima together allow at most 0.6 (60 %) < "
            "1 (100 %) of the budget",
        ),
    ],
)
def test_precheck_names_the_conflict(constraints, message: str) -> None:
    with pytest.raises(InfeasibleError) as caught:
        _precheck(*constraints)
    assert caught.value.detail == message


def test_precheck_accepts_a_feasible_setup() -> None:
    _precheck(WeightBounds(max_weight=0.4), GroupLimits(SECTORS, {"Tech": (0.2, 0.5)}))


def test_overlapping_group_families_are_checked_separately() -> None:
    regions = {"AAA": "US", "BBB": "EU", "CCC": "US", "DDD": "EU"}
    _precheck(
        GroupLimits(SECTORS, {"Tech": (0.5, 1), "Energy": (0.2, 1)}),
        GroupLimits(regions, {"US": (0.5, 1), "EU": (0.3, 1)}, kind="region"),
    )
