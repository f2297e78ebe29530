"""What the worker process runs: the loop, embedding, backlog, pipeline."""
