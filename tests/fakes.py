"""In-memory fakes of every port, for unit tests of the domain and use cases."""

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from application.history_source import HistoryPriceSource
from domain.errors import ConflictError, InfeasibleError, NotFoundError
from domain.estimation import CovarianceMethod
from domain.linear import LinearConstraints
from domain.model import Universe
from domain.prices import PriceHistory
from domain.problem import Problem, ReturnRange, Solution, SolverAttempt
from domain.records import ApiKeyRecord, OptimizationRecord, StoredPortfolio, TickerSummary
from domain.risk_model import FactorModel
from domain.types import FloatArray


def _fill(lc: LinearConstraints, order: Sequence[int]) -> FloatArray:
    """Start at the lower bounds, pour the rest of the budget into ``order`` up to each upper."""
    w = np.where(np.isfinite(lc.lower), lc.lower, 0.0).astype(float)
    left = 1.0 - w.sum()
    for i in order:
        room = (lc.upper[i] - w[i]) if np.isfinite(lc.upper[i]) else left
        take = min(max(room, 0.0), left)
        w[i] += take
        left -= take
    if abs(left) > 1e-12 or np.any(w < lc.lower - 1e-12):
        raise InfeasibleError("fake: bounds admit no fully invested portfolio")
    return w


class FakeSolver:
    """Feasible but not optimal for box + budget constraints: pours the budget into assets in
    ticker order. Enough to test use cases and the invariants of the solver contract."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def solve(self, problem: Problem) -> Solution:
        self.problems.append(problem)
        w = _fill(problem.constraints, range(problem.universe.n_assets))
        return Solution(w, "FAKE", "optimal", (SolverAttempt("FAKE", "optimal"),))

    def highest_return(self, universe: Universe, constraints: LinearConstraints) -> float:
        """Exact for box + budget: greedy filling by expected return is the LP optimum."""
        mu = universe.expected_returns
        return float(mu @ _fill(constraints, np.argsort(-mu, kind="stable")))


class SampleRiskEstimator:
    """Plain sample covariance (ddof=1), or a fixed matrix to test repairs."""

    def __init__(self, fixed: FloatArray | None = None) -> None:
        self.fixed = fixed
        self.methods: list[str] = []

    def covariance(self, returns: FloatArray, method: CovarianceMethod) -> FloatArray:
        self.methods.append(method)
        if self.fixed is not None:
            return self.fixed
        return np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))

    def factor_model(self, returns: FloatArray, n_factors: int) -> FactorModel:
        """Principal components by numpy's eigh, residual variance as the specific part."""
        cov = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))
        values, vectors = np.linalg.eigh(cov)
        top = np.argsort(values)[::-1][:n_factors]
        b, f = vectors[:, top], np.diag(values[top])
        return FactorModel(b, f, np.clip(np.diag(cov - b @ f @ b.T), 0.0, None))


# The in-memory PriceSource is the application's own HistoryPriceSource.
InMemoryPriceSource = HistoryPriceSource


class FakeFrontier:
    """A straight-line 'frontier' between two fixed portfolios: enough for use-case tests."""

    method = "fake"
    notes: tuple[str, ...] = ()

    def __init__(self, universe: Universe, highest: float = float("inf")) -> None:
        self._mu = universe.expected_returns
        n = universe.n_assets
        self._low = np.full(n, 1.0 / n)
        self._high = np.eye(n)[int(np.argmax(self._mu))]
        self._highest = highest if highest != float("inf") else float(self._mu.max())

    def return_range(self) -> ReturnRange:
        return ReturnRange(float(self._mu @ self._low), self._highest)

    def min_variance(self) -> Solution:
        return Solution(self._low, "fake", "optimal")

    def max_sharpe(self, risk_free_rate: float) -> Solution:
        return Solution(self._high, "fake", "optimal")

    def at_return(self, target_return: float) -> Solution:
        lo, hi = self.return_range().lowest, float(self._mu @ self._high)
        if target_return > self._highest + 1e-12:
            raise InfeasibleError(f"target return {target_return:.4g} is above the highest")
        t = min(max((target_return - lo) / (hi - lo), 0.0), 1.0)
        return Solution((1 - t) * self._low + t * self._high, "fake", "optimal")


class FakeFrontierSolver:
    def __init__(self, highest: float = float("inf")) -> None:
        self.highest = highest

    def prepare(self, universe: Universe, constraints: LinearConstraints) -> FakeFrontier:
        return FakeFrontier(universe, self.highest)


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[int, int, str]] = []

    def report(self, current: int, total: int, message: str) -> None:
        self.events.append((current, total, message))


class CancelAfter:
    """Cancels once ``progress`` has recorded ``k`` events."""

    def __init__(self, progress: RecordingProgress, k: int) -> None:
        self.progress, self.k = progress, k

    def is_cancelled(self) -> bool:
        return len(self.progress.events) >= self.k


class _Store:
    """The shared state behind in-memory units of work."""

    def __init__(self) -> None:
        self.portfolios: dict[str, StoredPortfolio] = {}
        self.optimizations: dict[str, OptimizationRecord] = {}
        self.prices: dict[tuple[str, dt.date], float] = {}
        self.sectors: dict[str, str] = {}
        self.optimization_owners: dict[str, str | None] = {}
        self.keys: dict[str, ApiKeyRecord] = {}


class InMemoryPortfolioRepository:
    def __init__(self, items: dict[str, StoredPortfolio], owner: str | None = None) -> None:
        self.items, self._owner = items, owner

    async def add(self, stored: StoredPortfolio) -> None:
        if self._owner is not None:
            stored = replace(stored, owner=self._owner)
        if any(
            s.portfolio.name == stored.portfolio.name and s.owner == stored.owner
            for s in self.items.values()
        ):
            raise ConflictError(f"a portfolio named {stored.portfolio.name!r} already exists")
        now = dt.datetime.now(dt.UTC)
        self.items[stored.id] = replace(stored, created_at=now, updated_at=now)

    async def replace(self, stored: StoredPortfolio) -> None:
        old = await self.get(stored.id)
        stored = replace(stored, owner=old.owner)
        if any(
            s.portfolio.name == stored.portfolio.name
            and s.owner == stored.owner
            and s.id != stored.id
            for s in self.items.values()
        ):
            raise ConflictError(f"a portfolio named {stored.portfolio.name!r} already exists")
        self.items[stored.id] = replace(
            stored, created_at=old.created_at, updated_at=dt.datetime.now(dt.UTC)
        )

    async def get(self, portfolio_id: str) -> StoredPortfolio:
        found = self.items.get(portfolio_id)
        if found is None or (self._owner is not None and found.owner != self._owner):
            raise NotFoundError(f"no portfolio with id {portfolio_id!r}")
        return found

    async def get_by_name(self, name: str, owner: str | None = None) -> StoredPortfolio:
        owner = self._owner if self._owner is not None else owner
        for s in self.items.values():
            if s.portfolio.name == name and s.owner == owner:
                return s
        raise NotFoundError(f"no portfolio named {name!r}")

    async def list(self, owner: str | None = None) -> list[StoredPortfolio]:
        owner = self._owner if self._owner is not None else owner
        found = [s for s in self.items.values() if owner is None or s.owner == owner]
        return sorted(found, key=lambda s: s.portfolio.name)

    async def delete(self, portfolio_id: str) -> None:
        await self.get(portfolio_id)
        del self.items[portfolio_id]


class InMemoryOptimizationRepository:
    def __init__(
        self,
        items: dict[str, OptimizationRecord],
        portfolios: dict[str, StoredPortfolio],
        owners: dict[str, str | None] | None = None,
        owner: str | None = None,
    ) -> None:
        self.items, self._portfolios = items, portfolios
        self._owners = {} if owners is None else owners
        self._owner = owner

    async def add(self, record: OptimizationRecord) -> None:
        self.items[record.id] = replace(
            record, created_at=record.created_at or dt.datetime.now(dt.UTC)
        )
        self._owners[record.id] = self._owner

    async def get(self, optimization_id: str) -> OptimizationRecord:
        if optimization_id not in self.items or (
            self._owner is not None and self._owners.get(optimization_id) != self._owner
        ):
            raise NotFoundError(f"no optimization with id {optimization_id!r}")
        record = self.items[optimization_id]
        if record.portfolio_id is not None and record.portfolio_id not in self._portfolios:
            return replace(record, portfolio_id=None)
        return record

    async def list(
        self,
        portfolio_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        kind: str | None = None,
    ) -> list[OptimizationRecord]:
        records = [
            await self.get(k)
            for k in self.items
            if self._owner is None or self._owners.get(k) == self._owner
        ]
        if portfolio_id is not None:
            records = [r for r in records if r.portfolio_id == portfolio_id]
        if kind is not None:
            records = [r for r in records if r.kind == kind]
        records.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return records[offset : offset + limit]


class InMemoryPriceRepository:
    def __init__(
        self, items: dict[tuple[str, dt.date], float], sectors: dict[str, str] | None = None
    ) -> None:
        self.items = items
        self.sectors = {} if sectors is None else sectors

    async def set_sectors(self, sectors) -> None:
        self.sectors.update(sectors)

    async def upsert(self, history: PriceHistory) -> int:
        count = 0
        for j, ticker in enumerate(history.tickers):
            for i, day in enumerate(history.dates):
                if not np.isnan(history.closes[i, j]):
                    self.items[ticker, day] = float(history.closes[i, j])
                    count += 1
        return count

    async def load(self, tickers=None, start=None, end=None) -> PriceHistory:
        names = list(tickers) if tickers is not None else sorted({t for t, _ in self.items})
        keys = [
            (t, d)
            for (t, d) in self.items
            if t in names and (start is None or d >= start) and (end is None or d <= end)
        ]
        for t in names:
            if not any(k[0] == t for k in keys):
                raise NotFoundError(f"no stored prices for {t!r} in that date range")
        dates = sorted({d for _, d in keys})
        closes = np.full((len(dates), len(names)), np.nan)
        for t, d in keys:
            closes[dates.index(d), names.index(t)] = self.items[t, d]
        return PriceHistory(dates, names, closes)

    async def summary(self) -> list[TickerSummary]:
        out: dict[str, list[dt.date]] = {}
        for t, d in self.items:
            out.setdefault(t, []).append(d)
        return [
            TickerSummary(t, min(ds), max(ds), len(ds), self.sectors.get(t))
            for t, ds in sorted(out.items())
        ]


class InMemoryUnitOfWork:
    """Works on copies of the shared store; ``commit`` publishes them, exit without it drops
    them, as a database transaction would."""

    def __init__(self, store: _Store, owner: str | None = None) -> None:
        self._store, self._owner = store, owner

    async def __aenter__(self) -> "InMemoryUnitOfWork":
        self._portfolios = dict(self._store.portfolios)
        self._optimizations = dict(self._store.optimizations)
        self._prices = dict(self._store.prices)
        self._sectors = dict(self._store.sectors)
        self._owners = dict(self._store.optimization_owners)
        self._keys = dict(self._store.keys)
        self.portfolios = InMemoryPortfolioRepository(self._portfolios, self._owner)
        self.optimizations = InMemoryOptimizationRepository(
            self._optimizations, self._portfolios, self._owners, self._owner
        )
        self.keys = InMemoryApiKeyRepository(self._keys)
        self.prices = InMemoryPriceRepository(self._prices, self._sectors)
        return self

    async def __aexit__(self, kind, error, trace) -> None:
        return None

    async def commit(self) -> None:
        self._store.portfolios = dict(self._portfolios)
        # Merged, not replaced: a journal may have appended runs since this unit began.
        self._store.optimizations = self._store.optimizations | self._optimizations
        self._store.prices = dict(self._prices)
        self._store.sectors = dict(self._sectors)
        self._store.optimization_owners = self._store.optimization_owners | self._owners
        self._store.keys = dict(self._keys)


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: _Store | None = None, owner: str | None = None) -> None:
        self.store, self.owner = store or _Store(), owner

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, self.owner)

    def for_owner(self, owner: str | None) -> "InMemoryUnitOfWorkFactory":
        return InMemoryUnitOfWorkFactory(self.store, owner)

    def journal(self) -> "InMemoryRunJournal":
        return InMemoryRunJournal(self.store, self.owner)


class InMemoryRunJournal:
    """Appends from worker threads; the lock stands in for the database's transaction."""

    _lock = threading.Lock()

    def __init__(self, store: _Store, owner: str | None) -> None:
        self._store, self._owner = store, owner

    def append(self, record: OptimizationRecord) -> None:
        stamped = replace(record, created_at=record.created_at or dt.datetime.now(dt.UTC))
        with self._lock:
            if record.id in self._store.optimizations:
                raise ConflictError("the change clashes with stored data", field="database")
            self._store.optimizations = self._store.optimizations | {record.id: stamped}
            owners = self._store.optimization_owners | {record.id: self._owner}
            self._store.optimization_owners = owners


class InMemoryApiKeyRepository:
    def __init__(self, items: dict[str, ApiKeyRecord]) -> None:
        self.items = items

    async def add(self, record: ApiKeyRecord) -> None:
        self.items[record.id] = replace(record, created_at=dt.datetime.now(dt.UTC))

    async def get(self, key_id: str) -> ApiKeyRecord:
        if key_id not in self.items:
            raise NotFoundError(f"no API key with id {key_id!r}", field="key_id")
        return self.items[key_id]

    async def list(self) -> list[ApiKeyRecord]:
        return sorted(self.items.values(), key=lambda r: r.created_at or dt.datetime.min)

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        record = await self.get(key_id)
        if record.revoked_at is None:
            record = self.items[key_id] = replace(record, revoked_at=dt.datetime.now(dt.UTC))
        return record

    async def any_active(self) -> bool:
        return any(r.revoked_at is None for r in self.items.values())


class InMemoryRunStore:
    """``RunStore``: prices in memory, saved portfolios by id and name, appended runs kept."""

    def __init__(self, history: PriceHistory, portfolios: Sequence[StoredPortfolio] = ()) -> None:
        self.prices = HistoryPriceSource(history)
        self._portfolios = list(portfolios)
        self.records: list[OptimizationRecord] = []

    def portfolio(self, ref: str) -> StoredPortfolio:
        for stored in self._portfolios:
            if ref in (stored.portfolio.name, stored.id):
                return stored
        raise NotFoundError(f"no portfolio named or with id {ref!r}", field="portfolio")

    def append(self, record: OptimizationRecord) -> None:
        self.records.append(record)


class InMemoryPriceFiles:
    """``PriceFiles`` over histories by path; an unknown path is not found."""

    def __init__(self, files: dict[str, PriceHistory]) -> None:
        self._files = files

    def open(self, path: str) -> HistoryPriceSource:
        if path not in self._files:
            raise NotFoundError(f"file not found: {path}", field="prices")
        return HistoryPriceSource(self._files[path])


class FakeSolvers:
    """``SolverFactory`` handing out fakes and recording the settings each run asked for."""

    def __init__(self) -> None:
        self.solver, self.frontier_solver = FakeSolver(), FakeFrontierSolver()
        self.asked: list[object] = []

    def single(self, settings, cancel=None) -> FakeSolver:
        self.asked.append(settings)
        return self.solver

    def frontier(self, settings, cancel=None) -> FakeFrontierSolver:
        self.asked.append(settings)
        return self.frontier_solver


class FakeRunCodec:
    """``RunCodec`` writing what a test needs to see: the source, tickers and the run id."""

    def params(self, run) -> dict:
        return {"source": run.source, "tickers": list(run.portfolio.tickers)}

    def results(self, run, result, run_id: str) -> dict:
        return {"id": run_id, "warnings": list(getattr(result, "warnings", ()))}
