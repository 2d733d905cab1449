"""Train/test splits that do not leak: by load and by recording, never by windows.

Overlapping windows of one recording on both sides of a split make a test set that
is nearly a copy of the training set. Splits here are made on recordings (and loads) first;
windows are cut inside each side afterwards.

``by_load`` (the default, leave-one-load-out): fold *L* tests on every recording made at load
*L* and trains on the other loads. A label recorded at a single load only (in the shared
CWRU copy: the one normal recording) cannot be split by load; each of its recordings is
split in time instead, into one contiguous block per fold, with a guard gap of one window
between the test block and the training parts, so no window straddles both.

``by_recording``: for datasets with a single load: recordings of each label are dealt
round-robin into folds; labels with a single recording are split in time as above.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from vmon.data import Dataset
from vmon.errors import VmonError

SPLITS = ("load", "recording")


@dataclass(frozen=True)
class Segment:
    """Samples ``[start, stop)`` of one recording."""

    recording_id: str
    start: int
    stop: int

    def to_json(self) -> list[Any]:
        return [self.recording_id, self.start, self.stop]


@dataclass
class Fold:
    name: str
    train: list[Segment] = field(default_factory=list)
    test: list[Segment] = field(default_factory=list)
    time_split: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "train_recordings": sorted({s.recording_id for s in self.train}),
            "test_recordings": sorted({s.recording_id for s in self.test}),
            "time_split_recordings": sorted(self.time_split),
            "train": [s.to_json() for s in self.train],
            "test": [s.to_json() for s in self.test],
        }


def _time_blocks(
    n_samples: int, n_folds: int, fold: int, guard: int
) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Train ranges and the test range of a recording cut into ``n_folds`` contiguous blocks."""
    edges = [round(i * n_samples / n_folds) for i in range(n_folds + 1)]
    test = (edges[fold], edges[fold + 1])
    train = [(0, test[0] - guard), (test[1] + guard, n_samples)]
    return [(a, b) for a, b in train if b - a > 0], test


def make_folds(ds: Dataset, window: int, split: str = "load") -> list[Fold]:
    """Folds for ``ds``; every window of ``window`` samples lands on one side only."""
    if split not in SPLITS:
        raise VmonError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    by_label: dict[str, list[Any]] = defaultdict(list)
    for rec in ds.recordings:
        by_label[rec.label].append(rec)

    if split == "load":
        loads_of = {
            label: sorted({r.load_hp for r in recs if not math.isnan(r.load_hp)})
            for label, recs in by_label.items()
        }
        fold_keys = sorted(
            {load for loads in loads_of.values() if len(loads) > 1 for load in loads}
        )
        if len(fold_keys) < 2:
            raise VmonError(
                f"dataset {ds.name} has recordings at fewer than 2 loads; leave-one-load-out "
                "needs several, use --split recording"
            )
        folds = [Fold(name=f"test load {k:g}") for k in fold_keys]
        for label, recs in by_label.items():
            if len(loads_of[label]) > 1:
                for rec in recs:
                    for key, fold in zip(fold_keys, folds, strict=True):
                        side = fold.test if rec.load_hp == key else fold.train
                        side.append(Segment(rec.recording_id, 0, rec.n_samples))
            else:
                _split_in_time(recs, folds, window)
    else:
        counts = [len(recs) for recs in by_label.values() if len(recs) > 1]
        n_folds = min(counts) if counts else 0
        if n_folds < 2:
            raise VmonError(
                f"dataset {ds.name} has too few recordings per label for a by-recording split"
            )
        n_folds = min(n_folds, 5)
        folds = [Fold(name=f"recording fold {i}") for i in range(n_folds)]
        for recs in by_label.values():
            if len(recs) == 1:
                _split_in_time(recs, folds, window)
                continue
            ordered = sorted(recs, key=lambda r: r.recording_id)
            for i, rec in enumerate(ordered):
                for j, fold in enumerate(folds):
                    side = fold.test if i % n_folds == j else fold.train
                    side.append(Segment(rec.recording_id, 0, rec.n_samples))
    for fold in folds:
        check_no_leak(fold, window)
    return folds


def _split_in_time(recs: list[Any], folds: list[Fold], window: int) -> None:
    for rec in recs:
        if rec.n_samples < len(folds) * (window + 2 * window):
            raise VmonError(
                f"recording {rec.recording_id} ({rec.duration_s:.2f} s) is too short to split in "
                f"time into {len(folds)} blocks of at least one window plus guard gaps"
            )
        for i, fold in enumerate(folds):
            train, test = _time_blocks(rec.n_samples, len(folds), i, guard=window)
            fold.test.append(Segment(rec.recording_id, *test))
            fold.train.extend(Segment(rec.recording_id, a, b) for a, b in train)
            fold.time_split.append(rec.recording_id)


def check_no_leak(fold: Fold, window: int) -> None:
    """A recording may be on both sides only when split in time with a gap of a window."""
    test_ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for seg in fold.test:
        test_ranges[seg.recording_id].append((seg.start, seg.stop))
    for seg in fold.train:
        for start, stop in test_ranges.get(seg.recording_id, []):
            gap = max(start - seg.stop, seg.start - stop)
            if gap < window:
                raise VmonError(
                    f"split {fold.name!r} leaks: {seg.recording_id} samples {seg.start}-{seg.stop} "
                    f"(train) are within one window of {start}-{stop} (test)"
                )
