"""Every record of index.db's `meta` table, typed: its key, how it is written and read back.

`meta` is how processes tell each other what is not a row of its own: which model is active,
the health of a remote engine or a shared vector store, what the watcher did, measured
rates. Each record is a `MetaKey[T]` here, so writers and readers in different processes
agree on one format: `meta.get(ACTIVE_MODEL) -> int | None`, `meta.set(ACTIVE_MODEL, 3)`,
and `put(A.entry(a), B.entry(b))` for several in one transaction. The values on disk are
those earlier versions wrote (plain numbers, JSON objects, `time|path`). An empty value is
a record cleared (`entry(None)`); a value that does not decode reads as absent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from codeindex.storage.db import Connection, Database, marks

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class MetaEntry:
    """One encoded value to write: `key.entry(value)`."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class MetaKey(Generic[T]):
    """A record of `meta`: its key and how its value is encoded and decoded."""

    name: str
    encode: Callable[[T], str]
    decode: Callable[[str], T]

    def entry(self, value: T | None) -> MetaEntry:
        """The value to write (None clears the record)."""
        return MetaEntry(self.name, "" if value is None else self.encode(value))

    def read(self, raw: str | None) -> T | None:
        """The value of a stored string: None when absent, cleared or unreadable."""
        if not raw:
            return None
        try:
            return self.decode(raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("meta %s holds a value this version cannot read (%s)", self.name, exc)
            return None


def text_key(name: str) -> MetaKey[str]:
    """A record holding a string."""
    return MetaKey(name, str, str)


def int_key(name: str) -> MetaKey[int]:
    """A record holding an integer."""
    return MetaKey(name, str, int)


def float_key(name: str, spec: str = "") -> MetaKey[float]:
    """A record holding a number (a time, a rate), written with a format `spec`."""
    return MetaKey(name, lambda value: format(value, spec) if spec else str(value), float)


def json_key(name: str, record: type[R]) -> MetaKey[R]:
    """A record holding a dataclass as a JSON object (unknown fields are ignored on reading)."""

    def decode(raw: str) -> R:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"not a JSON object: {raw[:40]!r}")
        return record(**{f.name: data[f.name] for f in fields(record) if f.name in data})

    return MetaKey(name, lambda value: json.dumps(asdict(value), sort_keys=True), decode)


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """The configured model could not load with these settings (not retried until they
    change or the user asks)."""

    settings: str
    reason: str
    hint: str
    at: float


@dataclass(frozen=True, slots=True)
class ModelNote:
    """What a worker noted when it loaded the configured model with these settings (an int8
    copy that could not be made, so fp32 runs)."""

    settings: str
    note: str
    at: float


@dataclass(frozen=True, slots=True)
class EngineHealth:
    """A remote embedding engine's last success and last failure."""

    endpoint: str
    model: str
    last_success_at: float | None = None
    last_failure_at: float | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class VectorsFailure:
    """Why the vector store at `uri` could not be used."""

    uri: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class SharedHits:
    """A shared vector store's lookups of the last embedding run."""

    uri: str
    looked_up: int
    hits: int
    embedded: int
    at: float


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """index.db was found damaged and rebuilt at `at`; the damaged file was kept as `aside`."""

    at: float
    aside: str


@dataclass(frozen=True, slots=True)
class Estimates:
    """How fast work went on this machine, for this workspace: what estimates start from.

    Speeds are units per second (`index`: bytes read, parsed and stored, by language, with
    `tasks.speeds.ITEM_BYTES` per file; `embed`: characters embedded, by model). `chars_per_byte`
    is how many characters to embed a byte of a new file gives, by language; `load` the
    seconds a worker takes to load each model, and `model_ids` its row in `models`. Models
    are keyed by a digest of their settings (`tasks.speeds.model_key`).
    """

    index: dict[str, float]
    embed: dict[str, float]
    chars_per_byte: dict[str, float]
    load: dict[str, float]
    model_ids: dict[str, int]


def _rebuilt(raw: str) -> Rebuilt:
    at, sep, aside = raw.partition("|")
    if not sep:
        raise ValueError(f"not `time|path`: {raw[:40]!r}")
    return Rebuilt(float(at), aside)


# embedding models (`embedding.registry`)
MODEL_FAILURE = json_key("model_failure", ModelFailure)
ACTIVE_MODEL = int_key("active_model_id")
MODEL_LOADED = text_key("model_loaded_settings")  # the settings of the model last loaded
LOADED_MODEL = int_key("model_loaded_id")  # ... and its id
MODEL_NOTE = json_key("model_note", ModelNote)  # ... and what its load noted, if anything
ENGINE_HEALTH = json_key("embedding_engine", EngineHealth)
# the vector store (`vectors.location`, the worker)
SHARED_HITS = json_key("shared_store_hits", SharedHits)
VECTORS_FAILURE = json_key("vectors_failure", VectorsFailure)
# the worker and index.db itself
TIDIED_AT = float_key("tidied_at")  # when the worker last gave index.db's free space back
LAST_FULL_INDEX = float_key("last_full_index_at")
REBUILT = MetaKey("rebuilt_after_damage", lambda r: f"{r.at}|{r.aside}", _rebuilt)
# speeds measured by the worker (`worker.estimates`); every estimate starts from them
ESTIMATES = json_key("estimates", Estimates)
# the file watcher beside the worker (`watcher.record`)
WATCH_OWNER = text_key("watch.owner")
WATCH_STARTED = float_key("watch.started_at")
WATCH_STOPPED = float_key("watch.stopped_at")
WATCH_EVENTS = int_key("watch.events")
WATCH_TASKS = int_key("watch.tasks")
WATCH_LAST_EVENT = float_key("watch.last_event_at")
WATCH_ERROR = text_key("watch.error")
WATCH_RECONCILED = float_key("watch.reconciled_at")
WATCH_RECONCILE_TOOK = float_key("watch.reconcile_seconds", ".3f")
WATCH_RECONCILE_CHANGED = int_key("watch.reconcile_changed")
WATCH_RECONCILE_TASK = text_key("watch.reconcile_task")

# every record, one name each (tests hold each to a round trip)
KEYS: tuple[MetaKey[Any], ...] = (
    MODEL_FAILURE,
    ACTIVE_MODEL,
    MODEL_LOADED,
    LOADED_MODEL,
    MODEL_NOTE,
    ENGINE_HEALTH,
    SHARED_HITS,
    VECTORS_FAILURE,
    TIDIED_AT,
    LAST_FULL_INDEX,
    REBUILT,
    ESTIMATES,
    WATCH_OWNER,
    WATCH_STARTED,
    WATCH_STOPPED,
    WATCH_EVENTS,
    WATCH_TASKS,
    WATCH_LAST_EVENT,
    WATCH_ERROR,
    WATCH_RECONCILED,
    WATCH_RECONCILE_TOOK,
    WATCH_RECONCILE_CHANGED,
    WATCH_RECONCILE_TASK,
)

"""Every record, once: no two share a name."""


class MetaValues:
    """Several records read at once."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def get(self, key: MetaKey[T]) -> T | None:
        """The value of one of the records read."""
        return key.read(self._raw.get(key.name))


async def write_meta(tx: Connection, entries: Iterable[MetaEntry]) -> None:
    """Write records within a transaction the caller holds."""
    await tx.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(e.name, e.value) for e in entries],
    )


class Meta:
    """The `meta` records of one index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: MetaKey[T]) -> T | None:
        """One record's value (None when there is none)."""
        raw = await self.db.scalar("SELECT value FROM meta WHERE key = ?", (key.name,))
        return key.read(None if raw is None else str(raw))

    async def get_many(self, keys: Iterable[MetaKey[Any]]) -> MetaValues:
        """Several records in one read."""
        names = [k.name for k in keys]
        rows = await self.db.fetchall(
            f"SELECT key, value FROM meta WHERE key IN ({marks(len(names))})", names
        )
        return MetaValues({str(r[0]): str(r[1]) for r in rows})

    async def set(self, key: MetaKey[T], value: T | None) -> None:
        """Write one record (None clears it)."""
        await self.put(key.entry(value))

    async def put(self, *entries: MetaEntry) -> None:
        """Write several records in one transaction."""
        async with self.db.transaction() as tx:
            await write_meta(tx, entries)
