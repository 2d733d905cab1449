"""CWRU importer on small fake .mat files laid out like the source repository."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import scipy.io

from vmon import data, paths
from vmon.data.importers import cwru
from vmon.errors import VmonError

DE12 = "12k_Drive_End_Bearing_Fault_Data"
DE48 = "48k_Drive_End_Bearing_Fault_Data"


def _tone(n: int, fs: float, *freqs: float, seed: int = 0) -> npt.NDArray[np.float64]:
    t = np.arange(n) / fs
    rng = np.random.default_rng(seed)
    return sum(np.sin(2 * np.pi * f * t) for f in freqs) + 0.01 * rng.standard_normal(n)


def _mat(path: Path, variables: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Normal (48 kHz), inner race 0.007 in with RPM, a 3001-style file, a fan-end file."""
    root = tmp_path / "CWRU-dataset"
    # Normal: 1 kHz (kept) + 10 kHz (must not alias to 2 kHz after decimation to 12 kHz).
    normal = _tone(9_600, 48_000.0, 1_000.0, 10_000.0)
    _mat(
        root / "Normal" / "97_Normal_0.mat",
        {"X097_DE_time": normal[:, None], "X097_FE_time": normal[:, None], "X097RPM": 1796},
    )
    _mat(
        root / DE12 / "IR" / "007" / "105_0.mat",
        {"X105_DE_time": _tone(3_000, 12_000.0, 160.0, seed=1)[:, None], "X105RPM": 1797},
    )
    # As distributed: named after another file number, no RPM variable.
    _mat(root / DE12 / "IR" / "028" / "3001_0.mat", {"X056_DE_time": _tone(2_400, 12e3, 90.0)})
    _mat(root / DE12 / "OR" / "007" / "@6" / "131@6_1.mat", {"X131_DE_time": _tone(2_000, 12e3, 9)})
    _mat(root / DE48 / "B" / "007" / "122_0.mat", {"X122_DE_time": _tone(4_800, 48e3, 50.0)})
    _mat(
        root / "12k_Fan_End_Bearing_Fault_Data" / "B" / "007" / "282_0.mat",
        {"X282_DE_time": _tone(1_200, 12e3, 20.0)},
    )
    return root


def test_import_12k(src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "cwru_12k.npz"
    cwru.import_to_file(src, out, rate="12k")
    captured = capsys.readouterr()
    assert "imported 4 recordings at 12000 Hz" in captured.out
    assert "1 file(s) at the other rate left out" in captured.out
    assert "skipped 1 .mat file(s) that are not CWRU drive-end recordings: 282_0.mat" in (
        captured.err
    )

    ds = data.load_dataset(out)
    assert ds.ids() == [
        "CWRU97_DE12k_N_L0",
        "CWRU105_DE12k_IR007_L0",
        "CWRU3001_DE12k_IR028_L0",
        "CWRU131_DE12k_OR007@6_L1",
    ]
    assert [r.label for r in ds] == ["normal", "inner_race", "inner_race", "outer_race"]
    assert [r.load_hp for r in ds] == [0.0, 0.0, 0.0, 1.0]
    assert [r.fault_size_in for r in ds] == [0.0, 0.007, 0.028, 0.007]
    assert all(r.fs_hz == 12_000.0 for r in ds)
    normal, ir, ir28, outer = ds.recordings
    assert (normal.rpm, ir.rpm) == (1796.0, 1797.0)
    assert math.isnan(ir28.rpm) and math.isnan(outer.rpm)
    assert ir.source_file == f"{DE12}/IR/007/105_0.mat"
    assert normal.source_file == "Normal/97_Normal_0.mat"

    # Native 12 kHz data is stored as-is (float64 -> float32, no scaling).
    raw = scipy.io.loadmat(src / DE12 / "IR" / "007" / "105_0.mat")["X105_DE_time"].ravel()
    np.testing.assert_array_equal(ir.signal, raw.astype(np.float32))

    # The 48 kHz normal is decimated to 12 kHz and says where it came from.
    assert normal.n_samples == 9_600 // 4
    assert normal.derived_from.startswith("CWRU97_DE48k_N_L0 (Normal/97_Normal_0.mat:X097_DE_time")
    assert "decimated x4" in normal.derived_from
    spectrum = np.abs(np.fft.rfft(normal.signal[100:-100].astype(np.float64) * np.hanning(2_200)))
    freqs = np.fft.rfftfreq(2_200, 1 / 12_000)
    kept = spectrum[np.abs(freqs - 1_000) < 20].max()
    aliased = spectrum[np.abs(freqs - 2_000) < 20].max()
    assert aliased < 1e-3 * kept  # 10 kHz would fold to 2 kHz without the low-pass

    notes = ds.meta["recording_notes"]
    assert notes["CWRU3001_DE12k_IR028_L0"] == (
        "variable is X056_DE_time, not X3001_DE_time; no RPM variable in file"
    )
    assert "CWRU105_DE12k_IR007_L0" not in notes
    assert {"dataset", "source_repo", "source_commit", "license"} <= set(ds.meta)
    assert any("decimated" in note for note in ds.meta["notes"])


def test_import_48k(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "cwru_48k.npz"
    cwru.import_to_file(src, out, rate="48k")
    ds = data.load_dataset(out)
    assert ds.ids() == ["CWRU97_DE48k_N_L0", "CWRU122_DE48k_B007_L0"]
    assert all(r.fs_hz == 48_000.0 and r.derived_from == "" for r in ds)
    assert ds.recordings[0].n_samples == 9_600
    assert ds.meta["dataset"].endswith("48 kHz, 0 HP load only")


def test_bad_rate(src: Path, tmp_path: Path) -> None:
    with pytest.raises(VmonError, match="rate '24k' is not supported; use 12k or 48k"):
        cwru.import_to_file(src, tmp_path / "x.npz", rate="24k")
    assert not (tmp_path / "x.npz").exists()


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(VmonError, match="nowhere does not exist"):
        cwru.import_to_file(tmp_path / "nowhere", tmp_path / "x.npz")


def test_no_mat_files(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "readme.txt").write_text("no data here")
    with pytest.raises(VmonError, match=r"no \.mat files under .*empty"):
        cwru.import_to_file(tmp_path / "empty", tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_only_unknown_files(tmp_path: Path) -> None:
    _mat(tmp_path / "src" / "999_0.mat", {"X999_DE_time": np.ones(10)})
    with pytest.raises(VmonError, match=r"none of the 1 \.mat files .* \(999_0\.mat\)"):
        cwru.import_to_file(tmp_path / "src", tmp_path / "x.npz")


def test_only_other_rate_names_the_fix(src: Path, tmp_path: Path) -> None:
    only48 = tmp_path / "only48"
    _mat(only48 / DE48 / "B" / "007" / "122_0.mat", {"X122_DE_time": np.ones(100)})
    with pytest.raises(VmonError, match=r"no 12k drive-end CWRU files .*use --rate 48k"):
        cwru.import_to_file(only48, tmp_path / "x.npz", rate="12k")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_mat_names_the_file_and_writes_nothing(
    src: Path, tmp_path: Path, damage: str
) -> None:
    bad = src / DE12 / "IR" / "007" / "105_0.mat"
    blob = bad.read_bytes()
    bad.write_bytes(b"this is not a MATLAB file" * 10 if damage == "garbage" else blob[:300])
    out_dir = tmp_path / "out"
    with pytest.raises(VmonError) as err:
        cwru.import_to_file(src, out_dir / "cwru.npz")
    assert "105_0.mat" in str(err.value)
    assert "\n" not in str(err.value)
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_nan_samples_name_the_file(src: Path, tmp_path: Path) -> None:
    x = np.ones(100)
    x[5] = np.nan
    _mat(src / DE12 / "B" / "007" / "118_0.mat", {"X118_DE_time": x, "X118RPM": 1796})
    with pytest.raises(VmonError, match=r"118_0\.mat: X118_DE_time holds NaN"):
        cwru.import_to_file(src, tmp_path / "x.npz")


def test_missing_de_channel(src: Path, tmp_path: Path) -> None:
    _mat(src / DE12 / "B" / "007" / "118_0.mat", {"X118_FE_time": np.ones(100)})
    with pytest.raises(VmonError, match=r"118_0\.mat has no \*_DE_time variable"):
        cwru.import_to_file(src, tmp_path / "x.npz")


def test_duplicate_file_number(src: Path, tmp_path: Path) -> None:
    _mat(src / "copy" / "105_0.mat", {"X105_DE_time": np.ones(100)})
    with pytest.raises(VmonError, match="CWRU file 105 found twice"):
        cwru.import_to_file(src, tmp_path / "x.npz")


def test_file_in_wrong_rate_folder(tmp_path: Path) -> None:
    _mat(tmp_path / "src" / DE48 / "IR" / "007" / "105_0.mat", {"X105_DE_time": np.ones(100)})
    with pytest.raises(VmonError, match="sits in a 48k folder but CWRU file 105 is a 12k"):
        cwru.import_to_file(tmp_path / "src", tmp_path / "x.npz")


def test_recording_ids() -> None:
    assert cwru.recording_id(cwru.FILES[130], "12k") == "CWRU130_DE12k_OR007@6_L0"
    assert cwru.recording_id(cwru.FILES[3004], "12k") == "CWRU3004_DE12k_IR028_L3"
    assert cwru.recording_id(cwru.FILES[97], "48k") == "CWRU97_DE48k_N_L0"
    assert cwru.recording_id(cwru.FILES[261], "12k") == "CWRU261_DE12k_OR021@12_L3"


@pytest.mark.parametrize(("name", "rate"), [("cwru_12k_de", "12k"), ("cwru_48k_de_0hp", "48k")])
def test_table_reproduces_shared_index(name: str, rate: str) -> None:
    folder = paths.default_data_dir()
    index = None if folder is None else folder / f"{name}.index.csv"
    if index is None or not index.is_file():
        pytest.skip(f"shared {name}.index.csv not available (set VMON_DATA or ../shared/data)")
    with open(index, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        number = int(row["recording_id"].removeprefix("CWRU").split("_")[0])
        entry = cwru.FILES[number]
        assert cwru.recording_id(entry, rate) == row["recording_id"]
        assert entry.label == row["label"]
        assert float(entry.load_hp) == float(row["load_hp"])
        assert entry.size_in == pytest.approx(float(row["fault_size_in"]))
