"""Envelope typing in integers: geometry maths, demodulation, lines, verdicts, speed."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pytest

from vmon.bearing import PRESETS, BearingGeometry
from vmon.dsp import envelope as env
from vmon.dsp import features as feat
from vmon.errors import VmonError

CFG = feat.FeatureConfig()
TC = env.TypingConfig.for_features(CFG)


def test_cos_table_is_cosine_in_q15() -> None:
    assert env.cos_q15(0) == 32768
    assert env.cos_q15(9000 - 1) < 10
    for cdeg in (1, 1550, 3000, 4525, 6000, 8999):
        assert abs(env.cos_q15(cdeg) - 32768 * math.cos(math.radians(cdeg / 100))) <= 2
    values = [env.cos_q15(c) for c in range(0, 9000, 7)]
    assert all(a >= b for a, b in itertools.pairwise(values))
    for bad in (-1, 9000, 12000):
        with pytest.raises(VmonError, match="contact angle"):
            env.cos_q15(bad)


@pytest.mark.parametrize("geometry", [*PRESETS.values(), BearingGeometry(13, 9.525, 46.0, 40.0)])
def test_integer_defect_frequencies_match_the_kinematics(geometry: BearingGeometry) -> None:
    dev = env.DeviceBearing.from_geometry(geometry)
    for rpm in (600.0, 1797.0, 3550.0):
        shaft_mhz = round(rpm * 1000 / 60)
        got = dev.defects_mhz(shaft_mhz)
        want = geometry.defects(shaft_mhz / 1000)
        for kind in env.TYPES:
            assert got[kind] / 1000 == pytest.approx(want[kind], rel=2e-4), kind


def _windows(x_g: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
    w, _ = feat.frame(feat.g_to_counts(x_g, CFG), CFG)
    return feat.FeatureExtractor(CFG).compute_with_spectra(w)[1]


def _envelope(spectra: npt.NDArray[np.int32], k1: int) -> npt.NDArray[np.int64]:
    import cmsisdsp as dsp

    demod, ring = env.Demodulator(TC.decim, TC.band), env.Ring(TC.env_len, TC.decim // 2)
    for s in spectra:
        done = demod.push(s, k1)
        if done is not None:
            ring.push(np.asarray(dsp.arm_cmplx_mag_q31(done.astype(np.int32)), dtype=np.int64))
        if ring.full:
            return ring.values
    raise AssertionError("not enough windows to fill the envelope")


def test_overlap_add_gives_a_steady_envelope_for_a_steady_tone() -> None:
    t = np.arange(int(2.0 * CFG.fs_hz)) / CFG.fs_hz
    k1 = 200
    f = (k1 + 20) * CFG.bin_hz
    e = _envelope(_windows(0.5 * np.sin(2 * np.pi * f * t)), k1).astype(np.float64)
    # Hann windows at 50 % overlap sum to one: no ripple at the hop rate.
    assert e.std() / e.mean() < 0.02


def test_envelope_spectrum_shows_the_modulation_rate() -> None:
    t = np.arange(int(2.0 * CFG.fs_hz)) / CFG.fs_hz
    k1, f_mod = 200, 37.0
    carrier = (k1 + 30) * CFG.bin_hz
    x = 0.3 * (1 + 0.5 * np.cos(2 * np.pi * f_mod * t)) * np.sin(2 * np.pi * carrier * t)
    spec = env.Spectrum(TC, TC.env_len)(_envelope(_windows(x), k1))
    res = TC.env_fs_mhz / 1000 / TC.env_len
    peak = int(np.argmax(spec[2:])) + 2
    assert abs(peak * res - f_mod) <= res


def test_demodulation_band_must_be_even_and_inside() -> None:
    spectra = _windows(np.zeros(4096))
    demod = env.Demodulator(TC.decim, TC.band)
    for bad in (201, -2, CFG.window // 2 - TC.band + 2):
        with pytest.raises(VmonError, match="demodulation band"):
            demod.push(spectra[0], bad)
    assert demod.push(spectra[0], 200) is None  # the first window only primes the overlap
    assert demod.push(spectra[1], 200) is not None


def test_ambiguous_lines_are_dropped() -> None:
    shaft = 30_000
    # BPFI exactly 1.5 x BPFO: 3 x BPFO meets 2 x BPFI, so neither is read.
    defects = {"outer_race": 100_000, "inner_race": 150_000, "ball": 137_000}
    lines = env.defect_lines(TC, defects, shaft)
    kept = {(ln.type, ln.harmonic, ln.side) for ln in lines}
    assert ("outer_race", 3, 0) not in kept and ("inner_race", 2, 0) not in kept
    assert ("outer_race", 1, 0) in kept and ("inner_race", 1, 0) in kept
    assert ("inner_race", 1, -1) in kept and ("inner_race", 1, 1) in kept
    # Nothing beyond 90 % of the envelope spectrum.
    assert max(ln.hi for ln in lines) < TC.env_len // 2 * 9 // 10


def _spectrum_with(lines: list[env.Line], kinds: set[str], height: int = 40) -> npt.NDArray:
    rng = np.random.default_rng(3)
    spec = rng.integers(80, 120, TC.env_len // 2).astype(np.int64)
    for ln in lines:
        if ln.type in kinds:
            spec[(ln.lo + ln.hi) // 2] = 100 * height
    return spec


def test_verdict_names_a_type_only_with_grounds() -> None:
    defects = env.DeviceBearing.from_geometry(PRESETS["6205-2RS"]).defects_mhz(29_950)
    lines = env.defect_lines(TC, defects, 29_950)
    for kind in env.TYPES:
        v = env.verdict(_spectrum_with(lines, {kind}), lines)
        assert v.type == kind and v.confidence_permille == 1000
    # Flat spectrum, or two types equally present: unknown.
    assert env.verdict(_spectrum_with(lines, set()), lines).type == env.UNKNOWN
    both = env.verdict(_spectrum_with(lines, {"outer_race", "ball"}), lines)
    assert both.type == env.UNKNOWN and both.confidence_permille == 0


def test_speed_estimate_finds_the_harmonic_series() -> None:
    f0 = 21.37  # bins
    spec = np.full(256, 100, dtype=np.int64)
    for k in range(1, 6):
        b = k * f0
        lo = int(b)
        spec[lo] += int(5000 * (1 - (b - lo)))
        spec[lo + 1] += int(5000 * (b - lo))
    got = env.estimate_speed_bin_q8(spec, 18 * 256, 25 * 256)
    assert got is not None and abs(got / 256 - f0) <= 1 / 8
    assert env.estimate_speed_bin_q8(spec, 300 * 256, 310 * 256) is None
    # Over a wide range: the fundamental, not its multiples or its half.
    wide = env.estimate_speed_bin_q8(spec, 5 * 256, 60 * 256)
    assert wide is not None and abs(wide / 256 - f0) <= 1 / 8


def test_speed_estimate_ignores_a_strong_tone_without_its_fundamental() -> None:
    # A blade pass (or mains) tone far above the shaft's harmonics: a plain harmonic sum
    # would put the shaft at that tone or a sub-multiple; prominence with a required
    # fundamental keeps the shaft's own series.
    f0 = 21.37
    spec = np.full(256, 100, dtype=np.int64)
    for k in range(1, 6):
        spec[round(k * f0)] += 3000
    spec[round(5.5 * f0)] += 400_000
    got = env.estimate_speed_bin_q8(spec, 5 * 256, 60 * 256)
    assert got is not None and abs(got / 256 - f0) <= 0.5


def test_speed_estimate_abstains_without_a_standing_fundamental() -> None:
    # Noise only: nothing stands 4x above its neighbourhood.
    spec = np.random.default_rng(3).integers(900, 1100, 256).astype(np.int64)
    assert env.estimate_speed_bin_q8(spec, 5 * 256, 60 * 256) is None


def test_speed_background_is_the_mean_of_both_sides() -> None:
    spec = np.arange(64, dtype=np.int64) * 10
    level, sh = env.speed_background(spec)
    assert sh == 0
    b = 30  # sides 19..26 and 34..41: mean of b +- 4..11 is b itself for a ramp
    assert level[b] == 10 * b
    # At the low edge the right side stands for both; at the high edge the left.
    assert level[0] == sum(spec[4:12]) // 8
    assert level[63] == sum(spec[63 - 11 : 63 - 3]) // 8


def test_typing_config_checks() -> None:
    with pytest.raises(VmonError, match="hop = window/2"):
        env.TypingConfig.for_features(feat.FeatureConfig(hop=256))
    with pytest.raises(VmonError, match="CFFT length"):
        env.TypingConfig(fs_hz=12_000, window=1024, decim=100)
    with pytest.raises(VmonError, match="arm_rfft_q31 length"):
        env.TypingConfig(fs_hz=12_000, window=1024, env_len=1000)
    with pytest.raises(VmonError, match="whole blocks"):
        env.TypingConfig(fs_hz=12_000, window=1024, speed_ring=500)
    with pytest.raises(VmonError, match="at most speed_len"):
        env.TypingConfig(fs_hz=12_000, window=1024, speed_ring=2048)
    assert TC.env_fs_mhz == 1_500_000 and TC.speed_fs_mhz == 375_000


def test_ring_keeps_int16_blocks_and_gives_them_back_oldest_first() -> None:
    r = env.Ring(8, 4)
    r.push(np.array([1, -2, 3, 32767], dtype=np.int64))
    assert not r.full
    big = np.array([1 << 20, -(1 << 20), 5, -(1 << 31)], dtype=np.int64)
    r.push(big)
    assert r.full
    # The second block needs 17 bits of shift for -2^31; its small values floor away.
    assert r.shift.tolist() == [0, 17]
    assert r.values.tolist() == [1, -2, 3, 32767, 1 << 20, -(1 << 20), 0, -(1 << 31)]
    r.push(np.array([7, 7, 7, 7], dtype=np.int64))
    assert r.values.tolist()[:4] == [1 << 20, -(1 << 20), 0, -(1 << 31)]
    with pytest.raises(VmonError, match="blocks have 4"):
        r.push(np.array([1, 2], dtype=np.int64))
    with pytest.raises(VmonError, match="whole blocks"):
        env.Ring(10, 4)


def test_a_short_ring_is_windowed_over_its_length_and_zero_padded() -> None:
    t = np.arange(512)
    x = np.round(1e6 * np.sin(2 * np.pi * 40 * t / 512)).astype(np.int64)
    spec = env.Spectrum(TC, 1024)(x)
    # 40 cycles in 512 samples: bin 80 of the 1024-point spectrum.
    assert int(np.argmax(spec)) == 80
    with pytest.raises(VmonError, match="zero-padded"):
        env.Spectrum(TC, 1024)(x[:500])


def test_line_search_ranges_fit_the_firmware_background_buffer() -> None:
    # vmon_envelope.c sizes its background buffer for lines no wider than this.
    top = TC.env_len // 2 * 9 // 10
    width_max = 2 * (top * env.TOLERANCE_PERMILLE // 1000 + 2) + 1
    for f_mhz in range(5_000, 400_000, 1_333):
        defects = {"inner_race": f_mhz * 3 // 2, "ball": f_mhz * 4 // 3, "outer_race": f_mhz}
        for line in env.defect_lines(TC, defects, f_mhz // 4):
            assert line.hi - line.lo + 1 <= width_max


def test_a_very_low_defect_frequency_still_clashes_beyond_many_harmonics() -> None:
    # 2 Hz ball rate: hundreds of harmonics below the top of the envelope spectrum (the
    # firmware keeps the first 64 and computes the rest).
    defects = {"inner_race": 161_000, "ball": 2_000, "outer_race": 107_000}
    lines = env.defect_lines(TC, defects, 30_000)
    assert [(ln.type, ln.harmonic) for ln in lines] == [("ball", 2), ("ball", 3)]
