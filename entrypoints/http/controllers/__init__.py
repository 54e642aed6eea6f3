"""One Litestar ``Controller`` per resource. Handlers parse, call one use case or the run
orchestrator, and return a typed document; errors are raised as domain errors and mapped to
problem+json in ``entrypoints.http.errors``."""

from entrypoints.http.controllers.batches import BatchController, batch_socket
from entrypoints.http.controllers.frontiers import FrontierController, progress_socket
from entrypoints.http.controllers.health import HealthController, metrics
from entrypoints.http.controllers.optimizations import OptimizationController
from entrypoints.http.controllers.optimize import OptimizeController
from entrypoints.http.controllers.portfolios import PortfolioController
from entrypoints.http.controllers.prices import PriceController
from entrypoints.http.controllers.risk import RiskController

CONTROLLERS = [
    HealthController,
    OptimizeController,
    FrontierController,
    PortfolioController,
    OptimizationController,
    PriceController,
    RiskController,
    BatchController,
    progress_socket,
    batch_socket,
    metrics,
]
