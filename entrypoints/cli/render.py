"""Human output of the CLI (rich tables); machine output is the msgspec JSON in schemas."""

from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from adapters.documents.rebalance import RebalanceBody, SharesBody
from adapters.documents.results import FrontierPointBody, FrontierResponse, OptimizationResponse


def json_text(value: Any) -> str:
    """``value`` (Structs, dataclasses, builtins) as indented JSON, as ``--json`` prints it."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


def print_optimization(doc: OptimizationResponse, console: Console) -> None:
    if doc.rebalance is not None:
        _print_rebalance(doc, doc.rebalance, console)
        return
    held = sorted(((w, t) for t, w in doc.weights.items() if w != 0.0), reverse=True)
    table = Table(title=f"Optimal weights ({doc.objective.replace('_', ' ')})")
    table.add_column("Ticker")
    table.add_column("Weight", justify="right")
    for weight, ticker in held:
        table.add_row(ticker, _pct(weight))
    console.print(table)
    zero = len(doc.weights) - len(held)
    if zero:
        console.print(f"{zero} of {len(doc.weights)} assets at 0 weight")
    _print_metrics(doc, console)


def _print_metrics(doc: OptimizationResponse, console: Console) -> None:
    sharpe = "n/a" if doc.sharpe is None else f"{doc.sharpe:.4f}"
    console.print(
        f"Expected return {_pct(doc.expected_return)}/yr   Volatility {_pct(doc.volatility)}/yr"
        f"   Sharpe {sharpe} (risk-free {_pct(doc.risk_free_rate)})"
    )
    console.print(
        f"Solver {doc.solver} ({doc.status})   window {doc.window.start}..{doc.window.end}, "
        f"{doc.window.n_observations} daily returns   {doc.duration_ms:.0f} ms"
    )


def _print_rebalance(doc: OptimizationResponse, r: RebalanceBody, console: Console) -> None:
    """Current, target and trade per asset held before or after, then what trading costs."""
    before = {t.ticker: t.weight_from for t in r.trades}
    trades = {t.ticker: t for t in r.trades}
    table = Table(title=f"Rebalance ({doc.objective.replace('_', ' ')})")
    notional = any(t.notional is not None for t in r.trades)
    columns = ["Ticker", "Current", "Target", "Trade", "Side", "Cost"]
    for name in [*columns, *(["Notional"] if notional else [])]:
        table.add_column(name, justify="left" if name in ("Ticker", "Side") else "right")
    rows = []
    for ticker, weight in doc.weights.items():
        trade = trades.get(ticker)
        current = before.get(ticker, weight)  # no trade: held as it was
        if weight == 0 and current == 0:
            continue
        rows.append((abs(trade.change) if trade else 0.0, weight, ticker, current, trade))
    for _, weight, ticker, current, trade in sorted(rows, reverse=True):
        cells = [ticker, _pct(current), _pct(weight)]
        if trade is None:
            cells += ["", "", ""]
        else:
            cells += [f"{trade.change * 100:+.2f} %", trade.side, f"{trade.cost * 1e4:.2f} bps"]
        if notional:
            amount = None if trade is None else trade.notional
            cells.append("" if amount is None else f"{amount:,.0f}")
        table.add_row(*cells)
    console.print(table)
    if r.cash_from:
        console.print(f"Cash {_pct(r.cash_from)} invested")
    line = (
        f"Turnover {_pct(r.turnover)}   {len(r.trades)} trades   cost {r.cost * 1e4:.2f} bps"
        f"   expected return net of costs {_pct(r.expected_return_net)}/yr   {r.names} names"
    )
    if r.mip_gap is not None:
        line += f" (MIP gap {r.mip_gap:.2e})"
    if r.tracking_error is not None and r.active_share is not None:
        line += (
            f"   tracking error {_pct(r.tracking_error)}/yr   active share {_pct(r.active_share)}"
        )
    console.print(line)
    _print_metrics(doc, console)
    if r.shares is not None:
        _print_shares(r.shares, console)


def _print_shares(s: SharesBody, console: Console) -> None:
    """The target in whole lots: shares held, to hold and to trade, at which price."""
    held = any(row.held is not None for row in s.rows)
    table = Table(title=f"Whole shares ({s.method}, {s.status}) for {s.value:,.2f}")
    columns = ["Ticker", "Price", *(["Held"] if held else []), "Target", "Weight"]
    columns += ["Trade", "Notional"] if held else []
    for name in columns:
        table.add_column(name, justify="left" if name == "Ticker" else "right")
    for row in sorted(s.rows, key=lambda x: -x.weight):
        cells = [row.ticker, f"{row.price:,.2f}"]
        cells += [f"{row.held:g}"] if held and row.held is not None else [""] if held else []
        cells += [f"{row.target:g}", _pct(row.weight)]
        if held:
            cells += [
                "" if not row.trade else f"{row.trade:+g}",
                "" if not row.trade or row.notional is None else f"{row.notional:+,.2f}",
            ]
        table.add_row(*cells)
    console.print(table)
    te = "" if s.tracking_error is None else f"   tracking error vs target {_pct(s.tracking_error)}"
    console.print(f"Cash left {s.leftover:,.2f}   allocation error (RMSE) {s.rmse:.6f}{te}")


def _num(x: float | None, pct: bool = True) -> str:
    if x is None:
        return "-"
    return _pct(x) if pct else f"{x:.4f}"


def _top(point: FrontierPointBody, k: int = 2) -> str:
    if not point.weights:
        return point.detail or ""
    held = sorted(point.weights.items(), key=lambda item: -item[1])[:k]
    return ", ".join(f"{t} {w * 100:.0f}%" for t, w in held if w > 0)


def print_frontier(doc: FrontierResponse, console: Console) -> None:
    table = Table(title=f"Efficient frontier ({len(doc.points)} points, {doc.method})")
    for name, justify in (
        ("#", "right"),
        ("Return", "right"),
        ("Volatility", "right"),
        ("Sharpe", "right"),
        ("Status", "left"),
        ("Largest holdings", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    rows = [(str(i), p) for i, p in enumerate(doc.points, start=1)]
    rows.append(("min var", doc.min_variance))
    if doc.max_sharpe is not None:
        rows.append(("max SR", doc.max_sharpe))
    for label, p in rows:
        table.add_row(
            label,
            _num(p.expected_return if p.weights else p.target_return),
            _num(p.volatility),
            _num(p.sharpe, pct=False),
            p.status,
            _top(p),
        )
    console.print(table)
    console.print(
        f"Returns {_pct(doc.return_range.lowest)} .. {_pct(doc.return_range.highest)}/yr   "
        f"risk-free {_pct(doc.risk_free_rate)}   window {doc.window.start}..{doc.window.end}, "
        f"{doc.window.n_observations} daily returns   {doc.duration_ms:.0f} ms"
    )
