"""``pfopt optimize`` from holdings: the options that say what is held and what trading may
cost or change, parsed into a ``RebalanceSpec``. Weights are decimals; costs in basis points."""

from pathlib import Path
from typing import Any

import click

from domain.rebalance import RebalanceSpec

CASH = "CASH"
"""A holdings row of this name is the cash held, not a ticker."""

REBALANCE_OPTIONS = [
    click.option(
        "--holdings",
        metavar="FILE|A=0.3,B=0.7",
        help="Current weights to rebalance from: a ticker,weight CSV (a CASH row is cash) or "
        "A=0.3,B=0.7. With no other trading option it lists the trades to the target.",
    ),
    click.option("--cash", type=float, help="Cash held, decimal of the book (with --holdings)."),
    click.option(
        "--turnover", type=float, help="Cap on one-way turnover, half of sum |w - w0| (decimal)."
    ),
    click.option("--max-trade", type=float, help="Cap on each asset's |w - w0| (decimal)."),
    click.option(
        "--cost-bps",
        metavar="BPS|A=5,B=20",
        help="One-off trading cost in basis points of the traded amount, for every asset or by "
        "ticker; charged against one year's expected return.",
    ),
    click.option(
        "--benchmark",
        metavar="FILE|A=0.5,B=0.5",
        help="Benchmark weights (ticker,weight CSV or A=0.5,B=0.5) for tracking error and "
        "active share; with --max-te or --objective min-tracking-error.",
    ),
    click.option(
        "--index",
        metavar="TICKER",
        help="A ticker in the prices (an index, a fund) to track instead of --benchmark weights: "
        "estimated beside the assets, never held.",
    ),
    click.option(
        "--max-te", type=float, help="Cap on annualized tracking error vs --benchmark (decimal)."
    ),
    click.option("--value", type=float, help="The book's value in currency, for trade notionals."),
    click.option(
        "--shares",
        "held_shares",
        metavar="FILE|A=10,B=5",
        help="Holdings as numbers of shares (ticker,shares CSV or A=10,B=5), valued at the last "
        "closes; a CASH row (or --cash-amount) is cash in currency. Instead of --holdings.",
    ),
    click.option("--cash-amount", type=float, help="Cash held in currency (with --shares)."),
    click.option(
        "--whole-shares",
        is_flag=True,
        help="Also round the target into whole shares (lots of --lot) for the book's value.",
    ),
    click.option(
        "--lot", metavar="N|A=10,B=1", help="Shares per lot (0.01: fractional shares); default 1."
    ),
    click.option(
        "--allocation",
        type=click.Choice(["milp", "greedy"]),
        default="milp",
        show_default=True,
        help="Whole shares by an exact MILP (HiGHS) or PyPortfolioOpt's greedy rounding.",
    ),
    click.option(
        "--min-position", type=float, help="Every weight 0 or at least this (decimal; MIP)."
    ),
    click.option("--max-names", type=int, help="Hold at most this many assets (MIP)."),
    click.option(
        "--fee-per-trade",
        type=float,
        help="Fixed fee per traded name, in currency (needs --value or --shares; MIP).",
    ),
]

NAMES = (
    "holdings",
    "cash",
    "turnover",
    "max_trade",
    "cost_bps",
    "benchmark",
    "max_te",
    "value",
    "held_shares",
    "cash_amount",
    "whole_shares",
    "lot",
    "min_position",
    "max_names",
    "fee_per_trade",
    "index",
)


def rebalance_options(command):
    for option in reversed(REBALANCE_OPTIONS):
        command = option(command)
    return command


def pairs(text: str, option: str, example: str, what: str = "NUMBER") -> dict[str, float]:
    """``A=0.3,B=0.7`` as {ticker: number}; a malformed item is a usage error naming it."""
    out: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: expected TICKER={what}, e.g. {example}", param_hint=option
            ) from None
    return out


def weights_argument(text: str, option: str, column: str = "weight") -> dict[str, float]:
    """``FILE`` (ticker,<column>) if it is one, else ``A=0.3,B=0.7``."""
    path = Path(text)
    if "=" not in text and (path.exists() or path.suffix.lower() == ".csv"):
        from adapters.csv_tables import read_weights

        if not path.exists():
            raise click.BadParameter(f"{text!r}: no such file", param_hint=option)
        return read_weights(path, column)
    return pairs(text, option, "AAPL=0.3,MSFT=0.7" if column == "weight" else "AAPL=10,MSFT=5")


def _take_cash(rows: dict[str, float], given: float | None, option: str, cash: str):
    """A CASH row of ``rows`` taken out as the cash (``given`` by ``cash`` otherwise)."""
    if CASH not in rows:
        return given
    if given is not None:
        raise click.UsageError(f"cash is given twice: a CASH row in {option} and {cash}")
    return rows.pop(CASH)


def rebalance_from(opts: dict[str, Any]) -> RebalanceSpec | None:
    """The rebalance the options describe (None when none of them is given)."""
    values = {name: opts.pop(name, None) for name in NAMES}
    method = opts.pop("allocation", "milp")
    values["whole_shares"] = values["whole_shares"] or None  # a flag off is not given
    if all(v is None for v in values.values()):
        return None
    holdings: dict[str, float] = {}
    cash = values["cash"]
    if values["holdings"] is not None:
        holdings = weights_argument(values["holdings"], "--holdings")
        cash = _take_cash(holdings, cash, "--holdings", "--cash")
    elif cash is not None:
        raise click.UsageError("--cash needs --holdings (without holdings the book is all cash)")
    cost: float | dict[str, float] = 0.0
    if values["cost_bps"] is not None:
        text = values["cost_bps"]
        try:
            cost = float(text)
        except ValueError:
            cost = pairs(text, "--cost-bps", "AAPL=5,MSFT=20")
    benchmark = None
    if values["benchmark"] is not None:
        benchmark = weights_argument(values["benchmark"], "--benchmark")
    shares: dict[str, float] = {}
    cash_amount = values["cash_amount"]
    if values["held_shares"] is not None:
        shares = weights_argument(values["held_shares"], "--shares", "shares")
        cash_amount = _take_cash(shares, cash_amount, "--shares", "--cash-amount")
    lot: float | dict[str, float] = 1.0
    if values["lot"] is not None:
        try:
            lot = float(values["lot"])
        except ValueError:
            lot = pairs(values["lot"], "--lot", "AAPL=10,MSFT=1")
    return RebalanceSpec(
        holdings=holdings,
        cash=cash or 0.0,
        turnover=values["turnover"],
        max_trade=values["max_trade"],
        cost_bps=cost,
        benchmark=benchmark,
        max_tracking_error=values["max_te"],
        value=values["value"],
        shares=shares,
        cash_amount=cash_amount or 0.0,
        whole_shares=bool(values["whole_shares"]),
        lot=lot,
        allocation=method,
        min_position=values["min_position"],
        max_names=values["max_names"],
        fee_per_trade=values["fee_per_trade"],
        index=values["index"],
    )
