"""The energy suite's report, on hand-given instruction counts (no firmware)."""

from __future__ import annotations

import json
from pathlib import Path

from vmon.energy import figures as figs
from vmon.energy import model, report
from vmon.workflows import bench, energy

FW = model.FwCost(features=104_816, inference=9_140, typing=36_859, windows=13)


def test_report_files(tmp_path: Path) -> None:
    f = figs.load()
    result = energy.evaluate(FW, f, energy.base_scenario())
    page = energy.write(result, f, tmp_path)
    data = json.loads((tmp_path / "energy.json").read_text())
    # The product board's 8 kHz: (8000 - 1024) // 512 + 1 windows in a 1 s burst.
    assert data["scenarios"][0]["windows_per_measurement"] == 14
    assert {c["verdict"] for c in data["checks"]} <= {"met", "not met", "not shown"}
    text = page.read_text()
    assert text.count("<polyline") == 3 and "target 5 years" in text
    for key in ("sx1262.tx", "nrf52840.system_on_idle"):
        assert key in text  # named as unverified at the top and in the figures table
    assert "UNVERIFIED" in text


def test_record_sizes_come_from_the_schema() -> None:
    assert energy.record_sizes() == (("status", 33), ("telemetry", 39))


def test_energy_targets_are_met_only_when_the_check_is() -> None:
    shown = model.Check("life", 6.0, 5.0, "y", True, "not shown", "rests on x", ("x",))
    r = energy.row(shown)
    assert (r.measured, r.limit, r.unit, r.met) == (72.0, 60.0, "mo", False)
    assert "(not shown)" in r.name
    # Within the limit, yet not met: the bench table must not say met.
    t = bench._Verdict(r.name, r.measured, r.limit, r.unit, r.higher_is_better, r.met)
    assert not t.ok
    met = energy.row(model.Check("c", 14.0, 50.0, "uJ", False, "met", "", ()))
    assert met.met and met.unit == "µJ"
    assert bench._Verdict("c", 14.0, 50.0, "µJ", False, met.met).ok


def test_svg_plot_scales_and_marks() -> None:
    curves = [report.Curve("a", [1.0] * len(report.PLOT_INTERVALS))]
    svg = report.svg_plot(report.PLOT_INTERVALS, curves, 5.0, 60.0)
    assert svg.startswith("<svg") and svg.count("<polyline") == 1 and "1 min" in svg
