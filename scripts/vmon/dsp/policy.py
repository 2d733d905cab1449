"""The device's decision policy, commissioning first, in integers (the firmware's reference).

Before a baseline is learned on the machine the node is ``uncommissioned`` and only the
ISO 20816 velocity zones vote. Commissioning learns, over ``commission_windows`` clean
windows, the per-feature sums ``S = sum f`` and ``Q = sum f^2``; the baseline is exact
integers: ``N``, ``S`` and ``D = N Q - S^2`` (``N^2`` times the variance). The novelty of a
window is the mean over features of ``min((N f - S)^2 / max(D, N^2 VAR_FLOOR), Z2_CAP)`` in
Q8: the squared z-score, capped per feature, with no rounded mean or variance on the way.
The vote compares the mean novelty of the last ``NOVELTY_AVG`` clean windows (fewer after a
restart): a fault persists, a normal fluctuation does not, so averaging before the threshold
finds weak faults whose single windows straddle it.

The novelty threshold comes from the commissioning windows themselves: each window of the
second half is scored against the baseline of every commissioning window before it, averaged
as the vote averages, and the threshold is ``THRESHOLD_MARGIN`` times the highest of those
means (at least ``MIN_THRESHOLD_Q8``).
After commissioning a window votes *warning* when the mean novelty is above the threshold and
*alarm* above ``ALARM_FACTOR`` times it; the zones stay a floor. N-of-M hysteresis gives the
state. A fault type is named only while the state is raised: the envelope typing's verdict
(:mod:`vmon.dsp.envelope`) when it names one, else the classifier's class when the classifier
was validated on this machine (it called at least ``CLASSIFIER_AGREE_PERMILLE`` of the
commissioning windows normal), is confident, and the envelope's scores lean the same way or
the envelope has no period verdict yet (the first ~0.7 s of a raised state); otherwise
``unknown``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vmon.dsp import envelope as env
from vmon.dsp.features import FeatureConfig
from vmon.errors import VmonError

Int32Array = npt.NDArray[np.int32]

#: Variance floor in (Q8 log2 units)^2: a feature steadier than +-1/4 of a log2 unit
#: (about +-0.75 dB) during commissioning is scored as if it varied that much.
VAR_FLOOR = 64 * 64
#: One feature adds at most a squared z-score of 256 (z = 16): a glitch in one band
#: cannot make a window novel, a fault moves many features.
Z2_CAP_Q8 = 256 * 256
#: Threshold = this (Q8) times the highest novelty of the commissioning's second half.
THRESHOLD_MARGIN_Q8 = 512
#: The threshold is never below a mean squared z-score of 4 (Q8).
MIN_THRESHOLD_Q8 = 4 * 256
#: Novelty above this many times the threshold votes alarm.
ALARM_FACTOR = 4
#: The classifier is validated on this machine when it called this share of the
#: commissioning windows normal ...
CLASSIFIER_AGREE_PERMILLE = 980
#: ... and then names a type only at this confidence.
CLASSIFIER_CONFIDENCE_PERMILLE = 900
#: The vote compares the mean novelty of this many last clean windows.
NOVELTY_AVG = 4
HYST_N = 3
HYST_M = 5
#: Typing periods rotate over this many candidate demodulation bands ...
BANDS_TRIED = 3
#: ... and a type is named when at least VERDICTS_AGREE of the last VERDICTS_KEPT period
#: verdicts name it (one band's stray line does not name a type).
VERDICTS_KEPT = 3
VERDICTS_AGREE = 2

NORMAL, WARNING, ALARM = 0, 1, 2
STATES = ("normal", "warning", "alarm")


@dataclass
class Baseline:
    """The commissioned baseline: window count, per-feature sums and N^2 x variance."""

    n: int
    s: list[int]
    d: list[int]
    threshold_q8: int = 0

    @classmethod
    def from_sums(cls, n: int, s: list[int], q: list[int]) -> Baseline:
        return cls(n, list(s), [n * qi - si * si for si, qi in zip(s, q, strict=True)])

    def z2_q8(self, f: Int32Array) -> list[int]:
        """Signed squared z-score per feature, Q8 (negative below the mean)."""
        out = []
        floor = self.n * self.n * VAR_FLOOR
        for fi, si, di in zip(f.tolist(), self.s, self.d, strict=True):
            e = self.n * fi - si
            v = min(((e * e) << 8) // max(di, floor), Z2_CAP_Q8)
            out.append(v if e >= 0 else -v)
        return out

    def novelty_q8(self, f: Int32Array) -> int:
        z = self.z2_q8(f)
        return sum(abs(v) for v in z) // len(z)


@dataclass
class WindowOut:
    state: int
    vote: int
    novelty_q8: int  # this window's novelty, -1 before commissioning or when not clean
    commissioned: bool
    fault: str  # "none" (state normal), a fault type or "unknown"
    source: str  # "", "physics" or "classifier"
    confidence_permille: int
    speed_mhz: int  # 0 until estimated
    band_k1: int  # -1 without a demodulation band
    novelty_avg_q8: int = -1  # the mean the vote compared, -1 when none


class NoveltyMean:
    """The mean (floor) of the last NOVELTY_AVG novelties pushed (fewer until it fills)."""

    def __init__(self) -> None:
        self._v: deque[int] = deque(maxlen=NOVELTY_AVG)

    def push(self, novelty_q8: int) -> int:
        self._v.append(novelty_q8)
        return sum(self._v) // len(self._v)

    def reset(self) -> None:
        self._v.clear()


@dataclass
class Machine:
    """What the node knows of the machine: bearing and nominal shaft speed (0: unknown)."""

    bearing: env.DeviceBearing | None = None
    nominal_mhz: int = 0


@dataclass
class _Commissioning:
    target: int
    half: int
    n: int = 0
    s: list[int] = field(default_factory=list)
    q: list[int] = field(default_factory=list)
    max_novelty_q8: int = 0
    agree: int = 0
    recent: NoveltyMean = field(default_factory=NoveltyMean)


class Policy:
    """One node's decisions, window by window (commissioning, novelty, hysteresis, type)."""

    def __init__(self, cfg: FeatureConfig, machine: Machine, labels: list[str]) -> None:
        self.cfg = cfg
        self.machine = machine
        self.labels = labels
        self.tc = env.TypingConfig.for_features(cfg)
        self.baseline: Baseline | None = None
        self.classifier_validated = False
        self._comm: _Commissioning | None = None
        self._votes: deque[int] = deque(maxlen=HYST_M)
        self._novelty = NoveltyMean()
        self.state = NORMAL
        self._band_edges = np.asarray(cfg.band_edges)
        self._env = env.Demodulator(self.tc.decim, self.tc.band)
        self._env_ring = env.Ring(self.tc.env_len, self.tc.decim // 2)
        self._env_spec = env.Spectrum(self.tc, self.tc.env_len)
        self._spd = env.Demodulator(self.tc.speed_decim, self.tc.speed_band)
        self._spd_ring = env.Ring(self.tc.speed_ring, self.tc.speed_decim // 2)
        self._spd_spec = env.Spectrum(self.tc, self.tc.speed_len)
        self.band_k1 = -1
        self._zsum = np.zeros(cfg.n_bands, dtype=np.int64)
        self._period = 0
        self._verdicts: deque[env.Verdict] = deque(maxlen=VERDICTS_KEPT)
        self.verdict: env.Verdict | None = None
        self.speed_mhz = 0
        self.last_envelope_spectrum: npt.NDArray[np.int64] | None = None

    # -- commissioning -------------------------------------------------------------------

    def commission(self, windows: int) -> None:
        """Learn the baseline from the next ``windows`` clean windows (restarts a learning)."""
        if windows < 4:
            raise VmonError(f"commissioning needs at least 4 windows, not {windows}")
        self._comm = _Commissioning(target=windows, half=windows // 2)

    @property
    def commissioning(self) -> bool:
        return self._comm is not None

    def _learn(self, f: Int32Array, top_label: int) -> None:
        c = self._comm
        assert c is not None
        if not c.s:
            c.s, c.q = [0] * len(f), [0] * len(f)
        if c.n >= c.half:
            # Scored against every commissioning window before it (not yet itself).
            before = Baseline.from_sums(c.n, c.s, c.q)
            c.max_novelty_q8 = max(c.max_novelty_q8, c.recent.push(before.novelty_q8(f)))
        for i, fi in enumerate(f.tolist()):
            c.s[i] += fi
            c.q[i] += fi * fi
        c.n += 1
        c.agree += int(top_label == 0)
        if c.n == c.target:
            base = Baseline.from_sums(c.n, c.s, c.q)
            base.threshold_q8 = max(MIN_THRESHOLD_Q8, (c.max_novelty_q8 * THRESHOLD_MARGIN_Q8) >> 8)
            self.baseline = base
            self._novelty.reset()  # novelties against the old baseline do not count
            self.classifier_validated = c.agree * 1000 >= CLASSIFIER_AGREE_PERMILLE * c.n
            self._comm = None
            self._reset_typing()

    # -- typing --------------------------------------------------------------------------

    def _reset_typing(self) -> None:
        self.band_k1 = -1
        self._env.reset()
        self._env_ring.reset()
        self._zsum[:] = 0
        self._period = 0
        self._verdicts.clear()
        self.verdict = None

    def _typing_gap(self) -> None:
        """Samples are missing or unusable before the next window: the demodulators' overlap
        and the envelope and speed rings would stitch two stretches of signal into one, so
        they restart. The band, its evidence, the period verdicts and the speed stay."""
        self._env.reset()
        self._env_ring.reset()
        self._spd.reset()
        self._spd_ring.reset()

    def _band_ranking(self, zsum: npt.NDArray[np.int64]) -> list[int]:
        """Start bins of candidate demodulation bands, best first: around each feature band
        whose energy rose against the baseline, above every line the typing reads and above
        fs/8 (bearing impacts ring structural resonances; below, shaft and flow lines rise)."""
        tc, edges = self.tc, self._band_edges
        f_top = 0
        if self.machine.bearing is not None and self.speed_mhz:
            d = self.machine.bearing.defects_mhz(self.speed_mhz)
            f_top = tc.harmonics * max(d.values()) + self.speed_mhz
        k_min = max(f_top * tc.window // (tc.fs_hz * 1000) + 1, tc.window // 16)
        k_max = int(edges[-1])
        ranked = sorted(
            (b for b in range(len(edges) - 1) if zsum[b] > 0),
            key=lambda b: (-int(zsum[b]), b),
        )
        out: list[int] = []
        for b in ranked:
            centre = (int(edges[b]) + int(edges[b + 1])) // 2
            if centre - tc.band // 2 < k_min or centre + tc.band // 2 > k_max:
                continue
            k1 = max((centre - tc.band // 2) & ~1, 2)
            if all(abs(k1 - k) >= tc.band // 2 for k in out):  # distinct bands only
                out.append(k1)
            if len(out) == BANDS_TRIED:
                break
        return out

    def _next_band(self) -> int:
        ranking = self._band_ranking(self._zsum)
        self._zsum[:] = 0
        if not ranking:
            return -1
        return ranking[self._period % len(ranking)]

    def _speed(self) -> int:
        tc, nominal = self.tc, self.machine.nominal_mhz
        if not self._spd_ring.full:
            return nominal
        spec = self._spd_spec(self._spd_ring.values)
        if nominal:
            dev = nominal * env.SPEED_SEARCH_PERMILLE // 1000
            lo, hi = nominal - dev, nominal + dev
        else:
            lo, hi = env.SPEED_RANGE_MHZ
        b = env.estimate_speed_bin_q8(spec, tc.speed_bin_q8(lo), tc.speed_bin_q8(hi))
        return nominal if b is None else tc.speed_mhz(b)

    def _type(self, spectrum: Int32Array, raised: bool, z: list[int]) -> None:
        tc = self.tc
        low = self._spd.push(spectrum, 0)
        if low is not None:
            self._spd_ring.push(low[0::2])
        if not raised and self.state == NORMAL:
            self._reset_typing()
            return
        if raised:
            self._zsum += np.maximum(np.asarray(z[: self.cfg.n_bands], dtype=np.int64), 0)
        if self.band_k1 < 0:
            self.speed_mhz = self._speed()
            self.band_k1 = self._next_band()
            # Demodulation starts with the next window: the device computed the speed
            # spectrum in the buffers that held this window's spectrum.
            return
        done = self._env.push(spectrum, self.band_k1)
        if done is None:
            return
        self._env_ring.push(self._dsp_mag(done))
        if not self._env_ring.full:
            return
        self.speed_mhz = self._speed()
        spec = self._env_spec(self._env_ring.values)
        self.last_envelope_spectrum = spec
        if self.machine.bearing is None or not self.speed_mhz:
            v = env.Verdict(env.UNKNOWN, 0, dict.fromkeys(env.TYPES, 0))
        else:
            defects = self.machine.bearing.defects_mhz(self.speed_mhz)
            v = env.verdict(spec, env.defect_lines(tc, defects, self.speed_mhz))
        self._verdicts.append(v)
        self.verdict = vote_verdicts(list(self._verdicts))
        # Next period: the next candidate band, ranked on this period's energy rise.
        self._period += 1
        self._env_ring.reset()
        k1 = self._next_band()
        if k1 >= 0 and k1 != self.band_k1:
            self.band_k1 = k1
            self._env.reset()

    def _physics_allows(self, kind: str) -> bool:
        """The envelope has no period verdict yet, or its last scores favour ``kind``
        (strictly highest, above zero) though too weakly to name it: a classifier trained
        elsewhere may name a type only where the physics does not speak against it (it
        agreed with "normal" on site, which says little of its types)."""
        if self.verdict is None:
            return True
        s = self.verdict.scores_q8
        return s[kind] > 0 and all(s[kind] > v for t, v in s.items() if t != kind)

    @staticmethod
    def _dsp_mag(done: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        import cmsisdsp as dsp

        return np.asarray(dsp.arm_cmplx_mag_q31(done.astype(np.int32)), dtype=np.int64)

    def reset_run(self) -> None:
        """A new run of the machine (the device: a reboot or a re-mount): the baseline
        stays, the vote history, the typing and the speed estimate start afresh."""
        self._votes.clear()
        self._novelty.reset()
        self.state = NORMAL
        self._reset_typing()
        self._spd.reset()
        self._spd_ring.reset()
        self.speed_mhz = 0

    # -- one window ----------------------------------------------------------------------

    def _hysteresis(self, vote: int) -> None:
        self._votes.append(vote)
        at_warn = sum(v >= WARNING for v in self._votes)
        at_alarm = sum(v >= ALARM for v in self._votes)
        below = len(self._votes)
        if self.state == NORMAL:
            if at_alarm >= HYST_N:
                self.state = ALARM
            elif at_warn >= HYST_N:
                self.state = WARNING
        elif self.state == WARNING:
            if at_alarm >= HYST_N:
                self.state = ALARM
            elif below - at_warn >= HYST_N:
                self.state = NORMAL
        elif below - at_alarm >= HYST_N:
            self.state = NORMAL if below - at_warn >= HYST_N else WARNING

    def update(
        self,
        features: Int32Array,
        spectrum: Int32Array,
        zone_vote: int,
        scores: npt.NDArray[np.int8] | None = None,
        clean: bool = True,
        contiguous: bool = True,
    ) -> WindowOut:
        """Decide on one window: its features, its q31 spectrum (for typing), the vote of
        its velocity zone, the classifier's int8 scores, whether its input was clean and
        whether it follows the previous window without lost samples (the device's window
        restart after a sequence gap)."""
        if not clean or not contiguous:
            self._typing_gap()
        top, conf = 0, 0
        if scores is not None:
            # Softmax outputs: int8 with zero point -128 and scale 1/256.
            p = scores.astype(np.int32) + 128
            top = int(np.argmax(p))
            # Rounded to the nearest permille, as the firmware's classify().
            conf = (int(p[top]) * 1000 + 128) // 256
        if self._comm is not None and clean:
            self._learn(features, top)
        base = self.baseline
        vote, novelty, mean, z = zone_vote, -1, -1, []
        if base is not None and clean:
            z = base.z2_q8(features)
            novelty = sum(abs(v) for v in z) // len(z)
            mean = self._novelty.push(novelty)
            if mean > base.threshold_q8 * ALARM_FACTOR:
                vote = max(vote, ALARM)
            elif mean > base.threshold_q8:
                vote = max(vote, WARNING)
        self._hysteresis(vote)
        if base is not None and clean:
            self._type(spectrum, mean > base.threshold_q8, z)
        fault, source, confidence = "none", "", 0
        if self.state != NORMAL:
            fault = env.UNKNOWN
            if self.verdict is not None and self.verdict.type != env.UNKNOWN:
                fault, source = self.verdict.type, "physics"
                confidence = self.verdict.confidence_permille
            elif (
                self.classifier_validated
                and top != 0
                and conf >= CLASSIFIER_CONFIDENCE_PERMILLE
                and self.labels[top] in env.TYPES
                and self._physics_allows(self.labels[top])
            ):
                fault, source, confidence = self.labels[top], "classifier", conf
        return WindowOut(
            state=self.state,
            vote=vote,
            novelty_q8=novelty,
            commissioned=base is not None,
            fault=fault,
            source=source,
            confidence_permille=confidence,
            speed_mhz=self.speed_mhz,
            band_k1=self.band_k1,
            novelty_avg_q8=mean,
        )


def vote_verdicts(verdicts: list[env.Verdict]) -> env.Verdict:
    """The type named by at least VERDICTS_AGREE of the period verdicts (the mean of their
    confidences), else unknown with the latest scores."""
    for t in env.TYPES:
        agree = [v for v in verdicts if v.type == t]
        if len(agree) >= VERDICTS_AGREE:
            conf = sum(v.confidence_permille for v in agree) // len(agree)
            return env.Verdict(t, conf, agree[-1].scores_q8, agree[-1].lines)
    last = verdicts[-1]
    return env.Verdict(env.UNKNOWN, 0, last.scores_q8, last.lines)
