"""Splits never leak: by load and recording; single-load labels split in time with a gap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vmon import data
from vmon.data import synth
from vmon.errors import VmonError
from vmon.ml.splits import Fold, Segment, check_no_leak, make_folds
from vmon.paths import default_data_dir

WINDOW = 1024


def dataset_with_single_load_normal() -> data.Dataset:
    """Faults at four loads, normal at load 0 only (the shape of the shared CWRU data)."""
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.5, loads=(0.0, 1.0, 2.0, 3.0), seed=3)
    keep = [r for r in ds.recordings if r.label != "normal" or r.load_hp == 0.0]
    return data.Dataset(name="mixed", recordings=keep, meta={})


def test_leave_one_load_out() -> None:
    ds = dataset_with_single_load_normal()
    folds = make_folds(ds, WINDOW)
    assert [f.name for f in folds] == [f"test load {k}" for k in range(4)]
    fault_ids = {r.recording_id for r in ds.recordings if r.label != "normal"}
    seen: list[str] = []
    for fold, load in zip(folds, range(4), strict=True):
        test_faults = {s.recording_id for s in fold.test if s.recording_id in fault_ids}
        train_faults = {s.recording_id for s in fold.train if s.recording_id in fault_ids}
        assert not test_faults & train_faults
        assert all(ds.get(rid).load_hp == load for rid in test_faults)
        assert all(ds.get(rid).load_hp != load for rid in train_faults)
        seen.extend(test_faults)
    assert sorted(seen) == sorted(fault_ids)  # every fault recording is tested exactly once


def test_single_load_label_is_split_in_time_with_guard() -> None:
    ds = dataset_with_single_load_normal()
    normal = next(r for r in ds.recordings if r.label == "normal")
    tested = []
    for fold in make_folds(ds, WINDOW):
        assert fold.time_split == [normal.recording_id]
        (test,) = [s for s in fold.test if s.recording_id == normal.recording_id]
        for s in fold.train:
            if s.recording_id == normal.recording_id:
                assert s.stop <= test.start - WINDOW or s.start >= test.stop + WINDOW
        tested.append((test.start, test.stop))
    # The test blocks tile the recording without overlap.
    assert tested[0][0] == 0 and tested[-1][1] == normal.n_samples
    assert all(a[1] == b[0] for a, b in itertools.pairwise(tested))


def test_leak_is_detected() -> None:
    fold = Fold(name="bad", train=[Segment("r", 0, 5000)], test=[Segment("r", 5500, 9000)])
    with pytest.raises(VmonError, match="leaks: r samples 0-5000"):
        check_no_leak(fold, WINDOW)


def test_single_load_dataset_needs_recording_split() -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.5, loads=(0.0,), seed=1)
    with pytest.raises(VmonError, match="--split recording"):
        make_folds(ds, WINDOW)


def test_recording_split_keeps_recordings_whole() -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.5, loads=(0.0, 1.0), seed=2)
    folds = make_folds(ds, WINDOW, split="recording")
    assert len(folds) == 2
    for fold in folds:
        assert not {s.recording_id for s in fold.train} & {s.recording_id for s in fold.test}


def test_unknown_split() -> None:
    with pytest.raises(VmonError, match="unknown split"):
        make_folds(dataset_with_single_load_normal(), WINDOW, split="window")


def test_too_short_for_time_split() -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=0.5, loads=(0.0, 1.0), seed=4)
    keep = [r for r in ds.recordings if r.label != "normal" or r.load_hp == 0.0]
    with pytest.raises(VmonError, match="too short to split in time"):
        make_folds(data.Dataset(name="short", recordings=keep, meta={}), WINDOW)


def test_shared_cwru_split_never_leaks() -> None:
    folder = default_data_dir()
    path = folder / "cwru_12k_de.npz" if folder else None
    if path is None or not path.is_file():
        pytest.skip("shared CWRU 12k dataset not present (VMON_DATA / ../shared/data)")
    ds = data.load_dataset(path)
    folds = make_folds(ds, WINDOW)
    assert len(folds) == 4
    for fold in folds:
        check_no_leak(fold, WINDOW)
        loads = {ds.get(s.recording_id).load_hp for s in fold.test} - {0.0}
        # Fault recordings of the held-out load only; normal appears through its time block.
        assert len(loads) <= 1
    # The 12 kHz normal is the one recording split in time.
    assert folds[0].time_split == [r.recording_id for r in ds.recordings if r.label == "normal"]
    assert np.isfinite([r.load_hp for r in ds.recordings]).all()
