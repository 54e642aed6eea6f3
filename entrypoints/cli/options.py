"""Parsing of the CLI's compound option values into domain constraints."""

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from adapters.csv_tables import read_factor_loadings, read_sector_map
from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from domain.constraints import (
    Range,
)
from domain.estimation import DEFAULT_EMA_SPAN, PERIODS_PER_YEAR
from domain.model import Asset, Portfolio
from domain.objectives import (
    MaxSharpe,
    MaxUtility,
    MinVariance,
    Objective,
    TargetReturn,
    TargetRisk,
)
from domain.returns import DEFAULT_MIN_OBSERVATIONS
from entrypoints.constraints import build_constraints


def parse_ranges(values: Sequence[str], option: str) -> dict[str, Range]:
    """``NAME=MIN:MAX`` (either side may be empty: no bound) into {name: (min, max)}."""
    out: dict[str, Range] = {}
    for text in values:
        name, sep, span = text.partition("=")
        low, colon, high = span.partition(":")
        try:
            if not (sep and colon and name.strip()):
                raise ValueError
            pair = (
                float(low) if low.strip() else -math.inf,
                float(high) if high.strip() else math.inf,
            )
        except ValueError:
            raise click.BadParameter(
                f"{text!r}: expected NAME=MIN:MAX, e.g. Tech=0:0.4", param_hint=option
            ) from None
        out[name.strip()] = pair
    return out


def build_objective(
    kind: str, target: float | None, risk_free: float, risk_aversion: float
) -> Objective:
    needs_target = kind in ("target-return", "target-risk")
    if needs_target and target is None:
        raise click.UsageError(f"--target is required with --objective {kind}")
    if not needs_target and target is not None:
        raise click.UsageError("--target applies only to --objective target-return or target-risk")
    if kind == "target-return":
        return TargetReturn(float(target))  # type: ignore[arg-type]
    if kind == "target-risk":
        return TargetRisk(float(target))  # type: ignore[arg-type]
    if kind == "min-variance":
        return MinVariance()
    if kind == "max-utility":
        return MaxUtility(risk_aversion)
    return MaxSharpe(risk_free)


def _check_flags(opts: dict[str, Any]) -> None:
    if opts["leverage"] is not None and not opts["allow_short"]:
        raise click.UsageError(
            "--leverage needs --allow-short (a long-only portfolio's gross exposure is always 1)"
        )
    if opts["sector_limits"] and opts["sector_map"] is None:
        raise click.UsageError("--sector-limit needs --sector-map FILE (ticker,sector)")
    if opts["factor_limits"] and opts["factor_loadings"] is None:
        raise click.UsageError("--factor-limit needs --factor-loadings FILE")


DATE = click.DateTime(formats=["%Y-%m-%d"])
_UNIVERSE_OPTIONS = [
    click.option("--min-weight", type=float, help="Minimum weight of every asset (decimal)."),
    click.option("--max-weight", type=float, help="Maximum weight of every asset (decimal)."),
    click.option(
        "--bound",
        "bounds",
        multiple=True,
        metavar="TICKER=MIN:MAX",
        help="Per-asset weight bounds; repeatable.",
    ),
    click.option("--sector-map", type=click.Path(path_type=Path), help="CSV with ticker,sector."),
    click.option(
        "--sector-limit",
        "sector_limits",
        multiple=True,
        metavar="SECTOR=MIN:MAX",
        help="Total weight of a sector; repeatable.",
    ),
    click.option(
        "--factor-loadings",
        type=click.Path(path_type=Path),
        help="CSV with ticker,<factor>,... loadings.",
    ),
    click.option(
        "--factor-limit",
        "factor_limits",
        multiple=True,
        metavar="FACTOR=MIN:MAX",
        help="Bounds on the portfolio's exposure to a factor; repeatable.",
    ),
    click.option("--allow-short", is_flag=True, help="Allow negative weights."),
    click.option(
        "--leverage", type=float, help="Cap on gross exposure sum|w| (with --allow-short)."
    ),
    click.option(
        "--risk-free",
        type=float,
        default=0.0,
        show_default=True,
        help="Annualized risk-free rate, decimal (0.04 = 4 %).",
    ),
    click.option(
        "--covariance",
        type=click.Choice(["ledoit-wolf", "oas", "sample"]),
        default="ledoit-wolf",
        show_default=True,
    ),
    click.option(
        "--returns",
        "returns_method",
        type=click.Choice(["mean", "geometric", "ema"]),
        default="mean",
        show_default=True,
    ),
    click.option("--ema-span", type=int, default=DEFAULT_EMA_SPAN, show_default=True),
    click.option(
        "--factors",
        type=int,
        help="Use a PCA factor model with this many factors instead of --covariance.",
    ),
    click.option("--periods-per-year", type=int, default=PERIODS_PER_YEAR, show_default=True),
    click.option(
        "--min-observations",
        type=int,
        default=DEFAULT_MIN_OBSERVATIONS,
        show_default=True,
        help="Fewest daily returns accepted for estimation.",
    ),
    click.option("--tickers", help="Comma-separated subset of the file's tickers."),
    click.option("--start", type=DATE, help="First date used (YYYY-MM-DD)."),
    click.option("--end", type=DATE, help="Last date used (YYYY-MM-DD)."),
    click.option(
        "--solver-chain",
        help="Comma-separated solvers to try in order (default OSQP,CLARABEL,ECOS,SCS).",
    ),
    click.option("--time-limit", type=float, help="Seconds for the whole solve (default 30)."),
    click.option(
        "--json", "as_json", is_flag=True, help="Print a JSON document instead of tables."
    ),
]


def universe_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The constraint, estimation and solver options shared by optimize and frontier."""
    for option in reversed(_UNIVERSE_OPTIONS):
        command = option(command)
    return command


def split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def portfolio_from(name: str, tickers: Sequence[str], opts: dict[str, Any]) -> Portfolio:
    """The portfolio the constraint options describe; sectors (from --sector-map) go on the
    assets too."""
    _check_flags(opts)
    sectors = read_sector_map(opts["sector_map"]) if opts["sector_map"] else {}
    factors, loadings = (
        read_factor_loadings(opts["factor_loadings"]) if opts["factor_loadings"] else ((), {})
    )
    constraints = build_constraints(
        long_only=not opts["allow_short"],
        leverage=opts["leverage"],
        min_weight=opts["min_weight"],
        max_weight=opts["max_weight"],
        bounds=parse_ranges(opts["bounds"], "--bound"),
        sectors=sectors,
        sector_limits=parse_ranges(opts["sector_limits"], "--sector-limit"),
        factors=factors,
        loadings=loadings,
        factor_limits=parse_ranges(opts["factor_limits"], "--factor-limit"),
    )
    return Portfolio(name, tuple(Asset(t, sectors.get(t)) for t in tickers), constraints)


def estimation_from(opts: dict[str, Any]) -> EstimationSettings:
    """Settings from the options a command has; the ones it lacks keep their defaults."""
    start, end, default = opts["start"], opts["end"], EstimationSettings()
    return EstimationSettings(
        covariance=opts["covariance"].replace("-", "_"),
        returns=opts["returns_method"],
        periods_per_year=opts.get("periods_per_year", default.periods_per_year),
        ema_span=opts.get("ema_span", default.ema_span),
        min_observations=opts.get("min_observations", default.min_observations),
        factors=opts.get("factors", default.factors),
        start=start.date() if start else None,
        end=end.date() if end else None,
    )


def solver_settings_from(opts: dict[str, Any]) -> SolverSettings:
    """``--solver-chain`` and ``--time-limit`` as the run's solver settings."""
    chain = split_list(opts["solver_chain"])
    return SolverSettings(None if chain is None else tuple(chain), opts["time_limit"])
