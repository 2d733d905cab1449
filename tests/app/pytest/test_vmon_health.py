"""Watchdog and fault resets on the running firmware, reported after boot (QEMU).

Built with CONFIG_VMON_SHELL_HEALTH_INJECT (sample.yaml, vmon.app.health): `vmon health
inject stall` makes a window listener block, so the processing thread stops feeding its task
watchdog channel; `inject oops` makes it raise a kernel oops. After each reset the node must
say why on its console transport (an event and a crash record that vmon.codec decodes) and
in `vmon health`.
"""

import re

import pytest
from shell_util import run
from twister_harness import DeviceAdapter, Shell

from vmon.firmware import device

# The shell fixture waits for the first prompt; the commands then go through shell_util.
pytestmark = pytest.mark.usefixtures("shell")

# CONFIG_VMON_HEALTH_WDT_PERIOD_MS in the scenario (2 s), plus boot and the first window.
RESET_TIMEOUT_S = 30


def reset_uplinks(dut: DeviceAdapter) -> tuple[dict, dict]:
    """The reset event and the crash record the node sends after it comes back."""
    lines = dut.readlines_until(regex=r'@vmon up \{.*"fport":4,', timeout=RESET_TIMEOUT_S)
    ups = device.uplinks(device.parse_records(lines))
    events = [u for u in ups if u["type"] == "event" and u["kind"] == "reset"]
    crashes = [u for u in ups if u["type"] == "crash"]
    assert len(events) == 1 and len(crashes) == 1, ups
    return events[0], crashes[0]


def test_watchdog_and_fault_resets_are_reported(shell: Shell, dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon health", r"^last reset: ")
    assert "last reset: power_on" in lines, lines
    assert "abnormal resets since power-on: 0" in lines, lines

    run(dut, "vmon health inject stall", r"^armed")
    dut.readlines_until(regex=r"watchdog: processing starved, resetting", timeout=RESET_TIMEOUT_S)
    event, crash = reset_uplinks(dut)
    assert event["detail"] == 4 and event["confirmed"], event  # enum reset_cause: watchdog
    assert (crash["cause"], crash["thread"], crash["fatal"]) == ("watchdog", "processing", "none")
    assert crash["resets"] == 1 and crash["pc"] != 0, crash

    shell.wait_for_prompt()
    lines = run(dut, "vmon health", r"^last reset: watchdog")
    assert "last reset: watchdog" in lines, lines
    assert any(re.match(r"^thread: processing \(processing\) fatal: 0 pc: 0x", ln) for ln in lines)

    run(dut, "vmon health inject oops", r"^armed")
    dut.readlines_until(regex=r"fatal error 3 in processing, resetting", timeout=RESET_TIMEOUT_S)
    event, crash = reset_uplinks(dut)
    assert event["detail"] == 5, event  # fault
    assert (crash["cause"], crash["thread"], crash["fatal"]) == ("fault", "processing", "oops")
    assert crash["resets"] == 2, crash


def test_unknown_injection_is_refused(dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon health inject melt", r"inject stall or oops")
    assert any("inject stall or oops, got 'melt'" in ln for ln in lines), lines
