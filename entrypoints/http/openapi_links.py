"""OpenAPI links from the operations that create things to those that read, change or delete
them, added to the generated schema: clients see how ids flow, and schemathesis' stateful phase
chains real calls with real ids instead of guessing them."""

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import Link

# (path, method of the producer) -> [(path, method of the consumer, parameter, JSON pointer)]
LINKS: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {
    ("/api/portfolios", "post"): [
        ("/api/portfolios/{portfolio_id}", m, "portfolio_id", "/id")
        for m in ("get", "put", "delete")
    ]
    + [("/api/portfolios/{portfolio_id}/optimizations", "get", "portfolio_id", "/id")],
    ("/api/optimize/portfolio", "post"): [
        ("/api/optimizations/{optimization_id}", "get", "optimization_id", "/optimization_id"),
        (
            "/api/optimizations/{optimization_id}/charts/{name}",
            "get",
            "optimization_id",
            "/optimization_id",
        ),
    ],
    ("/api/optimize/efficient-frontier", "post"): [
        ("/api/optimize/efficient-frontier/{session_id}", m, "session_id", "/session_id")
        for m in ("get", "delete")
    ],
}


def add_links(app: Litestar) -> None:
    paths: Any = app.openapi_schema.paths
    for (path, method), targets in LINKS.items():
        producer = getattr(paths[path], method)
        links = {}
        for target, method_, parameter, pointer in targets:
            consumer = getattr(paths[target], method_)
            links[consumer.operation_id] = Link(
                operation_id=consumer.operation_id,
                parameters={parameter: f"$response.body#{pointer}"},
            )
        for status, response in producer.responses.items():
            if str(status).startswith("2"):
                response.links = links
