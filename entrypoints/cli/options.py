"""Parsing of the CLI's compound option values into domain constraints."""

import math
from collections.abc import Sequence
from pathlib import Path

import click

from adapters.csv_tables import read_factor_loadings, read_sector_map
from domain.constraints import (
    AssetBounds,
    Budget,
    Constraint,
    FactorBounds,
    GroupLimits,
    LongOnly,
    Range,
    WeightBounds,
)
from domain.objectives import (
    MaxSharpe,
    MaxUtility,
    MinVariance,
    Objective,
    TargetReturn,
    TargetRisk,
)


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


def build_constraints(
    *,
    allow_short: bool,
    leverage: float | None,
    min_weight: float | None,
    max_weight: float | None,
    bounds: Sequence[str],
    sector_map: Path | None,
    sector_limits: Sequence[str],
    factor_loadings: Path | None,
    factor_limits: Sequence[str],
) -> tuple[Constraint, ...]:
    if leverage is not None and not allow_short:
        raise click.UsageError(
            "--leverage needs --allow-short (a long-only portfolio's gross exposure is always 1)"
        )
    if sector_limits and sector_map is None:
        raise click.UsageError("--sector-limit needs --sector-map FILE (ticker,sector)")
    if factor_limits and factor_loadings is None:
        raise click.UsageError("--factor-limit needs --factor-loadings FILE")
    out: list[Constraint] = [Budget(leverage)]
    if not allow_short:
        out.append(LongOnly())
    if min_weight is not None or max_weight is not None:
        out.append(WeightBounds(min_weight, max_weight))
    if bounds:
        out.append(AssetBounds(parse_ranges(bounds, "--bound")))
    if sector_map is not None and sector_limits:
        out.append(
            GroupLimits(read_sector_map(sector_map), parse_ranges(sector_limits, "--sector-limit"))
        )
    if factor_loadings is not None and factor_limits:
        factors, loadings = read_factor_loadings(factor_loadings)
        out.append(FactorBounds(factors, loadings, parse_ranges(factor_limits, "--factor-limit")))
    return tuple(out)
