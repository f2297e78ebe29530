"""The index stays fresh on its own: a file watcher and reconciling passes beside the worker.

`run.Watcher` runs while a worker holds the lease (one per workspace, in the worker process);
`changes` turns paths that changed into incremental tasks, for the watcher and for hints from
editors (`workspace/didChangeWatchedFiles`), through a `ChangeSink` (the service); `record`
keeps what `status` shows about it. Front-ends import `changes` and `record`, never `run`.
"""
