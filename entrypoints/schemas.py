"""Wire formats shared by the CLI's ``--json`` output and the HTTP API. The run documents live in
``adapters.documents`` (they are also what history stores); this module keeps the risk report.
"""

import dataclasses
import math
from typing import Any

from adapters.documents.records import portfolio_document
from adapters.documents.results import (
    FrontierPointBody,
    FrontierResponse,
    OptimizationResponse,
    objective_parameters,
)
from application.attribute_risk import RiskReport

__all__ = [
    "FrontierPointBody",
    "FrontierResponse",
    "OptimizationResponse",
    "jsonable",
    "objective_parameters",
    "portfolio_document",
    "report_document",
]


def jsonable(value: Any) -> Any:
    """Builtins for JSON: dataclasses as dicts of their fields, dates as ISO text, infinite or
    NaN floats as None (JSON has neither)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def report_document(r: RiskReport) -> dict[str, Any]:
    a = r.assets
    assets = {
        t: {"weight": float(w), "mctr": float(m), "ctr": float(c), "percent": float(p)}
        for t, w, m, c, p in zip(
            r.tickers, r.weights, a.marginal, a.component, a.percent, strict=True
        )
    }
    factors = None
    if r.factors is not None:
        f = r.factors
        factors = {
            "exposures": f.exposures.tolist(),
            "variance": f.factor_variance.tolist(),
            "share": f.factor_share.tolist(),
            "specific_variance": f.specific_variance,
            "specific_share": f.specific_share,
            "total_variance": f.total_variance,
        }
    tail = [
        {
            "horizon_periods": h,
            "confidence": t.confidence,
            "parametric_var": t.parametric_var,
            "parametric_cvar": t.parametric_cvar,
            "historical_var": t.historical_var,
            "historical_cvar": t.historical_cvar,
        }
        for h, t in r.tail
    ]
    return jsonable(
        {
            "volatility": a.volatility,
            "expected_return": r.expected_return,
            "assets": assets,
            "factors": factors,
            "tail": tail,
            "max_drawdown": r.max_drawdown,
            "beta": r.beta,
            "correlation": r.correlation,
            "effective_number_of_bets": r.effective_bets,
            "herfindahl": r.herfindahl,
            "warnings": list(r.warnings),
            "window": None
            if r.start is None
            else {"start": r.start, "end": r.end, "n_observations": r.n_observations},
        }
    )
