"""A vector store on S3 shared by a team: a real S3 API server (moto) on 127.0.0.1.

Two "machines" are two copies of a workspace with two data dirs and one `vectors.uri`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from tests.helpers import (
    cli_env,
    copy_tree,
    index_with_cli,
    open_in_process,
    run_cli,
    run_json,
    vectors_of,
    worker_of,
)

from codeindex.app.service import CodeIndexService
from codeindex.vectors.location import StoreLocation, explain
from codeindex.vectors.store import VectorStore

pytestmark = pytest.mark.slow  # starts codeindex processes or indexes a corpus

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "team-key", "AWS_SECRET_ACCESS_KEY": "team-secret"}
QUERY = "add a persistent flag to a command"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`moto_server` for the session; ready when it accepts a connection."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, "moto_server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto_server did not start listening"
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A fresh bucket: every test its own team."""
    name = f"team-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    return name


def _env(tiny_model_path: Path, endpoint: str, uri: str) -> dict[str, str]:
    return cli_env(
        CODEINDEX_EMBED_MODEL_PATH=str(tiny_model_path),
        CODEINDEX_ALLOW_DOWNLOAD="0",
        CODEINDEX_VECTORS_URI=uri,
        CODEINDEX_S3_ENDPOINT=endpoint,
        CODEINDEX_S3_REGION="us-east-1",
        CODEINDEX_S3_ALLOW_HTTP="1",
        **CREDENTIALS,
    )


def _machine(polyglot_src: Path, tmp_path: Path, name: str) -> Path:
    return copy_tree(polyglot_src, tmp_path / name / "ws", ["cobra-go"])


async def _store_and_records(
    root: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[set[str], int, set[str]]:
    """(hashes in the shared table, its row count, hashes this machine's SQLite records)."""
    for key, value in env.items():
        if key.startswith(("CODEINDEX_", "AWS_")):
            monkeypatch.setenv(key, value)
    service = await CodeIndexService.open(root, worker="none", create=False)
    try:
        active = await service.models.active()
        assert active is not None
        table = vectors_of(service).open_table(active.table_name)
        assert table is not None and table.shared
        recorded = set(await service.storage.embedded_hashes(active.id))
        return table.hashes(), table.count(), recorded
    finally:
        await service.close()


def test_second_machine_embeds_nothing_and_searches_the_store(
    polyglot_src: Path, tiny_model_path: Path, s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    env = _env(tiny_model_path, s3_endpoint, f"s3://{bucket}/vectors")
    first, second = (_machine(polyglot_src, tmp_path, m) for m in ("first", "second"))

    index_with_cli(first, env=env)
    one = run_json(first, "status", env=env)["embeddings"]
    assert one["vectors_location"] == f"s3://{bucket}/vectors"
    assert one["chunks_pending"] == 0
    run_one = one["shared_store"]["last_run"]
    assert run_one["texts_found"] == 0 and run_one["texts_embedded"] == run_one["texts_looked_up"]

    index_with_cli(second, env=env)
    two = run_json(second, "status", env=env)["embeddings"]
    assert two["chunks_pending"] == 0 and two["chunks_embedded"] == one["chunks_embedded"]
    run_two = two["shared_store"]["last_run"]
    assert run_two["texts_embedded"] == 0
    assert run_two["texts_found"] == run_two["texts_looked_up"] == run_one["texts_looked_up"]
    shown = run_cli(second, "status", env=env).stdout
    assert f"{run_two['texts_found']:,} of {run_two['texts_looked_up']:,} texts" in shown
    assert "team-secret" not in shown and "team-key" not in shown
    assert not (second / ".codeindex" / "vectors").exists()  # nothing local: all in the store

    hits_two = run_json(second, "search", QUERY, "--mode", "semantic", "--limit", "5", env=env)
    hits_one = run_json(first, "search", QUERY, "--mode", "semantic", "--limit", "5", env=env)
    assert hits_two["hits"], hits_two
    assert [(h["path"], h["start_line"]) for h in hits_two["hits"]] == [
        (h["path"], h["start_line"]) for h in hits_one["hits"]
    ]
    report = run_json(second, "validate", env=env)
    assert not [p for p in report["problems"] if p["kind"].startswith("vector")], report


async def test_two_machines_appending_at_once_lose_no_rows(
    polyglot_src: Path,
    tiny_model_path: Path,
    s3_endpoint: str,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _env(tiny_model_path, s3_endpoint, f"s3://{bucket}/vectors")
    env["CODEINDEX_EMBED_BATCH_SIZE"] = "4"  # many small commits: more chances to collide
    roots = [_machine(polyglot_src, tmp_path, m) for m in ("first", "second")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "codeindex", "--root", str(r), "index", str(r)],
            cwd=r,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in roots
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    for root in roots:
        assert run_json(root, "status", env=env)["embeddings"]["chunks_pending"] == 0

    hashes, rows, first_recorded = await _store_and_records(roots[0], env, monkeypatch)
    _, _, second_recorded = await _store_and_records(roots[1], env, monkeypatch)
    assert first_recorded and first_recorded == second_recorded
    assert hashes == first_recorded  # every text either machine wrote is there
    assert rows >= len(hashes)  # a text both embedded at the same moment may have two rows
    hits = run_json(roots[1], "search", QUERY, "--mode", "semantic", "--limit", "10", env=env)
    keys = [(h["path"], h["start_line"]) for h in hits["hits"]]
    assert keys and len(keys) == len(set(keys))  # duplicated rows never duplicate hits


APPENDER = """
import sys, time
from pathlib import Path
import numpy as np
from codeindex.vectors.location import StoreLocation
from codeindex.vectors.store import VectorStore
uri, endpoint, who, go = sys.argv[1:5]
options = {"aws_endpoint": endpoint, "aws_region": "us-east-1", "allow_http": "true"}
table = VectorStore(StoreLocation(uri, shared=True, storage_options=options)).table("t", 8)
while not Path(go).exists():
    time.sleep(0.01)
for commit in range(COMMITS):
    hashes = [f"{who}-{commit}-{row}" for row in range(ROWS)]
    table.add(hashes, np.random.default_rng(commit).random((ROWS, 8), dtype=np.float32))
"""


def test_commits_racing_on_one_table_lose_no_rows(
    s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    """Two processes commit to one shared table as fast as they can: every row is kept."""
    commits, rows = 15, 8
    uri = f"s3://{bucket}/race"
    go = tmp_path / "go"
    script = APPENDER.replace("COMMITS", str(commits)).replace("ROWS", str(rows))
    env = cli_env(**CREDENTIALS)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, uri, s3_endpoint, who, str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    options = {"aws_endpoint": s3_endpoint, "aws_region": "us-east-1", "allow_http": "true"}
    for key, value in CREDENTIALS.items():
        options[key.lower()] = value
    table = VectorStore(StoreLocation(uri, shared=True, storage_options=options)).table("t", 8)
    expected = {f"{who}-{c}-{r}" for who in "ab" for c in range(commits) for r in range(rows)}
    assert table.hashes() == expected
    assert table.count() == len(expected)


@pytest.mark.parametrize(
    ("uri", "endpoint", "says"),
    [
        pytest.param("ftp://team/vectors", None, "is not an s3:// URI", id="unknown-scheme"),
        pytest.param("s3://team/vectors", "dead", "cannot be reached", id="unreachable"),
        pytest.param("s3://no-such-bucket/v", None, "does not exist", id="missing-bucket"),
    ],
)
def test_bad_store_settings_say_what_to_set_and_full_text_works(
    polyglot_src: Path,
    tiny_model_path: Path,
    s3_endpoint: str,
    tmp_path: Path,
    uri: str,
    endpoint: str | None,
    says: str,
) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    env = _env(tiny_model_path, dead if endpoint == "dead" else s3_endpoint, uri)
    root = _machine(polyglot_src, tmp_path, "m")
    index_with_cli(root, env=env)

    status = run_json(root, "status", env=env)
    assert status["files"]["total"] > 0 and status["chunks"] > 0
    emb = status["embeddings"]
    assert emb["chunks_embedded"] == 0 and emb["chunks_pending"] > 0
    assert says in emb["pending_reason"] and "CODEINDEX_VECTORS_URI" in emb["pending_reason"]

    semantic = run_cli(root, "search", QUERY, "--mode", "semantic", env=env)
    assert semantic.returncode == 3 and says in semantic.stderr
    lexical = run_json(root, "search", "PersistentFlags", "--mode", "lexical", env=env)
    assert lexical["hits"]
    validate = run_cli(root, "validate", env=env)
    assert validate.returncode == 1 and says in validate.stdout
    assert not (root / ".codeindex" / "vectors").exists()  # nothing written in its place

    good = _env(tiny_model_path, s3_endpoint, "")
    shutil.rmtree(root / ".codeindex" / "vectors", ignore_errors=True)
    index_with_cli(root, env=good)  # back to a local store: embeddings fill in
    assert run_json(root, "status", env=good)["embeddings"]["chunks_pending"] == 0


def test_a_uri_that_is_not_s3_is_named_by_status_before_any_worker_tries_it(
    polyglot_src: Path, tiny_model_path: Path, s3_endpoint: str, tmp_path: Path
) -> None:
    root = _machine(polyglot_src, tmp_path, "m")
    index_with_cli(root, env=_env(tiny_model_path, s3_endpoint, ""))
    status = run_json(root, "status", env=_env(tiny_model_path, s3_endpoint, "gs://team/v"))
    reason = status["embeddings"]["pending_reason"]
    assert "is not an s3:// URI" in reason and "CODEINDEX_VECTORS_URI" in reason


async def test_a_shared_table_keeps_rows_no_chunk_references(
    polyglot_src: Path,
    tiny_model_path: Path,
    s3_endpoint: str,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another machine may still have the old text: garbage collection forgets it locally only."""
    env = _env(tiny_model_path, s3_endpoint, f"s3://{bucket}/vectors")
    for key, value in env.items():
        if key.startswith(("CODEINDEX_", "AWS_")):
            monkeypatch.setenv(key, value)
    root = _machine(polyglot_src, tmp_path, "m")
    service = await open_in_process(root)
    service.start_worker()
    try:
        await service.force_reindex("project", async_=False)
        status = await service.status()
        table = vectors_of(service).open_table(status["embeddings"]["active_model"]["table"])
        assert table is not None and table.shared
        before = table.hashes()
        target = root / "cobra-go/bash_completions.go"
        target.write_text(target.read_text("utf-8").replace("func ", "func R"), "utf-8")
        await service.force_reindex("file", ["cobra-go/bash_completions.go"], async_=False)
        assert worker_of(service) is not None
        assert await worker_of(service).embedding.maintain(min_unreferenced=0) == 0
        table.refresh()
        after = table.hashes()
        assert before < after  # the old texts stay, the new ones were added
        report = await service.validate()
        assert report["ok"], report["problems"]
    finally:
        await service.close()


@pytest.mark.parametrize(
    ("said", "means"),
    [
        pytest.param(
            "Generic S3 error: error sending request for url "
            "(http://127.0.0.1:40312/team?list-type=2): client error (Connect)",
            "cannot be reached",
            id="port-with-403",
        ),
        pytest.param("Generic S3 error: Received status 403 Forbidden", "refused", id="403"),
        pytest.param("<Code>NoSuchBucket</Code><BucketName>b</BucketName>", "b does not", id="404"),
    ],
)
def test_store_errors_are_explained_by_what_they_mean(said: str, means: str) -> None:
    assert means in explain(said)
