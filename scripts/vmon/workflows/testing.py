"""`invoke test`: pytest for the tooling, twister for the firmware on the QEMU boards.

`invoke test --hw MAP.yaml` runs the hardware-in-the-loop scenarios (tests/hw) on the boards of
a twister hardware map (vmon.firmware.hil, docs/hil.md); the normal run leaves them out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rich.console import Console

from vmon.errors import VmonError
from vmon.firmware import hil, workspace
from vmon.paths import REPO_ROOT

console = Console()

#: pytest's JUnit report; VMON_TEST_RESULTS moves it (the harness's own tests run pytest).
RESULTS = Path(os.environ.get("VMON_TEST_RESULTS", REPO_ROOT / "build" / "test-results"))
#: Folders twister searches for testcase.yaml / sample.yaml (tests/hw only with --hw).
TWISTER_ROOTS = ("app", "tests")
PYTEST_NO_TESTS = 5


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.passed + other.passed, self.failed + other.failed, self.skipped + other.skipped
        )


@dataclass
class FirmwareResult:
    """What twister ran, one item per ztest case (or per build of a build-only scenario)."""

    counts: Counts = field(default_factory=Counts)
    #: "board scenario.case: reason" for every item that did not pass.
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    configurations: int = 0
    #: Set when the firmware tests could not run at all; the closing line says why.
    not_run: str | None = None


def pytest_counts(junit_xml: Path) -> Counts:
    root = ET.parse(junit_xml).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = Counts()
    for suite in suites:
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts += Counts(total - failed - skipped, failed, skipped)
    return counts


def twister_counts(report: Path) -> FirmwareResult:
    """Count twister's JSON report per test case, per board.

    A configuration twister filtered out (platform_allow, tags) did not run and is not
    counted. A build-only one counts once, as its build. In a configuration that ran, every
    ztest case counts on its own, so a `ztest_test_skip()` or a failed `zassume` inside a
    passing suite shows as skipped, and a suite that failed without a failing case (a build
    error, a crash, a timeout) still counts as a failure.
    """
    result = FirmwareResult()
    for suite in json.loads(report.read_text()).get("testsuites", []):
        status = suite.get("status")
        if status == "filtered":
            continue
        result.configurations += 1
        where = f"{suite.get('platform', '?')} {suite.get('name', '?')}"
        reason = suite.get("reason", "")
        if not suite.get("runnable", True) and status in ("passed", "failed", "error"):
            if status == "passed":
                result.counts.passed += 1
            else:
                result.counts.failed += 1
                result.failed.append(f"{where} (build): {reason}".rstrip())
            continue
        failed_before = result.counts.failed
        cases = suite.get("testcases") or []
        for case in cases:
            name = f"{suite.get('platform', '?')} {case.get('identifier', '?')}"
            case_status = case.get("status")
            why = case.get("reason") or reason
            if case_status == "passed":
                result.counts.passed += 1
            elif case_status in ("skipped", "filtered"):
                result.counts.skipped += 1
                result.skipped.append(f"{name}: {why or 'skipped'}")
            else:  # failed, blocked, error, or no status: it did not finish
                result.counts.failed += 1
                result.failed.append(f"{name}: {case_status or 'no result'} {why}".rstrip())
        if status in ("failed", "error") and result.counts.failed == failed_before:
            result.counts.failed += 1
            result.failed.append(f"{where}: {status} {reason}".rstrip())
        elif status == "skipped" and not cases:
            result.counts.skipped += 1
            result.skipped.append(f"{where}: {reason or 'skipped'}")
    return result


def twister_scenarios(roots: tuple[str, ...] = TWISTER_ROOTS) -> list[str]:
    """The scenario names of every testcase.yaml / sample.yaml the normal run searches.

    tests/hw is searched too, and its scenarios excluded by their tag: not counted here.
    """
    names: list[str] = []
    for root in roots:
        for pattern in ("testcase.yaml", "sample.yaml"):
            for path in sorted((REPO_ROOT / root).rglob(pattern)):
                if hil.HW_TESTS in path.parents:
                    continue
                doc = yaml.safe_load(path.read_text()) or {}
                names += list((doc.get("tests") or {}).keys())
    return sorted(names)


def no_firmware_result(why: str) -> FirmwareResult:
    """Every firmware scenario counted as skipped, by name."""
    scenarios = twister_scenarios()
    return FirmwareResult(
        counts=Counts(skipped=len(scenarios)),
        skipped=[f"{name}: {why}" for name in scenarios],
        not_run=why,
    )


def run_pytest(args: list[str] | None = None) -> tuple[int, Counts]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    junit = RESULTS / "pytest.xml"
    junit.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", f"--junitxml={junit}", *(args or [])]
    console.rule("python tests (pytest)")
    code = subprocess.call(cmd, cwd=REPO_ROOT)
    if code == PYTEST_NO_TESTS:
        console.print("[bold red]pytest collected no tests[/]: the Python test suite is missing")
    counts = pytest_counts(junit) if junit.is_file() else Counts()
    return code, counts


def run_twister(platforms: list[str]) -> tuple[int, FirmwareResult]:
    """Run the firmware tests; without a workspace every scenario counts as skipped."""
    ws = workspace.find_workspace()
    console.rule("firmware tests (twister)")
    if ws is None:
        result = no_firmware_result(workspace.NO_WORKSPACE)
        console.print(
            f"[bold yellow]firmware tests skipped: {workspace.NO_WORKSPACE}; "
            f"{len(result.skipped)} twister scenarios not run[/]",
            soft_wrap=True,
        )
        return 0, result
    workspace.require_tools()
    env = workspace.build_env(ws)
    # Twister builds every scenario in a folder of its own, at the same depth: with paths
    # hashed relative to the build folder (and the folder itself not hashed), ccache reuses the
    # objects whose preprocessed source agrees between scenarios (TFLM, CMSIS-DSP/NN: most of
    # a cold run's compile time). Debug info of cached objects may then name another
    # scenario's folder, which tests never read.
    env.setdefault("CCACHE_BASEDIR", "/")
    env.setdefault("CCACHE_NOHASHDIR", "1")
    out = REPO_ROOT / "build" / "twister"
    # --clobber-output: keep one run's results instead of piling up renamed old folders.
    cmd = [
        sys.executable,
        str(ws.twister),
        "--outdir",
        str(out),
        "--inline-logs",
        "--clobber-output",
    ]
    for root in TWISTER_ROOTS:
        cmd += ["-T", str(REPO_ROOT / root)]
    # vmon's own boards (boards/, the module's board_root): twister lists platforms before
    # any build names the module.
    cmd += ["--board-root", str(REPO_ROOT / "boards")]
    # The hardware scenarios need boards on the bench: `invoke test --hw MAP.yaml`.
    cmd += ["-e", hil.HW_TAG]
    for platform in platforms:
        cmd += ["-p", platform]
    for arg in workspace.cmake_args(env):
        cmd += ["-x", arg.removeprefix("-D")]
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=REPO_ROOT, env=env)
    console.print(f"twister finished in {time.monotonic() - started:.0f} s (exit {code})")
    report = out / "twister.json"
    if not report.is_file():
        raise VmonError(f"twister wrote no report (exit {code}); see the output above")
    return code, twister_counts(report)


@dataclass(frozen=True)
class HardwarePlan:
    """A checked hardware map and the boards of it that the hardware tests run on."""

    hardware_map: Path
    platforms: list[str]
    #: Boards twister will skip: their map entry lacks the sensor's fixture.
    warnings: list[str]


def hardware_plan(hardware_map: str) -> HardwarePlan:
    """Check the map before anything runs: a bad one is a one-line error."""
    path = Path(hardware_map).expanduser().resolve()
    duts = hil.load_map(path)
    platforms = hil.platforms_to_test(duts, hil.hw_platforms(), path)
    return HardwarePlan(path, platforms, hil.missing_fixtures(duts, platforms, path))


def run_hardware(plan: HardwarePlan, long: bool = False) -> tuple[int, FirmwareResult]:
    """Flash and run tests/hw on the map's connected boards (twister --device-testing)."""
    ws = workspace.require_workspace()
    workspace.require_tools()
    env = workspace.build_env(ws)
    console.rule("hardware tests (twister --device-testing)")
    for warning in plan.warnings:
        console.print(f"[bold yellow]{warning}[/]", soft_wrap=True)
    cmd = [
        sys.executable,
        *hil.twister_command(
            ws.twister, plan.hardware_map, plan.platforms, workspace.cmake_args(env), long=long
        ),
    ]
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=REPO_ROOT, env=env)
    console.print(f"twister finished in {time.monotonic() - started:.0f} s (exit {code})")
    report = hil.OUTDIR / "twister.json"
    if not report.is_file():
        raise VmonError(f"twister wrote no report (exit {code}); see the output above")
    result = twister_counts(report)
    if result.configurations and hil.device_runs(report) == 0:
        # Builds alone prove nothing about the hardware.
        result.counts.failed += 1
        result.failed.append("no hardware scenario ran on a board, it was only built")
    return code, result


def verdict(
    pytest_code: int | None,
    pytest_result: Counts | None,
    firmware: FirmwareResult | None,
    hardware: FirmwareResult | None = None,
) -> tuple[str, list[str]]:
    """The closing line and the list of failures, from what each runner reported.

    A runner that ran nothing is a failure: pytest's "no tests collected", twister with
    every configuration filtered out. Firmware that could not run (no workspace) is counted
    as skipped, scenario by scenario, and the closing line says so.
    """
    total = Counts()
    failures: list[str] = []
    parts: list[str] = []
    if pytest_code is not None:
        counts = pytest_result or Counts()
        total += counts
        parts.append(f"pytest {counts.passed}/{counts.failed}/{counts.skipped}")
        if pytest_code == PYTEST_NO_TESTS or (pytest_code == 0 and counts == Counts()):
            failures.append("pytest collected no tests")
        elif pytest_code != 0:
            failures.append(f"pytest (exit {pytest_code})")
    if firmware is not None:
        fw = firmware.counts
        total += fw
        if firmware.not_run:
            parts.append(f"firmware: {fw.skipped} twister scenarios skipped, {firmware.not_run}")
        else:
            _twister_part(firmware, "", "twister", parts, failures)
    if hardware is not None:
        total += hardware.counts
        _twister_part(hardware, "hardware: ", "hardware tests", parts, failures)
    line = f"vmon: {total.passed} passed, {total.failed} failed, {total.skipped} skipped"
    if parts:
        line += f" ({'; '.join(parts)})"
    return line, failures


def _twister_part(
    result: FirmwareResult, prefix: str, name: str, parts: list[str], failures: list[str]
) -> None:
    """One twister run's part of the summary line, and its failures."""
    c = result.counts
    parts.append(
        f"{prefix}ztest cases and builds {c.passed}/{c.failed}/{c.skipped} "
        f"in {result.configurations} board configurations"
    )
    if c == Counts():
        failures.append(f"{name} ran no test")
    elif c.failed:
        failures.append(f"{name} ({c.failed} failed)")


def print_items(result: FirmwareResult) -> None:
    """Items that did not pass, by name: a skip inside a passing suite is seen here."""
    if result.not_run:
        names = ", ".join(item.split(":")[0] for item in result.skipped)
        console.print(f"not run ({result.not_run}): {names}", soft_wrap=True, markup=False)
    else:
        for name in result.skipped:
            console.print(f"skipped {name}", soft_wrap=True, markup=False)
    for name in result.failed:
        console.print(f"failed {name}", soft_wrap=True, markup=False)


def run_all(
    python: bool = True,
    firmware: bool = True,
    platforms: list[str] | None = None,
    hardware_map: str | None = None,
    hw_long: bool = False,
) -> None:
    if hw_long and hardware_map is None:
        raise VmonError("--hw-long runs the 1 h hardware test: give the boards with --hw MAP.yaml")
    plan = hardware_plan(hardware_map) if hardware_map is not None else None
    pytest_code: int | None = None
    pytest_result: Counts | None = None
    fw: FirmwareResult | None = None
    hw: FirmwareResult | None = None
    twister_code = hw_code = 0
    if python:
        pytest_code, pytest_result = run_pytest()
    if firmware:
        boards = (*workspace.QEMU_BOARDS, *workspace.BUILD_ONLY_BOARDS)
        twister_code, fw = run_twister(list(platforms or boards))
        print_items(fw)
        if plan is None:
            console.print(f"[bold yellow]{hil.skipped_line()}[/]", soft_wrap=True)
    if plan is not None:
        hw_code, hw = run_hardware(plan, long=hw_long)
        print_items(hw)
    line, failures = verdict(pytest_code, pytest_result, fw, hw)
    if twister_code != 0 and not any(f.startswith("twister") for f in failures):
        failures.append(f"twister (exit {twister_code})")
    if hw_code != 0 and not any(f.startswith("hardware") for f in failures):
        failures.append(f"hardware tests (twister exit {hw_code})")
    # One closing line for people and CI alike, never wrapped.
    console.print(line, soft_wrap=True, markup=False)
    if failures:
        code = PYTEST_NO_TESTS if failures == ["pytest collected no tests"] else 1
        raise VmonError(f"tests failed: {', '.join(failures)}", code=code)
