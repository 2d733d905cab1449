"""`invoke test`: pytest for the tooling, twister for the firmware on the QEMU boards."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from vmon.errors import VmonError
from vmon.firmware import workspace
from vmon.paths import REPO_ROOT

console = Console()

RESULTS = REPO_ROOT / "build" / "test-results"
#: Folders twister searches for testcase.yaml / sample.yaml.
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


def twister_counts(report: Path) -> Counts:
    """Counts per test configuration (board x scenario); filtered ones did not run."""
    counts = Counts()
    for suite in json.loads(report.read_text()).get("testsuites", []):
        status = suite.get("status")
        if status == "passed":
            counts.passed += 1
        elif status in ("failed", "error"):
            counts.failed += 1
        elif status == "skipped":
            counts.skipped += 1
    return counts


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


def run_twister(platforms: list[str]) -> tuple[int, Counts | None]:
    """Run the firmware tests; (0, None) with one loud line when there is no workspace."""
    ws = workspace.find_workspace()
    console.rule("firmware tests (twister)")
    if ws is None:
        console.print(f"[bold yellow]firmware tests skipped: {workspace.NO_WORKSPACE}[/]")
        return 0, None
    workspace.require_tools()
    env = workspace.build_env(ws)
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
    counts = twister_counts(report)
    if code == 0 and counts.passed == 0:
        console.print("[bold red]twister ran no test configuration[/]")
        code = 1
    return code, counts


def run_all(python: bool = True, firmware: bool = True, platforms: list[str] | None = None) -> None:
    total = Counts()
    failures: list[str] = []
    no_tests = False
    if python:
        code, counts = run_pytest()
        total += counts
        if code == PYTEST_NO_TESTS:
            no_tests = True
        elif code != 0:
            failures.append(f"pytest (exit {code})")
    if firmware:
        code, fw_counts = run_twister(list(platforms or workspace.QEMU_BOARDS))
        if fw_counts is not None:
            total += fw_counts
        if code != 0:
            failures.append(f"twister (exit {code})")
    # One closing line for people and CI alike.
    console.print(f"vmon: {total.passed} passed, {total.failed} failed, {total.skipped} skipped")
    if failures:
        raise VmonError(f"tests failed: {', '.join(failures)}")
    if no_tests and total.passed == 0:
        raise VmonError("no tests were collected", code=PYTEST_NO_TESTS)
