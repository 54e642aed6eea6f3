"""Stored prices: import (CSV or JSON rows), one ticker's closes, the tickers, their sectors."""

import asyncio
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, FromQuery, JSONBody

from adapters.csv_prices import parse_prices
from application.history_source import HistoryPriceSource
from application.import_prices import ImportPrices
from domain.errors import ValidationError
from domain.model import Asset, check_stored_ticker
from domain.prices import PriceHistory
from entrypoints.exports import PriceRowBody, rows_to_history
from entrypoints.http.dependencies import Uow, check_page
from entrypoints.http.json_bodies import decode
from entrypoints.http.problems import LIST, WRITE
from entrypoints.http.responses import PriceImport, PricePoint, SectorsUpdated, StoredTicker

IMPORT_DEADLINE_S = 60.0
"""An import's unit of work may take this long (an 8 MiB upload is ~250k prices, ~3 s on
PostgreSQL); every other request's gives up after the server's database deadline."""

ROW = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "date": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE),
        "ticker": Schema(type=OpenAPIType.STRING),
        "close": Schema(type=OpenAPIType.NUMBER),
    },
    required=["date", "ticker", "close"],
)


def _uploaded(raw: bytes, csv_body: bool) -> PriceHistory:
    """An upload's prices: a CSV (a large one read in bulk, as a file is) or JSON rows. Parsed
    in a worker thread: a 630k-cell CSV takes 75 ms in bulk and ~0.4 s row by row."""
    if csv_body:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("prices: the CSV is not UTF-8 text", field="prices") from None
        return parse_prices(io.StringIO(text), "upload.csv", raw)
    return rows_to_history(decode(raw, list[PriceRowBody], "prices"))


@dataclass
class PriceUpload(Operation):
    """The import reads its body itself (CSV or JSON rows), so its schema is declared here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="a price CSV (wide: date + one column per ticker; or long: "
            "date,ticker,close), or JSON rows",
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.ARRAY, items=ROW)
                ),
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            },
        )


class PriceController(Controller):
    path = "/api"
    tags = ("prices",)

    @post(
        "/prices",
        status_code=200,
        operation_id="import_prices",
        summary="Import prices (CSV or JSON rows)",
        operation_class=PriceUpload,
        responses=WRITE,
    )
    async def import_prices(self, request: Request, uow: Uow) -> PriceImport:
        """A price CSV (``text/csv``, wide or long) or JSON rows ``[{date, ticker, close}]``:
        validated whole, written all or nothing."""
        raw = await request.body()
        csv_body = request.headers.get("content-type", "").startswith("text/csv")
        history = await asyncio.to_thread(_uploaded, raw, csv_body)  # not on the event loop
        importing = ImportPrices(uow.with_deadline(IMPORT_DEADLINE_S))
        return PriceImport.from_domain(await importing.execute(HistoryPriceSource(history)))

    @get(
        "/prices/{ticker:path}",  # a ticker may hold "/" (BRK/B), sent as BRK%2FB
        operation_id="ticker_prices",
        summary="Daily closes of one ticker",
        responses=LIST,
    )
    async def closes(
        self,
        ticker: FromPath[Path],
        request: Request,
        uow: Uow,
        start: FromQuery[dt.date | None] = None,
        end: FromQuery[dt.date | None] = None,
        limit: FromQuery[int] = 5000,
        offset: FromQuery[int] = 0,
    ) -> Response[list[PricePoint]]:
        """Daily closes, oldest first, ``limit`` at a time; a ``Link: <...>; rel="next"`` header
        points at the next page while there is one."""
        check_page(limit, offset, 50_000)
        # The route's Path would read "A//B" as "A/B": the ticker is the raw path's tail.
        name = request.scope["path"].removeprefix("/api/prices/")
        async with uow() as u:
            history = await u.prices.load([name], start, end)
        closes = history.closes[:, 0]
        page = [
            PricePoint(history.dates[k], float(closes[k]))
            for k in range(offset, min(offset + limit, len(history.dates)))
        ]
        headers = {}
        if offset + limit < len(history.dates):
            query = {"limit": limit, "offset": offset + limit}
            query |= {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
            link = f"/api/prices/{quote(name, safe='')}?{urlencode(query)}"
            headers["link"] = f'<{link}>; rel="next"'
        return Response(page, headers=headers)

    @get("/tickers", operation_id="list_tickers", summary="Stored tickers", responses=LIST)
    async def tickers(self, uow: Uow) -> list[StoredTicker]:
        """Every stored ticker with its date range, row count and sector (null if unknown)."""
        async with uow() as u:
            return [StoredTicker.from_domain(s) for s in await u.prices.summary()]

    @put("/sectors", operation_id="set_sectors", summary="Set sectors of tickers", responses=WRITE)
    async def set_sectors(self, data: JSONBody[dict[str, str]], uow: Uow) -> SectorsUpdated:
        """Sectors by ticker (``{"AAPL": "Technology"}``), for the page's sector filter."""
        for ticker, sector in data.items():
            check_stored_ticker(ticker, "sectors")
            Asset(ticker, sector)  # the sector rule, as a portfolio's
        async with uow() as u:
            await u.prices.set_sectors(data)
            await u.commit()
        return SectorsUpdated(len(data))
