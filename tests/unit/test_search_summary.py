"""The text summary of search_code's answer (pure): one short line per hit."""

from __future__ import annotations

from codeindex.contract import SearchHit, SearchResponse
from codeindex.mcp_server import summaries


def _hit(line: int, snippet: str, signature: str | None, symbol: str | None) -> SearchHit:
    return {
        "path": "cobra-go/args.go",
        "start_line": 73,
        "end_line": 101,
        "line": line,
        "snippet": snippet,
        "symbol": symbol,
        "symbol_kind": "function" if symbol else None,
        "signature": signature,
        "context": None,
        "context_start_line": None,
        "language": "go",
        "file_kind": "source",
        "score": 0.5,
        "freshness": "fresh",
        "chunk_id": 1,
    }


def test_hits_of_one_file_name_it_once_and_a_signature_is_not_repeated() -> None:
    hits = [
        _hit(
            93,
            "func ExactArgs(n int) PositionalArgs {",
            "func ExactArgs(n int) PositionalArgs {",
            "ExactArgs",
        ),
        _hit(
            92,
            "// ExactArgs returns an error",
            "func ExactArgs(n int) PositionalArgs {",
            "ExactArgs",
        ),
    ]
    hits.append({**hits[0], "path": "cobra-go/command.go", "line": 5})
    result: SearchResponse = {
        "query": "exact args",
        "mode": "hybrid",
        "output": "hits",
        "model": "m",
        "note": None,
        "elapsed_ms": 1.0,
        "hits": hits,
        "files": [],
        "truncated": False,
    }
    assert summaries.search(result).split("\n") == [
        "3 hit(s), hybrid search",
        "cobra-go/args.go:93  func ExactArgs(n int) PositionalArgs {",
        "  :92  func ExactArgs(n int) PositionalArgs {  |  // ExactArgs returns an error",
        "cobra-go/command.go:5  func ExactArgs(n int) PositionalArgs {",
    ]
