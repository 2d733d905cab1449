"""`invoke retrain` end to end on small synthetic data: outputs, determinism, bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from vmon import data
from vmon.codegen import model as codegen
from vmon.data import synth
from vmon.errors import VmonError
from vmon.ml import golden, train
from vmon.ml.model import load_model_dir

pytestmark = pytest.mark.slow


def synthetic_set(tmp_path: Path) -> Path:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.5, loads=(0.0, 1.0, 2.0), seed=5)
    keep = [r for r in ds.recordings if r.label != "normal" or r.load_hp == 0.0]
    return data.save_dataset(data.Dataset("syn", keep, meta={}), tmp_path / "syn.npz")


def quick(name: str = "t") -> train.TrainConfig:
    return train.TrainConfig(name=name, epochs=4, seed=11)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("retrain")
    ds_path = synthetic_set(tmp)
    out = train.retrain(data=str(ds_path), out=str(tmp / "model"), tc=quick())
    return ds_path, out


def test_model_directory_is_complete_and_embeddable(trained: tuple[Path, Path]) -> None:
    _, out = trained
    for name in ("model.tflite", "model.json", "report.html", "README.md", "golden.npz"):
        assert (out / name).is_file(), name
    md = load_model_dir(out)
    codegen.check_supported(md.meta, "model.json")
    assert golden.verify(out) >= 5
    meta = md.meta
    assert meta["split"]["kind"] == "load"
    assert meta["split"]["folds"][0]["time_split_recordings"] == ["SYN_12000_normal_L0"]
    assert meta["training_data"]["fingerprint"]
    assert set(meta["metrics"]["summary"]) >= {"int8_macro_f1_mean", "novelty_auroc_mean"}
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.split("<body>")[1]


def test_retrain_at_the_icm_rate(trained: tuple[Path, Path], tmp_path: Path) -> None:
    ds_path, _ = trained
    tc = train.TrainConfig(name="t8", epochs=2, seed=11, fs_hz=8000.0)
    out = train.retrain(data=str(ds_path), out=str(tmp_path / "m8"), tc=tc)
    md = load_model_dir(out)
    cfg = md.feature_config
    # Resampled to 8 kHz; the band plan ends at the ICM-42688-P path's usable bandwidth.
    assert (cfg.fs_hz, cfg.f_max_hz) == (8000.0, 930.0)
    assert [p.path for p in cfg.sensors] == ["replay", "icm42688"]
    # Its figures were read in the datasheet (DS-000347 rev 1.5).
    assert md.meta["feature_config"]["sensors"][1]["verified"] is True
    assert golden.verify(out) >= 5
    assert "## Sensor paths" in (out / "README.md").read_text()
    assert "<h2>Sensor paths</h2>" in (out / "report.html").read_text()


def test_same_seed_same_model(trained: tuple[Path, Path], tmp_path: Path) -> None:
    ds_path, out = trained
    again = train.retrain(data=str(ds_path), out=str(tmp_path / "again"), tc=quick())
    digest = [hashlib.sha256((d / "model.tflite").read_bytes()).hexdigest() for d in (out, again)]
    assert digest[0] == digest[1]


def test_single_class_dataset_is_refused(tmp_path: Path) -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.0, loads=(0.0, 1.0), seed=1)
    only = [r for r in ds.recordings if r.label == "ball"]
    path = data.save_dataset(data.Dataset("one", only, meta={}), tmp_path / "one.npz")
    with pytest.raises(VmonError, match="only label"):
        train.retrain(data=str(path), out=str(tmp_path / "m"), tc=quick())
    assert not (tmp_path / "m").exists()


def test_short_recording_is_named(tmp_path: Path) -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.0, loads=(0.0, 1.0), seed=1)
    short = ds.recordings[0]
    ds.recordings[0] = data.Recording(
        short.recording_id,
        short.signal[:500].copy(),
        short.fs_hz,
        short.label,
        short.load_hp,
        short.fault_size_in,
        short.rpm,
    )
    with pytest.raises(VmonError, match=f"recording {short.recording_id} is shorter"):
        train.check_dataset(ds, train.TrainConfig().features)


def test_nan_samples_are_named() -> None:
    ds = synth.generate_dataset(fs=12_000.0, seconds=1.0, loads=(0.0, 1.0), seed=1)
    ds.recordings[2].signal[10] = np.nan
    with pytest.raises(VmonError, match=f"{ds.recordings[2].recording_id} has NaN"):
        train.check_dataset(ds, train.TrainConfig().features)


def test_band_plan_beyond_usable_bandwidth_is_refused() -> None:
    ds = synth.generate_dataset(fs=8_000.0, seconds=1.0, loads=(0.0, 1.0), seed=1)
    # 8 kHz data is usable to 3.2 kHz; the default plan reaches 4.8 kHz (after resampling
    # to 12 kHz nothing above 4 kHz would be real signal).
    with pytest.raises(VmonError, match="usable only up to 3200 Hz"):
        train.check_dataset(ds, train.TrainConfig().features)


def test_failure_while_writing_leaves_nothing(
    trained: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds_path, _ = trained
    from vmon.ml import report

    def boom(*args: object, **kwargs: object) -> None:
        raise VmonError("disk full")

    monkeypatch.setattr(report, "write", boom)
    with pytest.raises(VmonError, match="disk full"):
        train.retrain(data=str(ds_path), out=str(tmp_path / "m"), tc=quick())
    assert sorted(p.name for p in tmp_path.iterdir()) == []
