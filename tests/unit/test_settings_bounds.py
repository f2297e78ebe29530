"""Settings a new user gets wrong: numbers out of what the code can use, a settings file that
is not UTF-8 or not TOML, an index path the vector store cannot open. Each is a settings
error (exit 2) that names the setting, the file and line, and what would fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.in_process import run_main

from codeindex.config import ConfigError, load_settings
from codeindex.config.table import cores
from codeindex.errors import EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("env", "value", "says"),
    [
        pytest.param("CODEINDEX_EMBED_THREADS", "100000", "give at most", id="threads-over-cores"),
        pytest.param(
            "CODEINDEX_MAX_FILE_SIZE", str(10**20), "give at most 1073741824", id="file-size-1e20"
        ),
        pytest.param("CODEINDEX_MAX_CHUNK_CHARS", str(10**14), "give at most", id="chunk-1e14"),
        pytest.param("CODEINDEX_MAX_CHUNK_CHARS", "1", "give at least 100", id="chunk-1"),
        pytest.param("CODEINDEX_EMBED_TIMEOUT", "nan", "not a finite number", id="timeout-nan"),
        pytest.param("CODEINDEX_WORKER_LINGER", "inf", "not a finite number", id="linger-inf"),
        pytest.param("CODEINDEX_EMBED_BATCH_SIZE", "1000000", "give at most 1024", id="batch"),
        pytest.param("CODEINDEX_LEASE_SECONDS", "0.01", "give at least 1", id="lease"),
        pytest.param("CODEINDEX_WATCH_DEBOUNCE_MS", str(10**9), "give at most", id="debounce"),
    ],
)
def test_numbers_out_of_bounds_are_refused_with_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, value: str, says: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert env in str(caught.value) and says in str(caught.value), caught.value


def test_threads_up_to_the_cores_are_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEINDEX_EMBED_THREADS", str(int(cores())))
    assert load_settings(tmp_path).embed_threads == int(cores())


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param(
            b"[index]\nmax_file_size = 1048576\n# caf\xe9\n",
            "line 3: byte 0xe9 is not UTF-8",
            id="latin-1-byte",
        ),
        pytest.param(b"[index]\nmax_file_size = = 3\n", "at line 2", id="bad-toml"),
        pytest.param(b"[embedding]\n\nthreads = 100000\n", "line 3: setting", id="bad-value"),
        pytest.param(b"[index]\nmax_chunk_chars = 1\n", "line 2: setting", id="chunk-floor"),
        pytest.param(b"[index]\nsize = 3\n", "line 2: unknown setting", id="unknown-key"),
    ],
)
def test_every_settings_file_problem_is_a_settings_error_naming_file_and_line(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / ".codeindex.toml").write_bytes(content)
    proc = run_main(tmp_path, "status")
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert ".codeindex.toml" in proc.stderr and says in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr
    assert not (tmp_path / ".codeindex").exists()


@pytest.mark.parametrize("name", ["ws\nwith-newline", "ws\twith-tab", "ws\rcr"])
def test_an_index_path_the_vector_store_cannot_open_is_refused_up_front(
    tmp_path: Path, name: str
) -> None:
    root = tmp_path / name
    root.mkdir()
    (root / "a.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    proc = run_main(root, "index")
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert "CODEINDEX_DATA_DIR" in proc.stderr and "control character" in proc.stderr
    assert not (root / ".codeindex").exists()


def test_such_a_workspace_works_with_its_index_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws\nwith-newline"
    root.mkdir()
    monkeypatch.setenv("CODEINDEX_DATA_DIR", str(tmp_path / "data"))
    assert load_settings(root).data_dir == tmp_path / "data"
