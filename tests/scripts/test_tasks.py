"""The invoke entry points as a user runs them: listed, one-line errors, honest stubs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vmon.paths import REPO_ROOT

TASKS = (
    "demo",
    "retrain",
    "embed",
    "memmap",
    "test",
    "bench",
    "build",
    "flash",
    "dataset-import",
    "evaluate",
)


def invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def no_workspace_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ZEPHYR_BASE", None)
    env["HOME"] = str(tmp_path)  # no ~/zephyrproject there
    return env


def test_list_shows_every_task_with_help() -> None:
    result = invoke("--list")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    for name in TASKS:
        assert name in lines, f"task {name} missing from invoke --list"
        assert len(lines[name].split()) > 1, f"task {name} has no one-line help"


def test_unknown_benchmark_is_one_line() -> None:
    result = invoke("bench", "--suite", "speed")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "error: unknown benchmark(s) speed; choose from ml, memmap, fw, app, replay, detect"
    )


def test_build_without_workspace_is_one_line(tmp_path: Path) -> None:
    result = invoke("build", env=no_workspace_env(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: no Zephyr workspace (ZEPHYR_BASE or ~/zephyrproject): set up the workspace as in "
        "docs/workspace.md or export ZEPHYR_BASE"
    ]


def test_bad_zephyr_base_is_one_line(tmp_path: Path) -> None:
    env = no_workspace_env(tmp_path)
    env["ZEPHYR_BASE"] = str(tmp_path / "nowhere")
    result = invoke("build", env=env)
    assert result.returncode != 0
    assert "is not a Zephyr tree" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_dataset_folder_is_one_line(tmp_path: Path) -> None:
    result = invoke("dataset-info", "--data", str(tmp_path / "missing"))
    assert result.returncode != 0
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_firmware_tests_skip_loudly_without_workspace(tmp_path: Path) -> None:
    result = invoke("test", "--firmware", env=no_workspace_env(tmp_path))
    assert "firmware tests skipped: no Zephyr workspace (ZEPHYR_BASE or ~/zephyrproject)" in (
        result.stdout
    )
