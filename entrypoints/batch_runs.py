"""A batch document run on a store: the universe it names (stored prices, a prices file, an
inline model), the accounts it lists and the executor asked for, wired to ``RunBatch``. The CLI
and the HTTP API both come through here."""

from typing import Any

import msgspec
from sqlalchemy import Engine, select

from adapters import tables
from adapters.documents.batch import BatchDocument, to_accounts
from adapters.documents.specs import to_universe
from adapters.storage.batches import SqlAlchemyBatchStore
from adapters.storage.run_store import StoredPriceSource
from application.batches import BatchCommand, BatchExecutor, BatchRun, RunBatch
from application.estimate_universe import EstimationSettings, FromPrices, GivenModel
from domain.batch import BatchAccount
from domain.errors import ValidationError
from domain.frontier import CancellationToken, ProgressReporter
from domain.ports import PriceSource
from entrypoints.container import Container, batch_solver, max_batch_accounts


def stored_tickers(engine: Engine) -> set[str]:
    with engine.connect() as c:
        return set(c.execute(select(tables.price_series.c.ticker)).scalars())


def run_batch_document(
    container: Container,
    engine: Engine,
    doc: BatchDocument,
    executor: BatchExecutor,
    *,
    prices: PriceSource | None = None,
    progress: ProgressReporter | None = None,
    cancel: CancellationToken | None = None,
    owner: str | None = None,
    batch_id: str | None = None,
) -> BatchRun:
    """Run ``doc`` and store it; ``prices``: a prices file's source instead of the store."""
    accounts = to_accounts(doc)
    u = doc.universe
    estimation = EstimationSettings(start=u.start, end=u.end)
    if u.inline is not None:
        universe = to_universe(u.inline)
        models: Any = GivenModel(universe)
        tickers: tuple[str, ...] | None = universe.tickers
    else:
        source = prices if prices is not None else StoredPriceSource(engine)
        models = FromPrices(source, container.estimator())
        tickers = None if u.tickers is None else tuple(u.tickers)
        if tickers is None:  # every ticker an account names that has prices: an account
            # naming one without stays that account's error, not the batch's
            known = source.load().tickers if prices is not None else stored_tickers(engine)
            named = [t for a in accounts if isinstance(a, BatchAccount) for t in (a.tickers or ())]
            tickers = tuple(t for t in dict.fromkeys(named) if t in known)
            if not tickers:
                where = "the prices file" if prices is not None else "the store"
                raise ValidationError(
                    f"no ticker the accounts name has prices in {where}: import prices first "
                    "(pfopt prices import FILE), or give universe.tickers",
                    field="universe.tickers",
                )
    command = BatchCommand(
        accounts=accounts,
        tickers=tickers,
        estimation=estimation,
        params=msgspec.to_builtins(doc),
        owner=owner,
        batch_id=batch_id,
        max_accounts=max_batch_accounts(),
    )
    store = SqlAlchemyBatchStore(engine, owner)
    use_case = RunBatch(models, executor, store, batch_solver)
    return use_case.execute(command, progress, cancel)
