"""API keys: salted digests, never secrets."""

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select

from adapters.orm import ApiKeyRow
from adapters.storage.times import utc
from domain.errors import NotFoundError
from domain.records import ApiKeyRecord

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy.ext.asyncio import AsyncSession


class SqlAlchemyApiKeyRepository:
    def __init__(self, session: "AsyncSession") -> None:
        self._session = session

    async def add(self, record: ApiKeyRecord) -> None:
        self._session.add(
            ApiKeyRow(id=record.id, name=record.name, salt=record.salt, digest=record.digest)
        )
        await self._session.flush()

    async def get(self, key_id: str) -> ApiKeyRecord:
        row = await self._session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}", field="key_id")
        return _key(row)

    async def list(self) -> list[ApiKeyRecord]:
        rows = await self._session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
        return [_key(r) for r in rows]

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        row = await self._session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}", field="key_id")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            await self._session.flush()
        return _key(row)

    async def any_active(self) -> bool:
        query = select(ApiKeyRow.id).where(ApiKeyRow.revoked_at.is_(None)).limit(1)
        return (await self._session.scalars(query)).first() is not None


def _key(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        row.id, row.name, row.salt, row.digest, utc(row.created_at), utc(row.revoked_at)
    )
