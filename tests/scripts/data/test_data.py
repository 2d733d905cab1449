"""Dataset format: round trip, validation errors, atomic writes, the shared real files."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vmon import data, paths
from vmon.data import LABELS, Dataset, index_path, load_dataset, save_dataset, summary
from vmon.data import format as data_format
from vmon.errors import VmonError

SHARED_COLUMNS = (
    "recording_id,fs_hz,label,load_hp,fault_size_in,rpm,source_file,derived_from,"
    "n_samples,duration_s"
)


def _arrays(path: Path) -> dict[str, Any]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _rewrite(path: Path, arrays: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------------------- round trip


def test_round_trip_keeps_every_field(tmp_path: Path, small_dataset: Dataset) -> None:
    # NaN metadata and a non-empty derived_from must survive too.
    recs = list(small_dataset.recordings)
    recs[0] = replace(recs[0], rpm=math.nan, load_hp=math.nan, derived_from="X (a, b)")
    # numpy scalars where floats are expected, as computed metadata often is.
    recs[1] = replace(recs[1], fs_hz=np.float64(12_000.0), rpm=np.float64(1790.5))
    meta = {**small_dataset.meta, "note": "ünïcode", "count": np.int64(3), "pair": np.arange(2)}
    ds = Dataset(small_dataset.name, recs, meta)
    out = save_dataset(ds, tmp_path / "set.npz")

    # Written through a file object: no "set.npz.npz", nothing else beside.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.index.csv", "set.npz"]
    back = load_dataset(out)
    assert back.name == "set"
    assert back.path == out
    assert back.meta["note"] == "ünïcode"
    assert (back.meta["count"], back.meta["pair"]) == (3, [0, 1])
    assert back.recordings[1].rpm == 1790.5
    assert back.meta["format_version"] == data.FORMAT_VERSION
    assert back.ids() == ds.ids()
    for a, b in zip(ds.recordings, back.recordings, strict=True):
        assert b.signal.dtype == np.float32
        np.testing.assert_array_equal(a.signal, b.signal)
        for key in ("fs_hz", "load_hp", "fault_size_in", "rpm"):
            x, y = getattr(a, key), getattr(b, key)
            assert (math.isnan(x) and math.isnan(y)) or x == y, key
        assert (a.label, a.source_file, a.derived_from) == (b.label, b.source_file, b.derived_from)

    # Views into one array, not copies.
    assert back.recordings[1].signal.base is not None

    # Same arrays, dtypes and index columns as the shared files.
    arrays = _arrays(out)
    assert arrays["signal"].dtype == np.float32
    assert arrays["offsets"].dtype == np.int64
    assert arrays["recording_id"].dtype.kind == "U"
    assert arrays["meta_json"].shape == ()
    lines = index_path(out).read_text(encoding="utf-8").splitlines()
    assert lines[0] == SHARED_COLUMNS
    assert len(lines) == len(ds) + 1
    assert '"X (a, b)"' in lines[1]


def test_float64_signals_are_stored_as_float32(tmp_path: Path, small_dataset: Dataset) -> None:
    recs = [replace(r, signal=r.signal.astype(np.float64)) for r in small_dataset.recordings]
    out = save_dataset(Dataset("f64", recs), tmp_path / "f64.npz")
    back = load_dataset(out)
    np.testing.assert_array_equal(back.recordings[0].signal, small_dataset.recordings[0].signal)
    assert back.recordings[0].signal.dtype == np.float32


def test_helpers(small_dataset: Dataset) -> None:
    ds = small_dataset
    assert ds.labels() == list(LABELS)
    assert ds.loads() == [0.0, 1.0]
    assert ds.sampling_rates() == [12_000.0]
    assert ds.recordings_per_label() == dict.fromkeys(LABELS, 2)
    assert ds.seconds_per_label() == pytest.approx(dict.fromkeys(LABELS, 0.5))
    assert ds.total_seconds() == pytest.approx(2.0)

    faults = ds.select(labels=["ball", "outer_race"], loads=1)
    assert [r.label for r in faults] == ["ball", "outer_race"]
    assert all(r.load_hp == 1.0 for r in faults)
    assert len(ds.select(labels="normal")) == 2
    assert len(ds.select(fs_hz=48_000.0)) == 0
    rid = ds.recordings[3].recording_id
    assert ds.select(ids=[rid]).ids() == [rid]
    assert ds.get(rid) is ds.recordings[3]
    with pytest.raises(VmonError, match="cracked"):
        ds.select(labels="cracked")
    with pytest.raises(VmonError, match="nope"):
        ds.get("nope")


# ---------------------------------------------------------------------------- load errors

# Each case damages a saved dataset and returns the text the error must contain.
Damage = Callable[[Path, Dataset], str]


def _missing_file(p: Path, ds: Dataset) -> str:
    p.unlink()
    return "small.npz does not exist"


def _not_a_zip(p: Path, ds: Dataset) -> str:
    p.write_text("recording_id,label\n")
    return "small.npz is not an .npz archive"


def _truncated(p: Path, ds: Dataset) -> str:
    blob = p.read_bytes()
    p.write_bytes(blob[: len(blob) // 2])
    return "small.npz"


def _missing_array(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    del a["offsets"]
    _rewrite(p, a)
    return "missing array(s) offsets"


def _signal_float64(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["signal"] = a["signal"].astype(np.float64)
    _rewrite(p, a)
    return "'signal' must be 1-D float32"


def _offsets_2d(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["offsets"] = a["offsets"][None, :]
    _rewrite(p, a)
    return "'offsets' must be 1-D int64"


def _offsets_not_monotone(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["offsets"][[1, 2]] = a["offsets"][[2, 1]]
    _rewrite(p, a)
    return "not strictly increasing"


def _per_recording_shape(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["load_hp"] = np.append(a["load_hp"], 0.0)
    _rewrite(p, a)
    return "'load_hp' has shape"


def _nan_sample(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["signal"][a["offsets"][2] + 5] = np.nan
    _rewrite(p, a)
    return f"recording {ds.recordings[2].recording_id} has 1 NaN/Inf"


def _inf_sample(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["signal"][-1] = np.inf
    _rewrite(p, a)
    return f"recording {ds.recordings[-1].recording_id} has 1 NaN/Inf"


def _zero_fs(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["fs_hz"][1] = 0.0
    _rewrite(p, a)
    return f"recording {ds.recordings[1].recording_id} has fs_hz 0.0"


def _duplicate_id(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["recording_id"][1] = a["recording_id"][0]
    _rewrite(p, a)
    return f"duplicate recording_id '{ds.recordings[0].recording_id}'"


def _unknown_label(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["label"] = a["label"].astype("<U12")
    a["label"][3] = "cracked_cage"
    _rewrite(p, a)
    return f"recording {ds.recordings[3].recording_id} has unknown label 'cracked_cage'"


def _object_array(p: Path, ds: Dataset) -> str:
    # Would need pickle to load: must be refused, not executed.
    a = _arrays(p)
    a["label"] = np.array(list(a["label"]), dtype=object)
    _rewrite(p, a)
    return "'label'"


def _bad_meta(p: Path, ds: Dataset) -> str:
    a = _arrays(p)
    a["meta_json"] = np.array("{not json")
    _rewrite(p, a)
    return "'meta_json' is not valid JSON"


def _index_missing(p: Path, ds: Dataset) -> str:
    index_path(p).unlink()
    return "small.index.csv is missing"


def _index_mismatch(p: Path, ds: Dataset) -> str:
    csv_path = index_path(p)
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[2]["label"] = "ball" if rows[2]["label"] != "ball" else "normal"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return f"row 3 ({ds.recordings[2].recording_id}): label"


def _index_short(p: Path, ds: Dataset) -> str:
    csv_path = index_path(p)
    lines = csv_path.read_text().splitlines(keepends=True)
    csv_path.write_text("".join(lines[:-1]))
    return f"has {len(ds) - 1} rows, the npz {len(ds)} recordings"


@pytest.mark.parametrize(
    "damage",
    [
        _missing_file,
        _not_a_zip,
        _truncated,
        _missing_array,
        _signal_float64,
        _offsets_2d,
        _offsets_not_monotone,
        _per_recording_shape,
        _nan_sample,
        _inf_sample,
        _zero_fs,
        _duplicate_id,
        _unknown_label,
        _object_array,
        _bad_meta,
        _index_missing,
        _index_mismatch,
        _index_short,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_load_rejects_bad_input(
    saved_dataset: Path, small_dataset: Dataset, damage: Damage
) -> None:
    expected = damage(saved_dataset, small_dataset)
    before = _listing(saved_dataset.parent)
    with pytest.raises(VmonError) as err:
        load_dataset(saved_dataset)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message
    if damage is not _missing_file:
        assert str(saved_dataset) in message or saved_dataset.name.replace(".npz", "") in message
    # Loading never writes.
    assert _listing(saved_dataset.parent) == before


def test_load_rejects_a_folder(tmp_path: Path) -> None:
    with pytest.raises(VmonError, match="is a folder"):
        load_dataset(tmp_path)


# ---------------------------------------------------------------------------- save errors


def _with(ds: Dataset, i: int, **changes: Any) -> Dataset:
    recs = list(ds.recordings)
    recs[i] = replace(recs[i], **changes)
    return Dataset(ds.name, recs, ds.meta)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"signal": np.array([0.0, np.nan], dtype=np.float32)}, "has 1 NaN/Inf"),
        ({"fs_hz": -1.0}, "has fs_hz -1.0"),
        ({"label": "misaligned"}, "unknown label 'misaligned'"),
        ({"recording_id": "SYN_12000_normal_L0"}, "duplicate recording_id 'SYN_12000_normal_L0'"),
        ({"signal": np.zeros(0, dtype=np.float32)}, "has no samples"),
        ({"fault_size_in": 0.0}, "has fault_size_in 0"),
    ],
)
def test_save_rejects_bad_dataset_and_writes_nothing(
    tmp_path: Path, small_dataset: Dataset, change: dict[str, Any], expected: str
) -> None:
    bad = _with(small_dataset, 1, **change)  # recording 1 is a fault (inner_race, L0)
    with pytest.raises(VmonError, match=expected):
        save_dataset(bad, tmp_path / "out" / "bad.npz")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_save_needs_npz_name(tmp_path: Path, small_dataset: Dataset) -> None:
    with pytest.raises(VmonError, match=r"must end in \.npz"):
        save_dataset(small_dataset, tmp_path / "set")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_previous_files(
    saved_dataset: Path, small_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _listing(saved_dataset.parent)

    def broken_index(fh: Any, recs: Any) -> None:
        fh.write("recording_id,fs_hz\n")  # half a file, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(data_format, "_write_index", broken_index)
    other = small_dataset.select(labels="normal")
    with pytest.raises(VmonError, match="No space left on device"):
        save_dataset(other, saved_dataset)
    # Neither file replaced, no temporary left.
    assert _listing(saved_dataset.parent) == before
    assert len(load_dataset(saved_dataset)) == len(small_dataset)


def test_interrupted_save_leaves_nothing(
    tmp_path: Path, small_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_dataset(small_dataset, tmp_path / "set.npz")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- finding, rate


def test_find_and_resolve(tmp_path: Path, small_dataset: Dataset) -> None:
    folder = tmp_path / "sets"
    a = save_dataset(small_dataset, folder / "alpha.npz")
    assert data.find_datasets(folder) == [a]
    assert data.resolve_dataset(str(folder), None) == a
    assert data.resolve_dataset(str(a), None) == a  # --data may be the file itself
    b = save_dataset(small_dataset.select(labels="normal"), folder / "beta.npz")
    assert data.find_datasets(folder) == [a, b]
    assert data.resolve_dataset(str(folder), "beta") == b
    assert data.resolve_dataset(str(folder), "beta.npz") == b
    with pytest.raises(VmonError, match=r"alpha, beta.*--dataset"):
        data.resolve_dataset(str(folder), None)
    with pytest.raises(VmonError, match=r"no dataset named 'gamma'.*available: alpha, beta"):
        data.resolve_dataset(str(folder), "gamma")
    with pytest.raises(VmonError, match="does not exist"):
        data.resolve_dataset(str(tmp_path / "missing"), None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(VmonError, match=r"no \.npz datasets.*invoke synth"):
        data.resolve_dataset(str(tmp_path / "empty"), None)


def test_resolve_without_any_folder_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "default_data_dir", lambda: None)
    with pytest.raises(VmonError, match=r"pass --data DIR .*VMON_DATA"):
        data.resolve_dataset(None, None)


def test_check_rate(small_dataset: Dataset) -> None:
    data.check_rate(small_dataset, 12_000.0)
    first = small_dataset.recordings[0].recording_id
    with pytest.raises(VmonError) as err:
        data.check_rate(small_dataset, 48_000.0)
    assert str(err.value) == (
        f"recording {first} in {small_dataset.name} is at 12000 Hz, expected 48000 Hz; "
        "resample it or choose a dataset recorded at 48 kHz"
    )


# ---------------------------------------------------------------------------- summary


def test_print_summary(saved_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary.print_summary(str(saved_dataset.parent), None)
    out = capsys.readouterr().out
    assert "small" in out
    for label in LABELS:
        assert label in out
    assert "12000" in out
    assert "total" in out


def test_print_summary_without_folder_uses_synthetic(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(paths, "default_data_dir", lambda: None)
    summary.print_summary(None, None)
    out = capsys.readouterr().out
    assert out.startswith("no dataset folder")
    assert "synthetic_12000hz" in out
    assert "outer_race" in out


def test_print_summary_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(VmonError, match=r"no \.npz datasets"):
        summary.print_summary(str(tmp_path), None)


# ---------------------------------------------------------------------------- shared real data


def _shared(name: str) -> Path:
    folder = paths.default_data_dir()
    if folder is None or not (folder / f"{name}.npz").is_file():
        pytest.skip(f"shared dataset {name}.npz not available (set VMON_DATA or ../shared/data)")
    return folder / f"{name}.npz"


@pytest.mark.parametrize(
    ("name", "fs", "counts"),
    [
        ("cwru_12k_de", 12_000.0, {"normal": 1, "inner_race": 16, "ball": 16, "outer_race": 28}),
        ("cwru_48k_de_0hp", 48_000.0, {"normal": 1, "inner_race": 3, "ball": 3, "outer_race": 7}),
    ],
)
def test_shared_real_file_matches_its_index(name: str, fs: float, counts: dict[str, int]) -> None:
    path = _shared(name)
    ds = load_dataset(path)
    with open(index_path(path), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert ds.ids() == [row["recording_id"] for row in rows]
    for rec, row in zip(ds.recordings, rows, strict=True):
        assert rec.label == row["label"]
        assert rec.n_samples == int(row["n_samples"])
        assert rec.duration_s == pytest.approx(float(row["duration_s"]), abs=1e-4)
        assert rec.signal.dtype == np.float32
        assert np.isfinite(rec.signal).all()
    assert ds.recordings_per_label() == counts
    assert {"dataset", "source_repo", "source_commit", "license"} <= set(ds.meta)
    data.check_rate(ds, fs)
    wrong = 48_000.0 if fs == 12_000.0 else 12_000.0
    with pytest.raises(VmonError, match=f"is at {fs:g} Hz, expected {wrong:g} Hz"):
        data.check_rate(ds, wrong)
