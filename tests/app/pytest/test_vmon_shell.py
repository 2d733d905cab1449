"""The `vmon` shell group on the running firmware (twister pytest harness, QEMU)."""

import re

from twister_harness import Shell


def run(shell: Shell, command: str, expect: str, tries: int = 3) -> list[str]:
    """Run an idempotent command until its answer shows up.

    The boot banner is logged by the deferred log thread, so right after the first prompt its
    lines (each followed by a prompt redraw) can arrive in place of the command's answer.
    """
    lines: list[str] = []
    for _ in range(tries):
        lines = shell.exec_command(command)
        if any(re.search(expect, line) for line in lines):
            break
    return lines


def test_vmon_version(shell: Shell) -> None:
    lines = run(shell, "vmon version", r"^vmon \d+\.\d+\.\d+ build \S+$")
    assert any(re.search(r"^vmon \d+\.\d+\.\d+ build \S+$", line) for line in lines), lines
    assert any(re.search(r"^zephyr 3\.7\.\d+ board \S+$", line) for line in lines), lines


def test_vmon_model(shell: Shell) -> None:
    lines = run(shell, "vmon model", r"^model \S+$")
    assert any(re.search(r"^model \S+$", line) for line in lines), lines


def test_vmon_group_lists_its_commands(shell: Shell) -> None:
    lines = run(shell, "vmon", r"version")
    text = "\n".join(lines)
    for command in ("version", "model"):
        assert command in text, text
