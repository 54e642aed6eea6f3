"""Human output of the CLI (rich tables); machine output is the msgspec JSON in schemas."""

from rich.console import Console
from rich.table import Table

from entrypoints.schemas import OptimizationResponse


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
