"""Synthetic foreign rigs and what a dataset says about its machine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vmon.bearing import BearingGeometry
from vmon.data import Dataset, load_dataset, rigs, save_dataset
from vmon.data.machine import bearing_of, operating_points
from vmon.errors import VmonError


def test_rigs_differ_from_each_other_and_from_cwru() -> None:
    assert len(rigs.RIGS) >= 3
    cwru = BearingGeometry(9, 7.94, 39.04)
    seen = set()
    for rig in rigs.RIGS.values():
        assert rig.bearing != cwru and 1797.0 not in rig.speeds_rpm
        key = (rig.bearing, rig.resonances[0].hz)
        assert key not in seen
        seen.add(key)


def test_generation_is_deterministic_and_faults_add_impacts() -> None:
    rig = rigs.RIGS["fan"]
    a = rigs.generate(rig, "normal", 985.0, 1.0, [1])
    b = rigs.generate(rig, "normal", 985.0, 1.0, [1])
    assert np.array_equal(a.signal, b.signal) and a.recording_id == "RIG_fan_normal_985rpm"
    assert a.fs_hz == rig.fs_hz and a.rpm == 985.0 and math.isnan(a.load_hp)
    quiet = rigs.generate(rig, "outer_race", 985.0, 2.0, [2], severity=0.0)
    loud = rigs.generate(rig, "outer_race", 985.0, 2.0, [2], severity=1.0)
    assert np.sqrt(np.mean(loud.signal**2)) > 1.3 * np.sqrt(np.mean(quiet.signal**2))
    with pytest.raises(VmonError, match="unknown label"):
        rigs.generate(rig, "cracked", 985.0, 1.0, [0])


def test_rig_dataset_round_trips_with_its_bearing(tmp_path) -> None:
    rig = rigs.RIGS["gearbox"]
    ds = rigs.generate_dataset(rig, normal_s=1.0, fault_s=0.5)
    path = save_dataset(ds, tmp_path / "gearbox.npz")
    back = load_dataset(path)
    designation, geometry = bearing_of(back) or ("", None)
    assert geometry == rig.bearing and designation == rig.designation
    points = operating_points(back)
    assert [p.name for p in points] == ["1480 rpm", "1180 rpm"]
    assert all(len(p.recordings) == 4 for p in points)


def test_operating_points_fall_back_to_load_and_bearing_to_the_importer(
    small_dataset: Dataset,
) -> None:
    recs = list(small_dataset.recordings)
    nan_rpm = Dataset("x", [r.__class__(**{**r.__dict__, "rpm": math.nan}) for r in recs], {})
    assert [p.name for p in operating_points(nan_rpm)] == ["0 hp", "1 hp"]
    assert all(math.isnan(p.rpm) for p in operating_points(nan_rpm))
    assert bearing_of(nan_rpm) is None
    cwru_like = Dataset("y", recs, {"source_repo": "s-whynot/CWRU-dataset", "channel": "DE_time"})
    assert bearing_of(cwru_like) == (
        "SKF 6205-2RS JEM (CWRU drive end)",
        BearingGeometry(9, 7.94, 39.04),
    )
    bad = Dataset("z", recs, {"bearing": {"n_balls": 9, "ball_diameter": 40, "pitch_diameter": 39}})
    with pytest.raises(VmonError, match="must exceed the ball diameter"):
        bearing_of(bad)
