"""API keys: created once (the secret is shown then and never stored), revoked, checked.

A key reads ``pfo_<id>_<secret>``: the id finds the stored record, the secret is checked against
its salted SHA-256 digest in constant time. The secret is 256 random bits, so a slow password
hash would add latency to every request without adding strength. The record's ``name`` is the
owner of everything created with the key.
"""

import hashlib
import hmac
import re
import secrets
import time

from domain.errors import NotFoundError, UnauthorizedError, ValidationError
from domain.records import ApiKeyRecord
from domain.repositories import UnitOfWorkFactory

PREFIX = "pfo"
KEY_ID = re.compile(r"[0-9a-f]{16}")
SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
"""The shapes ``create`` makes (``token_hex(8)``, ``token_urlsafe(32)``): anything else is refused
before the store is asked, so a malformed key (a NUL byte, a megabyte) never reaches SQL."""


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class ManageKeys:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def create(self, name: str) -> tuple[ApiKeyRecord, str]:
        """The stored record and the key itself, which exists nowhere else afterwards."""
        name = name.strip()
        if not 0 < len(name) <= 64:
            raise ValidationError("the key's name (its owner) takes 1..64 characters", field="name")
        key_id, secret, salt = (
            secrets.token_hex(8),
            secrets.token_urlsafe(32),
            secrets.token_hex(16),
        )
        record = ApiKeyRecord(key_id, name, salt, _digest(salt, secret))
        async with self._uow() as uow:
            await uow.keys.add(record)
            await uow.commit()
        return record, f"{PREFIX}_{key_id}_{secret}"

    async def list(self) -> list[ApiKeyRecord]:
        async with self._uow() as uow:
            return await uow.keys.list()

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        async with self._uow() as uow:
            record = await uow.keys.revoke(key_id)
            await uow.commit()
        return record

    async def owner_of(self, token: str) -> str:
        """The owner named by a valid, unrevoked key; ``UnauthorizedError`` otherwise (one
        message for every failure, so a caller cannot probe which ids exist)."""
        prefix, _, rest = token.partition("_")
        key_id, secret = rest[:16], rest[17:]
        refused = UnauthorizedError("the API key is not valid", field="authorization")
        if (
            prefix != PREFIX
            or rest[16:17] != "_"
            or not KEY_ID.fullmatch(key_id)
            or not SECRET.fullmatch(secret)
        ):
            raise refused
        try:
            async with self._uow() as uow:
                record = await uow.keys.get(key_id)
        except NotFoundError:
            raise refused from None
        if record.revoked_at is not None or not hmac.compare_digest(
            record.digest, _digest(record.salt, secret)
        ):
            raise refused
        return record.name


class AuthPolicy:
    """Whether requests need a key: always with ``required``, otherwise as soon as any key has
    been created. Revoking every key does not reopen the service: data created under keys
    belongs to their owners, and an open service would show it to anyone. The answer is cached
    ``ttl_s`` seconds, so a key created with the CLI switches a running server to required
    within that time; each key itself is checked on every request."""

    def __init__(
        self, keys: ManageKeys, uow: UnitOfWorkFactory, required: bool, ttl_s: float = 2.0
    ):
        self.keys, self._uow, self.required, self._ttl_s = keys, uow, required, ttl_s
        self._known: tuple[float, bool] | None = None

    async def enabled(self) -> bool:
        if self.required:
            return True
        now = time.monotonic()
        if self._known is None or now - self._known[0] > self._ttl_s:
            async with self._uow() as uow:
                self._known = (now, bool(await uow.keys.list()))
        return self._known[1]
