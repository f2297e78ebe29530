"""The worker's embedding backlog: chunk texts waiting for a vector, and the items waiting on them.

Pure bookkeeping, no I/O. Texts are kept per priority in arrival order, so the
next batch is found without sorting the whole backlog (a cold index of a large
tree holds tens of thousands of texts). A text shared by several items is
embedded once; an item is done when none of its texts is missing. What each task has
left to embed (`cost` of its texts, each counted once) is kept as texts come and go,
for its estimate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from codeindex.tasks import Item, ItemOutcome, Priority

PRIORITIES = (0, 1, 2)

# An item whose texts may need vectors: (item, outcome, [(hash, text)], required), where
# `required` marks an embeddings-only item (it fails when its texts cannot be embedded).
Pending = tuple[Item, ItemOutcome, list[tuple[str, str]], bool]
# An item waiting on texts: (item, outcome, {hash: text}, the hashes without a vector).
Wait = tuple[Item, ItemOutcome, dict[str, str], set[str]]


@dataclass(slots=True)
class Text:
    """A chunk text without a vector, and the items that need it."""

    text: str
    priority: int
    cost: int = 0  # characters that cost model time
    items: set[int] = field(default_factory=set)
    tasks: Counter[str] = field(default_factory=Counter)  # items needing it, by task
    tokens: int = 0  # what the model sees of it, counted when it first enters a window


@dataclass(slots=True)
class Waiting:
    """An item whose rows are written and whose vectors are not all there yet."""

    item: Item
    outcome: ItemOutcome
    missing: set[str]


MAX_CHARS = 64 * 1024 * 1024  # ~100 MB of texts in memory: Django's whole tree fits in it


class Backlog:
    """Texts to embed by priority, and the waiting items.

    It holds at most about `max_chars` characters of text: when `full`, the worker embeds
    before it parses more files of the same priority (memory stays bounded however large
    the tree; below the bound, every file is parsed first, so full-text search is ready
    early).
    """

    def __init__(self, max_chars: int = MAX_CHARS, cost: Callable[[str], int] = len) -> None:
        """`cost(text)` is what embedding a text costs, in characters."""
        self.max_chars = max_chars
        self.cost = cost
        self.chars = 0
        self.peak_chars = 0
        self.left: Counter[str] = Counter()  # cost of the texts each task waits on
        self._queues: dict[int, dict[str, Text]] = {p: {} for p in PRIORITIES}
        self._texts: dict[str, Text] = {}
        self.waiting: dict[int, Waiting] = {}
        self.tasks: Counter[str] = Counter()
        self.paused: set[str] = set()

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, content_hash: object) -> bool:
        return content_hash in self._texts

    @property
    def full(self) -> bool:
        """True when it holds `max_chars` of text or more: embed before adding more."""
        return self.chars >= self.max_chars

    def wait(
        self,
        item: Item,
        outcome: ItemOutcome,
        texts: dict[str, str],
        missing: set[str],
        skip: set[str],
    ) -> None:
        """Register an item waiting for `missing` texts (those in `skip` are being written)."""
        self.waiting[item.id] = Waiting(item, outcome, set(missing))
        self.tasks[item.task_id] += 1
        priority = int(item.priority)
        for h in missing - skip:
            entry = self._texts.get(h)
            if entry is None:
                entry = Text(texts[h], priority, self.cost(texts[h]))
                self._texts[h] = entry
                self._queues[priority][h] = entry
                self.chars += len(entry.text)
                self.peak_chars = max(self.peak_chars, self.chars)
            elif priority < entry.priority:
                del self._queues[entry.priority][h]
                entry.priority = priority
                self._queues[priority][h] = entry
            entry.items.add(item.id)
            if not entry.tasks[item.task_id]:
                self.left[item.task_id] += entry.cost
            entry.tasks[item.task_id] += 1

    def raise_paths(self, paths: set[str], priority: int) -> int:
        """Serve the texts of waiting items of these files at `priority` (or better).

        An editor opened a file whose item the worker already claimed: its texts move up.
        Returns how many items were raised.
        """
        raised = 0
        for waiting in self.waiting.values():
            item = waiting.item
            if item.path not in paths or item.priority <= priority:
                continue
            waiting.item = replace(item, priority=Priority(priority))
            raised += 1
            for h in waiting.missing:
                entry = self._texts.get(h)
                if entry is not None and priority < entry.priority:
                    del self._queues[entry.priority][h]
                    entry.priority = priority
                    self._queues[priority][h] = entry
        return raised

    def _runnable(self, entry: Text) -> bool:
        if not self.paused:
            return True
        return any(
            self.waiting[i].item.task_id not in self.paused
            for i in entry.items
            if i in self.waiting
        )

    def best_priority(self) -> int | None:
        """The best priority of a text that may be embedded now (paused tasks' texts wait)."""
        for priority in PRIORITIES:
            if any(self._runnable(e) for e in self._queues[priority].values()):
                return priority
        return None

    def window(self, size: int) -> list[tuple[str, Text]]:
        """Up to `size` runnable texts of the best priority, oldest first."""
        priority = self.best_priority()
        if priority is None:
            return []
        found: list[tuple[str, Text]] = []
        for h, entry in self._queues[priority].items():
            if self._runnable(entry):
                found.append((h, entry))
                if len(found) == size:
                    break
        return found

    def embedded(self, content_hash: str) -> Text:
        """Take a text out of the backlog once its vector exists; credit its items."""
        entry = self._texts.pop(content_hash)
        del self._queues[entry.priority][content_hash]
        self.chars -= len(entry.text)
        for task_id in entry.tasks:
            self._spent(task_id, entry.cost)
        credited = min((i for i in entry.items if i in self.waiting), default=None)
        if credited is not None:
            self.waiting[credited].outcome.embeddings += 1
        return entry

    def written(self, hashes: set[str]) -> list[Waiting]:
        """Vectors of `hashes` are committed: return (and forget) the items now complete."""
        done = []
        for item_id, waiting in list(self.waiting.items()):
            waiting.missing -= hashes
            if not waiting.missing:
                done.append(waiting)
                self._forget(item_id)
        return done

    def drop(self, item_id: int) -> Waiting | None:
        """Forget an item (cancelled or failed) and the texts only it needed."""
        waiting = self.waiting.get(item_id)
        if waiting is None:
            return None
        for h in waiting.missing:
            entry = self._texts.get(h)
            if entry is None or item_id not in entry.items:
                continue
            entry.items.discard(item_id)
            entry.tasks[waiting.item.task_id] -= 1
            if entry.tasks[waiting.item.task_id] <= 0:
                del entry.tasks[waiting.item.task_id]
                self._spent(waiting.item.task_id, entry.cost)
            if not entry.items:
                del self._texts[h]
                del self._queues[entry.priority][h]
                self.chars -= len(entry.text)
        self._forget(item_id)
        return waiting

    def _spent(self, task_id: str, cost: int) -> None:
        self.left[task_id] -= cost
        if self.left[task_id] <= 0:
            del self.left[task_id]

    def _forget(self, item_id: int) -> None:
        waiting = self.waiting.pop(item_id)
        self.tasks[waiting.item.task_id] -= 1
        if self.tasks[waiting.item.task_id] <= 0:
            del self.tasks[waiting.item.task_id]


def around_oldest(window: list[tuple[str, Text]], size: int) -> list[tuple[str, Text]]:
    """Up to `size` texts of similar length from a window (oldest first, tokens counted).

    The window is sorted by tokens and the batch is cut around its oldest text, so the
    oldest text is always served and a batch pads little.
    """
    if not window:
        return []
    oldest = window[0][0]
    window = sorted(window, key=lambda ht: ht[1].tokens)
    at = next(i for i, (h, _) in enumerate(window) if h == oldest)
    start = max(0, min(at - size // 2, len(window) - size))
    return window[start : start + size]
