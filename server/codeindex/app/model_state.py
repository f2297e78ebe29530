"""Texts that wait for vectors of the configured model while no task will embed them.

That happens when the model arrives after the first index (a model path set, then
`codeindex model check`, which loads and records it but embeds nothing), or when a switch to
a new model was cancelled or failed before its table was full: queries then keep using the
old model. `index` queues the task that embeds them; status and validate say so and name
the command that does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeindex.embedding.registry import ModelRegistry
from codeindex.storage import Storage
from codeindex.tasks import Queue

FIX = "`codeindex index` (or `codeindex reindex --scope embeddings-only`) embeds them"


@dataclass(frozen=True, slots=True)
class Stalled:
    """The configured model, the texts without its vector, the model queries use meanwhile."""

    model: str
    pending: int
    active: str | None  # another model than `model` (a switch that stopped), or None

    def describe(self) -> str:
        """What is wrong and the command that fixes it."""
        if self.active is not None:
            return (
                f"the switch to model {self.model} is not under way (cancelled, failed, or "
                f"the model was only checked): {self.pending} chunk text(s) have no vector "
                f"of it and queries still use {self.active}; {FIX}"
            )
        return (
            f"{self.pending} chunk text(s) have no vector of model {self.model} and no task "
            f"will embed them; {FIX}"
        )


async def stalled_model(storage: Storage, queue: Queue, models: ModelRegistry) -> Stalled | None:
    """The configured model (once loaded) when texts wait for its vectors and no task is queued."""
    model_id = await models.configured_id()
    if model_id is None or await models.remembered_failure() is not None:
        return None
    if await queue.count_unfinished():
        return None
    _, pending = await storage.pending_counts(model_id)
    row = await models.get(model_id)
    if not pending or row is None:
        return None
    active = await models.active()
    other = active.name if active is not None and active.id != model_id else None
    return Stalled(row.name, pending, other)
