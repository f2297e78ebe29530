"""The quality gates, run by the one test command: ruff's lint and format check over the
repository, mypy in strict mode (files and settings from pyproject.toml), and vulture for
dead code in the package (the contract's TypedDicts are left out: every field is on the
wire, checked against the schemas; `tests/vulture_whitelist.py` names what it cannot see)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["ruff", "check", "--no-cache", "."], id="ruff-check"),
        pytest.param(["ruff", "format", "--check", "--no-cache", "."], id="ruff-format"),
        pytest.param(["mypy"], id="mypy"),
        pytest.param(
            [
                "vulture",
                "server/codeindex",
                "scripts/generate_protocol.py",
                "tests/vulture_whitelist.py",
                "--min-confidence",
                "60",
                "--exclude",
                "server/codeindex/contract/",
                "--ignore-decorators",
                "@command",
            ],
            id="vulture",
        ),
    ],
)
def test_gate_passes(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
