"""Typed classes mapped onto the tables of ``adapters.tables``, for the repositories that work
with objects (portfolios with their assets, history pages, API keys)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from adapters import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class PortfolioRow(Base):
    __table__ = tables.portfolio

    id: Mapped[str]
    name: Mapped[str]
    owner: Mapped[str | None]
    constraints: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    assets: Mapped[list["PortfolioAssetRow"]] = relationship(
        back_populates="portfolio",
        cascade="all, delete-orphan",
        order_by="PortfolioAssetRow.position",
        lazy="selectin",
    )


class PortfolioAssetRow(Base):
    __table__ = tables.portfolio_asset

    portfolio_id: Mapped[str]
    ticker: Mapped[str]
    position: Mapped[int]
    weight: Mapped[Decimal | None]
    sector: Mapped[str | None]
    target_weight: Mapped[float | None]
    portfolio: Mapped[PortfolioRow] = relationship(back_populates="assets")


class OptimizationRow(Base):
    __table__ = tables.optimization

    id: Mapped[str]
    portfolio_id: Mapped[str | None]
    kind: Mapped[str]
    objective: Mapped[str]
    params_json: Mapped[dict[str, Any]]
    results_json: Mapped[dict[str, Any]]
    status: Mapped[str]
    duration_ms: Mapped[float]
    created_at: Mapped[dt.datetime]
    owner: Mapped[str | None]


class ApiKeyRow(Base):
    __table__ = tables.api_key

    id: Mapped[str]
    name: Mapped[str]
    salt: Mapped[str]
    digest: Mapped[str]
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
