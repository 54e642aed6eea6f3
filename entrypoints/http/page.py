"""The web page at ``/``: its files from this package, and Plotly.js straight from the installed
``plotly`` Python package (nothing vendored into the repository, no build step).

Every file is read once, gzipped once (in a worker thread, on first request) and served from
memory with a strong ``ETag``: a browser revalidates ``index.html``, ``app.js`` and
``style.css`` on every load (``no-cache``: a new version shows at once) and gets a 304 when
nothing changed; Plotly's bundle (4.8 MB, 1.4 MB gzipped) has its version in its URL, so it is
cached for a year and never asked for again."""

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException

STATIC = Path(__file__).with_name("static")
PLOTLY = Path(str(files("plotly") / "package_data" / "plotly.min.js"))
PLOTLY_URL = f"/vendor/plotly-{version('plotly')}.min.js"
REVALIDATE = "no-cache"
FOREVER = "public, max-age=31536000, immutable"
TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str
    cache_control: str


def _build(path: Path, cache_control: str) -> Asset:
    body = path.read_bytes()
    if path.name == "index.html":
        body = body.replace(b"/vendor/plotly.min.js", PLOTLY_URL.encode())
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    media = TYPES.get(path.suffix, "application/octet-stream")
    return Asset(body, gzip.compress(body, 6, mtime=0), etag, media, cache_control)


class Assets:
    """The page's files, built on first request and then kept for the process's life."""

    def __init__(self) -> None:
        self._built: dict[Path, Asset] = {}
        self._lock = asyncio.Lock()

    async def get(self, path: Path, cache_control: str = REVALIDATE) -> Asset:
        asset = self._built.get(path)
        if asset is None:
            async with self._lock:
                asset = self._built.get(path)
                if asset is None:  # 4.8 MB gzipped in ~0.15 s: off the event loop
                    asset = await asyncio.to_thread(_build, path, cache_control)
                    self._built[path] = asset
        return asset


ASSETS = Assets()


def _respond(request: Request, asset: Asset) -> Response[bytes]:
    headers = {"etag": asset.etag, "cache-control": asset.cache_control, "vary": "accept-encoding"}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@get("/", include_in_schema=False)
async def index(request: Request) -> Response[bytes]:
    return _respond(request, await ASSETS.get(STATIC / "index.html"))


@get("/static/{name:str}", include_in_schema=False)
async def static_file(request: Request, name: str) -> Response[bytes]:
    path = STATIC / name
    if name not in {p.name for p in STATIC.iterdir()} or path.suffix not in TYPES:
        raise NotFoundException(f"no page file {name!r}")
    return _respond(request, await ASSETS.get(path))


@get(PLOTLY_URL, include_in_schema=False)
async def plotly_bundle(request: Request) -> Response[bytes]:
    return _respond(request, await ASSETS.get(PLOTLY, FOREVER))


def page_handlers() -> list[Router | object]:
    return [index, static_file, plotly_bundle]
