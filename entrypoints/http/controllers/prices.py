"""Stored prices: import (CSV or JSON rows), one ticker's closes, the tickers, their sectors."""

import asyncio
import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import urlencode

import msgspec
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
from domain.prices import PriceHistory
from entrypoints.exports import PriceRowBody, rows_to_history
from entrypoints.http.dependencies import Uow, check_page
from entrypoints.http.problems import LIST, WRITE
from entrypoints.http.responses import PriceImport, PricePoint, SectorsUpdated, StoredTicker

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
    try:
        rows = msgspec.json.decode(raw, type=list[PriceRowBody])
    except msgspec.MsgspecError as error:  # malformed JSON or wrong shape
        raise ValidationError(f"prices: {error}", field="prices") from None
    return rows_to_history(rows)


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
        return PriceImport.from_domain(await ImportPrices(uow).execute(HistoryPriceSource(history)))

    @get(
        "/prices/{ticker:str}",
        operation_id="ticker_prices",
        summary="Daily closes of one ticker",
        responses=LIST,
    )
    async def closes(
        self,
        ticker: FromPath[str],
        uow: Uow,
        start: FromQuery[dt.date | None] = None,
        end: FromQuery[dt.date | None] = None,
        limit: FromQuery[int] = 5000,
        offset: FromQuery[int] = 0,
    ) -> Response[list[PricePoint]]:
        """Daily closes, oldest first, ``limit`` at a time; a ``Link: <...>; rel="next"`` header
        points at the next page while there is one."""
        check_page(limit, offset, 50_000)
        async with uow() as u:
            history = await u.prices.load([ticker], start, end)
        closes = history.closes[:, 0]
        page = [
            PricePoint(history.dates[k], float(closes[k]))
            for k in range(offset, min(offset + limit, len(history.dates)))
        ]
        headers = {}
        if offset + limit < len(history.dates):
            query = {"limit": limit, "offset": offset + limit}
            query |= {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
            headers["link"] = f'</api/prices/{ticker}?{urlencode(query)}>; rel="next"'
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
            if not (0 < len(ticker) <= 32 and 0 < len(sector) <= 100):
                raise ValidationError(
                    f"sectors[{ticker!r}]: tickers take 1..32 characters, sectors 1..100",
                    field="sectors",
                )
        async with uow() as u:
            await u.prices.set_sectors(data)
            await u.commit()
        return SectorsUpdated(len(data))
