"""Result counting of `invoke test`: the closing line must reflect what really ran."""

from __future__ import annotations

import json
from pathlib import Path

from vmon.workflows.testing import Counts, pytest_counts, twister_counts


def test_pytest_counts_from_junit(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest" tests="7" failures="1" errors="1" skipped="2">'
        "</testsuite></testsuites>"
    )
    assert pytest_counts(junit) == Counts(passed=3, failed=2, skipped=2)


def test_twister_counts_ignore_filtered(tmp_path: Path) -> None:
    report = tmp_path / "twister.json"
    statuses = ["passed", "passed", "failed", "error", "skipped", "filtered", "filtered"]
    report.write_text(json.dumps({"testsuites": [{"status": s} for s in statuses]}))
    assert twister_counts(report) == Counts(passed=2, failed=2, skipped=1)


def test_counts_add() -> None:
    assert Counts(1, 2, 3) + Counts(10, 20, 30) == Counts(11, 22, 33)
