"""How fast this machine does each kind of reindex work, and what the work left costs.

Work is counted in what is known before it runs: the bytes of each file to read, parse and
store (by language: parsing speed differs, plus ITEM_BYTES per file for what every file
costs), the characters still to embed (none for a text whose vector the local or shared
store holds; for a file not parsed yet, its bytes times what a byte of its language gave to
embed so far), and a model to load. Speeds turn it into seconds. The worker measures them
as it works, each following the last ADAPT_SECONDS of work (so a machine that gets busy is
seen within seconds), and persists them (`storage.meta.ESTIMATES`: per workspace, and per
model for embedding), so the next task, and the next worker, start calibrated. Pure.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from codeindex.storage.meta import Estimates

ITEM_BYTES = 2048.0  # what one file costs beyond its bytes (stat, read, rows), in bytes
ADAPT_SECONDS = 10.0  # a speed follows about the last 10 s of work measured
PRIOR_SECONDS = 1.0  # a persisted speed weighs like this much measurement
ADAPT_BYTES = 4_000_000.0  # a language's characters per byte follow its last ~4 MB read
PRIOR_BYTES = 100_000.0
UNMEASURED = 1e-3  # the weight of a default: the first measurement replaces it
DEFAULT_INDEX_BYTES_PER_S = 1_500_000.0
DEFAULT_EMBED_CHARS_PER_S = 15_000.0
DEFAULT_CHARS_PER_BYTE = 1.0
DEFAULT_LOAD_SECONDS = 2.0
ALL = "*"  # the rate of every class together: what an unmeasured class starts from

DELETE = "delete"  # cost classes of items that parse nothing
EMBED_READ = "embed"
PLAIN = "text"  # a file without a grammar


def model_key(settings_key: str) -> str:
    """A short, stable key of a model's settings (`ModelRegistry.settings_key`)."""
    return hashlib.sha256(settings_key.encode("utf-8")).hexdigest()[:12]


CHARS_PER_TOKEN = 4  # what a model reads of a text is counted in characters, ~4 a token


def text_chars(max_tokens: int) -> int:
    """The characters of a text that cost model time: inputs are cut at `max_tokens`."""
    return max_tokens * CHARS_PER_TOKEN


def cost_class(action: str, language: str | None) -> str:
    """What an item's index-side speed is measured as: its language, or what it does."""
    if action == "delete":
        return DELETE
    if action == "embed":
        return EMBED_READ
    return language or PLAIN


@dataclass(slots=True)
class Rate:
    """A ratio measured over and over (units per second, characters per byte), following
    the latest measurements: sums of amounts and bases that fade as `horizon` more base is
    measured."""

    amount: float
    base: float
    horizon: float = ADAPT_SECONDS

    @classmethod
    def prior(cls, value: float, weight: float, horizon: float = ADAPT_SECONDS) -> Rate:
        """A rate known beforehand, weighing like `weight` of base measured."""
        return cls(value * weight, weight, horizon)

    @property
    def value(self) -> float:
        """The rate now."""
        return self.amount / self.base

    def observe(self, amount: float, base: float) -> None:
        """`amount` measured over `base` (seconds, bytes)."""
        if base <= 0:
            return
        fade = math.exp(-base / self.horizon)
        self.amount = self.amount * fade + amount
        self.base = self.base * fade + base


@dataclass(slots=True)
class Work:
    """Work left, in the units speeds are measured in."""

    index: dict[str, float] = field(default_factory=dict)  # bytes (+ ITEM_BYTES a file) by class
    embed_chars: float = 0.0  # characters to embed, known
    unknown_bytes: dict[str, float] = field(default_factory=dict)  # by language: to embed once read

    def add_items(self, cls: str, items: int, size: float) -> None:
        """Items of a cost class with `size` bytes between them, to read, parse and store."""
        self.index[cls] = self.index.get(cls, 0.0) + size + items * ITEM_BYTES

    def add_unknown(self, language: str | None, size: float) -> None:
        """Bytes of files whose text to embed is known only once they are parsed."""
        key = language or PLAIN
        self.unknown_bytes[key] = self.unknown_bytes.get(key, 0.0) + size

    @property
    def embeds(self) -> bool:
        """True when some of it is embedding."""
        return self.embed_chars > 0 or any(self.unknown_bytes.values())

    @property
    def needs_model(self) -> bool:
        """True when the worker loads the model for it: to embed, or only to look up which
        of its texts have vectors (a file reindexed, an embeddings-only item)."""
        return self.embeds or any(units and cls != DELETE for cls, units in self.index.items())


@dataclass(slots=True)
class Speeds:
    """The speeds of one workspace's work on this machine, and of its models."""

    index: dict[str, Rate] = field(default_factory=dict)
    embed: dict[str, Rate] = field(default_factory=dict)
    ratio: dict[str, Rate] = field(default_factory=dict)
    load: dict[str, float] = field(default_factory=dict)
    model_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, record: Estimates | None) -> Speeds:
        """The speeds a persisted record holds (defaults where it holds none)."""
        if record is None:
            return cls()
        return cls(
            {k: Rate.prior(v, PRIOR_SECONDS) for k, v in record.index.items() if v > 0},
            {k: Rate.prior(v, PRIOR_SECONDS) for k, v in record.embed.items() if v > 0},
            {
                k: Rate.prior(v, PRIOR_BYTES, ADAPT_BYTES)
                for k, v in record.chars_per_byte.items()
                if v >= 0
            },
            dict(record.load),
            dict(record.model_ids),
        )

    def record(self) -> Estimates:
        """What to persist."""
        return Estimates(
            index={k: round(r.value, 1) for k, r in self.index.items()},
            embed={k: round(r.value, 1) for k, r in self.embed.items()},
            chars_per_byte={k: round(r.value, 4) for k, r in self.ratio.items()},
            load={k: round(v, 3) for k, v in self.load.items()},
            model_ids=dict(self.model_ids),
        )

    # ---- estimating -------------------------------------------------------------------

    def index_rate(self, cls: str) -> Rate:
        """Bytes a second of one cost class (every class's rate until it is measured)."""
        found = self.index.get(cls) or self.index.get(ALL)
        if found is None:
            return Rate.prior(DEFAULT_INDEX_BYTES_PER_S, UNMEASURED)
        return found

    def embed_rate(self, model: str) -> Rate:
        """Characters a second a model embeds."""
        return self.embed.get(model) or Rate.prior(DEFAULT_EMBED_CHARS_PER_S, UNMEASURED)

    def chars_per_byte(self, language: str) -> float:
        """Characters to embed a byte of a new file of this language gives."""
        found = self.ratio.get(language) or self.ratio.get(ALL)
        return DEFAULT_CHARS_PER_BYTE if found is None else found.value

    def embed_chars(self, work: Work) -> float:
        """Characters `work` leaves to embed: those known, and those its bytes are
        expected to give."""
        guessed = sum(b * self.chars_per_byte(lang) for lang, b in work.unknown_bytes.items())
        return work.embed_chars + guessed

    def seconds(self, work: Work, model: str | None) -> float:
        """Seconds `work` takes (no embedding without a `model`)."""
        index = sum(units / self.index_rate(cls).value for cls, units in work.index.items())
        if model is None:
            return index
        return index + self.embed_chars(work) / self.embed_rate(model).value

    def load_seconds(self, model: str) -> float:
        """Seconds a worker takes to load a model."""
        return self.load.get(model, DEFAULT_LOAD_SECONDS)

    # ---- measuring --------------------------------------------------------------------

    def indexed(self, parts: dict[str, float], seconds: float) -> None:
        """Items were read, parsed and stored in `seconds`: `parts` are their units by cost
        class. The time is shared out as the current speeds predict it."""
        predicted = {cls: units / self.index_rate(cls).value for cls, units in parts.items()}
        total = sum(predicted.values())
        if total <= 0 or seconds <= 0:
            return
        for cls, units in parts.items():
            rate = self.index.get(cls)
            if rate is None:
                rate = self.index[cls] = Rate.prior(self.index_rate(cls).value, UNMEASURED)
            rate.observe(units, seconds * predicted[cls] / total)
        every = self.index.setdefault(ALL, Rate.prior(DEFAULT_INDEX_BYTES_PER_S, UNMEASURED))
        every.observe(sum(parts.values()), seconds)

    def embedded(self, model: str, chars: float, seconds: float) -> None:
        """`chars` characters were embedded (and written) in `seconds`."""
        rate = self.embed.get(model)
        if rate is None:
            rate = self.embed[model] = Rate.prior(DEFAULT_EMBED_CHARS_PER_S, UNMEASURED)
        rate.observe(chars, seconds)

    def parsed(self, language: str | None, chars: float, size: float) -> None:
        """A new file of `size` bytes gave `chars` characters to embed."""
        for key in (language or PLAIN, ALL):
            rate = self.ratio.get(key)
            if rate is None:
                rate = self.ratio[key] = Rate.prior(
                    self.chars_per_byte(key), UNMEASURED, ADAPT_BYTES
                )
            rate.observe(chars, size)

    def loaded(self, model: str, model_id: int, seconds: float) -> None:
        """A worker loaded a model (its id in `models`) in `seconds`."""
        self.load[model] = seconds
        self.model_ids[model] = model_id

    def measured(self, model: str) -> float:
        """Seconds of embedding measured for a model (a persisted speed counts
        PRIOR_SECONDS)."""
        rate = self.embed.get(model)
        return 0.0 if rate is None else rate.base
