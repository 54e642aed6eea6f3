"""The optimization history: one row per run, parameters and results as JSON."""

from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from adapters import tables
from adapters.orm import OptimizationRow
from adapters.storage.history_rows import record_row
from adapters.storage.times import utc
from domain.errors import NotFoundError
from domain.records import OptimizationRecord

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy.ext.asyncio import AsyncSession


def _record(row: OptimizationRow) -> OptimizationRecord:
    return OptimizationRecord(
        row.id,
        row.kind,
        row.objective,
        row.params_json,  # type: ignore[arg-type]
        row.results_json,
        row.status,
        row.duration_ms,
        row.portfolio_id,
        utc(row.created_at),
    )


class SqlAlchemyOptimizationRepository:
    """``owner`` set: runs are written as that owner's and only theirs are found."""

    def __init__(self, session: "AsyncSession", owner: str | None = None) -> None:
        self._session, self._owner = session, owner

    async def add(self, record: OptimizationRecord) -> None:
        """A Core INSERT, for a record written inside a unit of work (runs themselves are
        appended by ``SqlAlchemyRunJournal`` from the thread that computed them)."""
        connection = await self._session.connection()
        await connection.execute(insert(tables.optimization), [record_row(record, self._owner)])

    async def get(self, optimization_id: str) -> OptimizationRecord:
        row = await self._session.get(OptimizationRow, optimization_id)
        if row is None or (self._owner is not None and row.owner != self._owner):
            raise NotFoundError(
                f"no optimization with id {optimization_id!r}", field="optimization_id"
            )
        return _record(row)

    async def list(
        self,
        portfolio_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        kind: str | None = None,
    ) -> list[OptimizationRecord]:
        query = select(OptimizationRow).order_by(
            OptimizationRow.created_at.desc(), OptimizationRow.id
        )
        if portfolio_id is not None:
            query = query.where(OptimizationRow.portfolio_id == portfolio_id)
        if kind is not None:
            query = query.where(OptimizationRow.kind == kind)
        if self._owner is not None:
            query = query.where(OptimizationRow.owner == self._owner)
        rows = await self._session.scalars(query.limit(limit).offset(offset))
        return [_record(r) for r in rows]
