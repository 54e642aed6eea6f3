"""History: recent runs, one run (JSON or CSV), and charts of a stored run."""

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath, FromQuery, KwargDefinition

from adapters.documents.records import (
    OptimizationRecordDocument,
    RunSummary,
    record_document,
    run_summary,
)
from domain.errors import NotFoundError, ValidationError
from entrypoints.exports import record_csv
from entrypoints.http.charts import render as render_chart
from entrypoints.http.dependencies import Gate, Services, Uow, check_page
from entrypoints.http.problems import LIST, READ

Binary = Annotated[bytes, KwargDefinition(format="binary")]


@dataclass
class ChartOperation(Operation):
    """A chart is PNG or SVG: both media types on its 200."""

    def __post_init__(self) -> None:
        ok = self.responses["200"]  # type: ignore[index]
        ok.content["image/svg+xml"] = OpenAPIMediaType(  # type: ignore[union-attr]
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        )


@dataclass
class RecordOperation(Operation):
    """A run is JSON, or CSV with ``?format=csv``."""

    def __post_init__(self) -> None:
        ok = self.responses["200"]  # type: ignore[index]
        ok.content["text/csv"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))  # type: ignore[union-attr]


class OptimizationController(Controller):
    path = "/api/optimizations"
    tags = ("history",)

    @get(operation_id="list_optimizations", summary="Recent runs", responses=LIST)
    async def recent(
        self,
        uow: Uow,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
        kind: FromQuery[Literal["single", "frontier"] | None] = None,
    ) -> list[RunSummary]:
        """Recent runs of any portfolio, newest first, without their results (fetch one by id
        for those); ``kind`` keeps single runs or frontiers only."""
        check_page(limit, offset, 500)
        async with uow() as u:
            records = await u.optimizations.list(None, limit=limit, offset=offset, kind=kind)
        return [run_summary(r) for r in records]

    @get(
        "/{optimization_id:str}",
        operation_id="get_optimization",
        summary="One run (JSON or CSV)",
        operation_class=RecordOperation,
        responses=LIST,
    )
    async def show(
        self, optimization_id: FromPath[str], uow: Uow, format: FromQuery[str] = "json"
    ) -> Response[OptimizationRecordDocument]:
        """One run; ``?format=csv`` gives its weights (single) or points (frontier) as CSV,
        ``?format=trades`` a rebalancing run's trades as CSV."""
        async with uow() as u:
            record = await u.optimizations.get(optimization_id)
        if format in ("csv", "trades"):
            text = record_csv(record, trades=format == "trades")
            return Response(text, media_type="text/csv")  # type: ignore[return-value]
        if format != "json":
            raise ValidationError("format must be json, csv or trades", field="format")
        return Response(record_document(record))

    @get(
        "/{optimization_id:str}/charts/{name:str}",
        operation_id="chart",
        summary="A chart of a run (PNG or SVG)",
        responses=READ,
    )
    async def chart(
        self,
        optimization_id: FromPath[str],
        name: FromPath[str],
        uow: Uow,
        gate: Gate,
        container: Services,
    ) -> Response[bytes]:
        """weights|risk|sectors (single runs) or frontier|composition|sectors (frontier runs;
        its sectors chart is of the max-Sharpe portfolio), as .png or .svg, each captioned
        with what produced the run."""
        kind, _, fmt = name.partition(".")
        if fmt not in ("png", "svg"):
            raise NotFoundError(f"no chart {name!r}: use a .png or .svg name", field="chart")
        async with uow() as u:
            record = await u.optimizations.get(optimization_id)
        estimator, charts = container.estimator(), container.charts()
        data = await render_chart(record, kind, fmt, uow, estimator, charts, gate)
        return Response(data, media_type="image/png" if fmt == "png" else "image/svg+xml")
