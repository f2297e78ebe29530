"""Moving or renaming a file keeps its vectors (their key leaves the path out); a new doc
comment embeds its chunks again. Indexed through the CLI, in this process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.helpers import cli_env
from tests.in_process import index_in_process, run_main

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus


def test_a_moved_or_renamed_file_keeps_its_vectors_and_a_new_doc_embeds_again(
    polyglot_src: Path, tmp_path: Path, tiny_model_path: Path
) -> None:
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    shutil.copyfile(polyglot_src / "cobra-go/args.go", root / "a/args.go")
    shutil.copyfile(polyglot_src / "cobra-go/command.go", root / "a/command.go")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    index_in_process(root, env=env)
    (root / "b").mkdir()
    (root / "a/args.go").rename(root / "b/args.go")
    moved = run_main(root, "index", str(root), "--json", env=env)
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["result"]["summary"]["embeddings_generated"] == 0
    (root / "b/args.go").rename(root / "b/arguments.go")
    renamed = run_main(root, "index", str(root), "--json", env=env)
    assert json.loads(renamed.stdout)["result"]["summary"]["embeddings_generated"] == 0
    text = (root / "b/arguments.go").read_text(encoding="utf-8")
    documented = text.replace("\nfunc ", "\n// Checks the arguments of a command.\nfunc ", 1)
    (root / "b/arguments.go").write_text(documented, encoding="utf-8")
    edited = run_main(root, "index", str(root), "--json", env=env)
    assert json.loads(edited.stdout)["result"]["summary"]["embeddings_generated"] > 0
