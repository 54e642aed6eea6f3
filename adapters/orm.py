"""SQLAlchemy 2.0 typed models: the database schema (Alembic migrations follow it)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PortfolioRow(Base):
    __tablename__ = "portfolio"
    __table_args__ = (
        UniqueConstraint("owner", "name", name="uq_portfolio_owner_name"),
        # NULL owners are distinct in a unique constraint: a partial index covers them.
        Index(
            "uq_portfolio_name_without_owner",
            "name",
            unique=True,
            sqlite_where=text("owner IS NULL"),
            postgresql_where=text("owner IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(64))
    constraints: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    assets: Mapped[list["PortfolioAssetRow"]] = relationship(
        back_populates="portfolio",
        cascade="all, delete-orphan",
        order_by="PortfolioAssetRow.position",
        lazy="selectin",
    )


class PortfolioAssetRow(Base):
    __tablename__ = "portfolio_asset"

    portfolio_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio.id", ondelete="CASCADE"), primary_key=True
    )
    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column()
    weight: Mapped[Decimal | None] = mapped_column(Numeric(20, 12), index=True)
    sector: Mapped[str | None] = mapped_column(String(100))
    portfolio: Mapped[PortfolioRow] = relationship(back_populates="assets")


class OptimizationRow(Base):
    __tablename__ = "optimization"
    __table_args__ = (
        Index("ix_optimization_portfolio_created", "portfolio_id", "created_at"),
        Index("ix_optimization_owner_created", "owner", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    portfolio_id: Mapped[str | None] = mapped_column(
        ForeignKey("portfolio.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    objective: Mapped[str] = mapped_column(String(32))
    params_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    results_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(64))


class PriceRow(Base):
    __tablename__ = "price_data"
    __table_args__ = (Index("ix_price_data_date", "date"),)

    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    close: Mapped[Decimal] = mapped_column(Numeric(20, 8))


class PriceSeriesRow(Base):
    """Each ticker's prices packed for reading (``adapters.storage.price_series``), rewritten
    with every upsert into ``price_data``."""

    __tablename__ = "price_series"

    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_date: Mapped[dt.date] = mapped_column(Date)
    last_date: Mapped[dt.date] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer)
    days: Mapped[bytes] = mapped_column(LargeBinary)
    closes: Mapped[bytes] = mapped_column(LargeBinary)


class AssetRow(Base):
    __tablename__ = "asset"

    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(100))


class FrontierSessionRow(Base):
    """A frontier job's latest state, shared by every server process on PostgreSQL (see
    ``adapters.postgres_job_board``); rows are deleted a while after the job ends."""

    __tablename__ = "frontier_session"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKeyRow(Base):
    """An API key: the salted SHA-256 digest of its secret, never the secret itself."""

    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
