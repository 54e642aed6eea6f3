"""``POST /api/risk/attribution``: where a portfolio's risk comes from."""

import asyncio

from litestar import Controller, post
from litestar.params import JSONBody

from adapters.documents.risk import RiskReportBody, report_document
from adapters.documents.specs import to_estimation
from application.attribute_risk import AttributeRiskCommand, attribute_universe
from application.history_source import HistoryPriceSource
from domain.errors import ValidationError
from entrypoints.http.dependencies import Gate, Services, Uow
from entrypoints.http.gate import HEAVY_ASSETS
from entrypoints.http.problems import SOLVE
from entrypoints.http.requests import RiskRequest, universe_body


class RiskController(Controller):
    path = "/api/risk/attribution"
    tags = ("risk",)

    @post(
        status_code=200, operation_id="attribute_risk", summary="Risk attribution", responses=SOLVE
    )
    async def attribute(
        self, data: JSONBody[RiskRequest], uow: Uow, gate: Gate, container: Services
    ) -> RiskReportBody:
        """Risk attribution of ``weights`` (or of a stored optimization) on stored prices, or
        of ``weights`` on an ``inline`` risk model."""
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
        async with uow() as u:
            if data.optimization_id is not None:
                record = await u.optimizations.get(data.optimization_id)
                weights = record.results.get("weights") or {}
                if not weights:
                    raise ValidationError(
                        "that optimization has no single set of weights", field="optimization_id"
                    )
            wanted = [*weights, *([data.benchmark] if data.benchmark else [])]
            history = await u.prices.load(wanted, data.start, data.end)
        command = AttributeRiskCommand(
            weights=weights,
            n_factors=data.factors,
            benchmark=data.benchmark,
            estimation=to_estimation(data.estimation, data.start, data.end),
        )
        use_case = container.attribute_risk(prices=HistoryPriceSource(history))
        async with gate.slot():
            return report_document(await asyncio.to_thread(use_case.execute, command))
