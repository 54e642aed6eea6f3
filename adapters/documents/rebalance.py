"""Rebalancing as documents: what a request (and a run's params) says about the holdings and
trading, and what the result reports about the trades. Weights are decimals of the book's
value; ``cost_bps`` is in basis points, as its name says."""

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

import msgspec

from adapters.documents.constraints import Document
from domain.rebalance import RebalanceReport, RebalanceSpec
from domain.shares import ShareAllocation


class RebalanceDocument(Document):
    """``holdings``: current weight by ticker, ``cash`` the rest (none given: all cash).
    ``turnover``: cap on one-way turnover (half of sum |w - w0|, cash included), decimal.
    ``max_trade``: cap on each asset's |w - w0|. ``cost_bps``: one-off cost per unit traded in
    basis points, one number or by ticker; charged against one year's expected return.
    ``benchmark``: weights by ticker summing to 1; ``max_tracking_error``: cap on the annualized
    tracking error against it. ``value``: the book's value, for the trades' notional.
    ``shares`` (with ``cash_amount`` in currency): the holdings as numbers of shares, valued
    at ``prices`` or the run's last closes. ``whole_shares``: also round the target into lots
    of ``lot`` shares (1: whole shares; one number or by ticker) by ``allocation`` (``milp``,
    exact; ``greedy``)."""

    holdings: dict[str, float] = msgspec.field(default_factory=dict)
    cash: float = 0.0
    turnover: float | None = None
    max_trade: float | None = None
    cost_bps: float | dict[str, float] = 0.0
    benchmark: dict[str, float] | None = None
    max_tracking_error: float | None = None
    value: Annotated[float, msgspec.Meta(gt=0)] | None = None
    shares: dict[str, float] = msgspec.field(default_factory=dict)
    cash_amount: float = 0.0
    prices: dict[str, float] = msgspec.field(default_factory=dict)
    whole_shares: bool = False
    lot: float | dict[str, float] = 1.0
    allocation: Literal["milp", "greedy"] = "milp"
    min_position: float | None = None
    max_names: int | None = None
    fee_per_trade: float | None = None
    index: str | None = None
    """A ticker whose prices are the benchmark (estimated beside the assets, never held)."""


def _plain(value):
    """A mapping as a plain dict (a document and a spec never share one)."""
    return dict(value) if isinstance(value, Mapping) else value


def to_rebalance(doc: RebalanceDocument) -> RebalanceSpec:
    """The spec the document states: the same field names, the values checked there."""
    return RebalanceSpec(**{name: _plain(getattr(doc, name)) for name in doc.__struct_fields__})


def rebalance_document(spec: RebalanceSpec) -> RebalanceDocument:
    """The inverse of ``to_rebalance``."""
    fields = RebalanceDocument.__struct_fields__
    return RebalanceDocument(**{name: _plain(getattr(spec, name)) for name in fields})


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


class ShareRowBody(msgspec.Struct, kw_only=True):
    """One asset in whole lots: its ``price`` and ``lot`` (shares), the shares ``held`` (null
    when the book was given in weights), the ``target`` shares, the ``trade`` (target - held)
    and its ``notional``, and the ``weight`` the target shares are of the book."""

    ticker: str
    price: float
    lot: float
    held: float | None
    target: float
    trade: float | None
    notional: float | None
    weight: float


class SharesBody(msgspec.Struct, kw_only=True):
    """The target in whole lots for a book worth ``value``: ``leftover`` cash, the allocation
    error ``rmse`` (PyPortfolioOpt's), the annualized ``tracking_error`` of the rounded
    portfolio against the target weights, the ``method`` and the MILP's ``status`` and
    ``gap``; ``rows`` every asset held or to hold."""

    method: str
    status: str
    gap: float | None
    value: float
    leftover: float
    rmse: float
    tracking_error: float | None
    rows: list[ShareRowBody]

    @classmethod
    def from_domain(
        cls, tickers: Sequence[str], a: ShareAllocation, te: float | None
    ) -> "SharesBody":
        rows = []
        for i, ticker in enumerate(tickers):
            held = None if a.held is None else float(a.held[i])
            if a.shares[i] == 0 and not held:
                continue
            trade = None if held is None else float(a.shares[i]) - held
            rows.append(
                ShareRowBody(
                    ticker=ticker,
                    price=float(a.prices[i]),
                    lot=float(a.lots[i]),
                    held=held,
                    target=float(a.shares[i]),
                    trade=trade,
                    notional=None if trade is None else trade * float(a.prices[i]),
                    weight=float(a.weights[i]),
                )
            )
        return cls(
            method=a.method,
            status=a.status,
            gap=a.gap,
            value=a.value,
            leftover=a.leftover,
            rmse=a.rmse,
            tracking_error=te,
            rows=rows,
        )


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
    shares: SharesBody | None = None
    """The target in whole lots (``whole_shares``)."""
    names: int = 0
    """How many assets the target holds."""
    mip_gap: float | None = None
    """Position rules: the mixed-integer solver's relative gap (0: proven optimal)."""

    @classmethod
    def from_domain(cls, report: RebalanceReport, tickers: Sequence[str]) -> "RebalanceBody":
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
            names=report.names,
            mip_gap=report.mip_gap,
            shares=None
            if report.shares is None
            else SharesBody.from_domain(tickers, report.shares, report.rounding_tracking_error),
        )
