"""Human output of the CLI (rich tables); machine output is the msgspec JSON in schemas."""

from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from adapters.documents.results import FrontierPointBody, FrontierResponse, OptimizationResponse


def json_text(value: Any) -> str:
    """``value`` (Structs, dataclasses, builtins) as indented JSON, as ``--json`` prints it."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


def print_optimization(doc: OptimizationResponse, console: Console) -> None:
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
    sharpe = "n/a" if doc.sharpe is None else f"{doc.sharpe:.4f}"
    console.print(
        f"Expected return {_pct(doc.expected_return)}/yr   Volatility {_pct(doc.volatility)}/yr"
        f"   Sharpe {sharpe} (risk-free {_pct(doc.risk_free_rate)})"
    )
    console.print(
        f"Solver {doc.solver} ({doc.status})   window {doc.window.start}..{doc.window.end}, "
        f"{doc.window.n_observations} daily returns   {doc.duration_ms:.0f} ms"
    )


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
