"""Rebalancing from what is held: the holdings a run starts from, the limits and costs of
trading away from them, a benchmark to track, and what the trades come to.

Units. Weights are decimals of the portfolio's value, before (``holdings`` and ``cash``) and
after (the target, always fully invested). Turnover is one-way: half the sum of |w - w0| over
the assets and the cash (0.1: a tenth of the book changes hands; investing 5 % of cash alone
is 0.05). Trading costs are one-off fractions of each traded amount, stated in basis points
(10 bps = 0.001); an objective that has a return charges them against one year's expected
return (a one-year holding horizon), so ``net expected return = annualized expected return -
one-off cost``. Tracking error is the annualized volatility of w - b under the run's risk model,
active share half of sum |w - b|.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.errors import InvalidConstraintError
from domain.shares import AllocationMethod, ShareAllocation, check_prices
from domain.types import FloatArray, frozen_array
from domain.units import share

SUM_TOLERANCE = 1e-6
"""How far holdings plus cash (or a benchmark) may sum from 1: rounding in a file, not a gap."""
TRADE_EPSILON = 1e-10
"""A weight change below this is no trade (the solvers' own accuracy)."""
MAX_COST_BPS = 10_000.0
"""10000 bps is 100 % of the traded amount: anything above is a mistake, not a cost."""


def _finite(value: float, field: str, name: str | None = None) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise InvalidConstraintError(f"{name or field} must be a finite number", field=field)
    return number


def _decimal_cap(value: float | None, field: str, what: str) -> float | None:
    """A cap stated as a decimal in [0, 1]: above 1 is a percent typed for a decimal."""
    if value is None:
        return None
    number = _finite(value, field)
    if number < 0:
        raise InvalidConstraintError(f"{field} must be >= 0 ({what}), got {number:g}", field=field)
    if number > 1:
        raise InvalidConstraintError(
            f"{field} is {number:g}, above 1: it is a decimal ({what}; 0.1 means 10 %)",
            field=field,
        )
    return number


def _weights(
    values: Mapping[str, float], field: str, extra: float = 0.0, what: str = "weights"
) -> dict[str, float]:
    """Finite weights that, with ``extra`` (cash), sum to 1."""
    out = {str(t): _finite(w, field, f"{field}[{t}]") for t, w in values.items()}
    total = sum(out.values()) + extra
    if abs(total - 1.0) > SUM_TOLERANCE:
        cash = f" and cash {share(extra, 6)}" if field == "holdings" else ""
        rest = "; give the rest as cash" if field == "holdings" and total < 1 else ""
        percent = ": weights are decimals (0.25 means 25 %)" if total > 1.5 else ""
        raise InvalidConstraintError(
            f"{field}: {what} sum to {share(total - extra, 6)}{cash}, not 1 (100 %){percent}{rest}",
            field=field,
        )
    return out


@dataclass(frozen=True, slots=True)
class RebalanceSpec:
    """What a user states about trading, by ticker (``compile_rebalance`` aligns it to a
    universe). Every part is optional; holdings default to all cash.

    holdings : current weight by ticker (decimal of the book's value); ``cash`` the rest.
    turnover : cap on one-way turnover (decimal). max_trade : cap on each asset's |w - w0|.
    cost_bps : one-off cost per unit traded, in basis points: one number for every asset, or
        by ticker (a ticker not listed costs nothing).
    benchmark : weights by ticker (summing to 1) to measure tracking error and active share
        against; ``max_tracking_error`` caps the annualized tracking error (decimal).
    value : the book's value in currency, for the trades' notional amounts (optional).
    shares : holdings as numbers of shares instead of weights, with ``cash_amount`` in
        currency; valued at ``prices`` or the run's last closes, which then set the value.
    prices : currency per share by ticker, over the run's last closes (an inline model has
        none of its own).
    whole_shares : also round the target into whole lots (``lot`` shares each: 1, or 0.01
        for fractional shares; one number or by ticker) for the book's value, by ``allocation``
        (``milp``: exact, ``greedy``: PyPortfolioOpt's rounding).
    """

    holdings: Mapping[str, float] = field(default_factory=dict)
    cash: float = 0.0
    turnover: float | None = None
    max_trade: float | None = None
    cost_bps: float | Mapping[str, float] = 0.0
    benchmark: Mapping[str, float] | None = None
    max_tracking_error: float | None = None
    value: float | None = None
    shares: Mapping[str, float] = field(default_factory=dict)
    cash_amount: float = 0.0
    prices: Mapping[str, float] = field(default_factory=dict)
    whole_shares: bool = False
    lot: float | Mapping[str, float] = 1.0
    allocation: AllocationMethod = "milp"
    min_position: float | None = None
    max_names: int | None = None
    fee_per_trade: float | None = None
    index: str | None = None
    """A ticker whose prices are the benchmark (an index or a fund): estimated with the run's
    assets, never held; instead of ``benchmark`` weights."""

    def __post_init__(self) -> None:
        self._check_positions()
        if self.index is not None:
            if not str(self.index).strip():
                raise InvalidConstraintError("index: give a ticker", field="index")
            if self.benchmark is not None:
                raise InvalidConstraintError(
                    "give benchmark weights or an index ticker, not both", field="index"
                )
        self._check_shares()
        cash = _finite(self.cash, "cash")
        if cash < 0:
            raise InvalidConstraintError(f"cash must be >= 0, got {cash:g}", field="cash")
        if (self.holdings or cash) and not self.shares:  # none at all: the book is cash
            _weights(self.holdings, "holdings", cash)
        _decimal_cap(self.turnover, "turnover", "one-way turnover, half of sum |w - w0|")
        _decimal_cap(self.max_trade, "max_trade", "each asset's |w - w0|")
        costs = self.cost_bps if isinstance(self.cost_bps, Mapping) else {"": self.cost_bps}
        for ticker, bps in costs.items():
            name = f"cost_bps[{ticker}]" if ticker else "cost_bps"
            number = _finite(bps, "cost_bps", name)
            if not 0 <= number <= MAX_COST_BPS:
                raise InvalidConstraintError(
                    f"{name} is {number:g}: costs are basis points of the traded amount, "
                    f"between 0 and {MAX_COST_BPS:g} (10 bps = 0.1 %)",
                    field="cost_bps",
                )
        if self.benchmark is not None:
            if not self.benchmark:
                raise InvalidConstraintError(
                    "benchmark: give at least one weight", field="benchmark"
                )
            _weights(self.benchmark, "benchmark")
        te = self.max_tracking_error
        if te is not None:
            if self.benchmark is None and self.index is None:
                raise InvalidConstraintError(
                    "max_tracking_error needs a benchmark to track", field="benchmark"
                )
            _decimal_cap(te, "max_tracking_error", "annualized tracking error")
            if te == 0:
                raise InvalidConstraintError(
                    "max_tracking_error must be > 0 (0 would mean holding the benchmark; "
                    "use objective min_tracking_error)",
                    field="max_tracking_error",
                )
        if self.value is not None and not (math.isfinite(self.value) and self.value > 0):
            raise InvalidConstraintError(
                f"value must be a positive amount of currency, got {self.value:g}", field="value"
            )

    def _check_positions(self) -> None:
        """Position rules: each a mixed-integer constraint (``min_position``: every weight 0
        or at least this; ``max_names``: at most K held; ``fee_per_trade``: currency per
        traded name, charged like a cost)."""
        _decimal_cap(self.min_position, "min_position", "the smallest holding allowed")
        if self.min_position == 0:
            raise InvalidConstraintError(
                "min_position must be > 0 (0 or at least this weight)", field="min_position"
            )
        if self.max_names is not None and (
            isinstance(self.max_names, bool)
            or int(self.max_names) != self.max_names
            or self.max_names < 1
        ):
            raise InvalidConstraintError(
                f"max_names must be a whole number >= 1, got {self.max_names!r}",
                field="max_names",
            )
        if self.fee_per_trade is not None:
            fee = _finite(self.fee_per_trade, "fee_per_trade")
            if fee < 0:
                raise InvalidConstraintError("fee_per_trade must be >= 0", field="fee_per_trade")
            if self.value is None and not self.shares:
                raise InvalidConstraintError(
                    "fee_per_trade is an amount per traded name: it needs the book's value "
                    "(value) or the holdings in shares",
                    field="value",
                )

    def _check_shares(self) -> None:
        for name, values in (("shares", self.shares), ("prices", self.prices)):
            for ticker, number in values.items():
                _finite(number, name, f"{name}[{ticker}]")
        if any(p <= 0 for p in self.prices.values()):
            raise InvalidConstraintError("prices must be > 0 (currency per share)", field="prices")
        if self.shares:
            if self.holdings:
                raise InvalidConstraintError(
                    "give holdings as weights or as shares, not both", field="shares"
                )
            if self.cash:
                raise InvalidConstraintError(
                    "with holdings in shares the cash is an amount: give cash_amount, not "
                    "cash (a weight)",
                    field="cash",
                )
            if self.value is not None:
                raise InvalidConstraintError(
                    "a book given in shares is worth its shares at their prices plus "
                    "cash_amount: give no value",
                    field="value",
                )
        if _finite(self.cash_amount, "cash_amount") < 0:
            raise InvalidConstraintError("cash_amount must be >= 0", field="cash_amount")
        if self.cash_amount and not self.shares:
            raise InvalidConstraintError(
                "cash_amount goes with holdings in shares (with weights, give cash)",
                field="cash_amount",
            )
        lots = self.lot.values() if isinstance(self.lot, Mapping) else [self.lot]
        if not all(math.isfinite(x) and x > 0 for x in lots):
            raise InvalidConstraintError("lot must be > 0 (shares per lot)", field="lot")
        if self.allocation not in ("milp", "greedy"):
            raise InvalidConstraintError(
                f"allocation must be milp or greedy, got {self.allocation!r}", field="allocation"
            )
        if self.whole_shares and self.value is None and not self.shares:
            raise InvalidConstraintError(
                "whole shares need the book's value (value) or the holdings in shares",
                field="value",
            )

    @property
    def holds_something(self) -> bool:
        """Whether a book is given at all (weights, cash, shares or a cash amount)."""
        return bool(self.holdings or self.cash or self.shares or self.cash_amount)

    @property
    def cash_weight(self) -> float:
        """The cash held: as given, or all of the book when no holdings are given."""
        return float(self.cash) if self.holds_something else 1.0


@dataclass(frozen=True, slots=True, eq=False)
class Rebalance:
    """A ``RebalanceSpec`` aligned to a universe's tickers: arrays of shape (n_assets,).

    ``costs`` are decimals per unit traded (bps / 10000). ``benchmark`` is None without one.
    """

    holdings: FloatArray
    cash: float
    turnover: float | None
    max_trade: float | None
    costs: FloatArray
    benchmark: FloatArray | None
    max_tracking_error: float | None
    value: float | None
    prices: FloatArray | None = None
    """Currency per share (None when neither given nor read from prices)."""
    held_shares: FloatArray | None = None
    lots: FloatArray | None = None
    """Shares per lot, when the target is to be rounded into whole lots."""
    allocation: AllocationMethod = "milp"
    min_position: float | None = None
    max_names: int | None = None
    fee: float = 0.0
    """The fixed fee per traded name as a decimal of the book (fee_per_trade / value)."""

    @property
    def has_positions(self) -> bool:
        """Whether a mixed-integer rule applies (minimum position, at most K names, a fee
        per traded name)."""
        return self.min_position is not None or self.max_names is not None or self.fee > 0

    def __post_init__(self) -> None:
        for name in ("holdings", "costs", "benchmark", "prices", "held_shares", "lots"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozen_array(value))

    @property
    def has_costs(self) -> bool:
        return bool(np.any(self.costs > 0))

    @property
    def shapes_problem(self) -> bool:
        """Whether anything here changes the optimum (else the holdings only measure it)."""
        return (
            self.turnover is not None
            or self.max_trade is not None
            or self.has_costs
            or self.max_tracking_error is not None
            or self.has_positions
        )

    def turnover_of(self, weights: FloatArray) -> float:
        """One-way turnover from the holdings (and cash) to ``weights`` (fully invested)."""
        return 0.5 * (float(np.abs(weights - self.holdings).sum()) + self.cash)

    def cost_of(self, weights: FloatArray) -> float:
        """The one-off cost of trading to ``weights``, a decimal of the book's value: the
        linear costs and the fee of every name traded."""
        moved = np.abs(weights - self.holdings)
        return float(self.costs @ moved) + self.fee * int((moved > TRADE_EPSILON).sum())


def _known(values: Mapping[str, float], index: Mapping[str, int], field: str) -> None:
    unknown = [t for t in values if t not in index]
    if unknown:
        raise InvalidConstraintError(
            f"{field}: ticker {unknown[0]!r} is not in this run's assets "
            f"({len(index)} tickers; add it to the run or leave it out)",
            field=field,
        )


def _by_ticker(
    values: Mapping[str, float], index: Mapping[str, int], field: str, fill: float = 0.0
) -> FloatArray:
    _known(values, index, field)
    out = np.full(len(index), fill)
    for ticker, number in values.items():
        out[index[ticker]] = float(number)
    return out


def compile_rebalance(
    tickers: Sequence[str],
    spec: RebalanceSpec,
    long_only: bool,
    last_prices: FloatArray | None = None,
) -> Rebalance:
    """Align ``spec`` to ``tickers``; a ticker it names that the run lacks, or a short holding
    in a long-only book, is an error naming the field. ``last_prices``: the run's closes on
    its last day (currency per share), under the spec's own ``prices``."""
    index = {t: i for i, t in enumerate(tickers)}
    prices = None if last_prices is None else np.array(last_prices, dtype=float)
    if spec.prices:
        given = _by_ticker(spec.prices, index, "prices", math.nan)
        prices = given if prices is None else np.where(np.isnan(given), prices, given)
    cash, value, held_shares = spec.cash_weight, spec.value, None
    if spec.shares:
        held_shares = _by_ticker(spec.shares, index, "shares")
        if long_only and np.any(held_shares < 0):
            ticker = tickers[int(np.argmin(held_shares))]
            raise InvalidConstraintError(
                f"shares: {ticker} is held short ({held_shares.min():g} shares) but the "
                "portfolio is long-only; allow shorts or correct the holding",
                field="shares",
            )
        if prices is None:
            prices = np.full(len(index), math.nan)
        check_prices(prices, tuple(tickers), held_shares != 0)
        with np.errstate(over="ignore"):
            worth = np.where(held_shares != 0, held_shares * np.nan_to_num(prices), 0.0)
        with np.errstate(over="ignore"):
            value = float(worth.sum()) + float(spec.cash_amount)
        if not math.isfinite(value):
            raise InvalidConstraintError(
                "shares: the holdings' value overflows at these prices; check the numbers of "
                "shares and the prices",
                field="shares",
            )
        if value <= 0:
            raise InvalidConstraintError(
                "the shares held are worth nothing at these prices and there is no cash",
                field="shares",
            )
        holdings, cash = worth / value, float(spec.cash_amount) / value
    else:
        holdings = _by_ticker(spec.holdings, index, "holdings")
    if long_only and np.any(holdings < 0):
        ticker = tickers[int(np.argmin(holdings))]
        field = "shares" if spec.shares else "holdings"
        raise InvalidConstraintError(
            f"{field}: {ticker} is held short ({share(float(holdings.min()), 6)}) but the "
            "portfolio is long-only; allow shorts or correct the holding",
            field=field,
        )
    if isinstance(spec.cost_bps, Mapping):
        costs = _by_ticker(spec.cost_bps, index, "cost_bps") / 10_000.0
    else:
        costs = np.full(len(index), float(spec.cost_bps) / 10_000.0)
    benchmark = None
    if spec.benchmark is not None:
        benchmark = _by_ticker(spec.benchmark, index, "benchmark")
    lots = None
    if spec.whole_shares:
        if prices is None:
            prices = np.full(len(index), math.nan)
        check_prices(prices, tuple(tickers), np.ones(len(index), dtype=bool))
        lots = (
            _by_ticker(spec.lot, index, "lot", 1.0)
            if isinstance(spec.lot, Mapping)
            else np.full(len(index), float(spec.lot))
        )
    if spec.max_names is not None and spec.max_names > len(index):
        raise InvalidConstraintError(
            f"max_names {spec.max_names} is larger than the run's {len(index)} assets",
            field="max_names",
        )
    if (spec.min_position is not None or spec.max_names is not None) and not long_only:
        raise InvalidConstraintError(
            "min_position and max_names apply to long-only books for now",
            field="min_position" if spec.min_position is not None else "max_names",
        )
    fee = 0.0 if spec.fee_per_trade is None or value is None else spec.fee_per_trade / value
    return Rebalance(
        holdings,
        cash,
        spec.turnover,
        spec.max_trade,
        costs,
        benchmark,
        spec.max_tracking_error,
        value,
        prices,
        held_shares,
        lots,
        spec.allocation,
        spec.min_position,
        None if spec.max_names is None else int(spec.max_names),
        fee,
    )


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade from the holdings to the target: weights before and after (decimals), the
    change, its one-off cost (decimal of the book) and, given the book's value, its notional."""

    ticker: str
    side: str
    weight_from: float
    weight_to: float
    change: float
    cost: float
    notional: float | None


@dataclass(frozen=True, slots=True)
class RebalanceReport:
    """What trading to the target comes to. ``cost`` is one-off (decimal of the book);
    ``expected_return_net`` the annualized expected return less that cost; ``tracking_error``
    annualized and ``active_share`` against the benchmark (None without one)."""

    turnover: float
    cost: float
    expected_return_net: float
    tracking_error: float | None
    active_share: float | None
    trades: tuple[Trade, ...]
    cash_from: float
    shares: ShareAllocation | None = None
    """The target in whole lots, when asked for."""
    rounding_tracking_error: float | None = None
    """Annualized tracking error of the whole-lot portfolio against the target weights."""
    names: int = 0
    """How many assets the target holds."""
    mip_gap: float | None = None
    """The mixed-integer solver's relative gap (position rules only; 0: proven optimal)."""


def rebalance_report(
    tickers: Sequence[str],
    weights: FloatArray,
    rebalance: Rebalance,
    expected_return: float,
    active_variance: float | None,
) -> RebalanceReport:
    """The trades (largest first) and totals of moving from the holdings to ``weights``;
    ``active_variance`` is (w - b)'S(w - b) under the run's model (None without a benchmark)."""
    change = weights - rebalance.holdings
    trades = []
    for i in np.argsort(-np.abs(change), kind="stable"):
        delta = float(change[i])
        if abs(delta) <= TRADE_EPSILON:
            continue
        trades.append(
            Trade(
                tickers[i],
                "buy" if delta > 0 else "sell",
                float(rebalance.holdings[i]),
                float(weights[i]),
                delta,
                float(rebalance.costs[i] * abs(delta)),
                None if rebalance.value is None else delta * rebalance.value,
            )
        )
    cost = rebalance.cost_of(weights)
    te = active = None
    if rebalance.benchmark is not None and active_variance is not None:
        te = math.sqrt(max(active_variance, 0.0))
        active = 0.5 * float(np.abs(weights - rebalance.benchmark).sum())
    return RebalanceReport(
        rebalance.turnover_of(weights),
        cost,
        expected_return - cost,
        te,
        active,
        tuple(trades),
        rebalance.cash,
        names=int((np.abs(weights) > TRADE_EPSILON).sum()),
    )
