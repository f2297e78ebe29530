"""Names vulture cannot see used (`tests/test_gates.py` runs it over the package).

The benchmark's result fields reach its JSON report through `dataclasses.asdict`; the rest
are a context manager's protocol arguments, a row field read with the row, a function
name set for introspection, and a type used only in a string annotation.
"""
# ruff: noqa: B018, F821

DataclassInstance
KEYS
_.__qualname__
_.bench_peak_rss_bytes
api_one_file_first_seconds
api_one_file_pickup_seconds
api_one_file_task_seconds
batch_size
bench_peak_rss_bytes
children_maxrss_bytes
cli_no_change_items
cli_one_file_embeddings
default_peak_rss_bytes
default_seconds
during_overlap_seconds
during_requests
edited_path
error_examples
exc_type
files_failed
idle_requests
indexed_at
int8_model
int8_over_fp32_pipeline
low_task_progress_at_request
low_task_running_after
max_ms
median_chars
median_file_chars
median_ratio_got_symbol
missed
no_symbol
p95_ratio
p95_ratio_floored
pipeline_over_default
pipeline_peak_rss_bytes
pipeline_seconds
progress_reported_then
queries_per_mode
query_ms
ratio_floor_ms
tb
worker_cores_used
worker_cpu_seconds
report_server_error  # pygls calls it (lsp.server)
