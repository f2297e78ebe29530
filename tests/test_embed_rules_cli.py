"""Files left out of embedding, through the CLI (in this process): status says which and why,
they stay in full-text search and out of semantic search, and the rule can be turned off."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import cli_env
from tests.in_process import index_in_process, run_main, run_main_json
from tests.test_embed_rules import BIG_JSON, CODE, GENERATED, MINIFIED

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, tiny_model_path: Path) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("rules") / "ws"
    files = {
        "main.go": CODE,
        "go.sum": "golang.org/x/zebratext v0.3.0 h1:quokkahash=\n",
        "web/package-lock.json": '{"name": "webapp", "lockfileVersion": 3}\n',
        "static/bundle.js": MINIFIED,
        "pb/x.pb.go": GENERATED,
        "data/items.json": BIG_JSON,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    env = cli_env(CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path), CODEINDEX_ALLOW_DOWNLOAD="0")
    index_in_process(root, env=env)
    return root, env


def test_status_shows_what_was_left_out_and_why(mixed: tuple[Path, dict]) -> None:
    root, env = mixed
    status = run_main_json(root, "status", env=env)
    emb = status["embeddings"]
    assert emb["files_not_embedded"] == {
        "checksum list": 1,
        "data file over 64 KiB": 1,
        "generated": 1,
        "lockfile": 1,
        "minified": 1,
    }
    assert emb["chunks_pending"] == 0
    assert status["files"]["by_status"] == {"indexed": 6}
    text = run_main(root, "status", env=env).stdout
    assert "files not embedded" in text and "lockfile 1" in text


def test_left_out_files_stay_in_full_text_search_and_out_of_semantic(
    mixed: tuple[Path, dict],
) -> None:
    root, env = mixed
    found = run_main_json(root, "search", "quokkahash", "--mode", "lexical", env=env)
    assert [(h["path"], h["freshness"]) for h in found["hits"]] == [("go.sum", "fresh")]
    semantic = run_main_json(
        root, "search", "print hello", "--mode", "semantic", "--limit", "50", env=env
    )
    assert {h["path"] for h in semantic["hits"]} == {"main.go"}


def test_the_rule_can_be_turned_off(mixed: tuple[Path, dict], tmp_path: Path) -> None:
    root, env = mixed
    other = tmp_path / "ws"
    other.mkdir()
    for rel in ("main.go", "go.sum"):
        (other / rel).write_text((root / rel).read_text(encoding="utf-8"), encoding="utf-8")
    index_in_process(other, env={**env, "CODEINDEX_EMBED_SKIP_FILES": "0"})
    status = run_main_json(other, "status", env=env)
    assert status["embeddings"]["files_not_embedded"] == {}
    assert status["embeddings"]["chunks_embedded"] == status["embeddings"]["chunks_total"]
