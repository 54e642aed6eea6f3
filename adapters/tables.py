"""The database schema as SQLAlchemy Core tables (Alembic migrations follow it).

Core rather than declarative classes, so that what a CLI run touches (the packed price series,
the history insert) needs no ORM: ``sqlalchemy.orm`` and the mapped classes cost ~0.1 s of
every ``pfopt optimize``. ``adapters.orm`` maps its classes onto these same tables for the
repositories that work with objects.
"""

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _created() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow)


portfolio = Table(
    "portfolio",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner", String(64)),
    Column("constraints", JSON, nullable=False),
    Column("settings", JSON(none_as_null=True)),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("owner", "name", name="uq_portfolio_owner_name"),
    # NULL owners are distinct in a unique constraint: a partial index covers them. Migration
    # 0001 writes it WHERE owner IS NULL on both dialects; only SQLite's predicate is repeated
    # here, because a ``postgresql_where`` loads the PostgreSQL dialect (~35 ms) into every
    # SQLite command, and Alembic compares no predicates (the contract tests check the rule).
    Index(
        "uq_portfolio_name_without_owner", "name", unique=True, sqlite_where=text("owner IS NULL")
    ),
)

portfolio_asset = Table(
    "portfolio_asset",
    metadata,
    Column(
        "portfolio_id", String(36), ForeignKey("portfolio.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("ticker", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("weight", Numeric(20, 12), index=True),
    Column("sector", String(100)),
    Column("target_weight", Double),
)

optimization = Table(
    "optimization",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("portfolio_id", String(36), ForeignKey("portfolio.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("objective", String(32), nullable=False),
    Column("params_json", JSON, nullable=False),
    Column("results_json", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("duration_ms", Float, nullable=False),
    _created(),
    Column("owner", String(64)),
    Index("ix_optimization_portfolio_created", "portfolio_id", "created_at"),
    Index("ix_optimization_owner_created", "owner", "created_at"),
)

price_data = Table(
    "price_data",
    metadata,
    Column("ticker", String(32), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("close", Double, nullable=False),
    Index("ix_price_data_date", "date"),
)

price_series = Table(
    "price_series",
    metadata,
    Column("ticker", String(32), primary_key=True),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("days", LargeBinary, nullable=False),
    Column("closes", LargeBinary, nullable=False),
)
"""Each ticker's prices packed for reading (``adapters.storage.price_series``), rewritten with
every upsert into ``price_data``."""

asset = Table(
    "asset",
    metadata,
    Column("ticker", String(32), primary_key=True),
    Column("name", String(200)),
    Column("sector", String(100)),
)

frontier_session = Table(
    "frontier_session",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("ended_at", DateTime(timezone=True)),
)
"""A frontier job's latest state, shared by every server process on PostgreSQL (see
``adapters.postgres_job_board``); rows are deleted a while after the job ends."""

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    _created(),
    Column("revoked_at", DateTime(timezone=True)),
)
"""An API key: the salted SHA-256 digest of its secret, never the secret itself."""

batch = Table(
    "batch",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(64)),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("executor", String(16), nullable=False),
    Column("workers", Integer, nullable=False),
    Column("params", JSON, nullable=False),
    Column("summary", JSON(none_as_null=True)),
    Column("error", JSON(none_as_null=True)),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    _created(),
    Column("ended_at", DateTime(timezone=True)),
    Index("ix_batch_owner_created", "owner", "created_at"),
)
"""A batch of accounts (``application.batches``): its progress, how it ended, its timings."""

batch_account = Table(
    "batch_account",
    metadata,
    Column("batch_id", String(36), ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True),
    Column("account", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("status", String(8), nullable=False),
    Column("solver", String(32)),
    Column("weights", JSON, nullable=False),
    Column("measures", JSON, nullable=False),
    Column("error", JSON(none_as_null=True)),
    Column("duration_ms", Float, nullable=False),
    Index("ix_batch_account_position", "batch_id", "position"),
)
"""One account's outcome; the key (batch, account) makes a retried task's rows no-ops."""
