"""The `vmon` shell group on the running firmware (twister pytest harness, QEMU)."""

import re

import pytest
from shell_util import run
from twister_harness import DeviceAdapter

# The shell fixture waits for the first prompt; the commands then go through shell_util.
pytestmark = pytest.mark.usefixtures("shell")


def test_vmon_version(dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon version", r"^vmon \d+\.\d+\.\d+ build \S+$")
    assert any(re.search(r"^vmon \d+\.\d+\.\d+ build \S+$", line) for line in lines), lines
    assert any(re.search(r"^zephyr 3\.7\.\d+ board \S+$", line) for line in lines), lines


def test_vmon_model_info(dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon model info", r"^sha256 [0-9a-f]{64}$")
    assert any(re.search(r"^model bearing-fault-12k$", line) for line in lines), lines
    assert any(re.search(r"^sha256 [0-9a-f]{64}$", line) for line in lines), lines
    assert any(re.search(r"^inputs 37 outputs 4$", line) for line in lines), lines
    assert any(re.search(r"^label 3 outer_race$", line) for line in lines), lines


def test_vmon_status_and_stats(dut: DeviceAdapter) -> None:
    # The synthetic source feeds the cycle from boot: windows are being processed.
    lines = run(dut, "vmon status", r"^state: (normal|warning|alarm) fault: \S+$")
    assert any(re.search(r"^state: (normal|warning|alarm) fault: \S+$", ln) for ln in lines)
    assert any(re.search(r"^fallback: 0x00 model_err: 0$", ln) for ln in lines), lines
    # A fresh node has learned nothing on its machine and says so.
    assert any(
        re.search(r"^commissioning: uncommissioned \(only the zones vote\)", ln) for ln in lines
    ), lines
    assert any(
        re.search(r"^novelty_q8: -1 novelty_avg_q8: -1 threshold_q8: 0$", ln) for ln in lines
    ), lines
    # The product build types faults by physics; uncommissioned, nothing is typed yet.
    assert any(
        re.search(r"^typing: source none confidence_permille 0 speed_mhz 0$", ln) for ln in lines
    ), lines
    lines = run(dut, "vmon stats", r"^cost features: mean \d+ ns")
    assert any(re.search(r"^processing: blocks [1-9]\d* windows [1-9]", ln) for ln in lines), lines
    assert any(re.search(r"^cost inference: mean [1-9]\d* ns", ln) for ln in lines), lines


def test_vmon_baseline_commands(dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon baseline learn 4", r"^learning a baseline from the next 4 windows$")
    assert any("learning a baseline from the next 4 windows" in ln for ln in lines), lines
    lines = run(dut, "vmon baseline learn x", r"must be a number")
    assert any("windows must be a number, got 'x'" in ln for ln in lines), lines
    lines = run(dut, "vmon baseline learn 3", r"cannot learn")
    assert any("cannot learn a baseline from 3 windows (-22)" in ln for ln in lines), lines
    lines = run(dut, "vmon baseline learn 4", r"^learning a baseline from the next 4 windows$")
    lines = run(dut, "vmon baseline show", r"^f36 mean_q8 -?\d+ var \d+$")
    assert any(
        re.search(r"^commissioning: commissioned \(4 windows\) novelty_threshold_q8: \d+", ln)
        for ln in lines
    ), lines
    lines = run(dut, "vmon baseline clear", r"^baseline cleared")
    assert any("baseline cleared: uncommissioned" in ln for ln in lines), lines


def test_vmon_group_lists_its_commands(dut: DeviceAdapter) -> None:
    lines = run(dut, "vmon", r"version")
    text = "\n".join(lines)
    for command in ("version", "model", "status", "stats", "baseline", "health", "capture"):
        assert command in text, text


def test_vmon_machine_commands(dut: DeviceAdapter) -> None:
    # A fresh node knows no bearing and estimates the speed.
    lines = run(dut, "vmon machine show", r"^speed: ")
    assert any(re.search(r"^bearing: none \(no fault type", ln) for ln in lines), lines
    assert any(
        re.search(r"^speed: estimated from the spectrum \(300 \.\. 6000 rpm\)$", ln) for ln in lines
    ), lines
    # A preset, by its short designation: the catalogue geometry.
    lines = run(dut, "vmon machine bearing 6205", r"^bearing: ")
    assert "bearing: 9 balls, ball 7940 um, pitch 39040 um, contact angle 0 cdeg" in lines, lines
    # Impossible geometry and unknown presets are refused; the previous bearing is kept.
    lines = run(dut, "vmon machine bearing 9 40000 39040", r"impossible bearing")
    assert any("impossible bearing" in ln and "previous bearing is kept" in ln for ln in lines)
    lines = run(dut, "vmon machine bearing 6999", r"no preset")
    assert any("no preset '6999'" in ln for ln in lines), lines
    lines = run(dut, "vmon machine bearing 9 x 39040", r"must be a whole number")
    assert any("ball diameter (um) must be a whole number, got 'x'" in ln for ln in lines)
    lines = run(dut, "vmon machine bearing 12 11112 46500 4000", r"^bearing: ")
    assert "bearing: 12 balls, ball 11112 um, pitch 46500 um, contact angle 4000 cdeg" in lines
    # Speed: within 300 .. 6000 rpm, or auto.
    lines = run(dut, "vmon machine speed 1797", r"^speed: ")
    assert "speed: nominal 1797 rpm (29950 mHz)" in lines, lines
    lines = run(dut, "vmon machine speed 7000", r"outside")
    assert any("speed 7000 rpm is outside 300 .. 6000 rpm" in ln for ln in lines), lines
    lines = run(dut, "vmon machine show", r"^speed: ")
    assert "speed: nominal 1797 rpm (29950 mHz)" in lines, lines
    assert any(re.search(r"^bearing: 12 balls", ln) for ln in lines), lines
    lines = run(dut, "vmon machine speed auto", r"^speed: ")
    assert any(ln.startswith("speed: estimated from the spectrum") for ln in lines), lines
    lines = run(dut, "vmon machine bearing clear", r"^bearing: ")
    assert any(ln.startswith("bearing: none") for ln in lines), lines
