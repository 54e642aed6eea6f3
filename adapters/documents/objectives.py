"""Objectives as tagged documents (``kind`` names the objective). Adding an objective is a
domain value, its solver, and one entry here: a document class and its two mappings; the CLI's
``--objective`` choices and the API's ``objective`` schema come from ``KINDS``."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from domain.errors import ValidationError
from domain.objectives import (
    HierarchicalRiskParity,
    MaxSharpe,
    MaxUtility,
    MinTrackingError,
    MinTurnover,
    MinVariance,
    Objective,
    RiskBudget,
    TargetReturn,
    TargetRisk,
)


class ObjectiveDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    """``risk_free_rate`` (annualized decimal) is on every kind: it is the rate the result's
    Sharpe ratio is reported at, and max Sharpe's own rate."""

    risk_free_rate: float = 0.0


class MinVarianceDocument(ObjectiveDocument, tag="min_variance", kw_only=True):
    pass


class MaxSharpeDocument(ObjectiveDocument, tag="max_sharpe", kw_only=True):
    pass


class TargetReturnDocument(ObjectiveDocument, tag="target_return", kw_only=True):
    target_return: float
    """Annualized expected return to reach, decimal."""


class TargetRiskDocument(ObjectiveDocument, tag="target_risk", kw_only=True):
    target_risk: Annotated[float, msgspec.Meta(gt=0)]
    """Annualized volatility not to exceed, decimal."""


class MaxUtilityDocument(ObjectiveDocument, tag="max_utility", kw_only=True):
    risk_aversion: Annotated[float, msgspec.Meta(gt=0)] = 1.0


class MinTrackingErrorDocument(ObjectiveDocument, tag="min_tracking_error", kw_only=True):
    """Needs ``rebalance.benchmark``."""


class MinTurnoverDocument(ObjectiveDocument, tag="min_turnover", kw_only=True):
    """Needs ``rebalance.holdings``."""


class RiskBudgetDocument(ObjectiveDocument, tag="risk_budget", kw_only=True):
    """``budgets``: each asset's share of the portfolio's variance (decimals summing to 1, by
    ticker); omitted: equal risk contribution."""

    budgets: dict[str, float] | None = None


class HrpDocument(ObjectiveDocument, tag="hrp", kw_only=True):
    """Hierarchical risk parity; ``linkage`` is SciPy's method of merging clusters."""

    linkage: Literal["single", "complete", "average", "weighted", "centroid", "median", "ward"] = (
        "single"
    )


Objectives = (
    MinVarianceDocument
    | MaxSharpeDocument
    | TargetReturnDocument
    | TargetRiskDocument
    | MaxUtilityDocument
    | MinTrackingErrorDocument
    | MinTurnoverDocument
    | RiskBudgetDocument
    | HrpDocument
)


@dataclass(frozen=True, slots=True)
class Kind:
    document: type[ObjectiveDocument]
    to_domain: Callable[[Any], Objective]
    from_domain: Callable[[Any, float], ObjectiveDocument]


KINDS: dict[str, Kind] = {
    "min_variance": Kind(
        MinVarianceDocument,
        lambda d: MinVariance(),
        lambda o, rf: MinVarianceDocument(risk_free_rate=rf),
    ),
    "max_sharpe": Kind(
        MaxSharpeDocument,
        lambda d: MaxSharpe(d.risk_free_rate),
        lambda o, rf: MaxSharpeDocument(risk_free_rate=o.risk_free_rate),
    ),
    "target_return": Kind(
        TargetReturnDocument,
        lambda d: TargetReturn(d.target_return),
        lambda o, rf: TargetReturnDocument(risk_free_rate=rf, target_return=o.target_return),
    ),
    "target_risk": Kind(
        TargetRiskDocument,
        lambda d: TargetRisk(d.target_risk),
        lambda o, rf: TargetRiskDocument(risk_free_rate=rf, target_risk=o.target_volatility),
    ),
    "max_utility": Kind(
        MaxUtilityDocument,
        lambda d: MaxUtility(d.risk_aversion),
        lambda o, rf: MaxUtilityDocument(risk_free_rate=rf, risk_aversion=o.risk_aversion),
    ),
    "min_tracking_error": Kind(
        MinTrackingErrorDocument,
        lambda d: MinTrackingError(),
        lambda o, rf: MinTrackingErrorDocument(risk_free_rate=rf),
    ),
    "risk_budget": Kind(
        RiskBudgetDocument,
        lambda d: RiskBudget(
            None if d.budgets is None else dict(d.budgets), risk_free_rate=d.risk_free_rate
        ),
        lambda o, rf: RiskBudgetDocument(
            risk_free_rate=o.risk_free_rate,
            budgets=None if o.budgets is None else dict(o.budgets),
        ),
    ),
    "hrp": Kind(
        HrpDocument,
        lambda d: HierarchicalRiskParity(d.linkage, risk_free_rate=d.risk_free_rate),
        lambda o, rf: HrpDocument(risk_free_rate=o.risk_free_rate, linkage=o.linkage),
    ),
    "min_turnover": Kind(
        MinTurnoverDocument,
        lambda d: MinTurnover(),
        lambda o, rf: MinTurnoverDocument(risk_free_rate=rf),
    ),
}


def to_objective(doc: ObjectiveDocument) -> Objective:
    return KINDS[doc.__struct_config__.tag].to_domain(doc)  # type: ignore[index]


def objective_document(objective: Objective, risk_free_rate: float = 0.0) -> ObjectiveDocument:
    return KINDS[objective.name].from_domain(objective, risk_free_rate)


def objective_from(kind: str, **values: Any) -> ObjectiveDocument:
    """The document of ``kind`` from the values given (None: not given), for the CLI: a value
    the kind does not take is an error naming it, a value it needs and lacks too."""
    document = KINDS[kind].document
    takes = set(document.__struct_fields__)
    given = {k: v for k, v in values.items() if v is not None}
    extra = sorted(set(given) - takes)
    if extra:
        raise ValidationError(f"{extra[0]} does not apply to objective {kind}", field=extra[0])
    try:
        return document(**given)  # the domain value checks the numbers, in its own words
    except TypeError as error:
        raise ValidationError(f"objective {kind}: {error}", field="objective") from None
