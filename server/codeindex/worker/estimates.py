"""The worker's estimates: it measures its speeds as it works and renews each task's time left.

Each step of the worker (a batch of files read, parsed and stored; a batch of texts embedded
and written) is timed from the end of the step measured before it (or the end of a rest) to
the end of what it settled, so the bookkeeping between steps counts too; model loads are
left out (they are measured on their own). The times are fed to `Speeds`. At most every
RENEW_SECONDS, after a step, every unfinished task's own time left is estimated anew: its
pending items (summed in SQL: bytes by language, characters to embed when known, bytes
whose text is known only once parsed), the texts its parsed items still wait on in the
backlog, and the model's load if it is not loaded yet; `tasks.clock` turns that into
progress and an ETA. The speeds are saved while the worker is idle, so the next task and
the next worker start calibrated. A model never measured here is probed: a few batches are
embedded as soon as there are texts, before the other files are parsed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

from codeindex.storage import Storage
from codeindex.storage.meta import ESTIMATES
from codeindex.tasks import Action, Item, Queue
from codeindex.tasks.speeds import ITEM_BYTES, Speeds, Work, cost_class

log = logging.getLogger(__name__)

RENEW_SECONDS = 0.25
PROBE_SECONDS = 1.0  # a model with less embedding measured than this is probed
PROBE_BATCHES = 16


class Estimates:
    """Speeds measured by one worker and the estimates it renews."""

    def __init__(self, storage: Storage, queue: Queue, model: str, owner: str) -> None:
        """`model` is the configured model's `speeds.model_key`; `owner` the lease."""
        self.storage = storage
        self.queue = queue
        self.model = model
        self.owner = owner
        self.speeds = Speeds()
        self._mark = time.monotonic()
        self._excluded = 0.0  # seconds since the mark that belong to no step (a model load)
        self._warm = False  # the first batch after a load is not measured (warm-up)
        self._probes = 0
        self._renewed = 0.0
        self._dirty = False

    async def load(self) -> None:
        """Start from the speeds saved for this workspace."""
        record = await self.storage.meta.get(ESTIMATES)
        self.speeds = Speeds.of(record)

    async def save(self) -> None:
        """Save the speeds measured (while idle)."""
        if self._dirty:
            self._dirty = False
            await self.storage.meta.set(ESTIMATES, self.speeds.record())

    # ---- measuring ----------------------------------------------------------------------

    def start(self) -> None:
        """Work begins after a rest: the next step's time counts from now."""
        self._mark = time.monotonic()
        self._excluded = 0.0

    def _took(self) -> float:
        """The time since the last step measured (or the rest): every moment of a busy
        stretch belongs to some step, its bookkeeping between steps included."""
        now = time.monotonic()
        took = now - self._mark - self._excluded
        self._mark, self._excluded = now, 0.0
        return took

    def indexed(self, items: Iterable[Item]) -> None:
        """The step read, parsed and stored these items."""
        parts: dict[str, float] = {}
        for item in items:
            cls = cost_class(item.action.value, item.language)
            parts[cls] = parts.get(cls, 0.0) + item.size + ITEM_BYTES
        if parts:
            self.speeds.indexed(parts, self._took())
            self._dirty = True

    def embedded(self, chars: int) -> None:
        """The step embedded (and wrote) texts of `chars` characters."""
        if chars <= 0:
            return
        took = self._took()
        if not self._warm:
            self._warm = True  # the model's first batch warms it up: not its speed
            return
        self.speeds.embedded(self.model, chars, took)
        self._dirty = True

    def parsed(self, item: Item, chars: int) -> None:
        """A file whose text was not known before was parsed: it gave `chars` to embed."""
        if item.action is Action.INDEX and item.embed_chars is None and item.size > 0:
            self.speeds.parsed(item.language, chars, item.size)
            self._dirty = True

    def loaded(self, model_id: int, seconds: float) -> None:
        """The worker loaded the configured model in `seconds` (not part of the step)."""
        self.speeds.loaded(self.model, model_id, seconds)
        self._excluded += seconds
        self._warm = False
        self._dirty = True

    def probing(self) -> bool:
        """True while the model's speed is too little known: embed before parsing more."""
        if self.speeds.measured(self.model) >= PROBE_SECONDS or self._probes >= PROBE_BATCHES:
            return False
        self._probes += 1
        return True

    # ---- estimating ---------------------------------------------------------------------

    async def renew(
        self, backlog: Mapping[str, int], *, embeds: bool, loaded: bool, now: bool = False
    ) -> None:
        """Estimate every unfinished task's time left anew (at most every RENEW_SECONDS
        unless `now`): `backlog` is what each still waits on to embed, in characters;
        `embeds` False when texts cannot be embedded (no model), `loaded` when the model is."""
        if not now and time.monotonic() - self._renewed < RENEW_SECONDS:
            return
        self._renewed = time.monotonic()
        model = self.model if embeds else None
        works: dict[str, Work] = {}
        for row in await self.queue.pending_work():
            work = works.setdefault(row.task_id, Work())
            work.add_items(cost_class(row.action, row.language or None), row.items, row.bytes)
            work.embed_chars += row.embed_chars
            if row.unknown_bytes:
                work.add_unknown(row.language or None, row.unknown_bytes)
        for task_id, chars in backlog.items():
            works.setdefault(task_id, Work()).embed_chars += chars
        lefts = {}
        for task_id, work in works.items():
            left = self.speeds.seconds(work, model)
            if model is not None and work.needs_model and not loaded:
                left += self.speeds.load_seconds(model)
            lefts[task_id] = left
        await self.queue.renew_estimates(lefts, fence=self.owner)
