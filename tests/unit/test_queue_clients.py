"""Clients of the queue: they register, renew and expire, and their open files are boosts."""

from __future__ import annotations

import os

import pytest
from tests.unit.builders import create, dead_pid

from codeindex.storage import Storage
from codeindex.storage.client_rows import ClientRow
from codeindex.tasks import Priority, Queue
from codeindex.tasks.clients import client_dead
from codeindex.tasks.model import host_id


async def priorities(storage: Storage) -> dict[str, int]:
    rows = await storage.fetchall(
        "SELECT file_path, priority FROM reindexing_task_items ORDER BY file_path"
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def test_a_registered_client_lives_until_it_expires(queue: Queue) -> None:
    await queue.register_client("lsp-1", "lsp", ttl=60)
    await queue.register_client("mcp-1", "mcp", ttl=60)
    assert await queue.live_clients() == 2
    await queue.register_client("old", "cli", ttl=-1)
    assert await queue.live_clients() == 2


async def test_renewing_keeps_a_client_and_a_dropped_one_must_register_again(
    queue: Queue,
) -> None:
    await queue.register_client("lsp-1", "lsp", ttl=-1)
    assert await queue.renew_client("lsp-1", ttl=60)
    assert await queue.live_clients() == 1
    await queue.drop_client("lsp-1")
    assert not await queue.renew_client("lsp-1", ttl=60)
    assert await queue.live_clients() == 0


async def test_registering_again_revives_a_client(queue: Queue) -> None:
    await queue.register_client("lsp-1", "lsp", ttl=-1)
    await queue.register_client("lsp-1", "lsp", ttl=60)
    assert await queue.live_clients() == 1


async def test_expired_clients_and_dead_local_ones_are_dropped(
    storage: Storage, queue: Queue
) -> None:
    await queue.register_client("alive", "lsp", ttl=60)
    await queue.register_client("expired", "lsp", ttl=-1)
    await queue.register_client("dead", "mcp", ttl=60)
    async with storage.transaction() as tx:
        await tx.execute("UPDATE clients SET pid = ? WHERE id = 'dead'", (dead_pid(),))
    assert await queue.expire_clients() == 2
    assert [c.id for c in await storage.client_rows.clients()] == ["alive"]
    assert await queue.expire_clients() == 0


@pytest.mark.parametrize(
    ("expires_in", "host", "alive_pid", "dead"),
    [
        pytest.param(60, "here", True, False, id="alive"),
        pytest.param(-1, "here", True, True, id="expired"),
        pytest.param(0, "here", True, True, id="expires-now"),
        pytest.param(60, "here", False, True, id="process-gone"),
        pytest.param(60, "elsewhere", False, False, id="other-host-not-judged"),
    ],
)
def test_when_a_client_is_dead(expires_in: float, host: str, alive_pid: bool, dead: bool) -> None:
    now = 1000.0
    client = ClientRow(
        "c",
        "lsp",
        os.getpid() if alive_pid else dead_pid(),
        host_id() if host == "here" else "another-machine",
        now + expires_in,
    )
    assert client_dead(client, now) is dead


async def test_an_open_file_raises_its_unfinished_items_to_high(
    storage: Storage, queue: Queue, worker: str
) -> None:
    await create(queue, ["a.py", "b.py"], priority=Priority.LOW)
    await create(queue, ["a.py"], priority=Priority.NORMAL)
    await queue.register_client("editor", "lsp", ttl=60)
    assert await queue.boost("editor", ["a.py", "a.py", "absent.py"]) == 2
    assert await priorities(storage) == {"a.py": 0, "b.py": 2}
    assert await queue.boosted_paths() == {"a.py", "absent.py"}


async def test_boosting_nothing_changes_nothing(queue: Queue) -> None:
    assert await queue.boost("editor", []) == 0
    await queue.unboost("editor", [])
    assert await queue.boosted_paths() == set()


async def test_a_closed_file_goes_back_to_its_queued_priority(
    storage: Storage, queue: Queue
) -> None:
    await create(queue, ["a.py"], priority=Priority.LOW)
    await queue.register_client("editor", "lsp", ttl=60)
    await queue.boost("editor", ["a.py"])
    await queue.unboost("editor", ["a.py"])
    assert await priorities(storage) == {"a.py": int(Priority.LOW)}
    assert await queue.boosted_paths() == set()


async def test_a_file_another_editor_still_has_open_stays_high(
    storage: Storage, queue: Queue
) -> None:
    await create(queue, ["a.py"], priority=Priority.LOW)
    await queue.register_client("vscode", "lsp", ttl=60)
    await queue.register_client("nvim", "lsp", ttl=60)
    await queue.boost("vscode", ["a.py"])
    await queue.boost("nvim", ["a.py"])
    await queue.unboost("vscode", ["a.py"])
    assert await priorities(storage) == {"a.py": int(Priority.HIGH)}
    await queue.drop_client("nvim")
    assert await priorities(storage) == {"a.py": int(Priority.LOW)}


async def test_the_boosts_of_a_client_that_dies_expire_with_it(
    storage: Storage, queue: Queue
) -> None:
    await create(queue, ["a.py"], priority=Priority.NORMAL)
    await queue.register_client("editor", "lsp", ttl=60)
    await queue.boost("editor", ["a.py"])
    async with storage.transaction() as tx:
        await tx.execute("UPDATE clients SET expires_at = 0")
    assert await queue.boosted_paths() == set()  # a dead client's files are not open
    assert await queue.expire_clients() == 1
    assert await priorities(storage) == {"a.py": int(Priority.NORMAL)}


async def test_boosts_of_an_expired_client_do_not_raise_new_tasks(
    storage: Storage, queue: Queue
) -> None:
    await queue.register_client("editor", "lsp", ttl=-1)
    await queue.boost("editor", ["a.py"])
    await create(queue, ["a.py"], priority=Priority.LOW)
    assert await priorities(storage) == {"a.py": int(Priority.LOW)}


async def test_finished_items_are_not_raised(storage: Storage, queue: Queue, worker: str) -> None:
    await create(queue, ["a.py"], priority=Priority.LOW)
    [item] = await queue.claim(1, worker)
    await queue.finish_items([], [(item, "broken")], fence=worker)
    await queue.register_client("editor", "lsp", ttl=60)
    assert await queue.boost("editor", ["a.py"]) == 0
    assert await priorities(storage) == {"a.py": int(Priority.LOW)}
