"""The worker lease: acquire, renew, expire, take over, fence, reserve, retire, release."""

from __future__ import annotations

import os

import pytest
from tests.unit.builders import create, dead_pid, record

from codeindex.storage import LeaseLost, Storage
from codeindex.tasks import Lease, Queue
from codeindex.tasks.lease import RESERVED, holder_alive, may_take
from codeindex.tasks.model import host_id


async def set_lease(storage: Storage, **values: object) -> None:
    """Change the lease row as another process would have left it."""
    sets = ", ".join(f"{name} = ?" for name in values)
    async with storage.transaction() as tx:
        await tx.execute(f"UPDATE worker_lease SET {sets}", tuple(values.values()))


async def test_a_free_lease_is_taken_and_read_back(queue: Queue) -> None:
    assert await queue.lease() is None
    assert await queue.acquire_lease("w1", ttl=60, settings_key="model=mini")
    lease = await queue.live_lease()
    assert lease is not None
    assert (lease.owner, lease.pid, lease.hostname) == ("w1", os.getpid(), host_id())
    assert lease.settings_key == "model=mini"
    assert lease.expires_at == pytest.approx(lease.acquired_at + 60)


async def test_a_live_lease_is_not_taken_by_another(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=60)
    assert not await queue.acquire_lease("w2", ttl=60)
    lease = await queue.lease()
    assert lease is not None and lease.owner == "w1"


async def test_the_holder_takes_its_lease_again(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=60)
    assert await queue.acquire_lease("w1", ttl=60)


async def test_an_expired_lease_is_taken_over(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=-1)
    assert await queue.live_lease() is None
    assert await queue.acquire_lease("w2", ttl=60)
    lease = await queue.live_lease()
    assert lease is not None and lease.owner == "w2"


async def test_the_lease_of_a_dead_local_process_is_taken_at_once(
    storage: Storage, queue: Queue
) -> None:
    assert await queue.acquire_lease("w1", ttl=600)
    await set_lease(storage, pid=dead_pid())
    assert await queue.live_lease() is None
    assert await queue.acquire_lease("w2", ttl=60)


async def test_the_lease_of_another_host_waits_for_expiry(storage: Storage, queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=600)
    await set_lease(storage, pid=dead_pid(), hostname="another-machine")
    assert await queue.live_lease() is not None  # its pids are not ours to judge
    assert not await queue.acquire_lease("w2", ttl=60)


async def test_renewing_extends_the_lease_until_another_holds_it(
    storage: Storage, queue: Queue
) -> None:
    assert await queue.acquire_lease("w1", ttl=-1)
    assert await queue.renew_lease("w1", ttl=60)
    assert await queue.live_lease() is not None
    await set_lease(storage, expires_at=0)
    assert await queue.acquire_lease("w2", ttl=60)
    assert not await queue.renew_lease("w1", ttl=60)


@pytest.mark.parametrize(
    "write",
    ["apply_files", "mark_embedded", "claim", "finish_items"],
)
async def test_every_fenced_write_after_losing_the_lease_raises_lease_lost(
    storage: Storage, queue: Queue, write: str
) -> None:
    await create(queue, ["a.py", "b.py"])
    assert await queue.acquire_lease("old", ttl=60)
    items = await queue.claim(1, "old")
    await set_lease(storage, expires_at=0)
    assert await queue.acquire_lease("new", ttl=60)
    with pytest.raises(LeaseLost, match="old"):
        if write == "apply_files":
            await storage.apply_files([record("a.py", "x")], [], fence="old")
        elif write == "mark_embedded":
            await storage.mark_embedded(1, ["h"], fence="old")
        elif write == "claim":
            await queue.claim(1, "old")
        else:
            await queue.finish_items([], [(items[0], "late")], fence="old")
    assert await storage.count_files() == 0
    assert await storage.scalar("SELECT count(*) FROM embeddings") == 0


async def test_releasing_gives_the_lease_up_and_unfinished_items_back(
    storage: Storage, queue: Queue
) -> None:
    task = await create(queue, ["a.py", "b.py"])
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.claim(2, "w1")
    await queue.release_lease("w1")
    assert await queue.lease() is None
    rows = await storage.fetchall(
        "SELECT status, attempts, suspect FROM reindexing_task_items WHERE task_id = ?",
        (task.id,),
    )
    assert [tuple(r) for r in rows] == [("pending", 0, 0), ("pending", 0, 0)]  # not counted
    assert await queue.acquire_lease("w2", ttl=60)


async def test_releasing_a_lease_one_does_not_hold_changes_nothing(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=60)
    await queue.release_lease("w2")
    lease = await queue.lease()
    assert lease is not None and lease.owner == "w1"


async def test_asking_the_holder_to_retire(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=60)
    assert not await queue.retire_requested()
    assert await queue.request_retire("w1")
    assert await queue.retire_requested() and await queue.retire_requested("w1")
    assert not await queue.retire_requested("w2")
    await queue.decline_retire("w1")
    assert not await queue.retire_requested("w1")
    assert not await queue.request_retire("w2")  # not the holder: nothing to ask


async def test_a_new_holder_is_not_asked_to_retire(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=-1)
    assert await queue.request_retire("w1")
    assert await queue.acquire_lease("w2", ttl=60)
    assert not await queue.retire_requested()


async def test_a_reservation_keeps_other_front_ends_from_starting_a_worker(
    queue: Queue,
) -> None:
    assert await queue.reserve_lease("tok1", ttl=60, settings_key="k")
    assert not await queue.reserve_lease("tok2", ttl=60, settings_key="k")
    assert not await queue.acquire_lease("stranger", ttl=60)
    lease = await queue.live_lease()
    assert lease is not None and lease.owner == f"{RESERVED}tok1"


async def test_the_worker_started_for_a_reservation_takes_it(queue: Queue) -> None:
    assert await queue.reserve_lease("tok1", ttl=60, settings_key="k")
    assert await queue.acquire_lease("w1", ttl=60, reservation="tok1")
    lease = await queue.live_lease()
    assert lease is not None and lease.owner == "w1"


async def test_a_reservation_whose_worker_died_frees_the_lease(queue: Queue) -> None:
    assert await queue.reserve_lease("tok1", ttl=600, settings_key="k")
    await queue.assign_reservation("tok1", dead_pid())
    assert await queue.live_lease() is None
    assert await queue.reserve_lease("tok2", ttl=60, settings_key="k")


async def test_a_reservation_nobody_takes_expires(queue: Queue) -> None:
    assert await queue.reserve_lease("tok1", ttl=-1, settings_key="k")
    assert await queue.acquire_lease("w1", ttl=60)


async def test_a_live_worker_is_not_reserved_over(queue: Queue) -> None:
    assert await queue.acquire_lease("w1", ttl=60)
    assert not await queue.reserve_lease("tok1", ttl=60, settings_key="k")


def lease(owner: str = "w1", expires: float = 60, host: str = "here", alive: bool = True) -> Lease:
    now = 1000.0
    return Lease(
        owner,
        os.getpid() if alive else dead_pid(),
        host_id() if host == "here" else "another-machine",
        now - 10,
        now - 10,
        now + expires,
    )


@pytest.mark.parametrize(
    ("held", "owner", "reservation", "taken"),
    [
        pytest.param(None, "w2", None, True, id="free"),
        pytest.param(lease(), "w1", None, True, id="ours"),
        pytest.param(lease(), "w2", None, False, id="held"),
        pytest.param(lease(expires=-1), "w2", None, True, id="expired"),
        pytest.param(lease(expires=0), "w2", None, True, id="expires-now"),
        pytest.param(lease(alive=False), "w2", None, True, id="holder-dead"),
        pytest.param(lease(alive=False, host="there"), "w2", None, False, id="other-host"),
        pytest.param(lease(f"{RESERVED}t"), "w2", "t", True, id="reserved-for-us"),
        pytest.param(lease(f"{RESERVED}t"), "w2", "u", False, id="reserved-for-another"),
        pytest.param(lease(f"{RESERVED}t"), "w2", None, False, id="reserved"),
    ],
)
def test_who_may_take_the_lease(
    held: Lease | None, owner: str, reservation: str | None, taken: bool
) -> None:
    assert may_take(held, owner, reservation, now=1000.0) is taken


@pytest.mark.parametrize(
    ("held", "alive"),
    [
        pytest.param(lease(), True, id="live"),
        pytest.param(lease(expires=-5), False, id="expired"),
        pytest.param(lease(alive=False), False, id="dead"),
        pytest.param(lease(alive=False, host="there"), True, id="other-host"),
    ],
)
def test_whether_the_holder_is_alive(held: Lease, alive: bool) -> None:
    assert holder_alive(held, now=1000.0) is alive
