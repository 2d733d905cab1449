"""`invoke test --hw MAP.yaml` without hardware: the map is checked before twister sees it,
the twister command is the one for that map, and the normal run leaves tests/hw out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from vmon.errors import VmonError
from vmon.firmware import hil, workspace
from vmon.paths import REPO_ROOT
from vmon.workflows import testing

BOARDS = ["nrf52840dk/nrf52840", "rak4631/nrf52840", "vmon_node/nrf52840"]


def entry(**fields: Any) -> dict[str, Any]:
    """A map entry as `twister --generate-hardware-map` writes it, with the sensor fixture."""
    out: dict[str, Any] = {
        "connected": True,
        "id": "000683759358",
        "platform": "nrf52840dk/nrf52840",
        "product": "J-Link",
        "runner": "nrfjprog",
        "serial": "/dev/ttyACM0",
        "fixtures": ["icm42688"],
    }
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def write_map(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return path


# -- the hardware scenarios ----------------------------------------------------------------


def test_hw_scenarios_are_tagged_ztest_with_the_sensor_fixture() -> None:
    scenarios = hil.hw_scenarios()
    assert set(scenarios) == {
        "vmon.hw.sampling.rate",
        "vmon.hw.sampling.rate.max",
        "vmon.hw.sampling.loss_1h",
    }
    for name, s in scenarios.items():
        assert hil.HW_TAG in s["tags"], name
        assert s["harness"] == "ztest", name
        assert s["harness_config"]["fixture"] == "icm42688", name
        assert sorted(s["platform_allow"]) == BOARDS, name
        assert "CONFIG_VMON_SAMPLING_RATE_HZ" in " ".join(s["extra_configs"]), name
    long = scenarios["vmon.hw.sampling.loss_1h"]
    # Selectable by its tag, and a plain twister run does not start an hour's run.
    assert hil.HW_LONG_TAG in long["tags"] and long["slow"] is True
    assert long["timeout"] > 3600
    assert "CONFIG_VMON_HW_SAMPLING_SECONDS=3600" in long["extra_configs"]
    for name in ("vmon.hw.sampling.rate", "vmon.hw.sampling.rate.max"):
        assert hil.HW_LONG_TAG not in scenarios[name]["tags"]
    assert hil.hw_platforms() == BOARDS
    assert hil.fixtures_needed() == ["icm42688"]


def test_the_normal_run_leaves_the_hardware_scenarios_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = testing.twister_scenarios()
    assert names and not set(names) & set(hil.hw_scenarios())
    assert "vmon.sampling.replay" in names

    # run_twister's command line, with a stand-in for twister that writes an empty report.
    seen: list[list[str]] = []

    def fake_call(cmd: list[str], **_: Any) -> int:
        seen.append(cmd)
        out = Path(cmd[cmd.index("--outdir") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "twister.json").write_text(json.dumps({"testsuites": []}))
        return 0

    fake_ws = workspace.Workspace(tmp_path / "zephyr")
    monkeypatch.setattr(workspace, "find_workspace", lambda: fake_ws)
    monkeypatch.setattr(workspace, "require_tools", lambda: None)
    monkeypatch.setattr(testing.subprocess, "call", fake_call)
    monkeypatch.setattr(testing, "REPO_ROOT", tmp_path)  # its report goes to tmp_path
    testing.run_twister(["qemu_cortex_m3"])
    (cmd,) = seen
    assert cmd[cmd.index("-e") + 1] == hil.HW_TAG
    assert "--device-testing" not in cmd


# -- the map -------------------------------------------------------------------------------


def test_a_generated_map_loads(tmp_path: Path) -> None:
    path = write_map(
        tmp_path,
        [
            entry(),
            entry(id="000683000001", platform="rak4631/nrf52840", serial="/dev/ttyACM2"),
            entry(id="000683000002", connected=False, serial=None, fixtures=None),
            entry(id="X1", platform="unknown", serial="/dev/ttyUSB0", runner="openocd"),
            entry(id="000683000003", serial="/dev/ttyACM4"),  # a second DK
        ],
    )
    duts = hil.load_map(path)
    assert [d.id for d in duts][:3] == ["000683759358", "000683000001", "000683000002"]
    assert duts[0] == hil.Dut(
        "nrf52840dk/nrf52840", "000683759358", "nrfjprog", True, "/dev/ttyACM0", ("icm42688",)
    )
    assert duts[2].connected is False and duts[2].fixtures == ()
    # Connected, supported, each once, in map order.
    assert hil.platforms_to_test(duts, BOARDS, path) == [
        "nrf52840dk/nrf52840",
        "rak4631/nrf52840",
    ]


def test_serial_pty_counts_as_a_serial(tmp_path: Path) -> None:
    path = write_map(tmp_path, [entry(serial=None, serial_pty="rfc2217://bench:4000")])
    assert hil.load_map(path)[0].serial == "rfc2217://bench:4000"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("- platform: [unclosed\n", "is not YAML: "),
        ({"platform": "nrf52840dk/nrf52840"}, "must be a YAML list of boards"),
        ([], "must be a YAML list of boards"),
        ("", "must be a YAML list of boards"),
        (["nrf52840dk/nrf52840"], "entry 1: an entry must be a mapping"),
        ([entry(), entry(runner=None)], "entry 2: missing runner"),
        ([entry(platform=None, id=None)], "entry 1: missing id, platform"),
        ([entry(id=683759358)], "entry 1: id must be a string (quote it), not 683759358"),
        ([entry(connected="yes please")], "connected must be true or false"),
        ([entry(baud=True)], "baud must be a number, not True"),
        ([entry(fixtures="icm42688")], "fixtures must be a list"),
        ([entry(fixtures=["icm42688", 3])], "every item of fixtures must be a string"),
        ([entry(serial=None)], "entry 1: a connected board needs serial (or serial_pty)"),
        ([entry(seriall="/dev/ttyACM0")], "entry 1: unknown field 'seriall'"),
    ],
)
def test_a_bad_map_is_one_line(tmp_path: Path, doc: object, message: str) -> None:
    path = write_map(tmp_path, doc)
    with pytest.raises(VmonError) as err:
        hil.load_map(path)
    text = str(err.value)
    assert message in text and "\n" not in text
    assert text.startswith(f"hardware map {path}")


def test_a_missing_map_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(VmonError, match="not found; write one with 'twister --generate-hardw"):
        hil.load_map(tmp_path / "nope.yaml")


def test_no_board_to_test_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    off = [hil.Dut("nrf52840dk/nrf52840", "1", "nrfjprog", False)]
    with pytest.raises(VmonError, match=r"no board is connected \(connected: true\)"):
        hil.platforms_to_test(off, BOARDS, path)
    other = [
        hil.Dut("frdm_k64f", "1", "pyocd", True, "/dev/ttyACM0"),
        hil.Dut("unknown", "2", "openocd", True, "/dev/ttyUSB0"),
    ]
    with pytest.raises(VmonError) as err:
        hil.platforms_to_test(other, BOARDS, path)
    assert str(err.value) == (
        f"hardware map {path}: no connected board the hardware tests run on (connected: "
        f"frdm_k64f, unknown; supported: {', '.join(BOARDS)}); name the 'unknown' boards"
    )


def test_boards_without_the_sensor_fixture(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    with_sensor = hil.Dut(BOARDS[0], "1", "nrfjprog", True, "/dev/ttyACM0", ("icm42688",))
    # twister's fixture syntax allows a parameter after a colon.
    with_param = hil.Dut(BOARDS[1], "2", "nrfjprog", True, "/dev/ttyACM2", ("icm42688:spi2",))
    bare = hil.Dut(BOARDS[2], "3", "nrfjprog", True, "/dev/ttyACM4")
    assert hil.missing_fixtures([with_sensor, with_param, bare], BOARDS, path) == [
        "vmon_node/nrf52840 3 lacks fixture icm42688: twister skips the hardware tests on it"
    ]
    with pytest.raises(VmonError, match=r"no connected board lists the fixture icm42688; add"):
        hil.missing_fixtures([bare], BOARDS, path)


# -- the twister command -------------------------------------------------------------------


def test_twister_command_for_a_map() -> None:
    twister = Path("zephyr") / "scripts" / "twister"
    hwmap = Path("bench") / "map.yaml"
    cmd = hil.twister_command(
        twister,
        hwmap,
        ["nrf52840dk/nrf52840", "vmon_node/nrf52840"],
        ["-DTOOLCHAIN_HAS_PICOLIBC=ON"],
    )
    assert cmd[0] == str(twister)
    assert "--device-testing" in cmd
    assert cmd[cmd.index("--hardware-map") + 1] == str(hwmap)
    assert cmd[cmd.index("-T") + 1] == str(REPO_ROOT / "tests" / "hw")
    assert cmd.count("-T") == 1  # only the hardware scenarios
    assert cmd[cmd.index("--board-root") + 1] == str(REPO_ROOT / "boards")
    outdir = Path(cmd[cmd.index("--outdir") + 1])
    assert outdir.parent == REPO_ROOT / "build"
    platforms = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-p"]
    assert platforms == ["nrf52840dk/nrf52840", "vmon_node/nrf52840"]
    assert cmd[cmd.index("-x") + 1] == "TOOLCHAIN_HAS_PICOLIBC=ON"
    # The hour-long scenario only when asked for.
    assert cmd[cmd.index("-e") + 1] == hil.HW_LONG_TAG and "--enable-slow" not in cmd
    long = hil.twister_command(twister, hwmap, ["nrf52840dk/nrf52840"], [], long=True)
    assert "--enable-slow" in long and "-e" not in long and "-x" not in long


def report(tmp_path: Path, suites: list[dict[str, Any]]) -> Path:
    path = tmp_path / "twister.json"
    path.write_text(json.dumps({"testsuites": suites}))
    return path


def test_device_runs_counts_what_ran_on_a_board(tmp_path: Path) -> None:
    suites = [
        {"name": "a", "status": "passed", "runnable": True},
        {"name": "b", "status": "failed", "runnable": True},
        {"name": "c", "status": "filtered", "runnable": False},
        {"name": "d", "status": "passed", "runnable": False},
    ]
    assert hil.device_runs(report(tmp_path, suites)) == 2


def plan_and_fake_twister(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suites: list[dict[str, Any]]
) -> tuple[testing.HardwarePlan, list[list[str]]]:
    """A checked map, and twister replaced by one that writes `suites` as its report."""
    hwmap = write_map(tmp_path, [entry()])
    plan = testing.hardware_plan(str(hwmap))
    seen: list[list[str]] = []

    def fake_call(cmd: list[str], **_: Any) -> int:
        seen.append(cmd)
        report(tmp_path, suites)
        return 0 if all(s["status"] != "failed" for s in suites) else 1

    monkeypatch.setattr(workspace, "require_workspace", lambda: workspace.Workspace(tmp_path))
    monkeypatch.setattr(workspace, "require_tools", lambda: None)
    monkeypatch.setattr(testing.subprocess, "call", fake_call)
    monkeypatch.setattr(hil, "OUTDIR", tmp_path)
    return plan, seen


def test_run_hardware_counts_the_device_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = {"identifier": "vmon.hw.sampling.rate.rate_and_loss", "status": "passed"}
    suites = [
        {
            "name": "vmon.hw.sampling.rate",
            "platform": "nrf52840dk/nrf52840",
            "status": "passed",
            "runnable": True,
            "testcases": [case],
        },
        {
            "name": "vmon.hw.sampling.rate.max",
            "platform": "nrf52840dk/nrf52840",
            "status": "failed",
            "runnable": True,
            "testcases": [{"identifier": "vmon.hw.sampling.rate.max.rate_and_loss"}],
        },
    ]
    plan, seen = plan_and_fake_twister(tmp_path, monkeypatch, suites)
    code, result = testing.run_hardware(plan)
    (cmd,) = seen
    assert cmd[0] == sys.executable and "--device-testing" in cmd
    assert cmd[cmd.index("--hardware-map") + 1] == str(tmp_path / "map.yaml")
    assert code == 1 and result.counts == testing.Counts(passed=1, failed=1)
    line, failures = testing.verdict(None, None, None, result)
    assert line == (
        "vmon: 1 passed, 1 failed, 0 skipped (hardware: ztest cases and builds 1/1/0 "
        "in 2 board configurations)"
    )
    assert failures == ["hardware tests (1 failed)"]


def test_builds_alone_are_no_hardware_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suites = [{"name": "x", "platform": BOARDS[0], "status": "passed", "runnable": False}]
    plan, _ = plan_and_fake_twister(tmp_path, monkeypatch, suites)
    _, result = testing.run_hardware(plan)
    assert result.failed == ["no hardware scenario ran on a board, it was only built"]
    assert testing.verdict(None, None, None, result)[1] == ["hardware tests (1 failed)"]
    # Everything filtered out: nothing ran, and the verdict says so.
    assert testing.verdict(None, None, None, testing.FirmwareResult())[1] == [
        "hardware tests ran no test"
    ]


# -- through invoke ------------------------------------------------------------------------


def invoke_test(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ZEPHYR_BASE", None)
    env["HOME"] = str(tmp_path)  # no ~/zephyrproject there
    env["VMON_TEST_RESULTS"] = str(tmp_path / "results")
    return subprocess.run(
        [sys.executable, "-m", "invoke", "test", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_invoke_test_with_a_bad_map_is_one_line(tmp_path: Path) -> None:
    bad = write_map(tmp_path, [entry(id=683759358)])
    result = invoke_test(tmp_path, "--hw", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: hardware map {bad}, entry 1: id must be a string (quote it), not 683759358"
    ]
    # Checked before anything ran: no pytest, no twister.
    assert "pytest" not in result.stdout and "twister" not in result.stdout


def test_invoke_test_hw_long_needs_a_map(tmp_path: Path) -> None:
    result = invoke_test(tmp_path, "--hw-long")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: --hw-long runs the 1 h hardware test: give the boards with --hw MAP.yaml"
    ]


def test_invoke_test_without_a_map_says_so_once(tmp_path: Path) -> None:
    result = invoke_test(tmp_path, "--firmware")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "hardware tests" in line]
    n = len(hil.hw_scenarios())
    assert lines == [
        f"hardware tests skipped: no hardware map; {n} scenarios in tests/hw not run; "
        "run them with 'invoke test --hw MAP.yaml' (docs/hil.md)"
    ]
    # The closing line stays last and counts no hardware scenario.
    assert result.stdout.strip().splitlines()[-1].startswith("vmon: 0 passed, 0 failed, ")
    assert "vmon.hw." not in result.stdout
