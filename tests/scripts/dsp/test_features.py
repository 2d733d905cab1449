"""The device feature pipeline in Python: fixed-point details, physics, config and hash."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vmon.dsp import features as feat
from vmon.errors import VmonError


@pytest.fixture(scope="module")
def fx() -> feat.FeatureExtractor:
    return feat.FeatureExtractor(feat.FeatureConfig())


def tone(cfg: feat.FeatureConfig, freq: float, amp_g: float) -> np.ndarray:
    t = np.arange(cfg.window) / cfg.fs_hz
    return feat.g_to_counts(amp_g * np.sin(2 * np.pi * freq * t), cfg)


def test_log2_q8_exact_values() -> None:
    values = [0, 1, 2, 3, 4, 5, 255, 256, 257, 2**40, 2**63 + 2**62, 2**64 - 1]
    expected = [
        0,
        0,
        256,
        384,
        512,
        512 + 64,
        7 * 256 + 254,
        2048,
        2048 + 1,
        40 * 256,
        63 * 256 + 128,
        63 * 256 + 255,
    ]
    assert feat.log2_q8(np.array(values, dtype=np.uint64)).tolist() == expected


def test_log2_q8_is_monotone_and_close_to_log2() -> None:
    v = np.unique(np.round(np.logspace(0, 18, 5000)).astype(np.uint64))
    q = feat.log2_q8(v)
    assert (np.diff(q) >= 0).all()
    # Mitchell's approximation: error below 0.09 in log2 units.
    err = q / 256 - np.log2(v.astype(np.float64))
    assert err.max() <= 1e-9 and err.min() > -0.09


def test_default_band_plan_respects_usable_bandwidth() -> None:
    cfg = feat.FeatureConfig()
    top_hz = (cfg.band_edges[-1]) * cfg.bin_hz  # exclusive upper edge of the last band
    assert top_hz <= feat.default_usable_bandwidth(cfg.fs_hz) + cfg.bin_hz
    assert cfg.band_edges[0] == 1  # DC is not a feature
    assert all(b > a for a, b in zip(cfg.band_edges, cfg.band_edges[1:], strict=False))
    with pytest.raises(VmonError, match="usable only up to 4000 Hz"):
        cfg.check_bandwidth(4000.0)


def test_tone_energy_lands_in_its_band(fx: feat.FeatureExtractor) -> None:
    cfg = fx.cfg
    k = 200  # an FFT bin well inside the plan
    f = fx.compute(tone(cfg, k * cfg.bin_hz, 1.0))[0]
    band = int(np.searchsorted(cfg.band_edges, k, side="right")) - 1
    bands = f[: cfg.n_bands]
    assert int(np.argmax(bands)) == band
    # A Hann-windowed tone leaks little: the band two away is > 40 dB (13 log2) below.
    assert bands[band] - bands[band + 2] > 13 * 256


def test_band_energy_scales_with_amplitude(fx: feat.FeatureExtractor) -> None:
    cfg = fx.cfg
    a = fx.compute(tone(cfg, 1000.0, 0.5))[0]
    b = fx.compute(tone(cfg, 1000.0, 1.0))[0]
    band = int(np.argmax(a[: cfg.n_bands]))
    # Twice the amplitude is four times the energy: +2 in log2 (Q8: 512), within rounding.
    assert abs((b[band] - a[band]) - 512) <= 8


def test_velocity_of_a_tone_in_mm_s(fx: feat.FeatureExtractor) -> None:
    cfg = fx.cfg
    for freq, amp in ((80.0, 0.5), (300.0, 2.0)):
        expected = amp * feat.G_MM_S2 / (2 * math.pi * freq) / math.sqrt(2)
        got = float(fx.velocity_mm_s(fx.compute(tone(cfg, freq, amp)))[0])
        assert got == pytest.approx(expected, rel=0.08), (freq, got, expected)


def test_time_features_track_impulsiveness(fx: feat.FeatureExtractor) -> None:
    cfg = fx.cfg
    rng = np.random.default_rng(1)
    gauss = np.round(rng.normal(0, 2000, cfg.window)).astype(np.int16)
    spiky = gauss.copy()
    spiky[::128] = 30000
    names = cfg.feature_names
    g, s = fx.compute(np.stack([gauss, spiky]))
    assert s[names.index("kurtosis")] > g[names.index("kurtosis")] + 256  # > 2x kurtosis
    assert s[names.index("crest")] > g[names.index("crest")]
    # Gaussian kurtosis is 3: log2(3) = 1.58 -> about 405 in Q8.
    assert abs(int(g[names.index("kurtosis")]) - 405) < 40


def test_edge_inputs_are_defined(fx: feat.FeatureExtractor) -> None:
    cfg = fx.cfg
    silent = np.zeros(cfg.window, dtype=np.int16)
    saturated = np.where(np.arange(cfg.window) % 32 < 16, 32767, -32768).astype(np.int16)
    dc = np.full(cfg.window, 12000, dtype=np.int16)
    out = fx.compute(np.stack([silent, saturated, dc]))
    # DC is removed, so a constant input is silence. Silence has fixed, finite features:
    # zero band energies and velocity, log2 mean square at its floor (-log2 N).
    names = cfg.feature_names
    log_n = cfg.log2_window * 256
    for row in (out[0], out[2]):
        assert (row[: cfg.n_bands] == 0).all()
        assert row[names.index("velocity")] == 0
        assert row[names.index("rms")] == -log_n
        assert row[names.index("peak")] == 0
    assert (out[1][: cfg.n_bands] > 0).any()


def test_bad_window_shape_or_dtype(fx: feat.FeatureExtractor) -> None:
    with pytest.raises(VmonError, match="int16"):
        fx.compute(np.zeros(fx.cfg.window, dtype=np.float32))
    with pytest.raises(VmonError, match="shape"):
        fx.compute(np.zeros((2, 100), dtype=np.int16))


def test_counts_saturate_at_full_scale() -> None:
    cfg = feat.FeatureConfig(full_scale_g=16.0)
    counts = feat.g_to_counts(np.array([0.0, 1.0, -1.0, 20.0, -20.0]), cfg)
    assert counts.tolist() == [0, 2048, -2048, 32767, -32768]


def test_config_hash_and_json_round_trip() -> None:
    cfg = feat.FeatureConfig()
    doc = cfg.to_json()
    back = feat.FeatureConfig.from_json(doc)
    assert back == cfg and back.hash == cfg.hash
    assert feat.FeatureConfig(n_bands=48).hash != cfg.hash
    assert feat.FeatureConfig(full_scale_g=8.0).hash != cfg.hash


def test_config_json_tampering_is_refused() -> None:
    doc = feat.FeatureConfig().to_json()
    bad_hash = dict(doc, hash="0" * 64)
    with pytest.raises(VmonError, match="hash"):
        feat.FeatureConfig.from_json(bad_hash)
    tables = dict(doc["tables"], window_q15=[0] * 1024)
    with pytest.raises(VmonError, match="tables"):
        feat.FeatureConfig.from_json(dict(doc, tables=tables))
    wrong = {"velocity_mm_s": doc["calibration"]["velocity_mm_s"] * 1.01}
    with pytest.raises(VmonError, match="calibration velocity_mm_s"):
        feat.FeatureConfig.from_json(dict(doc, calibration=wrong))


def test_velocity_calibration_reads_a_tone_in_mm_s() -> None:
    """Velocity from the feature (the firmware's formula) on a pure tone in the band."""
    cfg = feat.FeatureConfig()
    f_hz, amp_g = 40.0 * cfg.bin_hz, 1.0  # inside the 10 Hz..1 kHz velocity band
    t = np.arange(cfg.window) / cfg.fs_hz
    x = feat.g_to_counts(amp_g * np.sin(2 * np.pi * f_hz * t), cfg)
    f = feat.FeatureExtractor(cfg).compute(x[None, :])[0]
    true = amp_g * 9806.65 / (2 * np.pi * f_hz) / np.sqrt(2)
    assert float(feat.velocity_from_feature(f[-1], cfg)) == pytest.approx(true, rel=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 1000}, "arm_rfft_q31"),
        ({"hop": 0}, "hop"),
        ({"f_max_hz": 7000.0}, "f_max_hz"),
        ({"window_fn": "hamming"}, "hann"),
    ],
)
def test_invalid_configs(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(VmonError, match=message):
        feat.FeatureConfig(**kwargs)  # type: ignore[arg-type]


def test_resample_48k_to_12k_keeps_a_tone() -> None:
    fs = 48_000.0
    t = np.arange(48_000) / fs
    x = np.sin(2 * np.pi * 1000 * t)
    y = feat.resample_to(x, fs, 12_000.0)
    assert len(y) == 12_000
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert np.argmax(spectrum) == 1000  # 1 Hz bins


def test_frame_windows_and_starts() -> None:
    cfg = feat.FeatureConfig()
    counts = np.arange(5000, dtype=np.int16)
    windows, starts = feat.frame(counts, cfg)
    assert starts.tolist() == [0, 512, 1024, 1536, 2048, 2560, 3072, 3584]
    assert (windows[1] == counts[512 : 512 + 1024]).all()
    empty, none = feat.frame(counts[:100], cfg)
    assert empty.shape == (0, 1024) and none.size == 0
