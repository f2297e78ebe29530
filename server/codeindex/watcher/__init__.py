"""The index stays fresh on its own: a file watcher and reconciling passes beside the worker.

`run.Watcher` runs while a worker holds the lease (one per workspace); `changes` turns paths
that changed into incremental tasks, for the watcher and for hints from editors
(`workspace/didChangeWatchedFiles`); `record` keeps what `status` shows about it.
"""

from watchfiles import Change

from codeindex.watcher.changes import (
    Changes,
    hinted_changes,
    queue_changes,
    sort_and_queue,
    sort_changes,
)
from codeindex.watcher.record import WatcherStatus, watcher_status
from codeindex.watcher.run import Watcher

__all__ = [
    "Change",
    "Changes",
    "Watcher",
    "WatcherStatus",
    "hinted_changes",
    "queue_changes",
    "sort_and_queue",
    "sort_changes",
    "watcher_status",
]
