"""The error responses each route documents in ``/schema``: our problem+json shape (the
``Problem`` Struct) with an example per status, instead of Litestar's default 400 body."""

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example

from entrypoints.http.errors import PROBLEM, problem
from entrypoints.http.responses import Problem

EXAMPLES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "invalid_request",
        "a body that does not parse",
        "constraints: Object contains unknown field `max_wieght`",
        "max_wieght",
    ),
    401: (
        "unauthorized",
        "no or a wrong API key",
        "an API key is required: send Authorization: Bearer <key>",
        "authorization",
    ),
    404: ("not_found", "an unknown id", "no portfolio named or with id 'nope'", "portfolio"),
    409: (
        "conflict",
        "a name or session id already taken",
        "a portfolio named 'core' already exists",
        "name",
    ),
    413: ("http_error", "a body over 8 MiB", "Request Entity Too Large", "body"),
    422: (
        "infeasible",
        "inputs that break a rule or admit no portfolio",
        "sum of per-asset maximum weights is 0.6 < 1, so the portfolio cannot be fully "
        "invested (with 2 assets a common cap needs at least 0.5)",
        "max_weight",
    ),
    429: (
        "too_many_jobs",
        "too many frontier jobs of one owner",
        "4 frontier jobs of yours are running, the limit is 4 (PFOPT_MAX_JOBS_PER_OWNER)",
        "session_id",
    ),
    503: (
        "storage_unavailable",
        "the database is down, or the server is busy (with Retry-After)",
        "the database is unavailable: OperationalError",
        "database",
    ),
    504: (
        "solver_timeout",
        "the solve ran out of its time limit",
        "every solver ran out of time (30 s)",
        "time_limit_s",
    ),
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=`` for a route that can answer these error statuses."""
    out = {}
    for status in statuses:
        code, when, detail, field = EXAMPLES[status]
        out[status] = ResponseSpec(
            data_container=Problem,
            description=f"problem+json: {when}",
            media_type=PROBLEM,
            generate_examples=False,
            examples=[Example(summary=when, value=problem(status, code, detail, field))],
        )
    return out


READ = problems(400, 401, 404, 503)
"""A route that reads one thing by id (a malformed query is 400)."""
WRITE = problems(400, 401, 404, 409, 413, 422, 503)
"""A route that takes a body and stores it."""
SOLVE = problems(400, 401, 404, 413, 422, 503, 504)
"""A route that solves (an optimization, a frontier, an attribution)."""
LIST = problems(400, 401, 404, 422, 503)
"""A paginated list (``limit``/``offset`` out of range are 422)."""
