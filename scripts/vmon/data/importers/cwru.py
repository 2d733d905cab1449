"""Import CWRU Bearing Data Center MATLAB files (drive-end accelerometer) into the vmon format.

Source layout (as in the GitHub repository s-whynot/CWRU-dataset)::

    Normal/97_Normal_0.mat                                  48 kHz baseline, 0-3 HP
    12k_Drive_End_Bearing_Fault_Data/IR/007/105_0.mat       12 kHz drive-end faults
    48k_Drive_End_Bearing_Fault_Data/OR/007/@6/135_0.mat    48 kHz drive-end faults
    12k_Fan_End_Bearing_Fault_Data/...                      fan-end faults (not imported)

Files are identified by their CWRU file number (the leading digits of the file
name), which is unique across the data center; the table below maps it to
label, fault size, outer-race position, load and native rate. Each file holds
``X<nnn>_DE_time`` (and usually ``X<nnn>RPM``); a few files name their variables
after another number (e.g. 3001 holds ``X056_DE_time``), which is noted per
recording. This module is the only place in vmon with CWRU-specific constants.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.io
from scipy import signal as sps

from vmon.data import LABELS, Dataset, Recording, save_dataset
from vmon.errors import VmonError

#: Name of the shared 12 kHz drive-end set (../shared/data): the training data of the
#: shipped default model.
SHARED_12K_NAME = "cwru_12k_de"

SOURCE_REPO = "s-whynot/CWRU-dataset"
ORIGINAL_OWNER = "Case Western Reserve University Bearing Data Center"
LICENSE_NOTE = (
    "CWRU bearing data is published by Case Western Reserve University for research use; "
    "no explicit open license. Cite the CWRU Bearing Data Center (and Smith & Randall 2015, "
    "MSSP 64-65:100-131) when using it."
)

#: Import rates and their sampling frequency.
RATES: dict[str, float] = {"12k": 12_000.0, "48k": 48_000.0}

#: Folders of the source layout and the rate of the drive-end data inside them.
FOLDER_RATE: dict[str, str] = {
    "12k_Drive_End_Bearing_Fault_Data": "12k",
    "48k_Drive_End_Bearing_Fault_Data": "48k",
    "Normal": "48k",
}
#: Other source folders: recognized so ``source_file`` is repository-relative.
OTHER_FOLDERS = ("12k_Fan_End_Bearing_Fault_Data",)

#: CWRU's nominal motor speed per load (the 0.028 in files carry no RPM variable).
NOMINAL_RPM: dict[int, float] = {0: 1797.0, 1: 1772.0, 2: 1750.0, 3: 1730.0}
#: The drive-end bearing of the CWRU test rig: SKF 6205-2RS JEM, 9 balls of 0.3126 in
#: (7.94 mm) on a 1.537 in (39.04 mm) pitch circle, 0 deg contact angle.
DRIVE_END_BEARING = {
    "designation": "SKF 6205-2RS JEM (CWRU drive end)",
    "n_balls": 9,
    "ball_diameter": 7.94,
    "pitch_diameter": 39.04,
    "contact_angle_deg": 0.0,
}

#: Class code used in recording ids.
CLASS_CODE: dict[str, str] = {
    "normal": "N",
    "inner_race": "IR",
    "ball": "B",
    "outer_race": "OR",
}

# The normal baseline exists only at 48 kHz. For a 12 kHz import it is decimated
# by 4 with a 257-tap Kaiser (beta 8.6) low-pass at 5.4 kHz (-6 dB): flat to
# 4.8 kHz and <= -87 dB from 6 kHz up, so nothing aliases above -87 dB.
DECIMATION_TAPS = 257
DECIMATION_BETA = 8.6
DECIMATION_CUTOFF_HZ = 5_400.0
#: The native 12 kHz recordings roll off above ~5.4 kHz (CWRU's acquisition filter) and the
#: decimated normal is flat only to 4.8 kHz: above it a model could tell "normal" by the
#: filter shape, so 12 kHz data is usable to 4.8 kHz.
USABLE_12K_HZ = 4_800.0


@dataclass(frozen=True)
class CwruFile:
    """What a CWRU file number stands for."""

    number: int
    label: str
    size_in: float  # 0 for normal
    position: str  # outer-race defect position "@3", "@6", "@12"; "" otherwise
    load_hp: int
    rate: str  # native rate of the drive-end channel, "12k" or "48k"


# (native rate, label, fault size in inches, outer-race position, file numbers at 0/1/2/3 HP)
_SERIES: tuple[tuple[str, str, float, str, tuple[int, int, int, int]], ...] = (
    ("48k", "normal", 0.0, "", (97, 98, 99, 100)),
    # 12 kHz drive-end faults
    ("12k", "inner_race", 0.007, "", (105, 106, 107, 108)),
    ("12k", "inner_race", 0.014, "", (169, 170, 171, 172)),
    ("12k", "inner_race", 0.021, "", (209, 210, 211, 212)),
    ("12k", "inner_race", 0.028, "", (3001, 3002, 3003, 3004)),
    ("12k", "ball", 0.007, "", (118, 119, 120, 121)),
    ("12k", "ball", 0.014, "", (185, 186, 187, 188)),
    ("12k", "ball", 0.021, "", (222, 223, 224, 225)),
    ("12k", "ball", 0.028, "", (3005, 3006, 3007, 3008)),
    ("12k", "outer_race", 0.007, "@6", (130, 131, 132, 133)),
    ("12k", "outer_race", 0.007, "@3", (144, 145, 146, 147)),
    ("12k", "outer_race", 0.007, "@12", (156, 158, 159, 160)),
    ("12k", "outer_race", 0.014, "@6", (197, 198, 199, 200)),
    ("12k", "outer_race", 0.021, "@6", (234, 235, 236, 237)),
    ("12k", "outer_race", 0.021, "@3", (246, 247, 248, 249)),
    ("12k", "outer_race", 0.021, "@12", (258, 259, 260, 261)),
    # 48 kHz drive-end faults
    ("48k", "inner_race", 0.007, "", (109, 110, 111, 112)),
    ("48k", "inner_race", 0.014, "", (174, 175, 176, 177)),
    ("48k", "inner_race", 0.021, "", (213, 214, 215, 217)),
    ("48k", "ball", 0.007, "", (122, 123, 124, 125)),
    ("48k", "ball", 0.014, "", (189, 190, 191, 192)),
    ("48k", "ball", 0.021, "", (226, 227, 228, 229)),
    ("48k", "outer_race", 0.007, "@6", (135, 136, 137, 138)),
    ("48k", "outer_race", 0.007, "@3", (148, 149, 150, 151)),
    ("48k", "outer_race", 0.007, "@12", (161, 162, 163, 164)),
    ("48k", "outer_race", 0.014, "@6", (201, 202, 203, 204)),
    ("48k", "outer_race", 0.021, "@6", (238, 239, 240, 241)),
    ("48k", "outer_race", 0.021, "@3", (250, 251, 252, 253)),
    ("48k", "outer_race", 0.021, "@12", (262, 263, 264, 265)),
)

FILES: dict[int, CwruFile] = {
    num: CwruFile(num, label, size, pos, load, rate)
    for rate, label, size, pos, numbers in _SERIES
    for load, num in enumerate(numbers)
}

_NUMBER = re.compile(r"^(\d+)")


def recording_id(entry: CwruFile, rate: str) -> str:
    """``CWRU<file#>_DE<rate>_<class><size>[@pos]_L<load>``, e.g. ``CWRU130_DE12k_OR007@6_L0``."""
    size = "" if entry.label == "normal" else f"{round(entry.size_in * 1000):03d}"
    code = CLASS_CODE[entry.label]
    return f"CWRU{entry.number}_DE{rate}_{code}{size}{entry.position}_L{entry.load_hp}"


def _source_path(path: Path, src: Path) -> str:
    """Path inside the source repository: from the first known top folder, else below src."""
    parts = path.parts
    for i, part in enumerate(parts):
        if part in FOLDER_RATE or part in OTHER_FOLDERS:
            return "/".join(parts[i:])
    return path.relative_to(src).as_posix()


def _folder_rate(path: Path) -> str | None:
    for part in path.parts:
        if part in FOLDER_RATE:
            return FOLDER_RATE[part]
    return None


@dataclass
class _Raw:
    entry: CwruFile
    path: Path
    source_file: str
    variable: str
    signal: npt.NDArray[np.float64]
    rpm: float
    notes: list[str]


def _read_mat(path: Path, entry: CwruFile, source_file: str) -> _Raw:
    """Read the drive-end channel and speed; every problem names the file."""
    try:
        names = [name for name, _, _ in scipy.io.whosmat(str(path))]
    except Exception as err:  # scipy raises many types for a damaged file
        raise VmonError(f"cannot read {path}: not a valid MATLAB file ({err})") from None
    expected = f"X{entry.number:03d}_DE_time"
    candidates = [n for n in names if n.endswith("_DE_time")]
    notes: list[str] = []
    if expected in candidates:
        variable = expected
    elif len(candidates) == 1:
        # Some CWRU files name their variables after another file number.
        variable = candidates[0]
        notes.append(f"variable is {variable}, not {expected}")
    elif not candidates:
        raise VmonError(f"{path} has no *_DE_time variable (found: {', '.join(names) or 'none'})")
    else:
        raise VmonError(
            f"{path} has several drive-end variables ({', '.join(candidates)}) and none is "
            f"{expected}"
        )
    prefix = variable.removesuffix("_DE_time")
    rpm_variable = f"{prefix}RPM" if f"{prefix}RPM" in names else None
    wanted = [variable] + ([rpm_variable] if rpm_variable else [])
    try:
        mat: dict[str, Any] = scipy.io.loadmat(str(path), variable_names=wanted)
        x = np.asarray(mat[variable], dtype=np.float64)
    except Exception as err:
        raise VmonError(f"cannot read {path}: damaged MATLAB file ({err})") from None
    if x.ndim > 2 or (x.ndim == 2 and min(x.shape) != 1) or x.size == 0:
        raise VmonError(f"{path}: {variable} is not a 1-channel time series (shape {x.shape})")
    x = x.ravel()
    if not np.all(np.isfinite(x)):
        raise VmonError(f"{path}: {variable} holds NaN/Inf samples")

    rpm = math.nan
    if rpm_variable is not None:
        values = np.asarray(mat[rpm_variable], dtype=np.float64).ravel()
        if values.size == 1 and math.isfinite(values[0]) and 0 < values[0] <= 30_000:
            rpm = float(values[0])
        else:
            notes.append(f"{rpm_variable} is not a valid speed; rpm set to NaN")
    else:
        notes.append("no RPM variable in file")
    return _Raw(entry, path, source_file, variable, x, rpm, notes)


def _decimate_by_4(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """48 -> 12 kHz, delay compensated; ``padtype='mean'`` keeps the ends free of steps."""
    taps = sps.firwin(
        DECIMATION_TAPS,
        DECIMATION_CUTOFF_HZ,
        window=("kaiser", DECIMATION_BETA),
        fs=RATES["48k"],
    )
    return np.asarray(sps.resample_poly(x, 1, 4, window=taps, padtype="mean"), dtype=np.float64)


def _decimation_note() -> str:
    return (
        f"scipy.signal.resample_poly(x, 1, 4) with a {DECIMATION_TAPS}-tap linear-phase "
        f"Kaiser(beta={DECIMATION_BETA}) FIR low-pass: flat to 4.8 kHz, -6 dB at "
        f"{DECIMATION_CUTOFF_HZ / 1000:g} kHz, <= -87 dB from 6 kHz (the output Nyquist) up; "
        "delay compensated; computed in float64, stored float32"
    )


def _to_recording(raw: _Raw, rate: str) -> Recording:
    entry = raw.entry
    fs = RATES[rate]
    derived_from = ""
    x = raw.signal
    if entry.rate != rate:
        # Only 48 -> 12 kHz of the normal baseline gets here (see _plan).
        x = _decimate_by_4(x)
        derived_from = (
            f"{recording_id(entry, entry.rate)} ({raw.source_file}:{raw.variable} at "
            f"{RATES[entry.rate]:.0f} Hz, decimated x4 to {fs:.0f} Hz)"
        )
    return Recording(
        recording_id=recording_id(entry, rate),
        signal=x.astype(np.float32),
        fs_hz=fs,
        label=entry.label,
        load_hp=float(entry.load_hp),
        fault_size_in=entry.size_in,
        rpm=raw.rpm,
        source_file=raw.source_file,
        derived_from=derived_from,
    )


def _list_names(paths: Iterable[Path], limit: int = 8) -> str:
    names = [p.name for p in paths]
    shown = ", ".join(names[:limit])
    return shown + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def _plan(
    mats: list[Path], src: Path, rate: str
) -> tuple[list[tuple[Path, CwruFile]], list[Path], list[Path]]:
    """Split the files into (to import, unknown, other rate); check folder and duplicates."""
    chosen: list[tuple[Path, CwruFile]] = []
    unknown: list[Path] = []
    other_rate: list[Path] = []
    seen: dict[int, Path] = {}
    for path in mats:
        match = _NUMBER.match(path.name)
        entry = FILES.get(int(match.group(1))) if match else None
        if entry is None:
            unknown.append(path)
            continue
        folder_rate = _folder_rate(path.relative_to(src))
        if folder_rate is not None and folder_rate != entry.rate:
            raise VmonError(
                f"{path} sits in a {folder_rate} folder but CWRU file {entry.number} is a "
                f"{entry.rate} recording; fix the folder or the file name"
            )
        # The normal baseline is 48 kHz only; a 12 kHz import decimates it.
        wanted = entry.rate == rate or (entry.label == "normal" and rate == "12k")
        if not wanted:
            other_rate.append(path)
            continue
        if entry.number in seen:
            raise VmonError(
                f"CWRU file {entry.number} found twice: {seen[entry.number]} and {path}; "
                "keep one copy"
            )
        seen[entry.number] = path
        chosen.append((path, entry))
    return chosen, unknown, other_rate


def _sort_key(rec: Recording) -> tuple[int, float, str, float, str]:
    # Normal first, then faults by size, outer-race position, load.
    position = rec.recording_id.split("_")[2]
    return (LABELS.index(rec.label), rec.fault_size_in, position, rec.load_hp, rec.recording_id)


def import_dataset(src: Path, rate: str = "12k") -> tuple[Dataset, list[Path], list[Path]]:
    """Read every known drive-end file of ``rate`` under ``src``.

    Returns the dataset, the skipped unknown files and the files at the other rate.
    """
    rate = rate.strip().lower()
    if rate not in RATES:
        raise VmonError(f"rate {rate!r} is not supported; use 12k or 48k")
    src = Path(src)
    if not src.exists():
        raise VmonError(f"CWRU source folder {src} does not exist")
    if not src.is_dir():
        raise VmonError(
            f"CWRU source {src} is not a folder; pass the folder holding the .mat files"
        )
    mats = sorted(p for p in src.rglob("*") if p.suffix.lower() == ".mat" and p.is_file())
    if not mats:
        raise VmonError(f"no .mat files under {src}; pass the folder of the CWRU download")

    chosen, unknown, other_rate = _plan(mats, src, rate)
    if not chosen:
        if other_rate:
            other = "48k" if rate == "12k" else "12k"
            raise VmonError(
                f"no {rate} drive-end CWRU files under {src} ({len(other_rate)} at {other}); "
                f"use --rate {other}"
            )
        raise VmonError(
            f"none of the {len(mats)} .mat files under {src} is a known CWRU drive-end "
            f"recording ({_list_names(unknown)})"
        )

    raws = [_read_mat(path, entry, _source_path(path, src)) for path, entry in chosen]
    recs = sorted((_to_recording(raw, rate) for raw in raws), key=_sort_key)
    recording_notes = {
        recording_id(raw.entry, rate): "; ".join(raw.notes) for raw in raws if raw.notes
    }
    return (
        Dataset(
            name=f"cwru_{rate}_de",
            recordings=recs,
            meta=_meta(src, rate, recs, recording_notes),
        ),
        unknown,
        other_rate,
    )


def _meta(
    src: Path, rate: str, recs: list[Recording], recording_notes: dict[str, str]
) -> dict[str, Any]:
    loads = sorted({r.load_hp for r in recs})
    dataset = f"CWRU bearing data, drive-end accelerometer, {RATES[rate] / 1000:g} kHz"
    if len(loads) == 1:
        dataset += f", {loads[0]:g} HP load only"
    notes: list[str] = []
    derived = [r for r in recs if r.derived_from]
    if derived:
        notes.append(
            "normal baseline exists only at 48 kHz in CWRU; "
            f"{len(derived)} normal recording(s) decimated to {RATES[rate] / 1000:g} kHz: "
            + _decimation_note()
        )
        notes.append(
            "the decimated normal recording(s) are the same physical recording as the 48 kHz "
            "normal of a 48k import (see derived_from); never split them apart"
        )
    durations = [r.duration_s for r in recs]
    typical = median(durations)
    short = {r.recording_id: round(r.duration_s, 2) for r in recs if r.duration_s < 0.8 * typical}
    if short:
        notes.append(f"short recordings (seconds, as distributed by the source): {short}")
    meta: dict[str, Any] = {
        "dataset": dataset,
        "original_owner": ORIGINAL_OWNER,
        "source": f"imported from a local copy ({src.name}) laid out as {SOURCE_REPO}",
        "source_repo": SOURCE_REPO,
        "source_commit": "unknown (local import)",
        "license": LICENSE_NOTE,
        "channel": "DE_time (drive-end accelerometer)",
        "unit": "g (CWRU accelerometer data, conventionally taken as g)",
        "labels": {
            "normal": "healthy bearing",
            "inner_race": "inner-race EDM fault",
            "ball": "rolling-element EDM fault",
            "outer_race": "outer-race EDM fault (position @3/@6/@12 o'clock in recording_id)",
        },
        "load_hp": "motor load in horsepower (0-3)",
        "rpm": "motor speed from the file's RPM variable; NaN where the file has none",
        "nominal_rpm_by_load_hp": {str(k): v for k, v in NOMINAL_RPM.items()},
        "bearing": dict(DRIVE_END_BEARING),
        "notes": notes,
        "recording_notes": recording_notes,
        "split_warning": (
            "split by recording and by load, never by windows of the same recording; "
            "overlapping windows from one recording on both sides of a split leak"
        ),
    }
    if derived:
        meta["decimation"] = _decimation_note()
    return meta


def import_to_file(src: Path, out: Path, rate: str = "12k") -> Dataset:
    """Import the CWRU drive-end files under ``src`` at ``rate`` into ``out`` (.npz + index).

    Unknown .mat files (fan-end data, other sources) are skipped with one warning
    line; nothing is written unless every chosen file was read successfully.
    """
    from rich.console import Console

    console = Console(highlight=False)
    warn = Console(stderr=True, highlight=False)
    ds, unknown, other_rate = import_dataset(src, rate)
    if unknown:
        warn.print(
            f"warning: skipped {len(unknown)} .mat file(s) that are not CWRU drive-end "
            f"recordings: {_list_names(unknown)}",
            markup=False,
            soft_wrap=True,
        )
    path = save_dataset(ds, out)
    counts, seconds = ds.recordings_per_label(), ds.seconds_per_label()
    per_label = ", ".join(f"{lab} {counts[lab]} ({seconds[lab]:.1f} s)" for lab in ds.labels())
    loads = ", ".join(f"{v:g}" for v in ds.loads())
    skipped = f"; {len(other_rate)} file(s) at the other rate left out" if other_rate else ""
    console.print(
        f"imported {len(ds)} recordings at {ds.recordings[0].fs_hz:.0f} Hz into {path}: "
        f"{per_label}; loads {loads} hp{skipped}",
        markup=False,
        soft_wrap=True,
    )
    return ds


def known_bearing(ds: Dataset) -> dict[str, Any] | None:
    """The bearing of a CWRU drive-end dataset imported before the format carried one."""
    meta = ds.meta
    if meta.get("source_repo") == SOURCE_REPO and str(meta.get("channel", "")).startswith("DE"):
        return dict(DRIVE_END_BEARING)
    return None


def recordings_note(ds: Dataset) -> dict[str, Any] | None:
    """What a CWRU drive-end dataset's recordings are, for the replay path a model records.

    ``usable_hz`` (None: not stated by CWRU), ``description``, ``source`` and ``verified``;
    None for a dataset that is not CWRU drive-end data at a single rate.
    """
    if known_bearing(ds) is None:
        return None
    rates = {r.fs_hz for r in ds.recordings}
    if len(rates) != 1:
        return None
    fs = rates.pop()
    source = f"CWRU Bearing Data Center via {SOURCE_REPO}; vmon.data.importers.cwru"
    if fs == RATES["12k"]:
        return {
            "usable_hz": USABLE_12K_HZ,
            "description": (
                "CWRU drive-end accelerometer (DE_time, g) at 12000 Hz: faults native, "
                "rolling off above ~5.4 kHz (CWRU's acquisition filter); normal decimated from "
                f"48 kHz ({DECIMATION_TAPS}-tap Kaiser FIR, flat to 4.8 kHz, -6 dB at "
                f"{DECIMATION_CUTOFF_HZ / 1000:g} kHz); usable to {USABLE_12K_HZ:g} Hz"
            ),
            "source": source,
            "verified": True,
        }
    return {
        "usable_hz": None,
        "description": (
            f"CWRU drive-end accelerometer (DE_time, g) at {fs:g} Hz; CWRU states no "
            "acquisition filter"
        ),
        "source": source,
        "verified": False,
    }
