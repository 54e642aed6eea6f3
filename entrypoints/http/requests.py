"""Request bodies: explicit msgspec Structs (unknown fields are rejected). The run requests
are the run-spec documents of ``adapters.documents.specs``; this module adds the server's own
limits and the bodies of the other routes. Rates are annualized decimals."""

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

import msgspec

from adapters.documents.constraints import ConstraintsDocument, to_constraints
from adapters.documents.records import PortfolioRequest
from adapters.documents.specs import (
    EstimationDocument,
    FrontierRequest,
    InlineUniverseBody,
    OptimizeRequest,
    to_spec,
    to_universe,
)
from application.specs import InlineModel, RunSpec
from domain.errors import ValidationError
from domain.model import Asset, Portfolio, Universe

__all__ = [
    "FrontierRequest",
    "OptimizeRequest",
    "PortfolioRequest",
    "RiskRequest",
    "request_spec",
    "to_portfolio",
    "universe_of",
]

B = TypeVar("B")
T = TypeVar("T")

MAX_ASSETS = int(os.environ.get("PFOPT_MAX_ASSETS", "5000"))
"""Largest universe the API accepts (``PFOPT_MAX_ASSETS``); larger ones get a 422."""
MAX_TIME_LIMIT_S = float(os.environ.get("PFOPT_MAX_TIME_LIMIT_S", "120"))
"""Longest solver time limit a request may ask for (``PFOPT_MAX_TIME_LIMIT_S``), seconds."""


def check_size(tickers: list[str] | None, field: str) -> None:
    if tickers is not None and len(tickers) > MAX_ASSETS:
        raise ValidationError(
            f"{field} has {len(tickers)} assets; the limit is {MAX_ASSETS} (PFOPT_MAX_ASSETS)",
            field=field,
        )


class RiskRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    weights: dict[str, float] | None = None
    inline: InlineUniverseBody | None = None
    optimization_id: str | None = None
    point: Literal["max_sharpe", "min_variance"] | Annotated[int, msgspec.Meta(ge=0)] | None = None
    """With ``optimization_id`` of a frontier run: which of its portfolios (a point's index in
    ``points``, or ``max_sharpe``/``min_variance``)."""
    start: dt.date | None = None
    end: dt.date | None = None
    estimation: EstimationDocument = msgspec.field(default_factory=EstimationDocument)
    factors: Annotated[int, msgspec.Meta(ge=1)] = 5
    benchmark: str | None = None


def request_spec(body: OptimizeRequest | FrontierRequest) -> RunSpec:
    """The run a request asks for, within the server's limits (assets, solver time)."""
    check_size(body.tickers, "tickers")
    if body.inline is not None:
        check_size(body.inline.tickers, "inline.tickers")
    spec = to_spec(body)
    spec.solver.capped(MAX_TIME_LIMIT_S)
    return spec


OFF_LOOP_ASSETS = 100
"""An inline model from this many assets is built in a worker thread (arrays from lists, the
symmetry and range checks: 0.4 s for a dense 2000 x 2000), never on the event loop."""


def _inline_size(body: object) -> int:
    inline = getattr(body, "inline", None)
    return 0 if inline is None else len(inline.tickers)


async def off_loop(build: Callable[[B], T], body: B) -> T:
    """``build(body)``: inline for a small body, in a worker thread for a large inline model."""
    if _inline_size(body) >= OFF_LOOP_ASSETS:
        return await asyncio.to_thread(build, body)
    return build(body)


def universe_of(spec: RunSpec) -> Universe | None:
    return spec.data.universe if isinstance(spec.data, InlineModel) else None


def universe_body(body: InlineUniverseBody) -> Universe:
    check_size(body.tickers, "inline.tickers")
    return to_universe(body)


def to_portfolio(
    name: str,
    tickers: list[str],
    body: ConstraintsDocument,
    sectors: dict[str, str] | None = None,
    target_weights: dict[str, float] | None = None,
    holdings: dict[str, float] | None = None,
) -> Portfolio:
    """``sectors`` (a portfolio document's top-level copy) join ``constraints.sectors``."""
    check_size(tickers, "tickers")
    body = msgspec.structs.replace(body, sectors={**(sectors or {}), **body.sectors})
    assets = tuple(Asset(t, body.sectors.get(t)) for t in tickers)
    return Portfolio(
        name,
        assets,
        to_constraints(body),
        current_weights=holdings or None,
        target_weights=target_weights or None,
    )
