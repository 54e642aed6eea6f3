"""``POST /api/risk/attribution``: where a portfolio's risk comes from."""

import asyncio

from litestar import Controller, post
from litestar.params import JSONBody

from adapters.documents.records import point_weights
from adapters.documents.risk import RiskReportBody, report_document
from adapters.documents.specs import run_estimation, to_estimation
from application.attribute_risk import AttributeRiskCommand, attribute_universe
from application.estimate_universe import EstimationSettings
from application.history_source import HistoryPriceSource
from domain.errors import ValidationError
from domain.records import OptimizationRecord
from entrypoints.http.dependencies import Gate, Services, Uow
from entrypoints.http.gate import HEAVY_ASSETS
from entrypoints.http.problems import SOLVE
from entrypoints.http.requests import RiskRequest, universe_body


def _own_model(record: OptimizationRecord) -> EstimationSettings:
    """A stored run's window and estimation settings: its portfolio is attributed on the model
    it was optimized with (all of its tickers, zero weights included, the same prices and
    methods), so the attribution's volatility is the run's."""
    source = record.params.get("source")
    if source != "store":
        used = "an inline risk model" if source == "inline" else f"the file {source}"
        raise ValidationError(
            f"risk attribution of a run needs its prices in the store; this run used {used}",
            field="optimization_id",
        )
    return run_estimation(record.params, record.results)


class RiskController(Controller):
    path = "/api/risk/attribution"
    tags = ("risk",)

    @post(
        status_code=200, operation_id="attribute_risk", summary="Risk attribution", responses=SOLVE
    )
    async def attribute(
        self, data: JSONBody[RiskRequest], uow: Uow, gate: Gate, container: Services
    ) -> RiskReportBody:
        """Risk attribution of ``weights`` on stored prices, or of a stored run's portfolio
        (``optimization_id``, and ``point`` for a frontier) on that run's own model, or of
        ``weights`` on an ``inline`` risk model."""
        if (data.weights is None) == (data.optimization_id is None):
            raise ValidationError("give exactly one of weights or optimization_id", field="weights")
        weights = data.weights or {}
        if data.weights is not None and not weights:
            raise ValidationError("weights: give at least one ticker", field="weights")
        if data.inline is not None:
            if data.weights is None:
                raise ValidationError("an inline universe needs weights", field="weights")
            inline = data.inline

            def attribute() -> RiskReportBody:  # arrays, model and attribution: off the loop
                return report_document(attribute_universe(universe_body(inline), weights))

            async with gate.slot(len(inline.tickers) >= HEAVY_ASSETS):
                return await asyncio.to_thread(attribute)
        estimation = to_estimation(data.estimation, data.start, data.end)
        async with uow() as u:
            if data.optimization_id is not None:
                record = await u.optimizations.get(data.optimization_id)
                weights = point_weights(record, data.point)
                estimation = _own_model(record)
            elif data.point is not None:
                raise ValidationError("point needs optimization_id", field="point")
            wanted = [*weights, *([data.benchmark] if data.benchmark else [])]
            history = await u.prices.load(wanted, estimation.start, estimation.end)
        command = AttributeRiskCommand(
            weights=weights, n_factors=data.factors, benchmark=data.benchmark, estimation=estimation
        )
        use_case = container.attribute_risk(prices=HistoryPriceSource(history))
        async with gate.slot():
            return report_document(await asyncio.to_thread(use_case.execute, command))
