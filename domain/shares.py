"""Target weights as whole shares (or lots) for a book of a given value, at given prices.

A weight is a decimal of the book's value; a price is currency per share; a lot is the
smallest tradable quantity (1: whole shares, 0.001: fractional shares). ``leftover`` is the
cash the shares do not use. The allocation error is PyPortfolioOpt's: the root mean square,
over every asset, of the target weight less the allocated weight, the latter a share of the
value the shares hold (not of the book), so a test against its numbers compares like with like.
"""

import math
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

import numpy as np

from domain.errors import InvalidConstraintError
from domain.types import FloatArray

AllocationMethod: TypeAlias = Literal["milp", "greedy"]


@dataclass(frozen=True, slots=True, eq=False)
class ShareAllocation:
    """Units to hold per asset (multiples of each lot), what they are worth, and how far they
    are from the target weights. ``held``: the shares the book held (None when it was given
    in weights). ``status``/``gap``: the MILP's status and relative optimality gap (greedy:
    ``"heuristic"``, None)."""

    method: AllocationMethod
    shares: FloatArray
    prices: FloatArray
    lots: FloatArray
    value: float
    leftover: float
    weights: FloatArray
    """The allocated weights, decimals of the book's value."""
    rmse: float
    status: str
    gap: float | None
    held: FloatArray | None = None


class ShareAllocator(Protocol):
    """Whole lots minimising the allocation error (an exact mixed-integer program)."""

    def whole_lots(
        self, weights: FloatArray, lot_values: FloatArray, time_limit_s: float
    ) -> tuple[FloatArray, str, float | None]:
        """Numbers of lots ``x`` (integers) minimising sum |w - a x| + (1 - a'x) subject to
        a'x <= 1, with ``a`` each lot's value as a decimal of the book (price x lot / value):
        the weight missed plus the cash left. Returns x, the solver's status and its gap."""
        ...


def check_prices(prices: FloatArray, tickers: tuple[str, ...], needed: FloatArray) -> None:
    """Every asset that ``needed`` marks has a positive finite price."""
    bad = needed & ~(np.isfinite(prices) & (prices > 0))
    if bad.any():
        ticker = tickers[int(np.argmax(bad))]
        raise InvalidConstraintError(
            f"prices: no positive price for {ticker}; whole shares and holdings in shares "
            "need one per asset (give prices, or use stored or file prices)",
            field="prices",
        )


def allocation_rmse(target: FloatArray, shares: FloatArray, prices: FloatArray) -> float:
    """PyPortfolioOpt's allocation error (see the module docstring)."""
    held = shares * prices
    invested = float(held.sum())
    allocated = held / invested if invested > 0 else np.zeros_like(held)
    return math.sqrt(float(np.mean((target - allocated) ** 2)))


def greedy_lots(weights: FloatArray, lot_values: FloatArray) -> FloatArray:
    """PyPortfolioOpt's greedy rounding: every asset rounded down to whole lots, then one lot
    at a time of the asset furthest below its target that the cash left still buys."""
    lots = np.floor(weights / lot_values + 1e-12)
    cash = 1.0 - float(lots @ lot_values)
    while True:
        short = weights - lots * lot_values
        affordable = lot_values <= cash + 1e-12
        if not affordable.any():
            return lots
        short = np.where(affordable, short, -np.inf)
        i = int(np.argmax(short))
        if not math.isfinite(short[i]):
            return lots
        lots[i] += 1
        cash -= float(lot_values[i])


def allocate_shares(
    weights: FloatArray,
    prices: FloatArray,
    value: float,
    lots: FloatArray,
    method: AllocationMethod,
    allocator: ShareAllocator | None,
    time_limit_s: float,
) -> ShareAllocation:
    """``weights`` (long-only, decimals) as whole lots for a book worth ``value``."""
    if np.any(weights < -1e-12):
        raise InvalidConstraintError(
            "whole shares are for long-only weights; a book with shorts is not rounded yet",
            field="whole_shares",
        )
    target = np.clip(weights, 0.0, None)
    lot_values = prices * lots / value
    if method == "greedy" or allocator is None:
        counts, status, gap = greedy_lots(target, lot_values), "heuristic", None
        method = "greedy"
    else:
        counts, status, gap = allocator.whole_lots(target, lot_values, time_limit_s)
    shares = counts * lots
    spent = float(shares @ prices)
    return ShareAllocation(
        method,
        shares,
        prices,
        lots,
        value,
        value - spent,
        shares * prices / value,
        allocation_rmse(target, shares, prices),
        status,
        gap,
    )
