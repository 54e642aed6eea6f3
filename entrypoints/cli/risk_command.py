"""``pfopt risk``: where a portfolio's risk comes from."""

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from adapters.documents.risk import report_document
from application.attribute_risk import DEFAULT_FACTORS, AttributeRiskCommand, RiskReport
from application.history_source import HistoryPriceSource
from entrypoints.cli.charts import CHART_OPTION, chart_target, write_chart
from entrypoints.cli.commands import short_help
from entrypoints.cli.options import DATE, estimation_from
from entrypoints.cli.render import json_text
from entrypoints.cli.store import with_store


def parse_weights(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r}: expected TICKER=WEIGHT, e.g. AAPL=0.3", param_hint="--weights"
            ) from None
    return out


def _print(r: RiskReport) -> None:
    console = Console(soft_wrap=True)
    table = Table(title=f"Risk attribution (volatility {r.assets.volatility * 100:.2f} %/yr)")
    for name in ("Ticker", "Weight", "MCTR", "CTR", "Share of risk"):
        table.add_column(name, justify="left" if name == "Ticker" else "right")
    order = sorted(range(len(r.tickers)), key=lambda i: -r.assets.percent[i])
    for i in order:
        table.add_row(
            r.tickers[i],
            f"{r.weights[i] * 100:.2f} %",
            f"{r.assets.marginal[i] * 100:.2f} %",
            f"{r.assets.component[i] * 100:.2f} %",
            f"{r.assets.percent[i] * 100:.1f} %",
        )
    console.print(table)
    if r.factors is not None:
        shares = ", ".join(
            f"PC{k + 1} {s * 100:.1f} %" for k, s in enumerate(r.factors.factor_share)
        )
        console.print(
            f"Variance by factor: {shares}; specific {r.factors.specific_share * 100:.1f} %"
        )
    for h, t in r.tail:
        label = "1 day" if h == 1 else f"{h} days"
        console.print(
            f"VaR/CVaR {t.confidence:.0%} {label}: parametric {t.parametric_var * 100:.2f}"
            f" / {t.parametric_cvar * 100:.2f} %, historical "
            f"{t.historical_var * 100:.2f} / {t.historical_cvar * 100:.2f} %"
        )
    extra = "" if r.beta is None else f"   beta {r.beta:.3f}, correlation {r.correlation:.3f}"
    console.print(
        f"Max drawdown {r.max_drawdown * 100:.1f} %   effective bets "
        f"{r.effective_bets:.2f}   Herfindahl {r.herfindahl:.3f}{extra}"
    )


@click.command(short_help=short_help("risk"))
@click.argument("prices", required=False, type=click.Path(path_type=Path))
@click.option("--weights", "weights_text", metavar="A=0.3,B=0.7", help="Weights by ticker.")
@click.option("--optimization", "optimization_id", help="Weights of a run from history.")
@click.option(
    "--covariance",
    type=click.Choice(["ledoit-wolf", "oas", "sample"]),
    default="ledoit-wolf",
    show_default=True,
)
@click.option(
    "--returns",
    "returns_method",
    type=click.Choice(["mean", "geometric", "ema"]),
    default="mean",
    show_default=True,
)
@click.option(
    "--factors",
    "n_factors",
    default=DEFAULT_FACTORS,
    show_default=True,
    help="PCA factors for the factor attribution.",
)
@click.option("--benchmark", help="Ticker to measure beta and correlation against.")
@click.option("--start", type=DATE)
@click.option("--end", type=DATE)
@click.option("--json", "as_json", is_flag=True)
@CHART_OPTION
@click.pass_obj
def risk(
    container,
    prices: Path | None,
    weights_text: str | None,
    optimization_id: str | None,
    n_factors: int,
    benchmark: str | None,
    as_json: bool,
    chart: Path | None,
    **opts: Any,
) -> None:
    """Risk attribution of fixed weights: MCTR, contributions, PCA factors, VaR/CVaR,
    drawdown, beta. Prices from a CSV or the store."""
    if (weights_text is None) == (optimization_id is None):
        raise click.UsageError("give exactly one of --weights or --optimization")
    target_chart = chart_target(chart, "risk_contributions")
    settings = estimation_from(opts)

    async def work(uow):
        if optimization_id is not None:
            async with uow() as u:
                record = await u.optimizations.get(optimization_id)
            if record.kind != "single":
                raise click.UsageError(
                    f"optimization {optimization_id} is a {record.kind} run;"
                    f" risk needs a single optimization's weights"
                )
            weights = record.results["weights"]
        else:
            weights = parse_weights(weights_text or "")
        if prices is not None:
            source = container.csv_prices(path=prices)
        else:
            wanted = [*weights, *([benchmark] if benchmark else [])]
            async with uow() as u:
                source = HistoryPriceSource(
                    await u.prices.load(wanted, settings.start, settings.end)
                )
        command = AttributeRiskCommand(
            weights=weights, estimation=settings, n_factors=n_factors, benchmark=benchmark
        )
        return container.attribute_risk(prices=source).execute(command)

    report = with_store(container, work)
    if as_json:
        click.echo(json_text(report_document(report)))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        _print(report)
    write_chart(
        target_chart,
        lambda fmt: container.charts().risk_contributions(
            report.tickers, report.weights, report.assets.percent, fmt
        ),
    )
