"""The web page at ``/``: static files from this package, and Plotly.js served straight from the
installed ``plotly`` Python package (nothing vendored into the repository, no build step)."""

from importlib.resources import files
from pathlib import Path

from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).with_name("static")
PLOTLY = Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@get("/", include_in_schema=False, media_type="text/html")
async def index() -> File:
    return File(STATIC / "index.html", content_disposition_type="inline", media_type="text/html")


@get("/vendor/plotly.min.js", include_in_schema=False)
async def plotly_bundle() -> File:
    return File(
        PLOTLY,
        content_disposition_type="inline",
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )


def page_handlers() -> list[Router | object]:
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        cache_control=CacheControlHeader(no_cache=True),
    )
    return [index, plotly_bundle, static]
