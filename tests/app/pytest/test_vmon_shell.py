"""The `vmon` shell group on the running firmware (twister pytest harness, QEMU)."""

import re

from twister_harness import Shell


def test_vmon_version(shell: Shell) -> None:
    lines = shell.exec_command("vmon version")
    assert any(re.search(r"^vmon \d+\.\d+\.\d+ build \S+$", line) for line in lines), lines
    assert any(re.search(r"^zephyr 3\.7\.\d+ board \S+$", line) for line in lines), lines


def test_vmon_model(shell: Shell) -> None:
    lines = shell.exec_command("vmon model")
    assert any(re.search(r"^model \S+$", line) for line in lines), lines


def test_vmon_group_lists_its_commands(shell: Shell) -> None:
    lines = shell.exec_command("vmon")
    text = "\n".join(lines)
    for command in ("version", "model"):
        assert command in text, text
