"""The harness of `invoke test`: its closing line counts what really ran, and a run that
ran nothing, skipped a firmware case or had no workspace says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from vmon.firmware import workspace
from vmon.paths import REPO_ROOT
from vmon.workflows.testing import (
    Counts,
    FirmwareResult,
    no_firmware_result,
    pytest_counts,
    twister_counts,
    twister_scenarios,
    verdict,
)


def test_pytest_counts_from_junit(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest" tests="7" failures="1" errors="1" skipped="2">'
        "</testsuite></testsuites>"
    )
    assert pytest_counts(junit) == Counts(passed=3, failed=2, skipped=2)


def suite(name: str, status: str, cases: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    """One configuration as twister 3.7's twister.json writes it."""
    testcases = [{"identifier": f"{name}.{c}", "status": s} for c, s in cases]
    for tc in testcases:
        if tc["status"] == "skipped":
            tc["reason"] = "ztest skip"
    out = {"name": name, "platform": "qemu_cortex_m3", "status": status, "runnable": True}
    out.update(extra, testcases=testcases)
    return out


def write_report(tmp_path: Path, suites: list[dict[str, Any]]) -> Path:
    report = tmp_path / "twister.json"
    report.write_text(json.dumps({"environment": {}, "testsuites": suites}))
    return report


def test_twister_counts_every_case_and_a_skip_inside_a_passing_suite(tmp_path: Path) -> None:
    report = write_report(
        tmp_path,
        [
            # Passed as a suite, yet one case called ztest_test_skip(): it must show.
            suite(
                "vmon.features",
                "passed",
                [("golden", "passed"), ("edge", "skipped"), ("repeat", "passed")],
            ),
            suite("vmon.filtered", "filtered", [("a", "filtered")], runnable=False),
            suite("vmon.echo", "passed", [("echo", "skipped")], runnable=False),
            suite("vmon.crash", "failed", [("one", "passed"), ("two", "blocked")]),
            suite("vmon.broken_build", "error", [("x", "blocked")], runnable=False),
            suite("vmon.timeout", "failed", [], reason="Timeout"),
        ],
    )
    result = twister_counts(report)
    # features 2 passed + 1 skipped; echo's build passed; crash 1 passed + 1 failed;
    # the broken build and the timeout one failure each; the filtered one did not run.
    assert result.counts == Counts(passed=4, failed=3, skipped=1)
    assert result.configurations == 5
    assert result.skipped == ["qemu_cortex_m3 vmon.features.edge: ztest skip"]
    assert result.failed == [
        "qemu_cortex_m3 vmon.crash.two: blocked",
        "qemu_cortex_m3 vmon.broken_build (build):",
        "qemu_cortex_m3 vmon.timeout: failed Timeout",
    ]
    line, failures = verdict(0, Counts(10, 0, 0), result)
    assert line.startswith("vmon: 14 passed, 3 failed, 1 skipped (")
    assert failures == ["twister (3 failed)"]


def test_twister_that_ran_nothing_fails(tmp_path: Path) -> None:
    report = write_report(tmp_path, [suite("vmon.x", "filtered", [("a", "filtered")])])
    result = twister_counts(report)
    assert result.counts == Counts() and result.configurations == 0
    _, failures = verdict(None, None, result)
    assert failures == ["twister ran no test"]


def test_no_tests_collected_fails() -> None:
    assert verdict(5, Counts(), None)[1] == ["pytest collected no tests"]
    # A run that reports success but counted nothing is no better.
    assert verdict(0, Counts(), None)[1] == ["pytest collected no tests"]
    assert verdict(1, Counts(3, 1, 0), None)[1] == ["pytest (exit 1)"]
    assert verdict(0, Counts(3, 0, 2), None) == (
        "vmon: 3 passed, 0 failed, 2 skipped (pytest 3/0/2)",
        [],
    )


def test_no_workspace_counts_every_firmware_scenario_as_skipped() -> None:
    scenarios = twister_scenarios()
    # Scenarios of the app and of each tests/ folder with a testcase.yaml.
    yamls = [
        p
        for root in ("app", "tests")
        for n in ("testcase.yaml", "sample.yaml")
        for p in (REPO_ROOT / root).rglob(n)
    ]
    assert len(yamls) >= 8
    assert {"vmon.app.smoke", "vmon.app.shell", "vmon.sampling.replay_echo.3axis"} <= set(scenarios)
    assert len(scenarios) == len(set(scenarios)) > len(yamls)
    result = no_firmware_result(workspace.NO_WORKSPACE)
    assert result.counts == Counts(skipped=len(scenarios))
    line, failures = verdict(0, Counts(5, 0, 0), result)
    assert failures == []
    assert line == (
        f"vmon: 5 passed, 0 failed, {len(scenarios)} skipped (pytest 5/0/0; firmware: "
        f"{len(scenarios)} twister scenarios skipped, {workspace.NO_WORKSPACE})"
    )


# -- through invoke, as a user or CI runs it ---------------------------------------------


def invoke_test(tmp_path: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ZEPHYR_BASE", None)
    env["HOME"] = str(tmp_path)  # no ~/zephyrproject there
    env["VMON_TEST_RESULTS"] = str(tmp_path / "results")
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "invoke", "test", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_invoke_test_without_workspace_says_so_in_the_closing_line(tmp_path: Path) -> None:
    result = invoke_test(tmp_path, "--firmware")
    assert result.returncode == 0, result.stderr
    n = len(twister_scenarios())
    closing = result.stdout.strip().splitlines()[-1]
    assert closing == (
        f"vmon: 0 passed, 0 failed, {n} skipped (firmware: {n} twister scenarios skipped, "
        f"{workspace.NO_WORKSPACE})"
    )
    assert "vmon.app.smoke" in result.stdout


def test_invoke_test_that_collects_nothing_fails(tmp_path: Path) -> None:
    # Every test deselected: pytest exits 5, and so do `invoke test` and .ci/run.
    result = invoke_test(tmp_path, "--python", PYTEST_ADDOPTS="-k no_test_has_this_name -q")
    assert result.returncode == 5, result.stdout + result.stderr
    assert (
        result.stderr.strip().splitlines()[-1] == "error: tests failed: pytest collected no tests"
    )
    assert "vmon: 0 passed, 0 failed, 0 skipped (pytest 0/0/0)" in result.stdout


def test_firmware_result_defaults() -> None:
    assert FirmwareResult().counts == Counts() and FirmwareResult().not_run is None


def test_a_stale_generated_header_fails_the_run(tmp_path: Path) -> None:
    # The edge vectors edited by hand (or left behind by a feature change) in a copy of the
    # tree: the staleness test of that copy fails and says how to regenerate them.
    import shutil

    root = tmp_path / "vmon"
    ignore = shutil.ignore_patterns(".venv", "build", ".git", "__pycache__", "*_cache")
    shutil.copytree(REPO_ROOT, root, ignore=ignore)
    header = root / "tests" / "modules" / "features" / "src" / "edge_vectors.h"
    header.write_text(header.read_text().replace("#define EDGE_N ", "#define EDGE_N 1 + ", 1))
    env = dict(os.environ, PYTHONPATH=str(root / "scripts"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/scripts/dsp/test_edge_vectors.py"],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-2000:]
    assert "edge_vectors.h is stale: run" in result.stdout
