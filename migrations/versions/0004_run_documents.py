"""Run documents: history rows in the one serialized form of a run (schema_version 2).

Parameters were Python dataclasses dumped with their class names (``{"type": "Budget"}``,
``{"type": "MaxSharpe"}``, ``{"type": "EstimationSettings"}``); results were a single run's
weights with nested ``metrics``, or a frontier without its status. Both become the documents of
``adapters.documents``: tagged objectives (``kind``), the constraints as the API words them, and
results equal to what the API answers. The conversion is written out here, on plain JSON, so it
keeps working whatever the code later becomes. Downgrade converts back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA_VERSION = 2

optimization = sa.table(
    "optimization",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("objective", sa.String),
    sa.column("status", sa.String),
    sa.column("duration_ms", sa.Float),
    sa.column("params_json", sa.JSON),
    sa.column("results_json", sa.JSON),
)

OBJECTIVE_KINDS = {
    "MinVariance": "min_variance",
    "MaxSharpe": "max_sharpe",
    "TargetReturn": "target_return",
    "TargetRisk": "target_risk",
    "MaxUtility": "max_utility",
}
ESTIMATION_KEYS = (
    "covariance",
    "returns",
    "periods_per_year",
    "ema_span",
    "min_observations",
    "factors",
)


def _constraints(items: list[dict[str, Any]], tickers: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "long_only": False,
        "min_weight": None,
        "max_weight": None,
        "bounds": {},
        "sectors": {},
        "sector_limits": {},
        "leverage": None,
        "factor_names": [],
        "factor_loadings": {},
        "factor_bounds": {},
    }
    for item in items:
        kind = item.get("type")
        if kind == "Budget":
            doc["leverage"] = item.get("leverage")
        elif kind == "LongOnly":
            doc["long_only"] = True
        elif kind == "WeightBounds":
            doc["min_weight"], doc["max_weight"] = item.get("min_weight"), item.get("max_weight")
        elif kind == "AssetBounds":
            doc["bounds"] = item["bounds"]
        elif kind == "GroupLimits":
            doc["sectors"], doc["sector_limits"] = item["groups"], item["limits"]
        elif kind == "FactorBounds":
            doc["factor_names"] = item["factors"]
            doc["factor_loadings"] = item["loadings"]
            doc["factor_bounds"] = item["limits"]
    return doc


def _objective(old: dict[str, Any] | None, rate: float) -> dict[str, Any] | None:
    if old is None:
        return None
    kind = OBJECTIVE_KINDS[old["type"]]
    doc: dict[str, Any] = {"kind": kind, "risk_free_rate": old.get("risk_free_rate", rate)}
    if kind == "target_return":
        doc["target_return"] = old["target_return"]
    elif kind == "target_risk":
        doc["target_risk"] = old["target_volatility"]
    elif kind == "max_utility":
        doc["risk_aversion"] = old["risk_aversion"]
    return doc


def params_v2(old: dict[str, Any], kind: str) -> dict[str, Any]:
    if old.get("schema_version") == SCHEMA_VERSION:
        return old
    rate = old.get("risk_free_rate") or 0.0
    estimation = old.get("estimation")
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "source": old.get("source", "store"),
        "tickers": old.get("tickers", []),
        "constraints": _constraints(old.get("constraints", []), old.get("tickers", [])),
        "estimation": None
        if estimation is None
        else {k: estimation[k] for k in ESTIMATION_KEYS if k in estimation},
        "start": None if estimation is None else estimation.get("start"),
        "end": None if estimation is None else estimation.get("end"),
        "solver": {"time_limit_s": None, "chain": None, "tolerance": None},
        "risk_free_rate": rate,
        "objective": _objective(old.get("objective"), rate),
        "points": old.get("n_points"),
        "targets": None,
    }


def _parameters(objective: dict[str, Any] | None) -> dict[str, float]:
    """As ``objective_parameters`` reported them: the domain objective's own fields."""
    if objective is None:
        return {}
    names = {
        "target_return": "target_return",
        "target_risk": "target_volatility",
        "risk_aversion": "risk_aversion",
    }
    out = {names[k]: v for k, v in objective.items() if k in names}
    if objective["kind"] == "max_sharpe":
        out["risk_free_rate"] = objective["risk_free_rate"]
    return out


def results_v2(row: Any, params: dict[str, Any]) -> dict[str, Any]:
    old = row.results_json or {}
    if old.get("schema_version") == SCHEMA_VERSION:
        return old
    if row.kind == "frontier":
        return {
            "schema_version": SCHEMA_VERSION,
            "status": row.status,
            "method": old.get("method", "unknown"),
            "risk_free_rate": old.get("risk_free_rate") or 0.0,
            "return_range": old["return_range"],
            "points": old.get("points", []),
            "max_sharpe": old.get("max_sharpe"),
            "min_variance": old["min_variance"],
            "notes": old.get("notes", []),
            "warnings": [],
            "window": old.get("window"),
            "duration_ms": round(row.duration_ms, 3),
            "assets": old.get("assets"),
            "optimization_id": row.id,
        }
    metrics = old.get("metrics") or {}
    objective = params.get("objective")
    rate = objective["risk_free_rate"] if objective else params.get("risk_free_rate", 0.0)
    return {
        "schema_version": SCHEMA_VERSION,
        "objective": row.objective,
        "parameters": _parameters(objective),
        "weights": old.get("weights") or {},
        "expected_return": metrics.get("expected_return"),
        "volatility": metrics.get("volatility"),
        "sharpe": metrics.get("sharpe"),
        "risk_free_rate": rate,
        "solver": old.get("solver", "unknown"),
        "status": old.get("status", row.status),
        "solver_attempts": [],
        "warnings": old.get("warnings", []),
        "window": old.get("window"),
        "duration_ms": round(row.duration_ms, 3),
        "optimization_id": row.id,
    }


def _constraints_v1(doc: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"type": "Budget", "leverage": doc.get("leverage")}]
    if doc.get("long_only"):
        items.append({"type": "LongOnly"})
    if doc.get("min_weight") is not None or doc.get("max_weight") is not None:
        items.append(
            {"type": "WeightBounds", "min_weight": doc["min_weight"], "max_weight": doc["max_weight"]}
        )
    if doc.get("bounds"):
        items.append({"type": "AssetBounds", "bounds": doc["bounds"]})
    if doc.get("sector_limits"):
        items.append(
            {
                "type": "GroupLimits",
                "groups": doc.get("sectors", {}),
                "limits": doc["sector_limits"],
                "kind": "sector",
            }
        )
    if doc.get("factor_bounds"):
        items.append(
            {
                "type": "FactorBounds",
                "factors": doc.get("factor_names", []),
                "loadings": doc.get("factor_loadings", {}),
                "limits": doc["factor_bounds"],
            }
        )
    return items


def params_v1(doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("schema_version") != SCHEMA_VERSION:
        return doc
    names = {v: k for k, v in OBJECTIVE_KINDS.items()}
    estimation = doc.get("estimation")
    out: dict[str, Any] = {
        "source": doc["source"],
        "tickers": doc["tickers"],
        "constraints": _constraints_v1(doc["constraints"]),
        "estimation": None
        if estimation is None
        else {"type": "EstimationSettings", **estimation, "start": doc["start"], "end": doc["end"]},
        "risk_free_rate": doc["risk_free_rate"],
    }
    objective = doc.get("objective")
    if objective is not None:
        old: dict[str, Any] = {"type": names[objective["kind"]]}
        if objective["kind"] == "max_sharpe":
            old["risk_free_rate"] = objective["risk_free_rate"]
        for key, name in (
            ("target_return", "target_return"),
            ("target_risk", "target_volatility"),
            ("risk_aversion", "risk_aversion"),
        ):
            if key in objective:
                old[name] = objective[key]
        out["objective"] = old
    else:
        out["n_points"] = doc.get("points")
    return out


def results_v1(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("schema_version") != SCHEMA_VERSION:
        return doc
    if kind == "frontier":
        keep = ("method", "notes", "return_range", "points", "max_sharpe", "min_variance")
        return {
            **{k: doc[k] for k in keep},
            "risk_free_rate": doc["risk_free_rate"],
            "assets": doc.get("assets"),
            "window": doc.get("window"),
        }
    return {
        "weights": doc["weights"],
        "metrics": {
            "type": "PortfolioMetrics",
            "expected_return": doc["expected_return"],
            "volatility": doc["volatility"],
            "sharpe": doc["sharpe"],
        },
        "solver": doc["solver"],
        "status": doc["status"],
        "warnings": doc["warnings"],
        "window": doc["window"],
    }


def _rows() -> list[Any]:
    return list(op.get_bind().execute(sa.select(optimization)))


def _write(row_id: str, params: dict[str, Any], results: dict[str, Any]) -> None:
    op.get_bind().execute(
        optimization.update()
        .where(optimization.c.id == row_id)
        .values(params_json=params, results_json=results)
    )


def upgrade() -> None:
    for row in _rows():
        params = params_v2(row.params_json or {}, row.kind)
        _write(row.id, params, results_v2(row, params))


def downgrade() -> None:
    for row in _rows():
        _write(row.id, params_v1(row.params_json or {}), results_v1(row.kind, row.results_json))
