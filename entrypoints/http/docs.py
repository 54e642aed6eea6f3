"""The API docs page (Swagger UI at ``/schema``) from files on this machine: the assets come
from the installed ``swagger-ui-bundle-v2`` package (Apache-2.0, by the maintainers of
``swagger-ui-bundle``; its Swagger UI 5 reads OpenAPI 3.1, which Litestar writes), so the page
works with no internet and nothing is vendored into the repository."""

from pathlib import Path

import swagger_ui_bundle
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS = "/docs-assets"
SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
FAVICON = f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>"


def docs_assets():
    """The static route of the Swagger UI files (cached a day: they change with the package)."""
    return create_static_files_router(
        path=ASSETS,
        directories=[SWAGGER],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )


def render_plugins() -> list:
    """Swagger UI first (``/schema`` serves it), plus the raw schema as JSON and YAML."""
    return [
        SwaggerRenderPlugin(
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
            path="/swagger",
        ),
        JsonRenderPlugin(favicon=FAVICON),
        YamlRenderPlugin(favicon=FAVICON),
    ]
