"""The run codec: a resolved run and its result to the documents history keeps, and stored
documents back to Structs for the API, the charts and the CSV export."""

from typing import Any, TypeVar

import msgspec

from adapters.documents.constraints import constraints_document
from adapters.documents.objectives import objective_document
from adapters.documents.rebalance import rebalance_document
from adapters.documents.results import FrontierResponse, OptimizationResponse
from adapters.documents.specs import RunParams, estimation_document, solver_document
from application.optimize_portfolio import OptimizationResult
from application.runs import ResolvedRun, RunResult
from application.specs import InlineModel, Optimize
from domain.errors import NotFoundError
from domain.records import OptimizationRecord

S = TypeVar("S", bound=msgspec.Struct)

_encoder = msgspec.json.Encoder()


def builtins(document: msgspec.Struct) -> dict[str, Any]:
    """JSON-ready builtins of ``document``, as a JSON column keeps them (through JSON, so a
    non-finite float is null, never a NaN token)."""
    return msgspec.json.decode(_encoder.encode(document))


def run_params(run: ResolvedRun) -> RunParams:
    spec, portfolio = run.spec, run.portfolio
    task = spec.task
    inline = isinstance(spec.data, InlineModel)
    return RunParams(
        kind=spec.kind,
        source=run.source,
        tickers=list(portfolio.tickers),
        constraints=constraints_document(portfolio.constraints, portfolio.sectors),
        estimation=None if inline else estimation_document(spec.estimation),
        start=spec.estimation.start,
        end=spec.estimation.end,
        solver=solver_document(spec.solver),
        risk_free_rate=spec.risk_free_rate,
        objective=objective_document(task.objective, spec.risk_free_rate)
        if isinstance(task, Optimize)
        else None,
        rebalance=rebalance_document(task.rebalance)
        if isinstance(task, Optimize) and task.rebalance is not None
        else None,
        points=None if isinstance(task, Optimize) else task.n_points,
        targets=None if isinstance(task, Optimize) or task.targets is None else list(task.targets),
    )


def run_document(
    run: ResolvedRun, result: RunResult, run_id: str | None
) -> OptimizationResponse | FrontierResponse:
    if isinstance(result, OptimizationResult):
        return OptimizationResponse.from_domain(result, run.spec.risk_free_rate, run_id)
    return FrontierResponse.from_domain(result, run_id)


class MsgspecRunCodec:
    """``RunCodec`` with the documents of ``adapters.documents``."""

    def params(self, run: ResolvedRun) -> dict[str, Any]:
        return builtins(run_params(run))

    def results(self, run: ResolvedRun, result: RunResult, run_id: str) -> dict[str, Any]:
        return builtins(run_document(run, result, run_id))


def encode(document: dict[str, Any]) -> bytes:
    """A document's JSON. A results document is ``to_builtins`` of its struct, so this is the
    struct's own encoding (a test holds the two equal); the server answers with it instead of
    converting the document back to the struct for Litestar to encode (~0.1 ms a request)."""
    return msgspec.json.encode(document)


def read(document: dict[str, Any], kind: type[S]) -> S:
    return msgspec.convert(document, kind)


def read_results(record: OptimizationRecord) -> OptimizationResponse | FrontierResponse:
    """A stored run's results as their document (rows older than the current schema are
    converted by migration 0004)."""
    kind = OptimizationResponse if record.kind == "single" else FrontierResponse
    try:
        return msgspec.convert(record.results, kind)
    except msgspec.ValidationError as error:
        raise NotFoundError(
            f"run {record.id} was stored in a format this version cannot read ({error}); "
            "run `pfopt db upgrade`",
            field="optimization_id",
        ) from None


def read_params(record: OptimizationRecord) -> RunParams:
    return msgspec.convert(record.params, RunParams)
