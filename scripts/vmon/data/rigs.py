"""Synthetic machines unlike the CWRU rig: stand-ins for the machines vmon is sold for.

Each :class:`Rig` is a whole machine as a sensor on it sees it: its own bearing geometry and
shaft speeds, a speed that sits off the nameplate and drifts, rolling elements that slip, the
structure's resonances (frequency, damping, gain), the sensor's mounting gain, machinery
tones that follow the shaft (vane, blade or gear-mesh passing) or the mains, and noise.
Faults are impact trains as in :mod:`vmon.data.synth` (McFadden & Smith 1984), at the defect
rate of the *actual* instantaneous speed less the slip, ringing every resonance.

Recordings carry the nameplate speed as ``rpm`` (what a user types in) and the dataset's
meta carries the bearing (``meta["bearing"]``), as the dataset format documents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from vmon.bearing import BearingGeometry
from vmon.data import LABELS, Dataset, Recording
from vmon.errors import VmonError

FAULTS = ("inner_race", "ball", "outer_race")


@dataclass(frozen=True)
class Resonance:
    hz: float
    damping: float
    gain: float


@dataclass(frozen=True)
class Rig:
    name: str
    description: str
    fs_hz: float
    designation: str
    bearing: BearingGeometry
    speeds_rpm: tuple[float, ...]
    resonances: tuple[Resonance, ...]
    #: Sensor mounting: magnet, adhesive or stud change the gain of everything.
    mounting_gain: float = 1.0
    #: Shaft harmonics 1x, 2x, 3x in g (imbalance, misalignment, looseness).
    shaft_g: tuple[float, float, float] = (0.05, 0.02, 0.005)
    #: Tones that follow the shaft: (multiple of the shaft rate, g), e.g. vane passing.
    shaft_tones: tuple[tuple[float, float], ...] = ()
    #: Tones at fixed frequencies: (Hz, g), e.g. twice the mains from a motor nearby.
    fixed_tones: tuple[tuple[float, float], ...] = ()
    noise_g: float = 0.02
    #: Random structural vibration through the resonances, g r.m.s.
    structure_g: float = 0.03
    #: Actual speed relative to the nameplate (motor slip under load).
    speed_offset: float = -0.01
    #: Slow speed wander, relative standard deviation over a recording.
    speed_drift: float = 0.003
    #: Rolling elements slip: impacts come this much later than the kinematics say.
    slip: float = 0.01
    #: Peak impact amplitude per fault, g at the sensor before the mounting gain.
    impact_g: dict[str, float] = field(
        default_factory=lambda: {"outer_race": 1.6, "inner_race": 1.3, "ball": 1.0}
    )


RIGS: dict[str, Rig] = {
    rig.name: rig
    for rig in (
        Rig(
            name="pump",
            description="centrifugal pump, 2-pole motor, 5-vane impeller, magnet-mounted sensor",
            fs_hz=25_600.0,
            designation="6306",
            bearing=BearingGeometry(8, 12.7, 52.5, 0.0),
            speeds_rpm=(2970.0, 2900.0),
            resonances=(Resonance(4_200.0, 0.04, 1.0), Resonance(7_800.0, 0.03, 0.6)),
            mounting_gain=0.8,
            shaft_g=(0.06, 0.03, 0.01),
            shaft_tones=((5.0, 0.05), (10.0, 0.015)),
            noise_g=0.03,
            speed_offset=-0.012,
            speed_drift=0.003,
            slip=0.01,
        ),
        Rig(
            name="fan",
            description="induced-draft fan, 6-pole motor, 9 blades, stud-mounted sensor",
            fs_hz=12_800.0,
            designation="6309",
            bearing=BearingGeometry(8, 17.462, 72.5, 0.0),
            speeds_rpm=(985.0, 740.0),
            resonances=(Resonance(1_900.0, 0.06, 1.0), Resonance(3_400.0, 0.05, 0.5)),
            mounting_gain=1.2,
            shaft_g=(0.015, 0.008, 0.004),
            shaft_tones=((9.0, 0.08),),
            fixed_tones=((100.0, 0.01),),
            noise_g=0.015,
            speed_offset=-0.02,
            speed_drift=0.008,
            slip=0.015,
        ),
        Rig(
            name="gearbox",
            description="gearbox input shaft, 21-tooth pinion, angular-contact bearing",
            fs_hz=20_000.0,
            designation="7206 (40 deg)",
            bearing=BearingGeometry(13, 9.525, 46.0, 40.0),
            speeds_rpm=(1480.0, 1180.0),
            resonances=(Resonance(5_300.0, 0.03, 1.0), Resonance(2_700.0, 0.05, 0.7)),
            mounting_gain=0.6,
            shaft_g=(0.04, 0.02, 0.01),
            shaft_tones=((21.0, 0.15), (20.0, 0.03), (22.0, 0.03), (42.0, 0.05)),
            fixed_tones=((100.0, 0.02),),
            noise_g=0.04,
            speed_offset=-0.008,
            speed_drift=0.002,
            slip=0.02,
        ),
        Rig(
            name="compressor",
            description="screw-compressor motor, 2-pole on 60 Hz, adhesive-mounted sensor",
            fs_hz=25_600.0,
            designation="6207",
            bearing=BearingGeometry(9, 11.112, 53.5, 0.0),
            speeds_rpm=(3550.0,),
            resonances=(Resonance(3_600.0, 0.05, 1.0), Resonance(1_200.0, 0.08, 0.3)),
            mounting_gain=0.9,
            shaft_g=(0.05, 0.04, 0.02),
            shaft_tones=((4.0, 0.06), (6.0, 0.04)),
            fixed_tones=((120.0, 0.03),),
            noise_g=0.025,
            speed_offset=-0.01,
            speed_drift=0.002,
            slip=0.01,
        ),
    )
}


def _rate(rng: np.random.Generator, n: int, fs: float, mean_hz: float, drift: float) -> npt.NDArray:
    """Instantaneous shaft rate: the mean plus a slow wander (low-passed random walk)."""
    steps = max(2, int(n / fs * 4))  # ~4 independent values a second, smoothed
    knots = np.cumsum(rng.standard_normal(steps))
    knots -= knots.mean()
    sd = knots.std()
    knots = knots / sd * drift if sd > 0 else knots * 0
    wander = np.interp(np.arange(n), np.linspace(0, n - 1, steps), knots)
    return mean_hz * (1.0 + wander)


def _ring(
    times: npt.NDArray[np.float64], amps: npt.NDArray[np.float64], n: int, fs: float, res: Resonance
) -> npt.NDArray[np.float64]:
    omega_n = 2 * math.pi * res.hz
    omega_d = omega_n * math.sqrt(1 - res.damping**2)
    decay = res.damping * omega_n
    length = math.ceil(8.0 / decay * fs) + 1
    start = np.ceil(times * fs).astype(np.int64)
    idx = start[:, None] + np.arange(length)[None, :]
    tau = idx / fs - times[:, None]
    resp = (res.gain * amps)[:, None] * np.exp(-decay * tau) * np.sin(omega_d * tau)
    keep = idx < n
    out = np.zeros(n)
    np.add.at(out, idx[keep], resp[keep])
    return out


def generate(
    rig: Rig, label: str, rpm: float, seconds: float, seed: int | list[int], severity: float = 1.0
) -> Recording:
    """One recording of ``rig`` at nameplate ``rpm``: normal or a fault of ``severity``."""
    if label not in LABELS:
        raise VmonError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise VmonError(f"duration {seconds} s must be positive")
    rng = np.random.default_rng(seed)
    fs = rig.fs_hz
    n = round(seconds * fs)
    f_r = _rate(rng, n, fs, rpm / 60.0 * (1 + rig.speed_offset), rig.speed_drift)
    phase = 2 * math.pi * np.cumsum(f_r) / fs  # shaft angle
    x = np.zeros(n)
    for k, g in enumerate(rig.shaft_g, start=1):
        x += g * np.sin(k * phase + rng.uniform(0, 2 * math.pi))
    for mult, g in rig.shaft_tones:
        x += g * np.sin(mult * phase + rng.uniform(0, 2 * math.pi))
    t = np.arange(n) / fs
    for hz, g in rig.fixed_tones:
        x += g * np.sin(2 * math.pi * hz * t + rng.uniform(0, 2 * math.pi))
    x += rig.noise_g * rng.standard_normal(n)
    for res in rig.resonances:
        if res.hz >= 0.45 * fs:
            continue
        b, a = sps.iirpeak(res.hz, Q=1 / (2 * res.damping), fs=fs)
        y = sps.lfilter(b, a, rng.standard_normal(n))
        x += rig.structure_g * res.gain * y / max(float(np.sqrt(np.mean(y**2))), 1e-12)
    if label != "normal":
        x += _impacts(rig, label, f_r, fs, n, rng) * severity
    x *= rig.mounting_gain
    return Recording(
        recording_id=f"RIG_{rig.name}_{label}_{rpm:g}rpm",
        signal=x.astype(np.float32),
        fs_hz=fs,
        label=label,
        load_hp=float("nan"),
        fault_size_in=0.0 if label == "normal" else float("nan"),
        rpm=float(rpm),
        source_file=f"vmon.data.rigs:{rig.name}",
        derived_from="",
    )


def _impacts(
    rig: Rig,
    label: str,
    f_r: npt.NDArray[np.float64],
    fs: float,
    n: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Impact train at the defect rate of the instantaneous speed, less the slip."""
    g = rig.bearing
    ratio = g.defects(1.0)[label] * (1.0 - rig.slip)
    # Integrate the defect rate; an impact each time the count passes a whole number,
    # with ~1 % period jitter (slip is not steady).
    count = np.cumsum(f_r * ratio) / fs + rng.uniform(0, 1)
    edges = np.flatnonzero(np.diff(np.floor(count)) > 0) + 1
    times = edges / fs
    times = times + 0.01 * rng.standard_normal(times.size) / (ratio * f_r[edges])
    times = np.sort(times[(times > 0) & (times < n / fs)])
    amps = rig.impact_g[label] * (1.0 + 0.1 * rng.standard_normal(times.size))
    shaft_angle = 2 * math.pi * np.cumsum(f_r) / fs
    idx = np.minimum((times * fs).astype(np.int64), n - 1)
    if label == "inner_race":
        amps *= 1.0 - 0.7 * (1.0 - np.cos(shaft_angle[idx] + rng.uniform(0, 6.3))) / 2
    elif label == "ball":
        cage = shaft_angle[idx] * g.ftf(1.0)
        amps *= 1.0 - 0.7 * (1.0 - np.cos(cage + rng.uniform(0, 6.3))) / 2
        amps[(np.arange(times.size) + int(rng.integers(2))) % 2 == 1] *= 0.6
    out = np.zeros(n)
    for res in rig.resonances:
        if res.hz < 0.45 * fs:
            out += _ring(times, amps, n, fs, res)
    return out


def generate_dataset(
    rig: Rig,
    seed: int = 0,
    normal_s: float = 60.0,
    fault_s: float = 12.0,
    severity: float = 1.0,
) -> Dataset:
    """Per nameplate speed: one normal recording and one per fault, with the rig's bearing."""
    recs = []
    for si, rpm in enumerate(rig.speeds_rpm):
        for li, label in enumerate(LABELS):
            secs = normal_s if label == "normal" else fault_s
            recs.append(generate(rig, label, rpm, secs, [seed, si, li], severity))
    meta = {
        "dataset": f"synthetic {rig.name}: {rig.description}",
        "source": "generated by vmon.data.rigs",
        "source_repo": "vmon",
        "source_commit": "n/a",
        "license": "synthetic data generated by vmon; no third-party rights",
        "unit": "g",
        "bearing": {"designation": rig.designation, **rig.bearing.to_json()},
        "generator": {"rig": rig.name, "seed": seed, "severity": severity},
    }
    return Dataset(name=f"rig_{rig.name}", recordings=recs, meta=meta)
