"""A model's deployment rate: its band plan and the sensor paths it is meant for.

``invoke retrain --fs-hz N`` trains for a node sampling at N Hz: the recordings are resampled
to N (vmon.dsp.features.resample_to) and the band plan ends at the lowest usable bandwidth of
the paths that feed the node at that rate (the rule of vmon.dsp.sensors: 80 % of a path's
first cut-off, 0.4 fs for a path filtered at Nyquist, so 4800 Hz at 12 kHz). The paths are
the replay of the training recordings and, at its output data rates, the ICM-42688-P; each is
recorded in the feature config (docs/models.md#sensor-paths). The product board's analog
accelerometer (the SAADC source) is recorded too where the band plan fits its bandwidth; it
does not set the plan: a model for it is trained at a rate whose plan it carries (the firmware
refuses a build whose model's plan the path cannot carry).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from vmon.data import Dataset
from vmon.data.importers import cwru
from vmon.dsp import features as feat
from vmon.dsp import sensors
from vmon.errors import VmonError


def parse_rate(value: object) -> float:
    """A deployment rate from the command line: a whole, positive number of Hz."""
    try:
        fs = float(str(value))
    except ValueError:
        fs = math.nan
    if not (math.isfinite(fs) and fs > 0 and fs.is_integer()):
        raise VmonError(f"--fs-hz must be a whole, positive number of Hz, not {value!r}")
    return fs


def data_bandwidth(ds: Dataset) -> float:
    """How far up the recordings hold usable signal: their importer's word, the dataset's
    ``usable_bandwidth_hz``, and 0.4 fs of every recording, whichever is lowest."""
    limits = [feat.default_usable_bandwidth(r.fs_hz) for r in ds.recordings]
    note = cwru.recordings_note(ds)
    if note is not None and note["usable_hz"] is not None:
        limits.append(float(note["usable_hz"]))
    if ds.meta.get("usable_bandwidth_hz"):
        limits.append(float(ds.meta["usable_bandwidth_hz"]))
    return min(limits)


def sensor_paths(ds: Dataset, fs_hz: float, full_scale_g: float) -> list[sensors.SensorPath]:
    """The replay of ``ds`` at ``fs_hz`` and, at its rates, the ICM-42688-P FIFO."""
    rates = sorted({r.fs_hz for r in ds.recordings})
    note = cwru.recordings_note(ds) or {
        "description": f"{ds.name} recordings at {', '.join(f'{r:g}' for r in rates)} Hz",
        "source": f"dataset {ds.name} (vmon format); usable bandwidth 0.4 fs unless its meta "
        "gives usable_bandwidth_hz",
        "verified": bool(ds.meta.get("usable_bandwidth_hz")),
    }
    paths = [
        sensors.replay_path(
            fs_hz,
            full_scale_g,
            dataset=ds.name,
            recorded_hz=rates[0],
            recorded_usable_hz=data_bandwidth(ds),
            recordings=str(note["description"]),
            source=str(note["source"]),
            verified=bool(note["verified"]),
        )
    ]
    icm = sensors.icm42688_path(fs_hz, full_scale_g)
    if icm is not None:
        paths.append(icm)
    return paths


def with_optional_paths(cfg: feat.FeatureConfig) -> feat.FeatureConfig:
    """``cfg`` with the paths that may feed it without setting its plan: the SAADC source's,
    when the band plan stays within its usable bandwidth."""
    extra = sensors.saadc_path(cfg.fs_hz, cfg.full_scale_g)
    if extra is None or cfg.f_max_hz > extra.bandwidth_hz:
        return cfg
    return dataclasses.replace(cfg, sensors=(*cfg.sensors, extra))


def features_for(
    ds: Dataset, base: feat.FeatureConfig, fs_hz: float | None = None
) -> feat.FeatureConfig:
    """``base`` with its sensor paths; at ``fs_hz``, also the rate and the band plan it gives.

    Without ``fs_hz`` the band plan stays ``base``'s (check it with :func:`check_paths`).
    """
    if fs_hz is None:
        return with_optional_paths(
            dataclasses.replace(
                base, sensors=tuple(sensor_paths(ds, base.fs_hz, base.full_scale_g))
            )
        )
    fs = parse_rate(fs_hz)
    have = data_bandwidth(ds)
    need = sensors.usable_bandwidth(fs)
    if need > have * (1 + 1e-9):
        raise VmonError(
            f"dataset {ds.name} holds usable signal only up to {have:g} Hz; a {fs:g} Hz model "
            f"needs it up to {need:g} Hz, and resampling cannot add it: choose --fs-hz "
            f"{math.floor(have / sensors.USABLE_FRACTION * 2):g} or lower"
        )
    for r in sorted({r.fs_hz for r in ds.recordings}):
        ratio = Fraction(fs / r).limit_denominator(1000)
        if abs(float(ratio) * r - fs) > 1e-6 * fs:
            raise VmonError(f"cannot resample {r:g} Hz recordings to {fs:g} Hz: no rational ratio")
    paths = sensor_paths(ds, fs, base.full_scale_g)
    limit = min(paths, key=lambda p: p.bandwidth_hz)
    f_max = float(math.floor(limit.bandwidth_hz))
    try:
        return with_optional_paths(
            dataclasses.replace(base, fs_hz=fs, f_max_hz=f_max, band_edges=(), sensors=tuple(paths))
        )
    except VmonError as err:
        raise VmonError(
            f"at {fs:g} Hz the band plan ends at {f_max:g} Hz (the {limit.path} path's usable "
            f"bandwidth), which leaves no feature plan: {err}"
        ) from None


def check_paths(cfg: feat.FeatureConfig) -> None:
    """The band plan must stay below every sensor path's usable bandwidth."""
    for p in cfg.sensors:
        if cfg.f_max_hz > p.bandwidth_hz:
            raise VmonError(
                f"band plan reaches {cfg.f_max_hz:g} Hz but the {p.path} path ({p.name}) is "
                f"usable only up to {p.bandwidth_hz:g} Hz"
            )
