"""A run's history row as column values, for every writer of the ``optimization`` table (the
SQLAlchemy journal and repository, the embedded store's own driver path)."""

import datetime as dt
from typing import Any

from domain.records import OptimizationRecord


def record_row(record: OptimizationRecord, owner: str | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "portfolio_id": record.portfolio_id,
        "kind": record.kind,
        "objective": record.objective,
        "params_json": record.params,
        "results_json": record.results,
        "status": record.status,
        "duration_ms": record.duration_ms,
        "created_at": record.created_at or dt.datetime.now(dt.UTC),
        "owner": owner,
    }
