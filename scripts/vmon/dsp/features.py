"""The device's feature pipeline, computed bit-exactly in Python.

Every number here is an integer computed the way the firmware computes it: the FFT and the
magnitudes come from the same CMSIS-DSP q31 kernels (``arm_rfft_q31``, ``arm_cmplx_mag_q31``)
through the ``cmsisdsp`` package, whose outputs were measured identical on the Cortex-M3 and
on the DSP-extension Cortex-M33; everything else (DC removal, window, band sums, statistics,
log2) is plain integer arithmetic that C and numpy evaluate identically. The q15 kernels are
not used: they differ by a few LSB on DSP targets.

Pipeline for one window of ``window`` int16 samples (the accelerometer's counts):

1. DC removal: ``d = x - round(mean(x))``.
2. Time-domain statistics on ``d``: energy, peak, 4th moment (on ``d`` shifted right so the
   sums fit 64 bits).
3. ``q = sat16(d)``; Hann window in Q15; ``(q * w) << 1`` is the q31 FFT input.
4. ``arm_rfft_q31`` then ``arm_cmplx_mag_q31`` over bins 0 .. window/2 - 1.
5. Band energies: ``sum((mag >> MAG_SHIFT)**2)`` over a linear band plan up to ``f_max_hz``.
6. Velocity: the magnitude weighted by ``f_lo / f`` (acceleration to velocity) over
   ``velocity_band_hz``, squared and summed.
7. Every feature is a fixed-point log2 (Q8, Mitchell's approximation), so the features are
   scale-free sums and differences of integers.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.dsp.sensors import SensorPath, usable_bandwidth
from vmon.dsp.spec import (
    KURT_BITS,
    LOG2_FRAC_BITS,
    MAG_SHIFT,
    PIPELINE_VERSION,
    RFFT_LENGTHS,
    VEL_WEIGHT_BITS,
)
from vmon.errors import VmonError

G_MM_S2 = 9806.65  # one g in mm/s^2

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that defines the features; serialized with every model (model.json)."""

    fs_hz: float = 12_000.0
    window: int = 1024
    hop: int = 512
    window_fn: str = "hann"
    #: Accelerometer range: int16 full scale (32768 counts) equals this many g.
    full_scale_g: float = 16.0
    n_bands: int = 32
    #: Upper edge of the band plan; must stay inside the data's usable bandwidth.
    f_max_hz: float = 4_800.0
    velocity_band_hz: tuple[float, float] = (10.0, 1_000.0)
    pipeline_version: int = PIPELINE_VERSION
    band_edges: tuple[int, ...] = field(default=(), compare=False)
    #: The sensor paths the features are meant for (vmon.dsp.sensors): documentation, not
    #: part of the hash (it changes no feature).
    sensors: tuple[SensorPath, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.window not in RFFT_LENGTHS:
            raise VmonError(f"feature window {self.window} is not an arm_rfft_q31 length")
        if not 0 < self.hop <= self.window:
            raise VmonError(f"feature hop {self.hop} must be in 1..{self.window}")
        if self.window_fn != "hann":
            raise VmonError(f"window function {self.window_fn!r} unsupported; use 'hann'")
        if not 0 < self.f_max_hz <= self.fs_hz / 2:
            raise VmonError(f"f_max_hz {self.f_max_hz} must be in (0, fs/2 = {self.fs_hz / 2}]")
        lo, hi = self.velocity_band_hz
        if not (0 < lo < hi <= self.fs_hz / 2) or hi < self.bin_hz:
            raise VmonError(f"velocity band {lo}-{hi} Hz must lie in (0, fs/2] and span a bin")
        k_max = int(self.f_max_hz / self.bin_hz)
        if k_max < self.n_bands:
            raise VmonError(f"{self.n_bands} bands do not fit below {self.f_max_hz} Hz")
        edges = tuple(int(e) for e in np.round(np.linspace(1, k_max + 1, self.n_bands + 1)))
        if self.band_edges and tuple(self.band_edges) != edges:
            raise VmonError("feature config band_edges do not match its parameters")
        object.__setattr__(self, "band_edges", edges)
        for path in self.sensors:
            if path.rate_hz != self.fs_hz:
                raise VmonError(
                    f"sensor path {path.path} runs at {path.rate_hz:g} Hz, the features at "
                    f"{self.fs_hz:g} Hz"
                )

    @property
    def bin_hz(self) -> float:
        return self.fs_hz / self.window

    @property
    def log2_window(self) -> int:
        return self.window.bit_length() - 1

    @property
    def velocity_bins(self) -> tuple[int, int]:
        """First and last FFT bin (inclusive) of the velocity band."""
        lo, hi = self.velocity_band_hz
        return max(1, math.ceil(lo / self.bin_hz)), math.floor(hi / self.bin_hz)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def feature_names(self) -> list[str]:
        return [f"band_{i:02d}" for i in range(self.n_bands)] + list(TIME_FEATURES)

    def window_q15(self) -> npt.NDArray[np.int16]:
        """Periodic Hann window in Q15, computed once and embedded in the firmware."""
        n = np.arange(self.window)
        w = 0.5 - 0.5 * np.cos(2 * np.pi * n / self.window)
        return np.round(w * 32767).astype(np.int16)

    def velocity_weights(self) -> Int64Array:
        """Q16 weights f_lo / f_k for the velocity bins (acceleration -> velocity)."""
        k0, k1 = self.velocity_bins
        f = np.arange(k0, k1 + 1) * self.bin_hz
        return np.round(self.velocity_band_hz[0] / f * (1 << VEL_WEIGHT_BITS)).astype(np.int64)

    def to_json(self) -> dict[str, Any]:
        doc = self._fields_json()
        doc["feature_names"] = self.feature_names
        doc["hash"] = self.hash
        # The exact integer tables and constants, so the firmware generator needs no numpy.
        k0, k1 = self.velocity_bins
        doc["tables"] = {
            "window_q15": self.window_q15().tolist(),
            "velocity_bins": [k0, k1],
            "velocity_weights": self.velocity_weights().tolist(),
        }
        doc["constants"] = {
            "log2_frac_bits": LOG2_FRAC_BITS,
            "mag_shift": MAG_SHIFT,
            "vel_weight_bits": VEL_WEIGHT_BITS,
            "kurt_bits": KURT_BITS,
        }
        # Float calibration, not part of the hash: the firmware reports velocity in mm/s.
        doc["calibration"] = {"velocity_mm_s": velocity_scale(self)}
        doc["sensors"] = [p.to_json() for p in self.sensors]
        return doc

    def _fields_json(self) -> dict[str, Any]:
        """The hashed parameters as JSON values (everything but the sensor paths)."""
        doc = asdict(self)
        del doc["sensors"]
        doc["velocity_band_hz"] = list(self.velocity_band_hz)
        doc["band_edges"] = list(self.band_edges)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FeatureConfig:
        known = {f for f in cls.__dataclass_fields__}
        args = {k: v for k, v in doc.items() if k in known}
        try:
            args["velocity_band_hz"] = tuple(args["velocity_band_hz"])
            args["band_edges"] = tuple(args.get("band_edges", ()))
            args["sensors"] = tuple(SensorPath.from_json(p) for p in args.get("sensors", ()))
            cfg = cls(**args)
        except (KeyError, TypeError, ValueError) as err:
            raise VmonError(f"feature config is invalid ({err})") from None
        if "hash" in doc and doc["hash"] != cfg.hash:
            raise VmonError(
                f"feature config hash {doc['hash'][:12]} does not match its fields "
                f"({cfg.hash[:12]})"
            )
        if "tables" in doc or "constants" in doc:
            mine = cfg.to_json()
            for key in ("tables", "constants"):
                if doc.get(key) != mine[key]:
                    raise VmonError(f"feature config field {key} does not match its parameters")
        if "calibration" in doc:
            cal = doc["calibration"]
            got = cal.get("velocity_mm_s") if isinstance(cal, dict) else None
            want = velocity_scale(cfg)
            if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-9):
                raise VmonError(
                    f"feature config calibration velocity_mm_s is {got!r}, "
                    f"its parameters give {want!r}"
                )
        return cfg

    @property
    def hash(self) -> str:
        """sha256 of the canonical parameters: equal hashes mean compatible features."""
        doc = self._fields_json()
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def check_bandwidth(self, usable_hz: float) -> None:
        """The band plan must stay below the data's usable bandwidth."""
        if self.f_max_hz > usable_hz:
            raise VmonError(
                f"band plan reaches {self.f_max_hz:.0f} Hz but the data is usable only up to "
                f"{usable_hz:.0f} Hz; lower f_max_hz"
            )


TIME_FEATURES = ("rms", "peak", "crest", "kurtosis", "velocity")


def default_usable_bandwidth(fs_hz: float) -> float:
    """0.4 fs: below the roll-off of typical anti-alias filters (80 % of Nyquist)."""
    return usable_bandwidth(fs_hz)


# --------------------------------------------------------------------------- integer helpers


def log2_q8(v: npt.ArrayLike) -> Int32Array:
    """Fixed-point log2 of non-negative integers (Q8, piecewise linear between powers of two).

    ``log2_q8(0) == log2_q8(1) == 0``. Integer only: the firmware's ``vmon_log2_q8`` is the
    same bit operations.
    """
    a = np.asarray(v, dtype=np.uint64)
    if a.size and (np.asarray(v) < 0).any():
        raise ValueError("log2_q8 of a negative number")
    out = np.zeros(a.shape, dtype=np.int32)
    nz = a > 1
    x = a[nz]
    # floor(log2(x)) by bit length, exact for 64-bit integers.
    n = np.zeros(x.shape, dtype=np.int64)
    y = x.copy()
    for shift in (32, 16, 8, 4, 2, 1):
        big = y >= (np.uint64(1) << np.uint64(shift))
        n[big] += shift
        y[big] >>= np.uint64(shift)
    n_u = n.astype(np.uint64)
    frac_bits = np.uint64(LOG2_FRAC_BITS)
    # The LOG2_FRAC_BITS bits right below the leading one, as the fraction.
    hi = n_u >= frac_bits
    frac = np.empty(x.shape, dtype=np.uint64)
    frac[hi] = x[hi] >> (n_u[hi] - frac_bits)
    frac[~hi] = x[~hi] << (frac_bits - n_u[~hi])
    frac &= np.uint64((1 << LOG2_FRAC_BITS) - 1)
    out[nz] = (n << LOG2_FRAC_BITS).astype(np.int32) + frac.astype(np.int32)
    return out


def g_to_counts(x: npt.ArrayLike, cfg: FeatureConfig) -> npt.NDArray[np.int16]:
    """Acceleration in g to the accelerometer's int16 counts (rounded, saturated)."""
    scaled = np.round(np.asarray(x, dtype=np.float64) * (32768.0 / cfg.full_scale_g))
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def _bit_length(v: Int64Array) -> Int64Array:
    out = np.zeros(v.shape, dtype=np.int64)
    y = v.copy()
    for shift in (32, 16, 8, 4, 2, 1):
        big = y >= (1 << shift)
        out[big] += shift
        y[big] >>= shift
    return out + (y > 0)


class FeatureExtractor:
    """Computes the integer features of int16 windows; holds the CMSIS-DSP FFT instance."""

    def __init__(self, cfg: FeatureConfig) -> None:
        try:
            import cmsisdsp as dsp
        except ImportError:  # pragma: no cover - a dependency of the package
            raise VmonError("cmsisdsp is not installed; run scripts/setup.sh") from None
        self.cfg = cfg
        self._dsp = dsp
        self._rfft = dsp.arm_rfft_instance_q31()
        status = dsp.arm_rfft_init_q31(self._rfft, cfg.window, 0, 1)
        if status != 0:
            raise VmonError(f"arm_rfft_init_q31({cfg.window}) failed with status {status}")
        self._win = cfg.window_q15().astype(np.int64)
        self._edges = np.asarray(cfg.band_edges, dtype=np.int64)
        self._vel_w = cfg.velocity_weights()
        self._vel_k0, self._vel_k1 = cfg.velocity_bins

    def spectrum(self, q31: Int32Array) -> Int32Array:
        """``arm_rfft_q31`` of one q31 window: bins 0 .. window/2 - 1, re/im interleaved."""
        spectrum = self._dsp.arm_rfft_q31(self._rfft, q31)
        return np.asarray(spectrum[: self.cfg.window], dtype=np.int32)

    def magnitudes(self, q31: Int32Array) -> Int32Array:
        """|FFT| of one q31 window: bins 0 .. window/2 - 1 (CMSIS-DSP q31 kernels)."""
        return np.asarray(self._dsp.arm_cmplx_mag_q31(self.spectrum(q31)), dtype=np.int32)

    def fft_input(self, windows: npt.NDArray[np.int16]) -> tuple[Int32Array, Int64Array]:
        """DC-removed samples ``d`` (int64) and the windowed q31 FFT input, per window."""
        x = np.asarray(windows, dtype=np.int64)
        n = self.cfg.window
        mean = (x.sum(axis=-1) + n // 2) >> self.cfg.log2_window
        d = x - mean[..., None]
        q = np.clip(d, -32768, 32767)
        return ((q * self._win) << 1).astype(np.int32), d

    def compute(self, windows: npt.ArrayLike) -> Int32Array:
        """Features (int32, shape (n, n_features)) of int16 windows of shape (n, window)."""
        return self.compute_with_spectra(windows)[0]

    def compute_with_spectra(self, windows: npt.ArrayLike) -> tuple[Int32Array, Int32Array]:
        """Features and each window's q31 spectrum (shape (n, window)), for the typing."""
        w = np.asarray(windows)
        if w.dtype != np.int16:
            raise VmonError(f"feature input must be int16 counts, got {w.dtype}")
        if w.ndim == 1:
            w = w[None, :]
        if w.ndim != 2 or w.shape[1] != self.cfg.window:
            raise VmonError(f"feature input must have shape (n, {self.cfg.window}), got {w.shape}")
        q31, d = self.fft_input(w)
        nwin = w.shape[0]
        out = np.zeros((nwin, self.cfg.n_features), dtype=np.int32)
        mags = np.empty((nwin, self.cfg.window // 2), dtype=np.int64)
        spectra = np.empty((nwin, self.cfg.window), dtype=np.int32)
        for i in range(nwin):
            spectra[i] = self.spectrum(q31[i])
            mags[i] = self._dsp.arm_cmplx_mag_q31(spectra[i])
        m = mags >> MAG_SHIFT
        m_bands = m[:, : self._edges[-1]]
        energy = np.add.reduceat(m_bands * m_bands, self._edges[:-1], axis=1)
        out[:, : self.cfg.n_bands] = log2_q8(energy)
        out[:, self.cfg.n_bands :] = self._time_features(d, m)
        return out, spectra

    def _time_features(self, d: Int64Array, m: Int64Array) -> Int32Array:
        cfg = self.cfg
        log_n = cfg.log2_window << LOG2_FRAC_BITS
        s2 = (d * d).sum(axis=1)
        peak = np.abs(d).max(axis=1)
        # 4th moment on samples reduced to KURT_BITS bits, so sum(e^4) fits in 64 bits.
        shift = np.maximum(_bit_length(peak) - KURT_BITS, 0)
        e = d >> shift[:, None]
        e2 = e * e
        s2k = e2.sum(axis=1)
        s4k = (e2 * e2).sum(axis=1)
        l_s2 = log2_q8(s2)
        rms = l_s2 - log_n  # log2 of the mean square
        l_peak = log2_q8(peak)
        crest = 2 * l_peak - rms  # log2 of peak^2 / mean square
        kurt = log_n + log2_q8(s4k) - 2 * log2_q8(s2k)  # log2 of N sum e^4 / (sum e^2)^2
        k0, k1 = self._vel_k0, self._vel_k1
        v = (m[:, k0 : k1 + 1] * self._vel_w) >> VEL_WEIGHT_BITS
        vel = log2_q8((v * v).sum(axis=1))
        return np.stack([rms, 2 * l_peak, crest, kurt, vel], axis=1).astype(np.int32)

    def velocity_mm_s(self, features: Int32Array) -> npt.NDArray[np.float64]:
        """Velocity RMS in mm/s from the integer velocity feature (for reports, not the model)."""
        return velocity_from_feature(features[..., -1], self.cfg)


def velocity_from_feature(v: npt.ArrayLike, cfg: FeatureConfig) -> npt.NDArray[np.float64]:
    """mm/s from the Q8 log2 velocity feature, as the firmware computes it.

    The inverse of :func:`log2_q8`: its fraction is the mantissa below the leading one, so
    the sum is ``2^e * (1 + m / 256)``; velocity is ``scale * sqrt(sum)``.
    """
    q = np.asarray(v, dtype=np.int64)
    e = q >> LOG2_FRAC_BITS
    m = q & ((1 << LOG2_FRAC_BITS) - 1)
    total = np.ldexp(1.0 + m / float(1 << LOG2_FRAC_BITS), e.astype(np.int32))
    return velocity_scale(cfg) * np.sqrt(total)


_VELOCITY_SCALE: dict[str, float] = {}


def velocity_scale(cfg: FeatureConfig) -> float:
    """mm/s per sqrt(velocity sum), calibrated on a pure tone through the integer pipeline.

    The tone sits on an FFT bin in the middle of the velocity band; its true velocity RMS
    is A g * 9806.65 / (2 pi f) / sqrt(2).
    """
    if cfg.hash in _VELOCITY_SCALE:
        return _VELOCITY_SCALE[cfg.hash]
    k0, k1 = cfg.velocity_bins
    k = (k0 + k1) // 2
    f = k * cfg.bin_hz
    amp_g = cfg.full_scale_g / 4
    t = np.arange(cfg.window) / cfg.fs_hz
    x = g_to_counts(amp_g * np.sin(2 * np.pi * f * t), cfg)
    fx = FeatureExtractor(cfg)
    q31, _ = fx.fft_input(x[None, :])
    m = fx.magnitudes(q31[0]).astype(np.int64) >> MAG_SHIFT
    v = (m[k0 : k1 + 1] * fx._vel_w) >> VEL_WEIGHT_BITS
    true_mm_s = amp_g * G_MM_S2 / (2 * np.pi * f) / math.sqrt(2)
    scale = true_mm_s / math.sqrt(float((v * v).sum()))
    _VELOCITY_SCALE[cfg.hash] = scale
    return scale


# --------------------------------------------------------------------------- recordings


def resample_to(
    x: npt.NDArray[np.floating[Any]], fs_from: float, fs_to: float
) -> npt.NDArray[np.float64]:
    """Polyphase resampling (scipy ``resample_poly``, Kaiser-windowed FIR, beta 5).

    The ratio is reduced to a fraction with a denominator of at most 1000; the filter is
    scipy's default (cut-off at the lower Nyquist), delay-compensated by construction.
    """
    if fs_from == fs_to:
        return np.asarray(x, dtype=np.float64)
    from scipy.signal import resample_poly

    ratio = Fraction(fs_to / fs_from).limit_denominator(1000)
    if abs(float(ratio) * fs_from - fs_to) > 1e-6 * fs_to:
        raise VmonError(f"cannot resample {fs_from} Hz to {fs_to} Hz with a rational ratio")
    return resample_poly(np.asarray(x, dtype=np.float64), ratio.numerator, ratio.denominator)


def frame(
    counts: npt.NDArray[np.int16], cfg: FeatureConfig, start: int = 0, stop: int | None = None
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int64]]:
    """Windows of ``counts[start:stop]`` at the config's hop; returns (windows, start indices)."""
    stop = len(counts) if stop is None else stop
    n = stop - start
    if n < cfg.window:
        return np.zeros((0, cfg.window), dtype=np.int16), np.zeros(0, dtype=np.int64)
    starts = start + np.arange(0, n - cfg.window + 1, cfg.hop, dtype=np.int64)
    idx = starts[:, None] + np.arange(cfg.window)[None, :]
    return counts[idx], starts
