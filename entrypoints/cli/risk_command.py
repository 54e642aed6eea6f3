"""``pfopt risk``: where a portfolio's risk comes from."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from adapters.documents.records import point_weights
from adapters.documents.risk import report_document
from adapters.documents.specs import run_estimation
from application.attribute_risk import DEFAULT_FACTORS, AttributeRiskCommand, RiskReport
from application.estimate_universe import EstimationSettings
from application.history_source import HistoryPriceSource
from domain.errors import ValidationError
from domain.records import OptimizationRecord
from entrypoints.cli.charts import CHART_OPTION, chart_target, risk_caption, write_chart
from entrypoints.cli.commands import short_help
from entrypoints.cli.options import DATE, estimation_from
from entrypoints.cli.rebalance_options import pairs
from entrypoints.cli.render import json_text
from entrypoints.cli.store import with_store


def parse_weights(text: str) -> dict[str, float]:
    return pairs(text, "--weights", "AAPL=0.3", "WEIGHT")


def _print(r: RiskReport) -> None:
    console = Console(soft_wrap=True)
    table = Table(title=f"Risk attribution (volatility {r.assets.volatility * 100:.2f} %/yr)")
    for name in ("Ticker", "Weight", "MCTR", "CTR", "Share of risk"):
        table.add_column(name, justify="left" if name == "Ticker" else "right")
    order = sorted(range(len(r.tickers)), key=lambda i: -r.assets.percent[i])
    zeros = [i for i in order if r.weights[i] == 0]
    for i in (i for i in order if r.weights[i] != 0):
        table.add_row(
            r.tickers[i],
            f"{r.weights[i] * 100:.2f} %",
            f"{r.assets.marginal[i] * 100:.2f} %",
            f"{r.assets.component[i] * 100:.2f} %",
            f"{r.assets.percent[i] * 100:.1f} %",
        )
    console.print(table)
    if zeros:  # a run's unheld assets are part of its model, not of the table
        console.print(
            f"{len(zeros)} of {len(r.tickers)} assets at 0 weight (--json has their MCTR)"
        )
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


def _explicit(ctx: click.Context, names: tuple[str, ...]) -> set[str]:
    """The options the user typed (not their defaults)."""
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return {name for name in names if ctx.get_parameter_source(name) in typed}


def _point(text: str | None) -> str | int | None:
    """``--point``: an index into the frontier's points, or max_sharpe / min_variance."""
    if text is None or text in ("max_sharpe", "min_variance"):
        return text
    try:
        index = int(text)
    except ValueError:
        index = -1
    if index < 0:
        raise click.BadParameter(
            f"{text!r}: give a point index (0, 1, ...), max_sharpe or min_variance",
            param_hint="--point",
        )
    return index


def _own_model(
    record: OptimizationRecord, prices: Path | None, typed: EstimationSettings, explicit: set[str]
) -> EstimationSettings:
    """The run's own estimation and price window, so the attribution's volatility is the
    run's; an option the user typed overrides its part. A run on a prices file needs that
    file again (history keeps its name, not its contents)."""
    source = record.params.get("source")
    if source == "inline":
        raise click.UsageError(
            f"optimization {record.id} used an inline risk model: there are no prices to "
            "attribute on; give --weights and a prices file instead"
        )
    if source != "store" and prices is None:
        raise click.UsageError(
            f"optimization {record.id} read its prices from the file {source}: pass it "
            f"again (pfopt risk {source} --optimization {record.id})"
        )
    own = run_estimation(record.params, record.results)
    fields = {
        "covariance": "covariance",
        "returns_method": "returns",
        "start": "start",
        "end": "end",
    }
    return replace(own, **{fields[name]: getattr(typed, fields[name]) for name in explicit})


@click.command(short_help=short_help("risk"))
@click.argument("prices", required=False, type=click.Path(path_type=Path))
@click.option("--weights", "weights_text", metavar="A=0.3,B=0.7", help="Weights by ticker.")
@click.option(
    "--optimization",
    "optimization_id",
    help="Weights of a run from history, attributed on the run's own model (its tickers, "
    "window and estimation; --covariance/--returns/--start/--end given explicitly override).",
)
@click.option(
    "--point",
    metavar="N|max_sharpe|min_variance",
    help="With --optimization of a frontier run: which of its portfolios (an index from 0).",
)
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
    point: str | None,
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
    if point is not None and optimization_id is None:
        raise click.UsageError("--point needs --optimization (a frontier run from history)")
    target_chart = chart_target(chart, "risk_contributions")
    settings = estimation_from(opts)
    explicit = _explicit(
        click.get_current_context(), ("covariance", "returns_method", "start", "end")
    )

    async def work(uow):
        nonlocal settings
        if weights_text is not None:
            weights = parse_weights(weights_text)
        else:
            async with uow() as u:
                record = await u.optimizations.get(optimization_id)
            try:
                weights = point_weights(record, _point(point))
            except ValidationError as error:  # its field is the CLI's --point
                raise click.BadParameter(error.detail, param_hint="--point") from None
            settings = _own_model(record, prices, settings, explicit)
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
    caption = risk_caption(report, settings, prices.name if prices else "store", optimization_id)
    write_chart(
        target_chart,
        lambda fmt: container.charts().risk_contributions(
            report.tickers, report.weights, report.assets.percent, fmt, caption=caption
        ),
    )
