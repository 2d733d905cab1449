"""Helpers of the tests on the running firmware (twister pytest harness)."""

import re
import time

from twister_harness import DeviceAdapter
from twister_harness.exceptions import TwisterHarnessTimeoutException

PROMPT = "uart:~$"
# Shell.exec_command gives the echo of a command 1 s, hard-coded. The nodes under test stream
# status records on the same console, and on a loaded CI host (twister runs QEMU instances in
# parallel) the echo can take longer: a slow host is not a firmware failure.
ECHO_TIMEOUT_S = 10.0
ANSWER_TIMEOUT_S = 10.0


def exec_command(dut: DeviceAdapter, command: str) -> list[str]:
    """Send one command and read its echo, then its output up to the next prompt."""
    dut.clear_buffer()
    dut.write(f"{command}\n\n".encode())
    lines = dut.readlines_until(regex=f".*{re.escape(command)}", timeout=ECHO_TIMEOUT_S)
    lines += dut.readlines_until(regex=re.escape(PROMPT), timeout=ANSWER_TIMEOUT_S)
    return lines


def run(dut: DeviceAdapter, command: str, expect: str, within_s: float = 20.0) -> list[str]:
    """Run an idempotent command until its answer shows up, for at most `within_s` seconds.

    Right after boot the answer may not be there yet: the boot banner is logged by the deferred
    log thread (its lines, each followed by a prompt redraw, can arrive in place of the
    command's answer), and the first window takes a while on a loaded host. Returns the last
    attempt's lines; the caller's assertions say what was missing.
    """
    lines: list[str] = []
    deadline = time.monotonic() + within_s
    while True:
        try:
            lines = exec_command(dut, command)
        except TwisterHarnessTimeoutException:
            lines = []
        if any(re.search(expect, line) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)
