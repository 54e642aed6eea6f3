"""The solve gate is fair across owners: an owner's share is below the lane's limit, an owner
with nothing running starts beside a flood, and turns go round the owners."""

import asyncio

import pytest

from domain.errors import BusyError, TooManyRequestsError
from entrypoints.http.gate import SolveGate


def test_an_owner_gets_a_share_below_the_limit_and_others_still_get_in() -> None:
    gate = SolveGate(limit=4, cores=2)
    gate.acquire(owner="flood")
    gate.acquire(owner="flood")
    with pytest.raises(TooManyRequestsError, match="limit per API key is 2"):
        gate.acquire(owner="flood")
    gate.acquire(owner="light")  # the flood did not take the other tenant's place
    gate.acquire(owner="third")
    with pytest.raises(BusyError, match="4 light solves are admitted, the limit is 4"):
        gate.acquire(owner="fourth")
    gate.release(owner="flood")
    gate.acquire(owner="fourth")


def test_without_keys_the_one_owner_has_the_whole_lane() -> None:
    gate = SolveGate(limit=4, cores=2)
    for _ in range(4):
        gate.acquire()
    with pytest.raises(BusyError):
        gate.acquire()


def test_the_heavy_lane_has_shares_too() -> None:
    gate = SolveGate(limit=4, cores=1, heavy_limit=3)
    gate.acquire(heavy=True, owner="flood")
    with pytest.raises(TooManyRequestsError, match="large solves of yours"):
        gate.acquire(heavy=True, owner="flood")  # share of 3 is 1
    gate.acquire(heavy=True, owner="other")


async def _scenario(heavy: bool) -> list[str]:
    """One worker. The flood queues three long solves; a tenant with nothing running arrives
    and starts at once beside the flood's first (the oversubscription place); a third tenant
    arrives and must wait for a place. When the flood's first ends, who goes next."""
    gate = SolveGate(limit=8, cores=1, heavy_limit=8, share=4)
    log: list[str] = []
    done = {name: asyncio.Event() for name in ("f1", "f2", "f3", "light", "t")}

    async def solve(name: str, owner: str) -> None:
        async with gate.slot(heavy, owner):
            log.append(f"{name} starts")
            await done[name].wait()
            log.append(f"{name} ends")

    async def settle() -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(solve(n, "flood")) for n in ("f1", "f2", "f3")]
    await settle()
    tasks.append(asyncio.create_task(solve("light", "tenant")))
    await settle()
    tasks.append(asyncio.create_task(solve("t", "third")))
    await settle()
    for name in ("f1", "light", "t", "f2", "f3"):
        done[name].set()
        await settle()
    await asyncio.gather(*tasks)
    return log


@pytest.mark.parametrize("heavy", [False, True])
def test_a_light_tenant_starts_beside_a_flood_and_turns_go_round(heavy: bool) -> None:
    log = asyncio.run(_scenario(heavy))
    # The tenant did not wait behind the flood's queue; the third tenant had to (both places
    # taken), and when f1 ended it went before the flood's queued f2 (never served before).
    assert log == [
        "f1 starts",
        "light starts",
        "f1 ends",
        "t starts",
        "light ends",
        "f2 starts",
        "t ends",
        "f2 ends",
        "f3 starts",
        "f3 ends",
    ], log


def test_a_waiter_that_gives_up_leaves_its_place() -> None:
    async def go() -> list[str]:
        gate = SolveGate(limit=8, cores=1, share=4)
        log: list[str] = []
        hold = asyncio.Event()

        async def first() -> None:
            async with gate.slot(owner="a"):
                await hold.wait()

        async def second(name: str) -> None:
            async with gate.slot(owner="a"):
                log.append(name)

        running = asyncio.create_task(first())
        await asyncio.sleep(0)
        quitter = asyncio.create_task(second("quitter"))
        stayer = asyncio.create_task(second("stayer"))
        await asyncio.sleep(0)
        quitter.cancel()
        await asyncio.sleep(0)
        hold.set()
        await asyncio.gather(running, stayer)
        assert gate.light.busy == 0 and not gate.light.admitted
        return log

    assert asyncio.run(go()) == ["stayer"]
