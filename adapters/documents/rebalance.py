"""Rebalancing as documents: what a request (and a run's params) says about the holdings and
trading, and what the result reports about the trades. Weights are decimals of the book's
value; ``cost_bps`` is in basis points, as its name says."""

from collections.abc import Mapping
from typing import Annotated

import msgspec

from adapters.documents.constraints import Document
from domain.rebalance import RebalanceReport, RebalanceSpec


class RebalanceDocument(Document):
    """``holdings``: current weight by ticker, ``cash`` the rest (none given: all cash).
    ``turnover``: cap on one-way turnover (half of sum |w - w0|, cash included), decimal.
    ``max_trade``: cap on each asset's |w - w0|. ``cost_bps``: one-off cost per unit traded in
    basis points, one number or by ticker; charged against one year's expected return.
    ``benchmark``: weights by ticker summing to 1; ``max_tracking_error``: cap on the annualized
    tracking error against it. ``value``: the book's value, for the trades' notional."""

    holdings: dict[str, float] = msgspec.field(default_factory=dict)
    cash: float = 0.0
    turnover: float | None = None
    max_trade: float | None = None
    cost_bps: float | dict[str, float] = 0.0
    benchmark: dict[str, float] | None = None
    max_tracking_error: float | None = None
    value: Annotated[float, msgspec.Meta(gt=0)] | None = None


def to_rebalance(doc: RebalanceDocument) -> RebalanceSpec:
    return RebalanceSpec(
        holdings=dict(doc.holdings),
        cash=doc.cash,
        turnover=doc.turnover,
        max_trade=doc.max_trade,
        cost_bps=doc.cost_bps if not isinstance(doc.cost_bps, dict) else dict(doc.cost_bps),
        benchmark=None if doc.benchmark is None else dict(doc.benchmark),
        max_tracking_error=doc.max_tracking_error,
        value=doc.value,
    )


def rebalance_document(spec: RebalanceSpec) -> RebalanceDocument:
    cost = spec.cost_bps
    return RebalanceDocument(
        holdings=dict(spec.holdings),
        cash=spec.cash,
        turnover=spec.turnover,
        max_trade=spec.max_trade,
        cost_bps=dict(cost) if isinstance(cost, Mapping) else float(cost),
        benchmark=None if spec.benchmark is None else dict(spec.benchmark),
        max_tracking_error=spec.max_tracking_error,
        value=spec.value,
    )


class TradeBody(msgspec.Struct, kw_only=True):
    """One trade: ``side`` buy or sell, the weights before and after and the change
    (decimals), its one-off ``cost`` (decimal of the book) and ``notional`` (currency, given the
    book's value)."""

    ticker: str
    side: str
    weight_from: float
    weight_to: float
    change: float
    cost: float
    notional: float | None = None


class RebalanceBody(msgspec.Struct, kw_only=True):
    """What trading to the target comes to: one-way ``turnover`` (cash included), the one-off
    ``cost`` (decimal of the book), ``expected_return_net`` (annualized expected return less
    that cost), the annualized ``tracking_error`` and ``active_share`` against the benchmark
    (null without one), ``cash_from`` the cash the book held, and the ``trades``, largest
    first."""

    turnover: float
    cost: float
    expected_return_net: float
    tracking_error: float | None
    active_share: float | None
    cash_from: float
    trades: list[TradeBody]

    @classmethod
    def from_domain(cls, report: RebalanceReport) -> "RebalanceBody":
        return cls(
            turnover=report.turnover,
            cost=report.cost,
            expected_return_net=report.expected_return_net,
            tracking_error=report.tracking_error,
            active_share=report.active_share,
            cash_from=report.cash_from,
            trades=[
                TradeBody(
                    ticker=t.ticker,
                    side=t.side,
                    weight_from=t.weight_from,
                    weight_to=t.weight_to,
                    change=t.change,
                    cost=t.cost,
                    notional=t.notional,
                )
                for t in report.trades
            ],
        )
