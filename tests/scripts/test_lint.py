"""The Python code stays ruff-clean, ruff-formatted and type-checked (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vmon.paths import REPO_ROOT


@pytest.mark.parametrize(
    "cmd",
    [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(cmd: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *cmd], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
