"""One line saying what produced a run, from its stored documents: the caption under a chart's
title, the header of ``pfopt history show`` and of the page's run summary. It reads the
``RunParams`` and results documents only, so a run read back from history is described exactly
as it was when it ran."""

from typing import Any

COVARIANCE_NAMES = {
    "sample": "sample covariance",
    "ledoit_wolf": "Ledoit-Wolf covariance",
    "oas": "OAS covariance",
}


def _pct(x: float) -> str:
    return f"{x * 100:.4g} %"


def _pair(pair: Any) -> str:
    lo, hi = pair
    if lo is None:
        return f"<= {_pct(hi)}"
    if hi is None:
        return f">= {_pct(lo)}"
    return f"{_pct(lo)}..{_pct(hi)}"


def constraints_text(c: dict[str, Any]) -> str:
    """The constraints document in words: "long only, max 30 % each, 2 sector limits"."""
    parts = ["long only" if c.get("long_only", True) else "shorts allowed"]
    if c.get("leverage") is not None:
        parts.append(f"gross <= {c['leverage']:g}x")
    lo, hi = c.get("min_weight"), c.get("max_weight")
    if lo is not None or hi is not None:
        parts.append(f"weights {_pair((lo, hi))} each")
    for key, word in (
        ("bounds", "asset bound"),
        ("sector_limits", "sector limit"),
        ("factor_bounds", "factor limit"),
    ):
        limits = c.get(key) or {}
        if 0 < len(limits) <= 2:
            parts.extend(f"{name} {_pair(pair)}" for name, pair in limits.items())
        elif limits:
            parts.append(f"{len(limits)} {word}s")
    return ", ".join(parts)


def run_caption(params: dict[str, Any], results: dict[str, Any]) -> str:
    """What produced a run, in one line: assets and source, constraints, estimation window,
    covariance and returns methods, risk-free rate and the engine that answered."""
    estimation = params.get("estimation") or {}
    covariance = estimation.get("covariance")
    n_assets = len(params.get("tickers") or [])
    parts = [f"{n_assets} assets from {params.get('source', '?')}"]
    parts.append(constraints_text(params.get("constraints") or {}))
    window = results.get("window")
    if window:
        parts.append(
            f"{window['start']}..{window['end']} ({window['n_observations']} daily returns)"
        )
    if params.get("source") == "inline":
        parts.append("the caller's own risk model")
    elif covariance:
        returns = estimation.get("returns", "mean")
        parts.append(f"{COVARIANCE_NAMES.get(covariance, covariance)}, {returns} returns")
    rate = results.get("risk_free_rate", params.get("risk_free_rate"))
    if rate is not None:
        parts.append(f"risk-free {_pct(rate)}")
    solver = results.get("solver") or results.get("method")
    if solver:
        parts.append(f"solver {solver}")
    return " | ".join(parts)
