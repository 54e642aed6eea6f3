"""The CLI's options parsed into a run spec (its own syntax; ``application.specs`` values)."""

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from adapters.csv_tables import read_factor_loadings, read_sector_map
from adapters.documents.objectives import KINDS, Kind, objective_from, to_objective
from application.estimate_universe import EstimationSettings
from application.solver_settings import SolverSettings
from application.specs import Assets, PricesFile, RunSpec, SavedPortfolio, StoredPrices, Task
from domain.constraints import (
    Range,
    build_constraints,
)
from domain.estimation import DEFAULT_EMA_SPAN, PERIODS_PER_YEAR
from domain.model import Asset, Portfolio
from domain.objectives import Objective
from domain.returns import DEFAULT_MIN_OBSERVATIONS


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


OBJECTIVES = tuple(kind.replace("_", "-") for kind in KINDS)
"""``--objective`` choices: every objective the codec knows."""


def build_objective(
    kind: str,
    target: float | None,
    risk_free: float,
    risk_aversion: float,
    budgets: dict[str, float] | None = None,
    linkage: str | None = None,
) -> Objective:
    """The objective ``--objective KIND`` names. ``--target`` is the kind's own target field
    (target_return, target_risk...); ``--risk-aversion`` goes to a kind that takes one;
    ``--budgets`` to risk budgeting."""
    name = kind.replace("-", "_")
    fields = KINDS[name].document.__struct_fields__
    if budgets is not None and "budgets" not in fields:
        raise click.UsageError("--budgets applies only to --objective risk-budget")
    if linkage is not None and "linkage" not in fields:
        raise click.UsageError("--linkage applies only to --objective hrp")
    target_fields = [f for f in fields if f.startswith("target_")]
    if target is not None and not target_fields:
        wanted = ", ".join(k.replace("_", "-") for k, v in KINDS.items() if _targets(v))
        raise click.UsageError(
            f"--target applies only to --objective {wanted.replace(', ', ' or ')}"
        )
    if target is None and target_fields:
        raise click.UsageError(f"--target is required with --objective {kind}")
    values: dict[str, Any] = {"risk_free_rate": risk_free}
    values |= dict.fromkeys(target_fields, target)
    if "risk_aversion" in fields:
        values["risk_aversion"] = risk_aversion
    if budgets is not None:
        values["budgets"] = budgets
    if linkage is not None:
        values["linkage"] = linkage
    return to_objective(objective_from(name, **values))


def _targets(kind: Kind) -> bool:
    return any(f.startswith("target_") for f in kind.document.__struct_fields__)


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
    click.option(
        "--ema-span",
        type=click.IntRange(1, 100_000),
        default=DEFAULT_EMA_SPAN,
        show_default=True,
        help="Span in periods of the EMA of returns (with --returns ema).",
    ),
    click.option(
        "--factors",
        type=int,
        help="Use a PCA factor model with this many factors instead of --covariance.",
    ),
    click.option(
        "--periods-per-year",
        type=click.IntRange(1, 100_000),
        default=PERIODS_PER_YEAR,
        show_default=True,
        help="Periods in a year, to annualize (252 for daily prices).",
    ),
    click.option(
        "--min-observations",
        type=click.IntRange(2, 10_000_000),
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
        "--solver-tolerance",
        type=float,
        help="Convergence tolerance of the CVXPY solvers (default 1e-10).",
    ),
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


def assets_from(name: str, tickers: Sequence[str] | None, opts: dict[str, Any]) -> Assets:
    """The ad-hoc assets the constraint options describe (``tickers`` None: all of the
    data's); sectors come from --sector-map."""
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
    return Assets(None if tickers is None else tuple(tickers), constraints, sectors, name)


def portfolio_from(name: str, tickers: Sequence[str], opts: dict[str, Any]) -> Portfolio:
    """A portfolio to save: the tickers with the constraint options' constraints and sectors."""
    a = assets_from(name, tickers, opts)
    return Portfolio(name, tuple(Asset(t, a.sectors.get(t)) for t in tickers), a.constraints)


def run_spec(task: Task, prices: Path | None, ref: str | None, opts: dict[str, Any]) -> RunSpec:
    """The run the command's arguments describe: on a saved portfolio (``--portfolio``), a
    prices file, or stored prices (``--tickers``)."""
    names = split_list(opts["tickers"])
    if ref is not None:
        assets: SavedPortfolio | Assets = SavedPortfolio(ref)
    elif prices is None:
        if not names:
            raise click.UsageError(
                "give a PRICES file, --tickers A,B,C (stored prices) or --portfolio NAME"
            )
        assets = assets_from("adhoc", names, opts)
    else:
        assets = assets_from(prices.stem, names, opts)
    return RunSpec(
        task=task,
        assets=assets,
        data=StoredPrices() if prices is None else PricesFile(str(prices)),
        estimation=estimation_from(opts),
        solver=solver_settings_from(opts),
        risk_free_rate=opts["risk_free"],
    )


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
    """``--solver-chain``, ``--time-limit`` and ``--solver-tolerance`` as solver settings."""
    chain = split_list(opts["solver_chain"])
    chain_ = None if chain is None else tuple(chain)
    return SolverSettings(chain_, opts["time_limit"], opts["solver_tolerance"])
