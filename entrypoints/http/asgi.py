"""The app factory that each ``pfopt serve --workers N`` process imports (uvicorn needs an
import path to start several processes); its database is ``PFOPT_DATABASE_URL``."""

from litestar import Litestar

from adapters.storage import default_database_url
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.http.observability import configure_logging


def create() -> Litestar:
    configure_logging()
    container = Container()
    container.config.database_url.from_value(default_database_url())
    return create_app(container)
