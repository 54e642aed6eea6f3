"""What an operator sees: one JSON log line per request, a request id, and Prometheus metrics.

Every HTTP request gets an id (the caller's ``X-Request-ID`` if it is a sane token, else a new
one), echoed in the ``X-Request-ID`` response header and carried by every log line written
while it is handled. When it ends, one line on the ``pfopt.access`` logger says who (the API
key's owner, never the key), what (method and route template, not the raw path: ids stay out
of the metrics' labels), how it ended (status, and the problem code of an error) and how long
it took, with the solver of a solve. ``/metrics`` serves the Prometheus text format from this
process's registry: request latency per route, solve time per solver, queue depth and running
solves per lane, frontier jobs, the database pool, and errors by problem code.

The middleware wraps the app's whole ASGI handler, so requests that match no route (404) and
refusals of the auth middleware are logged and counted too.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pfopt_request_id", default=None
)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
"""Seconds: a 20-asset solve answers in a millisecond or two, a large frontier in seconds."""
EXTRA = ("event", "request_id", "owner", "method", "route", "status", "code", "duration_ms")
EXTRA += ("solver", "kind", "bytes")


class JsonLines(logging.Formatter):
    """A log record as one JSON object on one line: time (UTC), level, logger, message, the
    request id in force, the access fields when given, and a traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for key in EXTRA:
            value = getattr(record, key, None)
            if value is not None and key not in line:
                line[key] = value
        if record.exc_info:
            line["error"] = "".join(traceback.format_exception(*record.exc_info)).strip()
        return json.dumps(line, default=str)


def configure_logging() -> None:
    """pfopt's loggers as JSON lines on stderr: ``pfopt.*`` from INFO (the access lines), every
    other logger's warnings through the root. uvicorn keeps its own handlers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    pfopt = logging.getLogger("pfopt")
    pfopt.handlers[:] = [handler]
    pfopt.setLevel(logging.INFO)
    pfopt.propagate = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


access = logging.getLogger("pfopt.access")


class Metrics:
    """One process's Prometheus registry (one per app, so that test apps do not share it)."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "pfopt_http_request_duration_seconds",
            "HTTP request latency by route template, seconds",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "pfopt_http_errors",
            "Error responses by problem code",
            ["code", "status"],
            registry=self.registry,
        )
        self.solves = Histogram(
            "pfopt_solve_duration_seconds",
            "Run time of optimizations by solver and kind (single or frontier), seconds",
            ["solver", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(state))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read at scrape time from the app's state: lanes, jobs, the database pool."""

    def __init__(self, state: Any) -> None:
        self._state = state

    def collect(self) -> Iterator[Any]:
        gate = getattr(self._state, "gate", None)
        if gate is not None:
            queued = GaugeMetricFamily(
                "pfopt_solve_queue_depth", "Admitted solves waiting for a turn", labels=["lane"]
            )
            running = GaugeMetricFamily(
                "pfopt_solves_running", "Solves running now", labels=["lane"]
            )
            admitted = GaugeMetricFamily(
                "pfopt_solves_admitted", "Solves admitted (running or waiting)", labels=["lane"]
            )
            for lane in (gate.light, gate.heavy):
                queued.add_metric([lane.name], lane.queued)
                running.add_metric([lane.name], lane.busy)
                admitted.add_metric([lane.name], lane.total)
            yield from (queued, running, admitted)
        jobs = getattr(self._state, "jobs", None)
        if jobs is not None:
            now = GaugeMetricFamily(
                "pfopt_frontier_jobs_running", "Frontier jobs running in this process"
            )
            now.add_metric([], jobs.running_count())
            ended = CounterMetricFamily(
                "pfopt_frontier_jobs_ended", "Frontier jobs ended, by status", labels=["status"]
            )
            for status, count in sorted(jobs.ended.items()):
                ended.add_metric([status], count)
            yield from (now, ended)
        engine = getattr(self._state, "engine", None)
        pool = getattr(getattr(engine, "sync_engine", None), "pool", None)
        if pool is not None and hasattr(pool, "checkedout"):
            connections = GaugeMetricFamily(
                "pfopt_db_pool_connections", "Database pool connections", labels=["state"]
            )
            connections.add_metric(["in_use"], pool.checkedout())
            connections.add_metric(["idle"], pool.checkedin())
            yield connections


def _incoming_id(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


def observe(app: Any, metrics: Metrics) -> Any:
    """Wrap an ASGI app: request id, the access line and the request metrics."""

    async def observed(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        scope["pfopt_request_id"] = request_id
        started = time.perf_counter()
        status, sent = 500, 0

        async def sending(message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                ]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "")
            metrics.requests.labels(method, route, str(status)).observe(seconds)
            code = scope.get("pfopt_problem_code")
            if code:
                metrics.errors.labels(code, str(status)).inc()
            solve = scope.get("pfopt_solve")
            if solve:
                metrics.solves.labels(solve["solver"], solve["kind"]).observe(solve["seconds"])
            access.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "event": "request",
                    "owner": scope.get("pfopt_owner"),
                    "method": method,
                    "route": route,
                    "status": status,
                    "code": code,
                    "duration_ms": round(seconds * 1000, 3),
                    "solver": (solve or {}).get("solver"),
                    "kind": (solve or {}).get("kind"),
                    "bytes": sent,
                },
            )
            REQUEST_ID.reset(token)

    return observed


def note_solve(scope: dict[str, Any], solver: str, kind: str, duration_ms: float) -> None:
    """What a solve handler tells the access line and the solve metric."""
    scope["pfopt_solve"] = {"solver": solver, "kind": kind, "seconds": duration_ms / 1000}


def note_problem(scope: dict[str, Any], code: str) -> None:
    """What an error response tells the access line and the error metric."""
    scope["pfopt_problem_code"] = code
