"""Synthetic bearing vibration: defect-frequency theory, envelope spectra, determinism, load."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal as sps

from vmon import data, paths
from vmon.data import LABELS, Dataset, Recording, synth
from vmon.data.synth import DEFAULT_GEOMETRY
from vmon.errors import VmonError

FAULTS = ("inner_race", "ball", "outer_race")


@pytest.fixture(scope="module")
def ds12k() -> Dataset:
    return synth.generate_dataset(fs=12_000.0, seconds=2.0, seed=3)


@pytest.fixture(scope="module")
def ds48k() -> Dataset:
    return synth.generate_dataset(fs=48_000.0, seconds=1.0, loads=(2.0,), seed=4)


def envelope(rec: Recording) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Envelope spectrum computed independently of vmon.synth (Hilbert of the resonance band)."""
    fs = rec.fs_hz
    f_n = min(3_000.0, 0.4 * fs)
    sos = sps.butter(4, [f_n - 800, f_n + 800], btype="bandpass", fs=fs, output="sos")
    env = np.abs(sps.hilbert(sps.sosfiltfilt(sos, rec.signal.astype(np.float64))))
    env = (env - env.mean()) * np.hanning(env.size)
    nfft = 8 * env.size
    mag = np.abs(np.fft.rfft(env, nfft)).astype(np.float64)
    return np.fft.rfftfreq(nfft, 1 / fs).astype(np.float64), mag


def line_at(f: npt.NDArray[np.float64], mag: npt.NDArray[np.float64], freq: float) -> float:
    """Largest envelope-spectrum value within 1 % of ``freq``."""
    return float(mag[np.abs(f - freq) <= 0.01 * freq].max())


def theory(rec: Recording) -> float:
    """Impact rate by hand: BPFO, BPFI, or 2 x BSF (a ball defect hits both races per spin)."""
    f_r = rec.rpm / 60.0
    g = DEFAULT_GEOMETRY
    return {"outer_race": g.bpfo(f_r), "inner_race": g.bpfi(f_r), "ball": 2 * g.bsf(f_r)}[rec.label]


# ---------------------------------------------------------------------------- theory


# ---------------------------------------------------------------------------- envelope spectra


@pytest.mark.parametrize("fixture", ["ds12k", "ds48k"])
def test_envelope_spectrum_peaks_at_defect_frequency(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    ds: Dataset = request.getfixturevalue(fixture)
    checked = 0
    for rec in ds.select(labels=FAULTS):
        f, mag = envelope(rec)
        band = (f >= 5) & (f <= 500)
        peak = float(f[band][np.argmax(mag[band])])
        expected = theory(rec)
        assert abs(peak - expected) / expected < 0.01, (rec.recording_id, peak, expected)
        # The helper the demo uses agrees with the independent analysis.
        name, helper_theory = synth.expected_defect_frequency(rec)
        assert name == {"outer_race": "BPFO", "inner_race": "BPFI", "ball": "2xBSF"}[rec.label]
        assert helper_theory == pytest.approx(expected)
        assert synth.envelope_peak(rec, near=expected) == pytest.approx(expected, rel=0.01)
        checked += 1
    assert checked == 3 * len(ds.loads())


def test_ball_fault_repeats_at_twice_bsf(ds12k: Dataset) -> None:
    # Convention: a ball defect strikes outer and inner race once per spin, so the
    # dominant envelope line is 2 x BSF; 1 x BSF shows (unequal strikes) but weaker.
    for rec in ds12k.select(labels="ball"):
        f, mag = envelope(rec)
        bsf = DEFAULT_GEOMETRY.bsf(rec.rpm / 60)
        floor = np.median(mag[(f >= 5) & (f <= 500)])
        assert line_at(f, mag, 2 * bsf) > 1.5 * line_at(f, mag, bsf) > 6 * floor
    name, _ = synth.defect_frequency("ball", 1800.0)
    assert name == "2xBSF"


def test_normal_has_no_defect_peak(ds12k: Dataset) -> None:
    def prominence(rec: Recording, freq: float) -> float:
        f, mag = envelope(rec)
        return line_at(f, mag, freq) / float(np.median(mag[(f >= 5) & (f <= 500)]))

    for load in ds12k.loads():
        normal = ds12k.select(labels="normal", loads=load).recordings[0]
        for fault in ds12k.select(labels=FAULTS, loads=load):
            freq = theory(fault)
            assert prominence(fault, freq) > 12, fault.recording_id
            assert prominence(normal, freq) < 6, (normal.recording_id, fault.label)


# ---------------------------------------------------------------------------- behaviour


def test_deterministic_for_a_seed() -> None:
    a = synth.generate_dataset(fs=12_000.0, seconds=0.5, loads=(0.0, 3.0), seed=11)
    b = synth.generate_dataset(fs=12_000.0, seconds=0.5, loads=(0.0, 3.0), seed=11)
    c = synth.generate_dataset(fs=12_000.0, seconds=0.5, loads=(0.0, 3.0), seed=12)
    assert a.ids() == b.ids() == c.ids()
    for ra, rb, rc in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(ra.signal, rb.signal)
        assert not np.array_equal(ra.signal, rc.signal)
    assert a.meta == b.meta
    # Every recording gets its own random stream.
    assert len({r.signal.tobytes() for r in a}) == len(a)


@pytest.mark.parametrize("label", LABELS)
def test_load_raises_amplitude(label: str) -> None:
    rms = [
        float(np.sqrt(np.mean(np.square(rec.signal, dtype=np.float64))))
        for rec in (
            synth.generate_recording(label, 12_000.0, 1.0, rpm=1790.0, load=load, seed=5)
            for load in (0.0, 1.0, 2.0, 3.0)
        )
    ]
    assert rms == sorted(rms)
    assert rms[-1] > 1.15 * rms[0]


def test_faults_are_impulsive_and_louder_than_normal(ds12k: Dataset) -> None:
    def kurtosis(x: npt.NDArray[np.float32]) -> float:
        y = x.astype(np.float64) - x.mean()
        return float(np.mean(y**4) / np.mean(y**2) ** 2)

    normal = ds12k.select(labels="normal", loads=0).recordings[0]
    assert kurtosis(normal.signal) < 4
    for rec in ds12k.select(labels=FAULTS, loads=0):
        assert kurtosis(rec.signal) > 4, rec.recording_id
        assert np.std(rec.signal) > np.std(normal.signal)


def test_dataset_layout(ds12k: Dataset) -> None:
    assert len(ds12k) == 16
    assert ds12k.labels() == list(LABELS)
    assert ds12k.loads() == [0.0, 1.0, 2.0, 3.0]
    assert ds12k.recordings[1].recording_id == "SYN_12000_inner_race_L0"
    assert "SYN_12000_outer_race_L3" in ds12k.ids()
    for rec in ds12k:
        assert rec.signal.dtype == np.float32
        assert rec.n_samples == 24_000
        assert rec.fs_hz == 12_000.0
        assert (rec.fault_size_in == 0) == (rec.label == "normal")
    rpms = [ds12k.select(labels="normal", loads=ld).recordings[0].rpm for ld in ds12k.loads()]
    assert rpms == sorted(rpms, reverse=True)  # more load, more slip
    assert ds12k.meta["generator"]["seed"] == 3
    assert "BPFO" in ds12k.meta["recording_notes"]["SYN_12000_outer_race_L0"]


def test_resonance_clamped_below_nyquist() -> None:
    fs = 5_000.0
    assert synth.resonance_frequency(fs) == pytest.approx(2_000.0)
    rec = synth.generate_recording("outer_race", fs, 2.0, load=0.0, seed=1)
    f, pxx = sps.welch(rec.signal.astype(np.float64), fs=fs, nperseg=1024)
    above = f > 500
    assert f[above][np.argmax(pxx[above])] == pytest.approx(2_000.0, abs=50.0)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"label": "cracked"}, "unknown label 'cracked'"),
        ({"label": "ball", "fs": 0.0}, "sampling rate 0.0 Hz out of range"),
        ({"label": "ball", "seconds": -1.0}, "duration -1.0 s must be positive"),
        ({"label": "ball", "rpm": 0.0}, "rpm 0.0"),
        ({"label": "ball", "load": -1.0}, "load -1.0 hp"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(VmonError, match=expected):
        synth.generate_recording(**kwargs)  # type: ignore[arg-type]


def test_write_default_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "syn.npz"
    synth.write_default_set(out, fs=12_000.0, seconds=0.5, seed=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"wrote {out}: 16 recordings")
    back = data.load_dataset(out)
    assert back.ids() == synth.generate_dataset(seconds=0.5, seed=2).ids()
    assert math.isclose(back.total_seconds(), 8.0)


def test_written_set_passes_the_shared_checker(tmp_path: Path) -> None:
    folder = paths.default_data_dir()
    checker = None if folder is None else folder / "check_dataset.py"
    if checker is None or not checker.is_file():
        pytest.skip("shared check_dataset.py not available (set VMON_DATA or ../shared/data)")
    spec = importlib.util.spec_from_file_location("check_dataset", checker)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = synth.write_default_set(tmp_path / "syn.npz", seconds=0.5, seed=1)
    assert len(out) == 16
    assert module.check(tmp_path / "syn.npz") == []
