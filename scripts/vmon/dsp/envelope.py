"""Physics-based fault typing: envelope analysis in integers, bit-exact like the features.

A localized bearing defect rings the structure once per contact; the fault shows as lines in
the spectrum of the *envelope* of a resonance band, at the defect frequency (BPFO, BPFI,
2 x BSF) and its harmonics, inner-race lines with sidebands at shaft speed (Randall & Antoni,
MSSP 25, 2011). The pipeline reuses the window's FFT, which the features compute anyway:

1. **Demodulation.** The ``band`` bins ``k1 .. k1 + band - 1`` of the window's
   ``arm_rfft_q31`` spectrum (``k1`` even, so the frequency shift keeps its phase from one
   half-overlapping window to the next), shifted left by ``PRE_SHIFT`` with saturation, are
   placed at 0 .. band - 1 of an ``L = decim``-point complex array; ``arm_cfft_q31``
   (inverse) gives the band's analytic signal, shifted to baseband, at ``fs * L / N``.
2. **Overlap-add.** The features' Hann windows at 50 % overlap sum to one, so adding each
   window's first ``L / 2`` outputs to the previous window's last ``L / 2`` gives the
   band-passed analytic signal without gaps; ``arm_cmplx_mag_q31`` of it is the envelope.
3. **Envelope spectrum.** ``env_len`` envelope samples: integer mean removal, normalization
   to 30 bits, a Q15 Hann window, ``arm_rfft_q31`` and ``arm_cmplx_mag_q31``. The samples
   wait in a ring of int16 blocks with one shift each (block floating point: 2 bytes a
   sample on the device, ~90 dB within a block); a ring shorter than the FFT is zero-padded.
4. **Lines.** For each fault type, the peak within a slip tolerance of each harmonic of its
   defect frequency over the median of the spectrum around it, as a Q8 log2 ratio; lines of
   two types that fall within each other's tolerance are ambiguous and not counted.
5. **Verdict.** The type with the highest score is named when its score reaches
   ``MIN_SCORE_Q8`` and at least twice the runner-up's; otherwise the verdict is unknown.

The shaft speed is estimated the same way from a low band (bins ``0 .. speed_band - 1``):
the real part of its overlap-added baseband signal is the low-passed vibration. In its
spectrum the shaft rate is the candidate whose harmonics stand out most from their
neighbourhood (prominence, capped per harmonic, so that one strong tone of other origin,
a blade pass or a mains line, cannot pull the estimate to a multiple); a candidate whose
fundamental does not stand out is no shaft rate, and without any the estimate abstains.

Every step is integer arithmetic or a CMSIS-DSP q31 kernel whose outputs were measured
identical on the Cortex-M3 and the DSP-extension Cortex-M33, so the firmware computes the
same numbers (golden vectors pin each stage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vmon.bearing import BearingGeometry
from vmon.dsp.features import FeatureConfig, log2_q8
from vmon.errors import VmonError

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

#: Fault types in label order (the classifier's labels without "normal").
TYPES = ("inner_race", "ball", "outer_race")
UNKNOWN = "unknown"

#: Left shift of the band bins before the inverse FFT (saturating): the spectrum is scaled
#: down by N, the inverse FFT by L; this keeps ~4 more bits of the envelope.
PRE_SHIFT = 4
#: A line counts when its peak is at least 3x (log2 = 1.58) the local median.
LINE_FLOOR_Q8 = 405
#: At most 16x (4 in log2) above the floor per line, so one huge line cannot carry a type.
LINE_CAP_Q8 = 1024
#: A type is named when its score reaches this (one clear line, or two moderate ones) ...
MIN_SCORE_Q8 = 384
#: ... and is at least this many times the runner-up's (Q8: 512 = 2x).
MARGIN_Q8 = 512
#: Slip tolerance of each line, permille of its frequency (plus one bin).
TOLERANCE_PERMILLE = 25
#: Half-width of the background around a line, in multiples of the line's search width.
BACKGROUND_SPAN = 4
#: Harmonics of the shaft rate summed for the speed estimate.
SPEED_HARMONICS = 5
#: The neighbourhood of a speed-spectrum bin: SPEED_SIDE bins each side, starting
#: SPEED_GUARD bins away (clear of the line's own Hann main lobe, zero-padded 2x).
SPEED_GUARD = 4
SPEED_SIDE = 8
#: A harmonic's prominence (its level over the neighbourhood's mean, Q8) counts up to this,
#: and the fundamental must reach it: 4x.
SPEED_PROMINENCE_Q8 = 1024
#: Levels are shifted down to this many bits before the prominence division (32 bits on
#: the device).
SPEED_LEVEL_BITS = 22
#: Search range of the speed estimate around a nominal speed (permille) ...
SPEED_SEARCH_PERMILLE = 60
#: ... or, without one, this range of shaft rates (mHz).
SPEED_RANGE_MHZ = (5_000, 100_000)

# cos(d) in Q15 for d = 0 .. 90 degrees; integer interpolation between whole degrees keeps
# the geometry's defect frequencies identical on every target.
COS_Q15 = tuple(round(math.cos(math.radians(d)) * 32768) for d in range(91))


def cos_q15(centideg: int) -> int:
    """cos of an angle in 1/100 degree (0 .. 8999), Q15, by linear table interpolation."""
    if not 0 <= centideg < 9000:
        raise VmonError(f"contact angle {centideg / 100} deg must be in [0, 90)")
    d, r = divmod(centideg, 100)
    a, b = COS_Q15[d], COS_Q15[d + 1]  # a >= b: cos falls over [0, 90]
    return a - ((a - b) * r + 50) // 100


@dataclass(frozen=True)
class DeviceBearing:
    """Bearing geometry as the device stores it: integers only (µm, 1/100 degree)."""

    n_balls: int
    ball_um: int
    pitch_um: int
    angle_cdeg: int = 0

    @classmethod
    def from_geometry(cls, g: BearingGeometry) -> DeviceBearing:
        return cls(
            g.n_balls,
            round(g.ball_diameter * 1000),
            round(g.pitch_diameter * 1000),
            round(g.contact_angle_deg * 100),
        )

    @property
    def ratio_q16(self) -> int:
        """Bd/Pd cos(alpha) in Q16."""
        return (self.ball_um * cos_q15(self.angle_cdeg) * 2 + self.pitch_um // 2) // self.pitch_um

    def defects_mhz(self, shaft_mhz: int) -> dict[str, int]:
        """Impact rate of each fault type in mHz at a shaft rate in mHz (integer maths)."""
        r = self.ratio_q16
        bpfo = self.n_balls * shaft_mhz * (65536 - r) // 131072
        bpfi = self.n_balls * shaft_mhz * (65536 + r) // 131072
        one_minus_r2 = (65536 * 65536 - r * r) >> 16  # Q16
        bsf2 = shaft_mhz * self.pitch_um * one_minus_r2 // (self.ball_um << 16)  # 2 x BSF
        return {"inner_race": bpfi, "ball": bsf2, "outer_race": bpfo}


@dataclass(frozen=True)
class TypingConfig:
    """The typing pipeline's parameters; ``fs_hz``, ``window`` and ``hop`` are the features'."""

    fs_hz: int
    window: int
    decim: int = 128
    band: int = 64
    env_len: int = 1024
    speed_decim: int = 32
    speed_band: int = 16
    speed_len: int = 1024
    #: Speed samples kept, zero-padded to speed_len: 1.4 s of the 0 .. fs * 16 / window band
    #: (0 .. 187 Hz at 12 kHz), ~0.7 Hz resolution refined by the harmonic sum, in 1 KB.
    speed_ring: int = 512
    harmonics: int = 3

    def __post_init__(self) -> None:
        for name in ("decim", "speed_decim"):
            v = getattr(self, name)
            if v not in (16, 32, 64, 128, 256) or v > self.window // 4:
                raise VmonError(f"typing {name} {v} must be a CFFT length <= window / 4")
        if not 0 < self.band <= self.decim // 2 or not 0 < self.speed_band <= self.speed_decim // 2:
            raise VmonError("typing band widths must be at most half their decimation")
        for name in ("env_len", "speed_len"):
            if getattr(self, name) not in (256, 512, 1024, 2048):
                raise VmonError(f"typing {name} must be an arm_rfft_q31 length (256 .. 2048)")
        block = self.speed_decim // 2
        if not block <= self.speed_ring <= self.speed_len or self.speed_ring % block:
            raise VmonError(
                f"typing speed_ring {self.speed_ring} must be whole blocks of {block} samples "
                f"and at most speed_len {self.speed_len}"
            )
        if self.speed_len % self.speed_ring:
            raise VmonError("typing speed_ring must divide speed_len (its window is subsampled)")

    @classmethod
    def for_features(cls, cfg: FeatureConfig) -> TypingConfig:
        if cfg.hop * 2 != cfg.window:
            raise VmonError("envelope typing overlap-adds half-overlapping windows: hop = window/2")
        if not float(cfg.fs_hz).is_integer():
            raise VmonError(f"typing needs an integer sampling rate, not {cfg.fs_hz}")
        # Both spectra have the window's length: the firmware reuses the features' real FFT.
        return cls(
            fs_hz=int(cfg.fs_hz), window=cfg.window, env_len=cfg.window, speed_len=cfg.window
        )

    @property
    def env_fs_mhz(self) -> int:
        """Envelope sampling rate in mHz (exact when fs * decim / window is whole)."""
        return self.fs_hz * 1000 * self.decim // self.window

    @property
    def speed_fs_mhz(self) -> int:
        return self.fs_hz * 1000 * self.speed_decim // self.window

    def env_bin_q8(self, f_mhz: int) -> int:
        """Position of a frequency in envelope-spectrum bins, Q8."""
        return (f_mhz * self.env_len * self.window * 256) // (self.fs_hz * 1000 * self.decim)

    def speed_bin_q8(self, f_mhz: int) -> int:
        return (f_mhz * self.speed_len * self.window * 256) // (
            self.fs_hz * 1000 * self.speed_decim
        )

    def speed_mhz(self, bin_q8: int) -> int:
        return (bin_q8 * self.fs_hz * 1000 * self.speed_decim) // (
            self.speed_len * self.window * 256
        )

    def window_q15(self, n: int) -> Int64Array:
        k = np.arange(n)
        return np.round((0.5 - 0.5 * np.cos(2 * np.pi * k / n)) * 32767).astype(np.int64)


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    type: str
    harmonic: int  # 1, 2, 3; sidebands: 1 with side -1 or +1
    side: int
    lo: int  # first bin searched (inclusive)
    hi: int  # last bin searched (inclusive)


def defect_lines(tc: TypingConfig, defects_mhz: dict[str, int], shaft_mhz: int) -> list[Line]:
    """The unambiguous lines to look at, in envelope-spectrum bins.

    Each harmonic h of each defect frequency, and for the inner race the first sidebands at
    +-shaft; searched within TOLERANCE_PERMILLE (+1 bin). Lines beyond 90 % of the envelope
    spectrum are dropped, and so is a line whose search range meets that of *any* harmonic
    of another type's defect frequency up to there (those lines cannot tell the types apart).
    """
    top = tc.env_len // 2 * 9 // 10

    def span(f_mhz: int) -> tuple[int, int]:
        pos = tc.env_bin_q8(f_mhz)
        tol = pos * TOLERANCE_PERMILLE // 1000 + 256
        return (pos - tol + 255) >> 8, (pos + tol) >> 8

    cand: list[Line] = []
    for t in TYPES:
        f = defects_mhz[t]
        specs = [(h, 0, h * f) for h in range(1, tc.harmonics + 1)]
        if t == "inner_race":
            specs += [(1, -1, f - shaft_mhz), (1, 1, f + shaft_mhz)]
        for h, side, fm in specs:
            lo, hi = span(fm)
            if lo >= 2 and hi < top:
                cand.append(Line(t, h, side, lo, hi))
    others: dict[str, list[tuple[int, int]]] = {}
    for t in TYPES:
        f, spans, h = defects_mhz[t], [], 1
        while f > 0 and span(h * f)[0] < top:
            spans.append(span(h * f))
            h += 1
        others[t] = spans
    return [
        a
        for a in cand
        if not any(lo <= a.hi and a.lo <= hi for t in TYPES if t != a.type for lo, hi in others[t])
    ]


def line_ratio_q8(spec: Int64Array, line: Line) -> int:
    """log2(peak / local median), Q8, of one line in an envelope spectrum."""
    width = line.hi - line.lo + 1
    span = BACKGROUND_SPAN * width
    a, b = max(1, line.lo - span), min(len(spec), line.hi + 1 + span)
    around = np.concatenate([spec[a : line.lo], spec[line.hi + 1 : b]])
    peak = int(spec[line.lo : line.hi + 1].max())
    # Median of the integers: the lower middle element, as the firmware's sort gives it.
    bg = int(np.sort(around)[(len(around) - 1) // 2]) if len(around) else 0
    return int(log2_q8(max(peak, 1))) - int(log2_q8(max(bg, 1)))


@dataclass
class Verdict:
    type: str  # a fault type or UNKNOWN
    confidence_permille: int
    scores_q8: dict[str, int]
    lines: dict[str, list[int]] = field(default_factory=dict)


def verdict(spec: Int64Array, lines: list[Line]) -> Verdict:
    """Score each type from its lines and name one only with grounds to."""
    scores = dict.fromkeys(TYPES, 0)
    ratios: dict[str, list[int]] = {t: [] for t in TYPES}
    for line in lines:
        r = line_ratio_q8(spec, line)
        ratios[line.type].append(r)
        scores[line.type] += min(max(r - LINE_FLOOR_Q8, 0), LINE_CAP_Q8)
    ranked = sorted(TYPES, key=lambda t: (-scores[t], TYPES.index(t)))
    best, second = scores[ranked[0]], scores[ranked[1]]
    if best >= MIN_SCORE_Q8 and best * 256 >= second * MARGIN_Q8:
        # Confidence: how far the winner is ahead, saturating at 4x the runner-up's score.
        conf = 1000 if second == 0 else min(1000, 1000 * (best - second) // (3 * second))
        return Verdict(ranked[0], int(conf), scores, ratios)
    return Verdict(UNKNOWN, 0, scores, ratios)


# --------------------------------------------------------------------------- streaming


def _sat32(v: Int64Array) -> Int64Array:
    return np.clip(v, -(1 << 31), (1 << 31) - 1)


class Demodulator:
    """One band's baseband signal from successive half-overlapping window spectra."""

    def __init__(self, decim: int, band: int) -> None:
        import cmsisdsp as dsp

        self._dsp = dsp
        self.decim = decim
        self.band = band
        self._cfft = dsp.arm_cfft_instance_q31()
        status = dsp.arm_cfft_init_q31(self._cfft, decim)
        if status != 0:
            raise VmonError(f"arm_cfft_init_q31({decim}) failed with status {status}")
        self._tail = np.zeros(decim, dtype=np.int64)  # L/2 complex values, interleaved
        self.primed = False

    def reset(self) -> None:
        self._tail[:] = 0
        self.primed = False

    def push(self, spectrum_q31: Int32Array, k1: int) -> Int64Array | None:
        """Complete baseband samples (L/2 complex, interleaved) after this window, or None
        for the first window (its first half still lacks the previous window's tail)."""
        if k1 % 2 or k1 < 0 or 2 * (k1 + self.band) > len(spectrum_q31):
            raise VmonError(f"demodulation band start {k1} must be even and inside the spectrum")
        buf = np.zeros(2 * self.decim, dtype=np.int64)
        src = np.asarray(spectrum_q31[2 * k1 : 2 * (k1 + self.band)], dtype=np.int64)
        buf[: 2 * self.band] = _sat32(src << PRE_SHIFT)
        out = np.asarray(
            self._dsp.arm_cfft_q31(self._cfft, buf.astype(np.int32), 1, 1), dtype=np.int64
        )
        half = self.decim  # L/2 complex values = L int32
        done = _sat32(out[:half] + self._tail)
        self._tail = out[half:].copy()
        was_primed, self.primed = self.primed, True
        return done if was_primed else None


#: Bits of a ring sample: int16 mantissas, one shift per block.
RING_BITS = 15


class Ring:
    """The last ``n`` samples, pushed in blocks of ``block``, each block stored as int16
    mantissas with one right shift (block floating point): the device keeps 2 bytes a
    sample. ``values`` gives them back, oldest first, as ``mantissa << shift``."""

    def __init__(self, n: int, block: int) -> None:
        if block <= 0 or n % block:
            raise VmonError(f"a ring of {n} samples must hold whole blocks of {block}")
        self.block = block
        self.mant = np.zeros(n, dtype=np.int64)
        self.shift = np.zeros(n // block, dtype=np.int64)
        self.count = 0

    def reset(self) -> None:
        self.count = 0

    def push(self, values: Int64Array) -> None:
        if len(values) != self.block:
            raise VmonError(f"ring blocks have {self.block} samples, not {len(values)}")
        peak = int(np.abs(values).max())
        sh = max(0, peak.bit_length() - RING_BITS)
        self.mant = np.concatenate([self.mant[self.block :], values >> sh])
        self.shift = np.concatenate([self.shift[1:], [sh]])
        self.count = min(self.count + self.block, len(self.mant))

    @property
    def values(self) -> Int64Array:
        return self.mant << np.repeat(self.shift, self.block)

    @property
    def full(self) -> bool:
        return self.count == len(self.mant)


class Spectrum:
    """Magnitude spectrum of a block of int32 samples, in integers (CMSIS-DSP q31); fewer
    samples than ``n`` (a divisor of it) are windowed over their length and zero-padded."""

    def __init__(self, tc: TypingConfig, n: int) -> None:
        import cmsisdsp as dsp

        self._dsp = dsp
        self.n = n
        self._rfft = dsp.arm_rfft_instance_q31()
        status = dsp.arm_rfft_init_q31(self._rfft, n, 0, 1)
        if status != 0:
            raise VmonError(f"arm_rfft_init_q31({n}) failed with status {status}")
        self._win = tc.window_q15(n)

    def __call__(self, x: Int64Array) -> Int64Array:
        m = len(x)
        if m == 0 or self.n % m or m & (m - 1):
            raise VmonError(f"{m} samples cannot be zero-padded to a {self.n}-point spectrum")
        mean = (int(x.sum()) + m // 2) >> (m.bit_length() - 1)
        d = x - mean
        peak = int(np.abs(d).max())
        # Normalize to 30 bits: the ratios read from the spectrum are scale-free.
        shift = max(0, 30 - peak.bit_length()) if peak else 0
        q = (d << shift) if shift else d >> max(0, peak.bit_length() - 30)
        # The m-point Hann window is every (n / m)-th value of the n-point one.
        win = self._win[:: self.n // m]
        q31 = np.zeros(self.n, dtype=np.int32)
        q31[:m] = (q * win) >> 15
        spec = self._dsp.arm_rfft_q31(self._rfft, q31)
        mag = self._dsp.arm_cmplx_mag_q31(np.asarray(spec[: self.n], dtype=np.int32))
        return np.asarray(mag, dtype=np.int64)


def speed_background(spec: Int64Array) -> tuple[Int64Array, int]:
    """(neighbourhood level of every bin, the shift applied): the mean of SPEED_SIDE bins on
    each side, starting SPEED_GUARD bins away, a side that leaves the spectrum replaced by
    the other one; levels shifted down to SPEED_LEVEL_BITS bits, at least 1."""
    x = np.asarray(spec, dtype=np.int64)
    n = len(x)
    sh = max(0, int(x.max(initial=0)).bit_length() - SPEED_LEVEL_BITS)
    csum = np.concatenate([[0], np.cumsum(x)])
    b = np.arange(n)
    near, far = SPEED_GUARD, SPEED_GUARD + SPEED_SIDE  # a side: bins near .. far - 1 away
    left_ok, right_ok = b - far + 1 >= 0, b + far - 1 < n
    left = csum[np.clip(b - near + 1, 0, n)] - csum[np.clip(b - far + 1, 0, n)]
    right = csum[np.clip(b + far, 0, n)] - csum[np.clip(b + near, 0, n)]
    left, right = np.where(left_ok, left, right), np.where(right_ok, right, left)
    level = (left + right) // (2 * SPEED_SIDE)
    return np.maximum(level >> sh, 1), sh


def estimate_speed_bin_q8(spec: Int64Array, lo_q8: int, hi_q8: int) -> int | None:
    """Shaft rate (speed-spectrum bins, Q8) in [lo, hi] on a 1/8-bin grid: among candidates
    whose fundamental stands out (prominence >= SPEED_PROMINENCE_Q8), the one with the
    largest sum of its harmonics' capped prominences, ties (every harmonic at the cap) to
    the largest sum of their levels; None when no candidate qualifies."""
    n = len(spec)
    level, sh = speed_background(spec)
    x = np.asarray(spec, dtype=np.int64) >> sh
    best, best_score = None, (0, 0)
    for f in range(max(lo_q8, 256) >> 5, (hi_q8 >> 5) + 1):  # Q3 grid
        score, total = 0, 0
        for k in range(1, SPEED_HARMONICS + 1):
            pos = k * f  # Q3
            b, frac = pos >> 3, pos & 7
            if b + 1 >= n:
                break
            # Linear interpolation between bins: no plateau where a line spans two bins.
            v = (int(x[b]) * (8 - frac) + int(x[b + 1]) * frac) >> 3
            r = min(SPEED_PROMINENCE_Q8, (v << 8) // int(level[b]))
            if k == 1 and r < SPEED_PROMINENCE_Q8:
                break  # no fundamental: not a shaft rate
            score += r
            total += v
        if (score, total) > best_score:
            best, best_score = f, (score, total)
    return None if best is None else best << 5
