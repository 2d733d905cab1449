"""Dataset format: load and validate, save atomically, find.

A dataset is one ``np.savez_compressed`` file plus ``<name>.index.csv`` beside it
(see docs/dataset-format.md). Every recording's signal is a float32 view into one
concatenated array, so loading a large set costs one allocation and no copies.
Nothing here knows a particular data source: importers and the synthetic
generator produce :class:`Dataset` objects and call :func:`save_dataset`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.errors import VmonError
from vmon.paths import DATA_ENV, atomic_output, resolve_data_dir

#: The product's label set, in display order.
LABELS: tuple[str, ...] = ("normal", "inner_race", "ball", "outer_race")

FORMAT_VERSION = 1

STR_FIELDS = ("recording_id", "label", "source_file", "derived_from")
FLOAT_FIELDS = ("fs_hz", "load_hp", "fault_size_in", "rpm")
PER_RECORDING = (
    "recording_id",
    "fs_hz",
    "label",
    "load_hp",
    "fault_size_in",
    "rpm",
    "source_file",
    "derived_from",
)
REQUIRED_ARRAYS = ("signal", "offsets", *PER_RECORDING, "meta_json")
#: Columns of ``<name>.index.csv``, in the order the shared datasets use.
INDEX_COLUMNS = (*PER_RECORDING, "n_samples", "duration_s")

# Errors numpy/zipfile raise for a damaged archive or member.
_READ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


@dataclass(frozen=True, eq=False)
class Recording:
    """One continuous recording; ``signal`` is float32 in g (usually a view, do not resize)."""

    recording_id: str
    signal: npt.NDArray[np.float32]
    fs_hz: float
    label: str
    load_hp: float = math.nan
    fault_size_in: float = math.nan
    rpm: float = math.nan
    source_file: str = ""
    derived_from: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs_hz


@dataclass
class Dataset:
    """Recordings plus the free-form ``meta`` dictionary stored as ``meta_json``."""

    name: str
    recordings: list[Recording]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.recordings)

    def __iter__(self) -> Iterator[Recording]:
        return iter(self.recordings)

    def ids(self) -> list[str]:
        return [r.recording_id for r in self.recordings]

    def get(self, recording_id: str) -> Recording:
        for rec in self.recordings:
            if rec.recording_id == recording_id:
                return rec
        raise VmonError(f"no recording {recording_id!r} in dataset {self.name}")

    def labels(self) -> list[str]:
        """Labels present, in :data:`LABELS` order."""
        present = {r.label for r in self.recordings}
        return [lab for lab in LABELS if lab in present]

    def loads(self) -> list[float]:
        """Distinct known loads (hp), ascending; NaN ("n/a") is left out."""
        return sorted({r.load_hp for r in self.recordings if not math.isnan(r.load_hp)})

    def sampling_rates(self) -> list[float]:
        return sorted({r.fs_hz for r in self.recordings})

    def recordings_per_label(self) -> dict[str, int]:
        return {lab: sum(r.label == lab for r in self.recordings) for lab in self.labels()}

    def seconds_per_label(self) -> dict[str, float]:
        return {
            lab: sum(r.duration_s for r in self.recordings if r.label == lab)
            for lab in self.labels()
        }

    def total_seconds(self) -> float:
        return sum(r.duration_s for r in self.recordings)

    def select(
        self,
        *,
        labels: str | Iterable[str] | None = None,
        loads: float | Iterable[float] | None = None,
        fs_hz: float | None = None,
        ids: Iterable[str] | None = None,
    ) -> Dataset:
        """A dataset with the recordings matching every given criterion (views, no copies)."""
        label_set = {labels} if isinstance(labels, str) else None if labels is None else set(labels)
        if label_set is not None and (unknown := label_set - set(LABELS)):
            raise VmonError(f"unknown label(s) {sorted(unknown)}; expected {', '.join(LABELS)}")
        load_list = (
            None if loads is None else list(loads) if isinstance(loads, Iterable) else [loads]
        )
        id_set = None if ids is None else set(ids)
        if id_set is not None and (missing := id_set - set(self.ids())):
            raise VmonError(f"no recording(s) {sorted(missing)} in dataset {self.name}")

        def keep(rec: Recording) -> bool:
            if label_set is not None and rec.label not in label_set:
                return False
            if load_list is not None and not any(_same(rec.load_hp, v) for v in load_list):
                return False
            if fs_hz is not None and not math.isclose(rec.fs_hz, fs_hz):
                return False
            return id_set is None or rec.recording_id in id_set

        return Dataset(
            name=self.name,
            recordings=[r for r in self.recordings if keep(r)],
            meta=dict(self.meta),
            path=self.path,
        )


def _same(a: float, b: float) -> bool:
    """Equality for metadata floats where NaN means "n/a" and matches NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def index_path(npz_path: str | os.PathLike[str]) -> Path:
    """``<name>.index.csv`` beside ``<name>.npz``."""
    path = Path(npz_path)
    return path.with_name(path.name.removesuffix(".npz") + ".index.csv")


# ---------------------------------------------------------------------------- validation


def _validate_recordings(recs: list[Recording], where: str) -> None:
    """Invariants shared by load and save; ``where`` names the file in the message."""
    if not recs:
        raise VmonError(f"{where}: no recordings")
    seen: set[str] = set()
    for rec in recs:
        rid = rec.recording_id
        if not rid:
            raise VmonError(f"{where}: a recording has an empty recording_id")
        if rid in seen:
            raise VmonError(f"{where}: duplicate recording_id {rid!r}; ids must be unique")
        seen.add(rid)
        if rec.label not in LABELS:
            raise VmonError(
                f"{where}: recording {rid} has unknown label {rec.label!r}; "
                f"expected one of {', '.join(LABELS)}"
            )
        if not (math.isfinite(rec.fs_hz) and rec.fs_hz > 0):
            raise VmonError(f"{where}: recording {rid} has fs_hz {rec.fs_hz}; must be positive")
        if math.isinf(rec.load_hp) or rec.load_hp < 0:
            raise VmonError(f"{where}: recording {rid} has load_hp {rec.load_hp}; use >= 0 or NaN")
        if math.isinf(rec.fault_size_in) or rec.fault_size_in < 0:
            raise VmonError(
                f"{where}: recording {rid} has fault_size_in {rec.fault_size_in}; use >= 0 or NaN"
            )
        if rec.label == "normal" and rec.fault_size_in != 0:
            raise VmonError(f"{where}: normal recording {rid} must have fault_size_in 0")
        if rec.label != "normal" and rec.fault_size_in == 0:
            raise VmonError(
                f"{where}: fault recording {rid} has fault_size_in 0; use NaN if unknown"
            )
        if not math.isnan(rec.rpm) and not (0 < rec.rpm <= 30_000):
            raise VmonError(f"{where}: recording {rid} has rpm {rec.rpm}; use (0, 30000] or NaN")
        if rec.signal.ndim != 1 or rec.signal.shape[0] == 0:
            raise VmonError(f"{where}: recording {rid} has no samples or is not 1-D")
        if not np.all(np.isfinite(rec.signal)):
            bad = int(np.count_nonzero(~np.isfinite(rec.signal)))
            raise VmonError(f"{where}: recording {rid} has {bad} NaN/Inf sample(s)")


def _read_array(npz: Any, key: str, where: str) -> npt.NDArray[Any]:
    try:
        return np.asarray(npz[key])
    except _READ_ERRORS as err:
        # Object arrays need pickle, which is refused: report it as a dtype problem.
        raise VmonError(f"{where}: cannot read array {key!r} ({err})") from None


def _check_arrays(a: dict[str, npt.NDArray[Any]], where: str) -> int:
    """Structural checks; returns the number of recordings."""
    sig, off = a["signal"], a["offsets"]
    if sig.dtype != np.float32 or sig.ndim != 1:
        raise VmonError(f"{where}: 'signal' must be 1-D float32, is {sig.dtype} {sig.shape}")
    if off.dtype != np.int64 or off.ndim != 1:
        raise VmonError(f"{where}: 'offsets' must be 1-D int64, is {off.dtype} {off.shape}")
    n = off.shape[0] - 1
    if n < 1:
        raise VmonError(f"{where}: 'offsets' has {off.shape[0]} entries; no recordings")
    if off[0] != 0 or off[-1] != sig.shape[0]:
        raise VmonError(
            f"{where}: 'offsets' must run from 0 to len(signal) = {sig.shape[0]}, "
            f"runs from {off[0]} to {off[-1]}"
        )
    steps = np.diff(off)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise VmonError(
            f"{where}: 'offsets' not strictly increasing at index {i} "
            f"({off[i]} -> {off[i + 1]}; empty or negative-length recording)"
        )
    for key in PER_RECORDING:
        if a[key].shape != (n,):
            raise VmonError(f"{where}: {key!r} has shape {a[key].shape}, expected ({n},)")
    for key in STR_FIELDS:
        if a[key].dtype.kind != "U":
            raise VmonError(f"{where}: {key!r} must be a str array, is {a[key].dtype}")
    for key in FLOAT_FIELDS:
        if a[key].dtype != np.float64:
            raise VmonError(f"{where}: {key!r} must be float64, is {a[key].dtype}")
    meta = a["meta_json"]
    if meta.shape != () or meta.dtype.kind != "U":
        raise VmonError(f"{where}: 'meta_json' must be a str scalar, is {meta.dtype} {meta.shape}")
    return n


def _parse_meta(text: str, where: str) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise VmonError(f"{where}: 'meta_json' is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise VmonError(f"{where}: 'meta_json' must hold a JSON object")
    return meta


def _check_index(csv_path: Path, recs: list[Recording]) -> None:
    """The index must list the npz's recordings, in order, with the same fields."""
    fix = "rewrite the pair with vmon.data.save_dataset or restore the matching index"
    if not csv_path.is_file():
        raise VmonError(f"index {csv_path} is missing; {fix}")
    try:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise VmonError(f"cannot read index {csv_path} ({err})") from None
    missing = [c for c in INDEX_COLUMNS if c not in columns]
    if missing:
        raise VmonError(f"index {csv_path} lacks column(s) {', '.join(missing)}; {fix}")
    if len(rows) != len(recs):
        raise VmonError(
            f"index {csv_path} has {len(rows)} rows, the npz {len(recs)} recordings; {fix}"
        )
    for i, (row, rec) in enumerate(zip(rows, recs, strict=True), start=1):
        expected: dict[str, str | float] = {
            "recording_id": rec.recording_id,
            "label": rec.label,
            "source_file": rec.source_file,
            "derived_from": rec.derived_from,
            "fs_hz": rec.fs_hz,
            "load_hp": rec.load_hp,
            "fault_size_in": rec.fault_size_in,
            "rpm": rec.rpm,
            "n_samples": float(rec.n_samples),
        }
        for col, want in expected.items():
            got = row[col]
            if isinstance(want, str):
                ok = got == want
            else:
                try:
                    ok = _same(float(got), want)
                except (TypeError, ValueError):
                    ok = False
            if not ok:
                raise VmonError(
                    f"index {csv_path} row {i} ({rec.recording_id}): {col} is {got!r}, "
                    f"the npz has {want!r}; {fix}"
                )


# ---------------------------------------------------------------------------- load / save


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Load and fully validate ``<name>.npz`` and its ``<name>.index.csv``.

    Every violation is a one-line :class:`VmonError` naming the file and the
    array or recording at fault. Pickle is never enabled.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise VmonError(f"dataset {path} does not exist; pass an existing .npz or --data DIR")
    if path.is_dir():
        raise VmonError(f"dataset {path} is a folder; pass the .npz file inside it")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        # Check the zip signature ourselves: numpy's message for other files talks about pickle.
        if not magic.startswith(b"PK"):
            raise VmonError(f"{where} is not an .npz archive (no zip signature); wrong file?")
        npz = np.load(path, allow_pickle=False)
    except _READ_ERRORS as err:
        raise VmonError(f"{where} is not a readable .npz archive ({err})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise VmonError(f"{where} is not an .npz dataset archive")
    with npz:
        missing = [k for k in REQUIRED_ARRAYS if k not in npz.files]
        if missing:
            raise VmonError(f"{where}: missing array(s) {', '.join(missing)}")
        arrays = {k: _read_array(npz, k, where) for k in REQUIRED_ARRAYS}

    n = _check_arrays(arrays, where)
    meta = _parse_meta(str(arrays["meta_json"]), where)
    signal: npt.NDArray[np.float32] = arrays["signal"]
    off = arrays["offsets"]

    # One pass over the whole signal; find the culprit only when something is wrong.
    finite = np.isfinite(signal)
    if not finite.all():
        first = int(np.argmin(finite))
        i = int(np.searchsorted(off, first, side="right")) - 1
        bad = int(np.count_nonzero(~finite[off[i] : off[i + 1]]))
        raise VmonError(
            f"{where}: recording {arrays['recording_id'][i]} has {bad} NaN/Inf sample(s) "
            f"(first at sample {first - int(off[i])})"
        )

    recs = [
        Recording(
            recording_id=str(arrays["recording_id"][i]),
            signal=signal[off[i] : off[i + 1]],
            fs_hz=float(arrays["fs_hz"][i]),
            label=str(arrays["label"][i]),
            load_hp=float(arrays["load_hp"][i]),
            fault_size_in=float(arrays["fault_size_in"][i]),
            rpm=float(arrays["rpm"][i]),
            source_file=str(arrays["source_file"][i]),
            derived_from=str(arrays["derived_from"][i]),
        )
        for i in range(n)
    ]
    _validate_recordings(recs, where)
    _check_index(index_path(path), recs)
    return Dataset(name=path.name.removesuffix(".npz"), recordings=recs, meta=meta, path=path)


def _write_index(fh: Any, recs: list[Recording]) -> None:
    writer = csv.writer(fh)
    writer.writerow(INDEX_COLUMNS)
    for r in recs:
        writer.writerow(
            [
                r.recording_id,
                # float(): numpy 2 scalars repr as "np.float64(...)".
                repr(float(r.fs_hz)),
                r.label,
                repr(float(r.load_hp)),
                repr(float(r.fault_size_in)),
                repr(float(r.rpm)),
                r.source_file,
                r.derived_from,
                r.n_samples,
                f"{r.duration_s:.4f}",
            ]
        )


def _json_default(value: Any) -> Any:
    # Metadata often carries numpy scalars/arrays or paths; store them as plain JSON.
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"meta value {value!r} is not JSON serializable")


def save_dataset(ds: Dataset, path: str | os.PathLike[str]) -> Path:
    """Validate ``ds`` and write ``path`` (.npz) and its index CSV; returns the npz path.

    Both files go to temporary names first and are renamed into place only after
    both were written completely, so a failure leaves no partial file. The two
    renames are the only non-atomic step; should the second fail, the pair
    disagrees and :func:`load_dataset` says so.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise VmonError(f"dataset output {path} must end in .npz")
    if path.is_dir():
        raise VmonError(f"dataset output {path} is a folder; give a file name ending in .npz")
    recs = [
        r if r.signal.dtype == np.float32 else replace(r, signal=r.signal.astype(np.float32))
        for r in ds.recordings
    ]
    _validate_recordings(recs, f"dataset {ds.name}")

    lengths = np.array([r.n_samples for r in recs], dtype=np.int64)
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
    meta = {"dataset": ds.name, "format_version": FORMAT_VERSION, **ds.meta}
    arrays: dict[str, npt.NDArray[Any]] = {
        "signal": np.concatenate([r.signal for r in recs]).astype(np.float32, copy=False),
        "offsets": offsets,
        "meta_json": np.array(json.dumps(meta, ensure_ascii=False, default=_json_default)),
    }
    for key in STR_FIELDS:
        arrays[key] = np.array([str(getattr(r, key)) for r in recs], dtype=np.str_)
    for key in FLOAT_FIELDS:
        arrays[key] = np.array([float(getattr(r, key)) for r in recs], dtype=np.float64)

    csv_path = index_path(path)
    try:
        # The inner context commits first: the index, then the npz.
        with atomic_output(path) as tmp_npz, atomic_output(csv_path) as tmp_csv:
            # A file object stops numpy from appending ".npz" to the temporary name.
            with open(tmp_npz, "wb") as fh:
                np.savez_compressed(fh, **arrays)  # type: ignore[arg-type,unused-ignore]
            with open(tmp_csv, "w", newline="", encoding="utf-8") as fh:
                _write_index(fh, recs)
    except OSError as err:
        raise VmonError(f"cannot write dataset {path} ({err.strerror or err})") from None
    return path


# ---------------------------------------------------------------------------- finding


def find_datasets(data_dir: str | os.PathLike[str]) -> list[Path]:
    """The ``.npz`` datasets in a folder (not recursive), or the file itself."""
    location = Path(data_dir)
    if location.is_file():
        if location.suffix != ".npz":
            raise VmonError(f"{location} is not an .npz dataset")
        return [location]
    if not location.is_dir():
        raise VmonError(f"dataset location {location} does not exist")
    return sorted(p for p in location.glob("*.npz") if p.is_file())


def resolve_dataset(data: str | os.PathLike[str] | None, name: str | None = None) -> Path:
    """One dataset file from ``--data`` (a folder or an .npz) and ``--name``."""
    location = resolve_data_dir(data)
    if location is None:
        raise VmonError(
            f"no dataset folder: pass --data DIR (or FILE.npz) or set {DATA_ENV}; "
            "`invoke synth --out DIR/synthetic.npz` makes one"
        )
    found = find_datasets(location)
    wanted = None if name is None else name.removesuffix(".npz")
    if wanted is not None:
        matches = [p for p in found if p.name.removesuffix(".npz") == wanted]
        if not matches:
            have = ", ".join(p.stem for p in found) or "none"
            raise VmonError(f"no dataset named {wanted!r} in {location} (available: {have})")
        return matches[0]
    if not found:
        raise VmonError(
            f"no .npz datasets in {location}; import one with `invoke dataset-import` "
            "or generate one with `invoke synth`"
        )
    if len(found) > 1:
        have = ", ".join(p.stem for p in found)
        raise VmonError(f"several datasets in {location} ({have}); choose one with --dataset")
    return found[0]


def check_rate(ds: Dataset, fs_hz: float) -> None:
    """Fail when any recording is not at ``fs_hz`` (features and models assume one rate)."""
    for rec in ds.recordings:
        if not math.isclose(rec.fs_hz, fs_hz, rel_tol=1e-9):
            raise VmonError(
                f"recording {rec.recording_id} in {ds.name} is at {rec.fs_hz:g} Hz, "
                f"expected {fs_hz:g} Hz; resample it or choose a dataset recorded at "
                f"{fs_hz / 1000:g} kHz"
            )


# ---------------------------------------------------------------------------- summary
