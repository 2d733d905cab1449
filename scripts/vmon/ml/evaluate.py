"""`invoke evaluate`: the shipped model and the device's decision policy on any dataset.

Per operating point (:func:`vmon.data.machine.operating_points`) the node is commissioned the
way the device does it, on the first ``commission_s`` seconds of the point's normal running
(at most half of it, so normal running is left to score), then every window of the rest of
the normal recordings and of each fault recording is decided by :class:`vmon.dsp.policy.Policy`
with the classifier's int8 scores from the TFLM interpreter. Each recording is a run of its
own: the baseline stays, hysteresis and typing start afresh.

Measured per point and overall (fractions of windows, after hysteresis):
``normal_raised`` (normal windows in warning or alarm), ``alarms_per_hour_normal`` (entries
into a raised state per hour of normal running), ``fault_raised``, and of the fault windows
``type_right``, ``type_unknown`` (raised without a type, or not raised) and ``type_wrong``;
``type_right_in_band`` counts only recordings whose defect frequency lies inside the envelope
spectrum, ``type_right_physics`` only types named by the envelope typing (not by a classifier
validated on the machine); ``detect_s`` is the median time from a fault recording's start to
its first raised window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.bearing import BearingGeometry
from vmon.data import Dataset, Recording
from vmon.data.machine import OperatingPoint, bearing_of, operating_points
from vmon.dsp import envelope as env
from vmon.dsp import features as feat
from vmon.dsp.policy import ALARM, NORMAL, WARNING, Machine, Policy, WindowOut
from vmon.errors import VmonError
from vmon.ml.model import MicroInterpreter, ModelDir

DEFAULT_MODEL = "bearing-fault-12k"
#: ISO 20816-3 group 2, rigid foundation (the firmware's Kconfig default), µm/s.
DEFAULT_ZONES_UM_S = (1400, 2800, 4500)


@dataclass
class RecordingTrace:
    recording_id: str
    label: str
    role: str  # "commission", "normal" or "fault"
    t_s: list[float]
    novelty: list[float]
    state: list[int]
    fault: list[str]
    source: list[str] = field(default_factory=list)  # "physics" / "classifier" / ""
    speed_rpm: float = math.nan
    defect_in_band: bool = False
    envelope: list[int] | None = None  # last envelope spectrum
    lines_hz: dict[str, float] = field(default_factory=dict)


@dataclass
class PointResult:
    name: str
    rpm: float
    env_fs_hz: float = math.nan
    commission_s: float = 0.0
    threshold: float = math.nan
    classifier_validated: bool = False
    skipped: str = ""
    traces: list[RecordingTrace] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        return _metrics(self.traces)


def zone_vote(velocity_mm_s: float, zones_um_s: tuple[int, int, int]) -> int:
    um_s = round(velocity_mm_s * 1000)
    if um_s >= zones_um_s[2]:
        return ALARM
    return WARNING if um_s >= zones_um_s[1] else NORMAL


class Evaluator:
    """Runs recordings through features, the classifier and the policy."""

    def __init__(self, md: ModelDir, zones_um_s: tuple[int, int, int] = DEFAULT_ZONES_UM_S):
        self.md = md
        self.cfg = md.feature_config
        self.fx = feat.FeatureExtractor(self.cfg)
        self.interp = MicroInterpreter(md.model)
        self.zones = zones_um_s
        self.tc = env.TypingConfig.for_features(self.cfg)
        self._cache: dict[str, tuple[npt.NDArray[Any], ...]] = {}

    def windows(self, rec: Recording) -> tuple[npt.NDArray[Any], ...]:
        """Features, spectra, classifier scores, window starts and clean flags (cached)."""
        if rec.recording_id not in self._cache:
            self._cache = {rec.recording_id: self._windows(rec)}  # one recording at a time
        return self._cache[rec.recording_id]

    def _windows(self, rec: Recording) -> tuple[npt.NDArray[Any], ...]:
        x = feat.resample_to(rec.signal, rec.fs_hz, self.cfg.fs_hz)
        counts = feat.g_to_counts(x, self.cfg)
        w, starts = feat.frame(counts, self.cfg)
        if len(w) == 0:
            raise VmonError(f"recording {rec.recording_id} is shorter than one feature window")
        f, spectra = self.fx.compute_with_spectra(w)
        scores = self.interp.run(self.md.input_quant.apply(f))
        clean = (w.max(axis=1) < 32767) & (w.min(axis=1) > -32768) & (w.min(1) != w.max(1))
        return f, spectra, scores, starts, clean

    def run(
        self, pol: Policy, rec: Recording, role: str, first: int = 0, last: int | None = None
    ) -> RecordingTrace:
        f, spectra, scores, starts, clean = self.windows(rec)
        vel = self.fx.velocity_mm_s(f)
        stop = len(f) if last is None else last
        trace = RecordingTrace(rec.recording_id, rec.label, role, [], [], [], [])
        for i in range(first, stop):
            out: WindowOut = pol.update(
                f[i], spectra[i], zone_vote(float(vel[i]), self.zones), scores[i], bool(clean[i])
            )
            trace.t_s.append(float(starts[i] + self.cfg.window) / self.cfg.fs_hz)
            trace.novelty.append(out.novelty_avg_q8 / 256 if out.novelty_avg_q8 >= 0 else math.nan)
            trace.state.append(out.state)
            trace.fault.append(out.fault)
            trace.source.append(out.source)
        trace.speed_rpm = pol.speed_mhz * 60 / 1000 if pol.speed_mhz else math.nan
        if pol.last_envelope_spectrum is not None:
            trace.envelope = pol.last_envelope_spectrum.tolist()
        return trace

    def commission_windows(self, seconds: float) -> int:
        return int(seconds * self.cfg.fs_hz) // self.cfg.hop


def evaluate_point(
    ev: Evaluator,
    point: OperatingPoint,
    bearing: BearingGeometry | None,
    commission_s: float,
    speed_given: bool = True,
) -> PointResult:
    res = PointResult(point.name, point.rpm, ev.tc.env_fs_mhz / 1000)
    normals = [r for r in point.recordings if r.label == "normal"]
    if not normals:
        res.skipped = "no normal recording to commission on"
        return res
    # Without the speed (speed_given False) the node estimates it, as on a machine whose
    # nameplate nobody typed in; the dataset's rpm then only scores the lines.
    nominal = round(point.rpm * 1000 / 60) if speed_given and math.isfinite(point.rpm) else 0
    machine = Machine(env.DeviceBearing.from_geometry(bearing) if bearing else None, nominal)
    pol = Policy(ev.cfg, machine, list(ev.md.labels))
    # Commission on the first seconds of normal running, leaving at least half of it.
    total = sum(len(ev.windows(r)[0]) for r in normals)
    n_comm = min(ev.commission_windows(commission_s), total // 2)
    if n_comm < 4:
        res.skipped = f"normal running too short to commission ({total} windows)"
        return res
    pol.commission(n_comm)
    res.commission_s = n_comm * ev.cfg.hop / ev.cfg.fs_hz
    left = n_comm
    for rec in normals:
        n = len(ev.windows(rec)[0])
        used = min(left, n)
        if used:
            res.traces.append(ev.run(pol, rec, "commission", 0, used))
            left -= used
        if used < n:
            res.traces.append(ev.run(pol, rec, "normal", used))
    if pol.baseline is None:
        res.skipped = "commissioning did not complete (input flagged as bad)"
        return res
    res.threshold = pol.baseline.threshold_q8 / 256
    res.classifier_validated = pol.classifier_validated
    for rec in point.recordings:
        if rec.label == "normal":
            continue
        pol.reset_run()
        rpm = rec.rpm if math.isfinite(rec.rpm) else point.rpm
        given = speed_given and math.isfinite(rpm)
        pol.machine.nominal_mhz = round(rpm * 1000 / 60) if given else 0
        trace = ev.run(pol, rec, "fault")
        if bearing is not None and math.isfinite(rpm):
            shaft = rpm / 60
            f_d = bearing.defects(shaft)[rec.label]
            trace.lines_hz = {t: bearing.defects(shaft)[t] for t in env.TYPES}
            trace.defect_in_band = f_d < 0.45 * ev.tc.env_fs_mhz / 1000
        res.traces.append(trace)
    return res


#: The summary's headline figures, in the order tables show them.
SUMMARY_COLUMNS = (
    "normal_raised",
    "alarms_per_hour_normal",
    "fault_raised",
    "type_right",
    "type_unknown",
    "type_wrong",
    "detect_s",
)


def _metrics(traces: list[RecordingTrace]) -> dict[str, Any]:
    normal = [t for t in traces if t.role == "normal"]
    faults = [t for t in traces if t.role == "fault"]
    n_norm = sum(len(t.state) for t in normal)
    raised_norm = sum(s != NORMAL for t in normal for s in t.state)
    hours = sum(t.t_s[-1] - t.t_s[0] for t in normal if t.t_s) / 3600
    entries = sum(
        1
        for t in normal
        for a, b in zip([NORMAL, *t.state], t.state, strict=False)
        if a == NORMAL and b != NORMAL
    )
    n_fault = sum(len(t.state) for t in faults)
    raised = sum(s != NORMAL for t in faults for s in t.state)
    right = sum(f == t.label for t in faults for f in t.fault)
    right_physics = sum(
        f == t.label and s == "physics"
        for t in faults
        for f, s in zip(t.fault, t.source, strict=True)
    )
    wrong = sum(f in env.TYPES and f != t.label for t in faults for f in t.fault)
    in_band = [t for t in faults if t.defect_in_band]
    n_in = sum(len(t.state) for t in in_band)
    detect = [
        next((ts - t.t_s[0] for ts, s in zip(t.t_s, t.state, strict=True) if s != NORMAL), math.nan)
        for t in faults
        if t.t_s
    ]

    def frac(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "normal_windows": n_norm,
        "fault_windows": n_fault,
        "normal_raised": frac(raised_norm, n_norm),
        "alarms_per_hour_normal": entries / hours if hours > 0 else None,
        "alarm_events_normal": entries,
        "fault_raised": frac(raised, n_fault),
        "type_right": frac(right, n_fault),
        "type_unknown": frac(n_fault - right - wrong, n_fault),
        "type_wrong": frac(wrong, n_fault),
        "type_right_physics": frac(right_physics, n_fault),
        "type_right_in_band": frac(sum(f == t.label for t in in_band for f in t.fault), n_in),
        "detect_s": float(np.nanmedian(detect))
        if detect and not all(map(math.isnan, detect))
        else None,
    }


@dataclass
class Evaluation:
    dataset: str
    bearing: str
    commission_s: float
    points: list[PointResult]
    speed: str = "given (the dataset's rpm)"

    def summary(self) -> dict[str, Any]:
        done = [p for p in self.points if not p.skipped]
        return {
            "dataset": self.dataset,
            "bearing": self.bearing,
            "shaft_speed": self.speed,
            "commission_s": self.commission_s,
            "overall": _metrics([t for p in done for t in p.traces]),
            "points": {
                p.name: {
                    **p.metrics(),
                    "rpm": None if math.isnan(p.rpm) else p.rpm,
                    "commission_s": p.commission_s,
                    "threshold": p.threshold,
                    "classifier_validated": p.classifier_validated,
                }
                for p in done
            },
            "skipped": {p.name: p.skipped for p in self.points if p.skipped},
        }


def evaluate(
    ds: Dataset,
    md: ModelDir,
    commission_s: float = 30.0,
    bearing: BearingGeometry | None = None,
    progress: Any = None,
    speed_given: bool = True,
) -> Evaluation:
    """Evaluate ``ds`` per operating point; VmonError when nothing can be commissioned.

    ``speed_given=False`` keeps the dataset's shaft speeds from the node (it estimates them).
    """
    if not math.isfinite(commission_s) or commission_s <= 0:
        raise VmonError(f"--commission-s {commission_s} must be a positive number of seconds")
    if not any(r.label == "normal" for r in ds.recordings):
        raise VmonError(
            f"dataset {ds.name} has no normal recordings: evaluate commissions the node on "
            "normal running first"
        )
    designation = "given with --bearing" if bearing is not None else ""
    if bearing is None:
        found = bearing_of(ds)
        if found is not None:
            designation, bearing = found
    ev = Evaluator(md)
    points = operating_points(ds)
    results = []
    for p in points:
        results.append(evaluate_point(ev, p, bearing, commission_s, speed_given))
        if progress is not None:
            progress()
    if all(r.skipped for r in results):
        reasons = "; ".join(f"{r.name}: {r.skipped}" for r in results)
        raise VmonError(f"no operating point of {ds.name} could be evaluated ({reasons})")
    return Evaluation(
        ds.name,
        designation or "unknown (fault types stay unknown)",
        commission_s,
        results,
        "given (the dataset's rpm)" if speed_given else "estimated by the node",
    )


def write_json(ev: Evaluation, path: Path) -> None:
    import json

    from vmon.paths import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(ev.summary(), indent=2, allow_nan=False) + "\n")
