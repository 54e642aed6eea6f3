"""One contract for the storage ports: the in-memory fake, SQLite and PostgreSQL."""

import asyncio
import datetime as dt

import numpy as np
import pytest

from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from domain.constraints import AssetBounds, Budget, GroupLimits, LongOnly, WeightBounds
from domain.errors import ConflictError, NotFoundError
from domain.model import Asset, Portfolio
from domain.prices import PriceHistory
from domain.records import OptimizationRecord, StoredPortfolio
from tests.fakes import InMemoryUnitOfWorkFactory
from tests.storage import fresh_database

PORTFOLIO = Portfolio(
    "core",
    (Asset("AAA", "Tech"), Asset("BBB", "Energy"), Asset("CCC")),
    (
        Budget(),
        LongOnly(),
        WeightBounds(max_weight=0.5),
        AssetBounds({"AAA": (0.1, 0.4)}),
        GroupLimits({"AAA": "Tech", "BBB": "Energy"}, {"Tech": (0.0, 0.6)}),
    ),
    {"AAA": 0.2, "BBB": 0.3, "CCC": 0.5},
)


@pytest.fixture(params=["fake", "sqlite", "postgres"])
def uow(request, tmp_path):
    if request.param == "fake":
        yield InMemoryUnitOfWorkFactory()
        return
    url = fresh_database(request.param, tmp_path)
    engines = []

    def factory():
        engine = make_engine(url)
        engines.append(engine)
        return SqlAlchemyUnitOfWorkFactory(engine)

    yield factory
    for engine in engines:
        asyncio.run(engine.dispose())


def run(uow, work):
    """Run ``work(uow_factory)`` in a fresh event loop with its own engine."""

    async def go():
        factory = uow() if not isinstance(uow, InMemoryUnitOfWorkFactory) else uow
        try:
            return await work(factory)
        finally:
            if hasattr(factory, "engine"):
                await factory.engine.dispose()

    return asyncio.run(go())


def test_portfolio_round_trip(uow) -> None:
    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
            await u.commit()
        async with f() as u:
            by_id, by_name = await u.portfolios.get("p1"), await u.portfolios.get_by_name("core")
            return by_id, by_name, await u.portfolios.list()

    by_id, by_name, listed = run(uow, work)
    assert by_id.portfolio == PORTFOLIO
    assert by_name.id == "p1"
    assert [s.id for s in listed] == ["p1"]
    assert by_id.created_at is not None
    assert by_id.created_at.tzinfo is not None  # UTC on every engine


def test_duplicate_name_conflicts_and_unknown_ids_are_not_found(uow) -> None:
    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
            await u.commit()

        async def second() -> None:
            async with f() as u:
                await u.portfolios.add(StoredPortfolio("p2", PORTFOLIO))
                await u.commit()

        with pytest.raises(ConflictError, match="'core' already exists"):
            await second()
        async with f() as u:
            with pytest.raises(NotFoundError):
                await u.portfolios.get("nope")
            with pytest.raises(NotFoundError):
                await u.portfolios.get_by_name("nope")
            with pytest.raises(NotFoundError):
                await u.portfolios.delete("nope")
            with pytest.raises(NotFoundError):
                await u.optimizations.get("nope")
            return await u.portfolios.list()

    assert len(run(uow, work)) == 1


def test_uncommitted_work_is_rolled_back(uow) -> None:
    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
        async with f() as u:
            return await u.portfolios.list()

    assert run(uow, work) == []


def _record(i: int, portfolio_id: str | None) -> OptimizationRecord:
    return OptimizationRecord(
        f"r{i}",
        "single",
        "max_sharpe",
        {"tickers": ["AAA"]},
        {"weights": {"AAA": 1.0}},
        "optimal",
        12.5,
        portfolio_id,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
    )


def test_history_newest_first_paged_and_kept_after_delete(uow) -> None:
    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
            for i in range(5):
                await u.optimizations.add(_record(i, "p1" if i % 2 == 0 else None))
            await u.commit()
        async with f() as u:
            mine = await u.optimizations.list("p1")
            page = await u.optimizations.list(limit=2, offset=1)
            assert await u.optimizations.list(kind="frontier") == []
            assert len(await u.optimizations.list(kind="single")) == 5
            await u.portfolios.delete("p1")
            await u.commit()
        async with f() as u:
            kept = await u.optimizations.get("r0")
            return mine, page, kept, await u.optimizations.list()

    mine, page, kept, everything = run(uow, work)
    assert [r.id for r in mine] == ["r4", "r2", "r0"]
    assert [r.id for r in page] == ["r3", "r2"]
    assert kept.portfolio_id is None
    assert kept.results == {"weights": {"AAA": 1.0}}
    assert len(everything) == 5


def test_prices_upsert_load_and_summary(uow) -> None:
    days = [dt.date(2024, 1, d) for d in (2, 3, 4)]
    first = PriceHistory(days, ["AAA", "BBB"], [[10.0, 20.0], [11.0, np.nan], [12.0, 22.0]])
    newer = PriceHistory(days[1:], ["BBB"], [[21.5], [22.5]])

    async def work(f):
        async with f() as u:
            written = await u.prices.upsert(first)
            await u.prices.upsert(first)  # re-import: no duplicates
            await u.prices.upsert(newer)  # a newer file updates values
            await u.prices.set_sectors({"AAA": "Tech"})
            await u.prices.set_sectors({"AAA": "Energy", "ZZZ": "Utilities"})  # changed, extra
            await u.commit()
        async with f() as u:
            loaded = await u.prices.load(["BBB", "AAA"], start=days[1])
            with pytest.raises(NotFoundError, match="'ZZZ'"):
                await u.prices.load(["AAA", "ZZZ"])
            return written, loaded, await u.prices.summary()

    written, loaded, summary = run(uow, work)
    assert written == 5
    assert loaded.tickers == ("BBB", "AAA")
    assert loaded.dates == tuple(days[1:])
    np.testing.assert_allclose(loaded.closes, [[21.5, 11.0], [22.5, 12.0]])
    assert [(s.ticker, s.first, s.last, s.rows, s.sector) for s in summary] == [
        ("AAA", days[0], days[2], 3, "Energy"),
        ("BBB", days[0], days[2], 3, None),
    ]


def test_replace_portfolio(uow) -> None:
    renamed = Portfolio("satellite", (Asset("DDD"), Asset("EEE", "Energy")), (Budget(),))

    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
            await u.portfolios.add(StoredPortfolio("p2", Portfolio("other", PORTFOLIO.assets)))
            await u.commit()
        async with f() as u:
            await u.portfolios.replace(StoredPortfolio("p1", renamed))
            await u.commit()
        with pytest.raises(NotFoundError):
            async with f() as u:
                await u.portfolios.replace(StoredPortfolio("nope", renamed))

        async def clash() -> None:
            async with f() as u:
                await u.portfolios.replace(StoredPortfolio("p2", renamed))
                await u.commit()

        with pytest.raises(ConflictError):
            await clash()
        async with f() as u:
            return await u.portfolios.get("p1")

    stored = run(uow, work)
    assert stored.portfolio == renamed


def test_owners_see_only_their_own_portfolios_and_runs(uow) -> None:
    async def work(f):
        alice, bob = f.for_owner("alice"), f.for_owner("bob")
        async with alice() as u:
            await u.portfolios.add(StoredPortfolio("pa", PORTFOLIO))
            await u.optimizations.add(OptimizationRecord("ra", "single", "x", {}, {}, "ok", 1.0))
            await u.commit()
        async with bob() as u:
            await u.portfolios.add(StoredPortfolio("pb", PORTFOLIO))  # same name, other owner
            await u.commit()
            for call in (
                u.portfolios.get("pa"),
                u.optimizations.get("ra"),
                u.portfolios.delete("pa"),
                u.portfolios.replace(StoredPortfolio("pa", PORTFOLIO)),
            ):
                with pytest.raises(NotFoundError):
                    await call
            mine = [s.id for s in await u.portfolios.list()], await u.optimizations.list()
        async with alice() as u:
            kept = (await u.portfolios.get("pa")).owner, (await u.portfolios.get_by_name("core")).id
        async with f() as u:  # no owner: everything, as without API keys
            everything = sorted(s.id for s in await u.portfolios.list())
        return mine, kept, everything

    (bob_portfolios, bob_runs), kept, everything = run(uow, work)
    assert bob_portfolios == ["pb"]
    assert bob_runs == []
    assert kept == ("alice", "pa")
    assert everything == ["pa", "pb"]


def test_api_keys_add_list_revoke(uow) -> None:
    from domain.records import ApiKeyRecord

    async def work(f):
        async with f() as u:
            assert not await u.keys.any_active()
            await u.keys.add(ApiKeyRecord("k1", "alice", "salt", "d" * 64))
            await u.commit()
        async with f() as u:
            active = await u.keys.any_active()
            first = await u.keys.revoke("k1")
            again = await u.keys.revoke("k1")
            await u.commit()
            with pytest.raises(NotFoundError):
                await u.keys.revoke("nope")
        async with f() as u:
            return active, first, again, await u.keys.list(), await u.keys.any_active()

    active, first, again, listed, still = run(uow, work)
    assert active and not still
    assert first.revoked_at is not None and again.revoked_at == first.revoked_at
    assert [(k.id, k.name, k.digest) for k in listed] == [("k1", "alice", "d" * 64)]


def test_journal_appends_from_a_worker_thread_as_the_owner(uow) -> None:
    """Runs are written from the solve's worker thread; units of work then see them, scoped to
    the owner, and a repeated id is a conflict that leaves the first record as it was."""

    async def work(f):
        async with f() as u:
            await u.portfolios.add(StoredPortfolio("p1", PORTFOLIO))
            await u.commit()
        alice = f.for_owner("alice")
        await asyncio.to_thread(alice.journal().append, _record(1, "p1"))
        await asyncio.to_thread(f.journal().append, _record(2, None))
        clash = OptimizationRecord("r1", "single", "other", {}, {}, "failed", 1.0)
        with pytest.raises(ConflictError):
            await asyncio.to_thread(alice.journal().append, clash)
        async with alice() as u:
            mine = [r.id for r in await u.optimizations.list()]
            first = await u.optimizations.get("r1")
        async with f.for_owner("bob")() as u:
            with pytest.raises(NotFoundError):
                await u.optimizations.get("r1")
        async with f() as u:
            everything = [r.id for r in await u.optimizations.list("p1")]
        return mine, first, everything

    mine, first, everything = run(uow, work)
    assert mine == ["r1"]
    assert (first.objective, first.portfolio_id, first.results, first.created_at) == (
        "max_sharpe",
        "p1",
        {"weights": {"AAA": 1.0}},
        dt.datetime(2026, 1, 1, 0, 1, tzinfo=dt.UTC),
    )
    assert everything == ["r1"]


def _random_upserts(seed: int) -> list[PriceHistory]:
    """Imports that overlap, extend, rewrite and leave holes: the packed series must follow."""
    rng = np.random.default_rng(seed)
    days = [dt.date(2023, 1, 2) + dt.timedelta(days=int(k)) for k in range(40)]
    out = []
    for _ in range(6):
        chosen = sorted(rng.choice(40, size=int(rng.integers(1, 25)), replace=False))
        tickers = sorted(rng.choice(["AAA", "BBB", "CCC", "DDD", "EEE"], size=3, replace=False))
        closes = np.round(rng.uniform(1, 500, (len(chosen), 3)), 4)
        closes[rng.random(closes.shape) < 0.2] = np.nan
        out.append(PriceHistory([days[k] for k in chosen], list(tickers), closes))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loads_and_summary_follow_any_sequence_of_imports(uow, seed) -> None:
    """Against the fake (a dict of prices) as the model: every load, window and summary."""
    reference = InMemoryUnitOfWorkFactory()
    histories = _random_upserts(seed)

    async def work(f):
        for history in histories:
            async with f() as u:
                await u.prices.upsert(history)
                await u.commit()
        async with f() as u:
            listed = await u.prices.summary()
            names = [s.ticker for s in listed]
            whole = await u.prices.load(names)
            part = await u.prices.load(
                names[::-1], start=dt.date(2023, 1, 10), end=dt.date(2023, 1, 30)
            )
            async with f() as u2:  # a rolled-back import leaves the series as they were
                await u2.prices.upsert(
                    PriceHistory([dt.date(2023, 1, 5)], names, [[1.0] * len(names)])
                )
            return listed, whole, part, await u.prices.load(names)

    got = run(uow, work)
    want = run(reference, work)
    for ours, theirs in zip(got[1:], want[1:], strict=True):
        assert ours.tickers == theirs.tickers and ours.dates == theirs.dates
        np.testing.assert_array_equal(ours.closes, theirs.closes)
    assert got[0] == want[0]


@pytest.mark.parametrize("uow", ["sqlite", "postgres"], indirect=True)  # the fake has no locks
def test_concurrent_imports_of_one_ticker_keep_both_series_parts(uow) -> None:
    """The second import's series is rebuilt after the first commits, not from before it."""
    days = [dt.date(2024, 3, d) for d in range(1, 7)]
    first = PriceHistory(days[:3], ["AAA"], [[1.0], [2.0], [3.0]])
    second = PriceHistory(days[3:], ["AAA"], [[4.0], [5.0], [6.0]])

    async def work(f):
        async def later():
            async with f() as u2:
                await u2.prices.upsert(second)
                await u2.commit()

        async with f() as u1:
            await u1.prices.upsert(first)
            task = asyncio.create_task(later())
            await asyncio.sleep(0.5)  # the second import now waits on the first
            await u1.commit()
        await task
        async with f() as u:
            return await u.prices.load(["AAA"]), await u.prices.summary()

    loaded, summary = run(uow, work)
    assert loaded.dates == tuple(days)
    np.testing.assert_array_equal(loaded.closes[:, 0], [1, 2, 3, 4, 5, 6])
    assert [(s.first, s.last, s.rows) for s in summary] == [(days[0], days[-1], 6)]
