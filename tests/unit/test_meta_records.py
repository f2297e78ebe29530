"""The typed records of `meta`: each round-trips, reads what earlier versions wrote, and
writes it the same way."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from codeindex.storage import Storage
from codeindex.storage import meta as meta_module
from codeindex.storage.meta import (
    ACTIVE_MODEL,
    ENGINE_HEALTH,
    ESTIMATES,
    KEYS,
    LAST_FULL_INDEX,
    MODEL_FAILURE,
    MODEL_LOADED,
    REBUILT,
    SHARED_HITS,
    TIDIED_AT,
    VECTORS_FAILURE,
    WATCH_ERROR,
    WATCH_EVENTS,
    WATCH_OWNER,
    WATCH_RECONCILE_TOOK,
    WATCH_STARTED,
    EngineHealth,
    Estimates,
    MetaKey,
    ModelFailure,
    ModelNote,
    Rebuilt,
    SharedHits,
    VectorsFailure,
    text_key,
    write_meta,
)

SAMPLES: dict[str, Any] = {
    "model_failure": ModelFailure("fastembed:mini", "not in the cache", "download it", 1.5),
    "active_model_id": 3,
    "model_loaded_settings": "fastembed:mini|int8",
    "model_loaded_id": 4,
    "model_note": ModelNote("fastembed:mini|auto", "int8 copy could not be made", 2.5),
    "embedding_engine": EngineHealth("http://engine", "e5", 1.0, None, None),
    "shared_store_hits": SharedHits("s3://b/p", 10, 4, 6, 3.0),
    "vectors_failure": VectorsFailure("s3://b/p", "access denied", 4.0),
    "tidied_at": 1733600000.25,
    "last_full_index_at": 1733600001.5,
    "rebuilt_after_damage": Rebuilt(1733600002.0, "/data/index.db.damaged-20241207-101010"),
    "estimates": Estimates(
        index={"python": 900000.0, "": 4000000.0},
        embed={"3f2a": 15000.5},
        chars_per_byte={"python": 1.1},
        load={"3f2a": 0.8},
        model_ids={"3f2a": 2},
    ),
    "watch.owner": "worker-abc",
    "watch.started_at": 1.25,
    "watch.stopped_at": 2.5,
    "watch.events": 12,
    "watch.tasks": 2,
    "watch.last_event_at": 3.75,
    "watch.error": "inotify watch limit reached",
    "watch.reconciled_at": 4.5,
    "watch.reconcile_seconds": 0.125,
    "watch.reconcile_changed": 7,
    "watch.reconcile_task": "reindex_20241207101010_abcd1234",
}


def test_every_record_has_one_name() -> None:
    names = [k.name for k in KEYS]
    assert len(names) == len(set(names))
    declared = [v for v in vars(meta_module).values() if isinstance(v, MetaKey)]
    assert {k.name for k in declared} == set(names)  # none left out of KEYS
    assert set(SAMPLES) == set(names)


@pytest.mark.parametrize("key", KEYS, ids=[k.name for k in KEYS])
async def test_a_record_round_trips(storage: Storage, key: MetaKey[Any]) -> None:
    value = SAMPLES[key.name]
    await storage.meta.set(key, value)
    assert await storage.meta.get(key) == value


@pytest.mark.parametrize("key", KEYS, ids=[k.name for k in KEYS])
async def test_an_absent_or_cleared_record_reads_none(storage: Storage, key: MetaKey[Any]) -> None:
    assert await storage.meta.get(key) is None
    await storage.meta.set(key, SAMPLES[key.name])
    await storage.meta.set(key, None)
    assert await storage.meta.get(key) is None
    assert await storage.scalar("SELECT value FROM meta WHERE key = ?", (key.name,)) == ""


# what earlier versions of codeindex wrote: index.db files in use hold these
WRITTEN_BEFORE = [
    pytest.param(
        MODEL_FAILURE,
        '{"settings": "s", "reason": "r", "hint": "h", "at": 1.5}',
        ModelFailure("s", "r", "h", 1.5),
        id="model_failure",
    ),
    pytest.param(ACTIVE_MODEL, "3", 3, id="active_model_id"),
    pytest.param(MODEL_LOADED, "fastembed:x", "fastembed:x", id="model_loaded_settings"),
    pytest.param(
        ENGINE_HEALTH,
        '{"endpoint": "http://e", "last_error": "HTTP 503", "last_failure_at": 2.0, "model": "m"}',
        EngineHealth("http://e", "m", None, 2.0, "HTTP 503"),
        id="embedding_engine-without-success",
    ),
    pytest.param(
        SHARED_HITS,
        '{"uri": "s3://b", "looked_up": 10, "hits": 4, "embedded": 6, "at": 3.0}',
        SharedHits("s3://b", 10, 4, 6, 3.0),
        id="shared_store_hits",
    ),
    pytest.param(
        VECTORS_FAILURE,
        '{"uri": "s3://b", "reason": "denied", "at": 4.0}',
        VectorsFailure("s3://b", "denied", 4.0),
        id="vectors_failure",
    ),
    pytest.param(
        REBUILT,
        "1733600000.5|/d/index.db.damaged-20241207-101010",
        Rebuilt(1733600000.5, "/d/index.db.damaged-20241207-101010"),
        id="rebuilt_after_damage",
    ),
    pytest.param(TIDIED_AT, "1733600000.123456", 1733600000.123456, id="tidied_at"),
    pytest.param(LAST_FULL_INDEX, "1733600000.5", 1733600000.5, id="last_full_index_at"),
    pytest.param(
        ESTIMATES,
        '{"chars_per_byte": {}, "embed": {"k": 2.5}, "index": {"go": 1e6}, "load": {}, '
        '"model_ids": {"k": 1}}',
        Estimates({"go": 1e6}, {"k": 2.5}, {}, {}, {"k": 1}),
        id="estimates",
    ),
    pytest.param(WATCH_EVENTS, "12", 12, id="watch-events"),
    pytest.param(WATCH_RECONCILE_TOOK, "0.125", 0.125, id="watch-reconcile-seconds"),
]


@pytest.mark.parametrize(("key", "raw", "value"), WRITTEN_BEFORE)
async def test_records_written_by_earlier_versions_read_back(
    storage: Storage, key: MetaKey[Any], raw: str, value: Any
) -> None:
    async with storage.transaction() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (key.name, raw))
    assert await storage.meta.get(key) == value


@pytest.mark.parametrize(
    ("key", "value", "raw"),
    [
        pytest.param(ACTIVE_MODEL, 7, "7", id="int"),
        pytest.param(TIDIED_AT, 1733600000.123456, "1733600000.123456", id="time"),
        pytest.param(
            ESTIMATES,
            Estimates({"": 2.0}, {}, {}, {}, {}),
            '{"chars_per_byte": {}, "embed": {}, "index": {"": 2.0}, "load": {}, "model_ids": {}}',
            id="json-nested-sorted",
        ),
        pytest.param(WATCH_RECONCILE_TOOK, 0.12345, "0.123", id="seconds-three-decimals"),
        pytest.param(REBUILT, Rebuilt(1.5, "/d/x"), "1.5|/d/x", id="time-bar-path"),
        pytest.param(
            VECTORS_FAILURE,
            VectorsFailure("s3://b", "down", 4.0),
            '{"at": 4.0, "reason": "down", "uri": "s3://b"}',
            id="json-sorted",
        ),
    ],
)
def test_records_are_written_as_before(key: MetaKey[Any], value: Any, raw: str) -> None:
    assert key.entry(value).value == raw


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        pytest.param(ACTIVE_MODEL, "three", id="not-an-int"),
        pytest.param(TIDIED_AT, "yesterday", id="not-a-time"),
        pytest.param(MODEL_FAILURE, "{not json", id="not-json"),
        pytest.param(MODEL_FAILURE, "[1, 2]", id="not-an-object"),
        pytest.param(MODEL_FAILURE, '{"reason": "r"}', id="fields-missing"),
        pytest.param(REBUILT, "1733600000.5", id="no-bar"),
    ],
)
async def test_a_record_this_version_cannot_read_reads_as_absent(
    storage: Storage, key: MetaKey[Any], raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with storage.transaction() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (key.name, raw))
    with caplog.at_level(logging.WARNING, logger="codeindex.storage.meta"):
        assert await storage.meta.get(key) is None
    assert key.name in caplog.text


async def test_unknown_fields_of_a_json_record_are_ignored(storage: Storage) -> None:
    async with storage.transaction() as tx:
        await tx.execute(
            "INSERT INTO meta(key, value) VALUES ('vectors_failure', "
            '\'{"uri": "u", "reason": "r", "at": 1, "from_a_later_version": true}\')'
        )
    assert await storage.meta.get(VECTORS_FAILURE) == VectorsFailure("u", "r", 1)


async def test_several_records_are_written_in_one_transaction(storage: Storage) -> None:
    other = await Storage.open(storage.path)
    try:
        before = await other.data_version()
        await storage.meta.put(
            WATCH_OWNER.entry("w"), WATCH_STARTED.entry(1.0), WATCH_EVENTS.entry(0)
        )
        assert await other.data_version() == before + 1
    finally:
        await other.close()
    many = await storage.meta.get_many([WATCH_OWNER, WATCH_STARTED, WATCH_EVENTS, WATCH_ERROR])
    assert (many.get(WATCH_OWNER), many.get(WATCH_STARTED), many.get(WATCH_EVENTS)) == ("w", 1.0, 0)
    assert many.get(WATCH_ERROR) is None
    assert many.get(ACTIVE_MODEL) is None  # not read: absent


async def test_records_written_in_a_transaction_that_fails_are_not_kept(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.transaction() as tx:
            await write_meta(tx, [ACTIVE_MODEL.entry(5)])
            raise RuntimeError("the transaction fails after the write")
    assert await storage.meta.get(ACTIVE_MODEL) is None


async def test_a_record_is_overwritten(storage: Storage) -> None:
    await storage.meta.set(WATCH_ERROR, "first")
    await storage.meta.set(WATCH_ERROR, "second")
    assert await storage.meta.get(WATCH_ERROR) == "second"
    assert await storage.scalar("SELECT count(*) FROM meta WHERE key = 'watch.error'") == 1


async def test_any_text_record(storage: Storage) -> None:
    key = text_key("k")
    await storage.meta.set(key, "value with | and {json}")
    assert await storage.meta.get(key) == "value with | and {json}"
