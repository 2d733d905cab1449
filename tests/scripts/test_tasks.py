"""The invoke entry points as a user runs them: listed, one-line errors, honest stubs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vmon.paths import REPO_ROOT

TASKS = (
    "demo",
    "retrain",
    "embed",
    "codegen",
    "memmap",
    "test",
    "bench",
    "build",
    "flash",
    "dataset-import",
    "evaluate",
    "keygen",
    "sign-model",
    "model-update",
    "release",
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
        "error: unknown benchmark(s) speed; choose from ml, memmap, fw, app, replay, detect, energy"
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


def test_flash_refuses_a_qemu_board_in_one_line(tmp_path: Path) -> None:
    for board in ("qemu_cortex_m3", "mps2/an521/cpu1"):
        result = invoke("flash", "--board", board, env=no_workspace_env(tmp_path))
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"error: {board} is a QEMU board and is not flashed; use 'invoke run --board {board}'"
        ]


def copy_of_the_tree(tmp_path: Path) -> Path:
    """The repository's files without build output, where no dataset folder lies beside it."""
    dest = tmp_path / "checkout" / "vmon"
    ignore = shutil.ignore_patterns(
        ".venv", "build", ".git", "__pycache__", "*_cache", "twister-out*"
    )
    shutil.copytree(REPO_ROOT, dest, ignore=ignore)
    return dest


@pytest.mark.slow
def test_demo_runs_on_the_synthetic_default_without_workspace(tmp_path: Path) -> None:
    # The README's first command on a fresh machine: no dataset, no Zephyr workspace.
    root = copy_of_the_tree(tmp_path)
    env = no_workspace_env(tmp_path)
    env.pop("VMON_DATA", None)
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "demo"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, out[-2000:] + result.stderr
    assert "Traceback" not in out + result.stderr
    assert "summarizing the synthetic default instead" in out
    assert "held-out int8 macro-F1" in out
    assert "firmware step skipped: no Zephyr workspace" in out
    assert out.rstrip().endswith("demo finished")
    # What the demo wrote stays inside the copy's build folder.
    assert (root / "build" / "demo" / "synthetic_12k.npz").is_file()
    assert (root / "build" / "vmon_generated").is_dir()


# Each task with a bad input, as a user types it: exit code 1 and one line on stderr.
BAD_INPUT = [
    (("retrain", "--data", "{t}/missing"), "error: dataset location {t}/missing does not exist"),
    (("evaluate", "--data", "{t}/missing"), "error: dataset location {t}/missing does not exist"),
    (("embed", "--model", "{t}/missing"), "error: {t}/missing/model.tflite is missing"),
    (("memmap", "--elf", "{t}/missing.elf"), "error: "),
    (("dataset-import", "--src", "{t}/missing", "--out", "{t}/x.npz"), "error: CWRU source "),
    (("dataset-info", "--data", "{t}", "--dataset", "nope"), "error: no dataset named 'nope'"),
    (("synth", "--out", "{t}/x.npz", "--seconds", "-1"), "error: duration -1.0 s must be "),
    (("run", "--board", "nrf52840dk/nrf52840"), "error: 'nrf52840dk/nrf52840' is not a QEMU "),
    (("evaluate", "--no-speed", "--card"), "error: --card records the evaluation with the "),
    (
        ("capture", "--out", "{t}/x.npz", "--label", "broken", "--machine", "m", "--port", "p"),
        "error: --label 'broken': expected one of normal, ",
    ),
    (
        ("capture", "--out", "{t}/x.npz", "--label", "normal", "--machine", "m"),
        "error: give --port (a board's console) or --qemu",
    ),
    (
        (
            "capture",
            "--out",
            "{t}/x.npz",
            "--label",
            "normal",
            "--machine",
            "m",
            "--port",
            "{t}/tty0",
        ),
        "error: cannot open {t}/tty0",
    ),
    (
        (
            "release",
            "--board",
            "qemu_cortex_m3",
            "--image-key",
            "k",
            "--model-key",
            "m",
            "--model-version",
            "1",
        ),
        "error: no release for 'qemu_cortex_m3': boards with MCUboot's flash layout are ",
    ),
    (
        ("release", "--image-key", "{t}/none.pem", "--model-key", "m", "--model-version", "1"),
        "error: {t}/none.pem: not an unencrypted PEM private key",
    ),
]


@pytest.mark.parametrize(("args", "starts"), BAD_INPUT, ids=[a[0] for a, _ in BAD_INPUT])
def test_every_task_reports_bad_input_in_one_line(
    tmp_path: Path, args: tuple[str, ...], starts: str
) -> None:
    t = str(tmp_path)
    result = invoke(*(a.format(t=t) for a in args), env=no_workspace_env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts.format(t=t)), lines[0]
    assert not (tmp_path / "x.npz").exists()  # nothing written on a refusal


def test_keygen_sign_model_and_model_update_as_a_user_runs_them(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert invoke("keygen", "--out", str(keys)).returncode == 0
    key = str(keys / "vmon-model-signing.pem")
    out = tmp_path / "m.vmdl"
    bad = invoke("sign-model", "--key", key, "--version", "x", "--out", str(out))
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --version must be a whole number, not 'x'"
    good = invoke("sign-model", "--key", key, "--version", "7", "--out", str(out))
    assert good.returncode == 0, good.stderr
    assert "model version 7" in good.stdout and out.stat().st_size > 0

    missing = invoke("model-update", "--port", "x", "--model", str(tmp_path / "none.vmdl"))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("error: cannot read ")
    no_port = invoke("model-update", "--port", str(tmp_path / "ttyNONE"), "--model", str(out))
    assert no_port.returncode == 1
    assert no_port.stderr.strip() == f"error: no serial port {tmp_path / 'ttyNONE'}"
