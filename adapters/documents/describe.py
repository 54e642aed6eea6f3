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


def rebalance_text(r: dict[str, Any] | None) -> str:
    """The trading terms of a run from holdings, in words ("" without any)."""
    if not r:
        return ""
    held = r.get("shares") or r.get("holdings")
    words = ["from holdings" if held else "from cash"]
    if r.get("turnover") is not None:
        words.append(f"turnover <= {_pct(r['turnover'])}")
    if r.get("max_trade") is not None:
        words.append(f"trades <= {_pct(r['max_trade'])} each")
    cost = r.get("cost_bps")
    if cost:
        words.append(f"costs {cost:g} bps" if not isinstance(cost, dict) else "costs by asset")
    if r.get("fee_per_trade"):
        words.append(f"fee {r['fee_per_trade']:g} a trade")
    if r.get("benchmark"):
        te = r.get("max_tracking_error")
        words.append("tracking a benchmark" + ("" if te is None else f" within {_pct(te)}"))
    if r.get("max_names") is not None:
        words.append(f"at most {r['max_names']} names")
    if r.get("min_position") is not None:
        words.append(f"positions 0 or >= {_pct(r['min_position'])}")
    return ", ".join(words)


def run_caption(params: dict[str, Any], results: dict[str, Any]) -> str:
    """What produced a run, in one line: assets and source, constraints, estimation window,
    covariance and returns methods, risk-free rate and the engine that answered."""
    estimation = params.get("estimation") or {}
    covariance = estimation.get("covariance")
    n_assets = len(params.get("tickers") or [])
    parts = [f"{n_assets} assets from {params.get('source', '?')}"]
    parts.append(constraints_text(params.get("constraints") or {}))
    trading = rebalance_text(params.get("rebalance"))
    if trading:
        parts.append(trading)
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
