"""``/health``: liveness and database reachability."""

from litestar import Controller, get
from litestar.datastructures import State
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import StorageUnavailableError
from entrypoints.http.problems import problems
from entrypoints.http.responses import Health


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get(operation_id="health", summary="Liveness and database check", responses=problems(503))
    async def health(self, state: State) -> Health:
        """Liveness and database reachability (503 when the database is down)."""
        try:
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as error:
            raise StorageUnavailableError(
                f"the database is unavailable: {type(error).__name__}", field="database"
            ) from None
        return Health("ok", "ok")
