"""Day-one faults with models, through the real CLI: a model configured after the first
index (and checked with `codeindex model check` before indexing again), and a switch to
another model that is not under way: status and validate say so and `index` finishes it."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import background_workers, cli_env, run_cli, run_json

pytestmark = pytest.mark.slow


def _wait_embedded(root: Path, env: dict[str, str]) -> dict[str, Any]:
    """The status once no chunk waits for a vector and no worker runs (fails after 120 s)."""
    deadline = time.monotonic() + 120
    while True:
        status: dict[str, Any] = run_json(root, "status", env=env)
        if status["embeddings"]["chunks_pending"] == 0 and not background_workers(root):
            return status
        assert time.monotonic() < deadline, status["embeddings"]
        time.sleep(0.2)


def test_a_model_set_and_checked_after_the_first_index_is_used_by_the_next_index(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    offline = cli_env(CODEINDEX_ALLOW_DOWNLOAD="0")
    first = run_cli(root, "index", env=offline)
    assert first.returncode == 0, first.stderr
    # the end of the index says why nothing was embedded, and what to set
    assert "have no embedding" in first.stderr and "CODEINDEX_EMBED_MODEL_PATH" in first.stderr
    env = {**offline, "CODEINDEX_EMBED_MODEL_PATH": str(tiny_model_path)}
    assert run_cli(root, "model", "check", env=env).returncode == 0

    status = run_json(root, "status", env=env)
    assert status["embeddings"]["chunks_pending"] == 1
    assert "codeindex index" in status["embeddings"]["pending_reason"]

    resp = run_json(root, "index", env=env)
    assert "embeddings-only task is queued" in resp["message"], resp
    assert any(t["scope"] == "EmbeddingsOnly" for t in run_json(root, "tasks", env=env))
    assert _wait_embedded(root, env)["embeddings"]["chunks_embedded"] == 1


def test_a_switch_not_under_way_is_shown_with_the_command_that_finishes_it(
    cobra_template: Path, tmp_path: Path, tiny_model_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(cobra_template, root, symlinks=True)
    env = cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_EMBED_QUANTIZE="fp32",  # another model than the template's int8 variant
    )
    assert run_cli(root, "model", "check", env=env).returncode == 0  # loaded, nothing embedded

    before = run_json(root, "status", env=env)["embeddings"]
    assert before["chunks_pending"] == 0  # the active model has every vector
    assert before["active_model"]["name"].endswith("-int8")
    assert "switch to model" in before["not_embedding"]
    assert "codeindex index" in before["not_embedding"]
    report = run_json(root, "validate", env=env)
    switch = [p for p in report["problems"] if p["kind"] == "model_switch"]
    assert switch and switch[0]["fix"] == {"scope": "embeddings-only"}, report
    assert not report["ok"]

    assert run_cli(root, "index", env=env).returncode == 0
    after = _wait_embedded(root, env)["embeddings"]
    assert not after["active_model"]["name"].endswith("-int8")
    assert after["not_embedding"] is None
    assert run_json(root, "validate", env=env)["ok"]


def test_a_home_that_cannot_be_written_does_not_stop_a_local_model(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    """With no usable HOME (read-only, missing), a model folder still embeds: the caches go
    to a temp folder of this user's, and worker.log says why."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    model = shutil.copytree(tiny_model_path, tmp_path / "model")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(model), CODEINDEX_ALLOW_DOWNLOAD="0")
    for key in ("CODEINDEX_CACHE_DIR", "XDG_CACHE_HOME", "FASTEMBED_CACHE_PATH"):
        env.pop(key, None)
    env["HOME"] = "/dev/null/home"  # under a file: nothing can be created there
    proc = run_cli(root, "index", env=env)
    assert proc.returncode == 0, proc.stderr
    assert _wait_embedded(root, env)["embeddings"]["chunks_embedded"] == 1
    log = (root / ".codeindex" / "worker.log").read_text(encoding="utf-8")
    assert "is not usable" in log and "CODEINDEX_CACHE_DIR" in log


def test_status_says_why_fp32_runs_when_no_int8_copy_can_be_made(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    """A read-only model folder and a cache that cannot be written: the worker embeds with
    fp32 and status (JSON and text) says why, not only worker.log."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    model = shutil.copytree(tiny_model_path, tmp_path / "shared-model")
    for path in (*model.iterdir(), model):
        path.chmod(0o555 if path.is_dir() else 0o444)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    env = cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(model),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_EMBED_QUANTIZE="auto",
        CODEINDEX_CACHE_DIR=str(blocked),
    )
    assert run_cli(root, "index", env=env).returncode == 0
    status = _wait_embedded(root, env)
    assert status["embeddings"]["active_model"]["name"] == "shared-model"  # fp32, not -int8
    note = status["embeddings"]["source"]["note"]
    assert note.startswith("int8 copy could not be made (") and str(blocked) in note, note
    assert note.endswith("): using fp32 (slower)"), note
    shown = " ".join(run_cli(root, "status", env=env).stdout.split())  # across rich's wrap
    assert "model note int8 copy could not be made" in shown, shown


def test_offline_a_named_model_fails_at_once_and_the_index_says_why(tmp_path: Path) -> None:
    """No model path, downloads allowed, the hub unreachable: one short request, not 40 s of
    download retries; the index ends saying why nothing was embedded, and it is remembered."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        env = cli_env(
            CODEINDEX_ALLOW_DOWNLOAD="1",
            CODEINDEX_EMBED_MODEL_PATH="",
            CODEINDEX_CACHE_DIR=str(tmp_path / "cache"),  # no model cached there
            HF_ENDPOINT=f"http://127.0.0.1:{closed.getsockname()[1]}",
        )
        for key in ("FASTEMBED_CACHE_PATH", "HF_HUB_OFFLINE", "XDG_CACHE_HOME"):
            env.pop(key, None)
        started = time.monotonic()
        proc = run_cli(root, "index", env=env, timeout=120)
        took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stderr.split())  # across rich's wrap
    assert "have no embedding" in said and "does not answer" in said, said
    assert took < 30, took  # fastembed's retries alone took 39 s
    log = (root / ".codeindex" / "worker.log").read_text(encoding="utf-8")
    assert "sleeping" not in log, log[-2000:]
    reason = run_json(root, "status", env=env)["embeddings"]["pending_reason"]
    assert "does not answer" in reason and "CODEINDEX_EMBED_MODEL_PATH" in reason, reason
