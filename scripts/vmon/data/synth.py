"""Physics-based synthetic bearing vibration.

A localized defect on a rolling-element bearing produces a train of short impacts
at the defect's characteristic frequency; each impact rings the machine
structure at a resonance, so the fault shows up as the *envelope* of the
resonance band repeating at BPFO, BPFI or BSF rather than as a spectral line
(McFadden & Smith 1984; Randall & Antoni, MSSP 25, 2011). The model here:

* shaft-speed harmonics: 1x (imbalance) and 2x (misalignment), plus a weak 3x;
* impacts at the defect frequency with ~1 % random period jitter (rolling
  elements slip, so real impacts are not strictly periodic);
* every impact excites a decaying resonance (default 3 kHz, kept below 0.4 fs);
* amplitude modulation: inner-race defects pass through the load zone once per
  shaft turn (modulation at the shaft rate), ball defects once per cage turn
  (at FTF); an outer-race defect sits still in the load zone (no modulation);
* a ball defect strikes the outer and the inner race once each per spin, so its
  impacts repeat at 2 x BSF (the outer-race strike is the stronger one);
* impact amplitude and background noise grow with load.

Output is float32 in g, deterministic for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from vmon.bearing import BearingGeometry
from vmon.data import LABELS, Dataset, Recording, save_dataset
from vmon.errors import VmonError

#: A generic 25 x 52 mm single-row deep-groove ball bearing (9 balls of 5/16 in).
DEFAULT_GEOMETRY = BearingGeometry(
    n_balls=9, ball_diameter=7.94, pitch_diameter=38.5, contact_angle_deg=0.0
)
DEFAULT_RESONANCE_HZ = 3_000.0
#: Damping ratio of the excited resonance; 5 % rings for about a millisecond at 3 kHz.
RESONANCE_DAMPING = 0.05
DEFAULT_FAULT_SIZE_IN = 0.014
#: Period jitter of the impacts (standard deviation, relative): rolling-element slip.
SLIP_JITTER = 0.01
DEFAULT_LOADS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0)
FS_RANGE_HZ = (1_000.0, 200_000.0)

# Peak impact amplitude in g at no load for the default fault size. The inner race
# and balls are farther from the sensor (more interfaces), so they ring weaker.
_IMPACT_G = {"outer_race": 0.8, "inner_race": 0.6, "ball": 0.45}
# Relative size of a ball defect's inner-race strike: it reaches the sensor through
# more interfaces than the outer-race strike.
_BALL_INNER_STRIKE = 0.6
# Fraction of the amplitude lost when the defect is opposite the load zone.
_MODULATION_DEPTH = 0.7


def nominal_rpm(load_hp: float) -> float:
    """Speed of a 4-pole induction motor on 60 Hz: slip grows about linearly with load."""
    return 1800.0 * (1.0 - 0.002 - 0.011 * load_hp)


def resonance_frequency(fs: float, resonance_hz: float = DEFAULT_RESONANCE_HZ) -> float:
    """The structural resonance used at ``fs``, clamped below 0.4 fs (anti-alias roll-off)."""
    return min(resonance_hz, 0.4 * fs)


def resonance_band(fs: float, resonance_hz: float = DEFAULT_RESONANCE_HZ) -> tuple[float, float]:
    """Band around the resonance to demodulate for envelope analysis."""
    f_n = resonance_frequency(fs, resonance_hz)
    half = min(0.3 * f_n, 1_000.0)
    return f_n - half, min(f_n + half, 0.49 * fs)


def defect_frequency(
    label: str, rpm: float, geometry: BearingGeometry = DEFAULT_GEOMETRY
) -> tuple[str, float]:
    """Name and rate (Hz) of the impacts a fault of ``label`` produces at ``rpm``."""
    if not math.isfinite(rpm) or rpm <= 0:
        raise VmonError(f"cannot compute a defect frequency without a valid rpm (got {rpm})")
    f_r = rpm / 60.0
    if label == "outer_race":
        return "BPFO", geometry.bpfo(f_r)
    if label == "inner_race":
        return "BPFI", geometry.bpfi(f_r)
    if label == "ball":
        return "2xBSF", 2.0 * geometry.bsf(f_r)
    raise VmonError(
        f"label {label!r} has no defect frequency (faults: inner_race, ball, outer_race)"
    )


def expected_defect_frequency(
    rec: Recording, geometry: BearingGeometry = DEFAULT_GEOMETRY
) -> tuple[str, float]:
    """Theoretical envelope-spectrum line of a faulty recording (from its rpm)."""
    return defect_frequency(rec.label, rec.rpm, geometry)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_inputs(fs: float, seconds: float) -> None:
    lo, hi = FS_RANGE_HZ
    if not (math.isfinite(fs) and lo <= fs <= hi):
        raise VmonError(f"sampling rate {fs} Hz out of range; use {lo:g} to {hi:g} Hz")
    if not (math.isfinite(seconds) and seconds > 0) or round(seconds * fs) < 1:
        raise VmonError(f"duration {seconds} s must be positive")


def _resonator_noise(
    rng: np.random.Generator, n: int, fs: float, f_n: float
) -> npt.NDArray[np.float64]:
    """Unit-RMS random vibration of the structure: white noise through the resonance."""
    b, a = sps.iirpeak(f_n, Q=1 / (2 * RESONANCE_DAMPING), fs=fs)
    y = np.asarray(sps.lfilter(b, a, rng.standard_normal(n)), dtype=np.float64)
    rms = float(np.sqrt(np.mean(y**2)))
    return y / rms if rms > 0 else y


def _impact_train(
    rng: np.random.Generator,
    label: str,
    n: int,
    fs: float,
    rpm: float,
    geometry: BearingGeometry,
    amplitude: float,
    f_n: float,
) -> npt.NDArray[np.float64]:
    """Sum of decaying resonance responses, one per defect impact, at exact impact times."""
    seconds = n / fs
    _, f_d = defect_frequency(label, rpm, geometry)
    period = 1.0 / f_d
    count = math.ceil(seconds * f_d) + 2
    # Jitter each period (slip), never letting an impact overtake the previous one.
    periods = period * np.clip(1.0 + SLIP_JITTER * rng.standard_normal(count), 0.5, 1.5)
    times = rng.uniform(0.0, period) + np.concatenate([[0.0], np.cumsum(periods[:-1])])
    times = times[times < seconds]

    amps = amplitude * (1.0 + 0.1 * rng.standard_normal(times.size))
    f_r = rpm / 60.0
    if label == "inner_race":
        # The defect turns with the shaft through the load zone once per revolution.
        phase = 2 * np.pi * f_r * times + rng.uniform(0, 2 * np.pi)
        amps *= 1.0 - _MODULATION_DEPTH * (1.0 - np.cos(phase)) / 2
    elif label == "ball":
        # The ball orbits with the cage, entering the load zone once per cage turn.
        phase = 2 * np.pi * geometry.ftf(f_r) * times + rng.uniform(0, 2 * np.pi)
        amps *= 1.0 - _MODULATION_DEPTH * (1.0 - np.cos(phase)) / 2
        # Strikes alternate between outer race and (weaker) inner race.
        first = int(rng.integers(2))
        amps[(np.arange(times.size) + first) % 2 == 1] *= _BALL_INNER_STRIKE

    omega_n = 2 * np.pi * f_n
    omega_d = omega_n * math.sqrt(1 - RESONANCE_DAMPING**2)
    decay = RESONANCE_DAMPING * omega_n
    length = math.ceil(8.0 / decay * fs) + 1  # e^-8: the ring is gone
    start = np.ceil(times * fs).astype(np.int64)
    idx = start[:, None] + np.arange(length)[None, :]
    tau = idx / fs - times[:, None]
    resp = amps[:, None] * np.exp(-decay * tau) * np.sin(omega_d * tau)
    keep = idx < n
    out = np.zeros(n)
    np.add.at(out, idx[keep], resp[keep])
    return out


def generate_recording(
    label: str,
    fs: float = 12_000.0,
    seconds: float = 2.0,
    rpm: float | None = None,
    load: float = 0.0,
    geometry: BearingGeometry = DEFAULT_GEOMETRY,
    seed: int | Sequence[int] = 0,
    *,
    resonance_hz: float = DEFAULT_RESONANCE_HZ,
    fault_size_in: float = DEFAULT_FAULT_SIZE_IN,
    recording_id: str | None = None,
) -> Recording:
    """One synthetic recording of ``label`` at ``load`` hp; ``rpm`` defaults to :func:`nominal_rpm`.

    ``fault_size_in`` scales the impact amplitude linearly (relative to 0.014 in).
    """
    if label not in LABELS:
        raise VmonError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    _check_inputs(fs, seconds)
    if not (math.isfinite(load) and load >= 0):
        raise VmonError(f"load {load} hp must be >= 0")
    rpm = nominal_rpm(load) if rpm is None else rpm
    if not (math.isfinite(rpm) and 0 < rpm <= 30_000):
        raise VmonError(f"rpm {rpm} must be in (0, 30000]")
    if label != "normal" and not (math.isfinite(fault_size_in) and fault_size_in > 0):
        raise VmonError(f"fault_size_in {fault_size_in} must be positive for a fault")

    rng = np.random.default_rng(seed)
    n = round(seconds * fs)
    t = np.arange(n) / fs
    f_r = rpm / 60.0
    f_n = resonance_frequency(fs, resonance_hz)
    noise_gain = 1.0 + 0.1 * load

    phases = rng.uniform(0, 2 * np.pi, 3)
    x = (
        0.040 * (1.0 + 0.05 * load) * np.sin(2 * np.pi * f_r * t + phases[0])
        + 0.015 * (1.0 + 0.10 * load) * np.sin(2 * np.pi * 2 * f_r * t + phases[1])
        + 0.005 * np.sin(2 * np.pi * 3 * f_r * t + phases[2])
    )
    x += 0.020 * noise_gain * rng.standard_normal(n)
    x += 0.030 * noise_gain * _resonator_noise(rng, n, fs, f_n)
    if label != "normal":
        # More load, more contact force, harder impacts.
        amplitude = _IMPACT_G[label] * (fault_size_in / DEFAULT_FAULT_SIZE_IN) * (1 + 0.25 * load)
        x += _impact_train(rng, label, n, fs, rpm, geometry, amplitude, f_n)

    return Recording(
        recording_id=recording_id or f"SYN_{_fmt(fs)}_{label}_L{_fmt(load)}",
        signal=x.astype(np.float32),
        fs_hz=float(fs),
        label=label,
        load_hp=float(load),
        fault_size_in=0.0 if label == "normal" else float(fault_size_in),
        rpm=float(rpm),
        source_file="vmon.synth",
        derived_from="",
    )


def generate_dataset(
    fs: float = 12_000.0,
    seconds: float = 2.0,
    loads: Sequence[float] = DEFAULT_LOADS,
    rpm_by_load: Mapping[float, float] | None = None,
    seed: int = 0,
    *,
    geometry: BearingGeometry = DEFAULT_GEOMETRY,
    resonance_hz: float = DEFAULT_RESONANCE_HZ,
) -> Dataset:
    """One recording per label x load, ids ``SYN_<fs>_<label>_L<load>``."""
    _check_inputs(fs, seconds)
    if not loads:
        raise VmonError("no loads given; pass at least one load in hp")
    rpm_by_load = dict(rpm_by_load or {})
    recs: list[Recording] = []
    notes: dict[str, str] = {}
    for li, load in enumerate(loads):
        rpm = rpm_by_load.get(load, nominal_rpm(load))
        for ki, label in enumerate(LABELS):
            # Independent, reproducible streams per recording.
            rec = generate_recording(
                label,
                fs,
                seconds,
                rpm,
                load,
                geometry,
                seed=[seed, ki, li],
                resonance_hz=resonance_hz,
            )
            recs.append(rec)
            if label != "normal":
                name, f_d = defect_frequency(label, rpm, geometry)
                notes[rec.recording_id] = f"{name} {f_d:.2f} Hz at {rpm:.1f} rpm"
    meta = {
        "dataset": f"synthetic bearing vibration, {_fmt(fs)} Hz",
        "source": "generated by vmon.synth (physics-based impact model)",
        "source_repo": "vmon",
        "source_commit": "n/a",
        "license": "synthetic data generated by vmon; no third-party rights",
        "unit": "g",
        "generator": {
            "seed": seed,
            "fs_hz": fs,
            "seconds": seconds,
            "loads_hp": list(loads),
            "rpm_by_load": {_fmt(ld): rpm_by_load.get(ld, nominal_rpm(ld)) for ld in loads},
            "geometry": asdict(geometry),
            "resonance_hz": resonance_frequency(fs, resonance_hz),
            "slip_jitter": SLIP_JITTER,
            "ball_defect_rate": "2xBSF (a ball defect strikes both races once per spin)",
        },
        "recording_notes": notes,
    }
    return Dataset(name=f"synthetic_{_fmt(fs)}hz", recordings=recs, meta=meta)


def envelope_spectrum(
    x: npt.ArrayLike, fs: float, band: tuple[float, float] | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Magnitude spectrum of the Hilbert envelope of ``x`` band-passed to ``band`` (Hz)."""
    lo, hi = band or resonance_band(fs)
    sos = sps.butter(4, [lo, hi], btype="bandpass", fs=fs, output="sos")
    y = sps.sosfiltfilt(sos, np.asarray(x, dtype=np.float64))
    env = np.abs(sps.hilbert(y))
    env -= env.mean()
    env *= np.hanning(env.size)
    # Zero-pad 4x for a finer grid; interpolation below refines further.
    nfft = 1 << (4 * env.size - 1).bit_length()
    mag = np.abs(np.fft.rfft(env, nfft)).astype(np.float64)
    return np.fft.rfftfreq(nfft, 1 / fs).astype(np.float64), mag


def envelope_peak(
    rec: Recording,
    near: float,
    tolerance: float = 0.1,
    band: tuple[float, float] | None = None,
) -> float:
    """Frequency of the largest envelope-spectrum line within ``near`` x (1 +- tolerance)."""
    freqs, mag = envelope_spectrum(rec.signal, rec.fs_hz, band)
    sel = np.flatnonzero((freqs >= near * (1 - tolerance)) & (freqs <= near * (1 + tolerance)))
    if sel.size == 0:
        raise VmonError(f"{rec.recording_id}: {near:g} Hz is outside the envelope spectrum")
    k = int(sel[np.argmax(mag[sel])])
    if 0 < k < mag.size - 1:
        # Parabolic interpolation of the peak between bins.
        a, b, c = mag[k - 1], mag[k], mag[k + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom != 0 else 0.0
        return float(freqs[k] + shift * (freqs[1] - freqs[0]))
    return float(freqs[k])


def write_default_set(
    out: Path, fs: float = 12_000.0, seconds: float = 2.0, seed: int = 0
) -> Dataset:
    """Generate the default set (4 labels x 4 loads) and save it to ``out`` (.npz + index)."""
    from rich.console import Console

    ds = generate_dataset(fs=fs, seconds=seconds, seed=seed)
    path = save_dataset(ds, out)
    Console().print(
        f"wrote {path}: {len(ds)} recordings ({', '.join(ds.labels())} x loads "
        f"{', '.join(_fmt(v) for v in ds.loads())} hp), {_fmt(fs)} Hz, "
        f"{seconds:g} s each, seed {seed}",
        highlight=False,
        soft_wrap=True,
    )
    return ds
