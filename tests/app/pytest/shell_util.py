"""Helpers of the tests on the running firmware (twister pytest harness)."""

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
