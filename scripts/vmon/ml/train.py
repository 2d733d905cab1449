"""`invoke retrain`: recordings -> device features -> int8 classifier + novelty baseline.

Steps: load and check the dataset; resample to the deployment rate; cut windows and compute
the device's integer features (vmon.features); make leak-free folds (vmon.splits); per fold,
train a small MLP on standardized features, convert it to a full-integer int8 TFLite model,
and evaluate float (Keras) and int8 (the TFLM interpreter, on inputs quantized with the
device's integer formula); fit the novelty baseline on normal training windows. The model of
the last fold (its held-out load is the hold-out of the shipped model) is written to
``models/<name>/`` with model.json, a model card, report.html and golden vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vmon import __version__
from vmon import data as data_mod
from vmon.codegen.model import META_FILE, MODEL_FILE
from vmon.data import LABELS, Dataset
from vmon.data.importers.cwru import SHARED_12K_NAME as DEFAULT_DATASET
from vmon.dsp import features as feat
from vmon.errors import VmonError
from vmon.ml import deployment, metrics
from vmon.ml.model import (
    SCHEMA_VERSION,
    InputQuant,
    MicroInterpreter,
    capture_fd,
    measure_arena,
    model_facts,
    sha256_bytes,
)
from vmon.ml.novelty import novelty_fit, novelty_score
from vmon.ml.results import FoldResult, RecordingFeatures
from vmon.ml.splits import Fold, make_folds
from vmon.paths import REPO_ROOT

console = Console()

DEFAULT_MODEL_NAME = "bearing-fault-12k"
#: PTQ may lose at most this much macro-F1 against the float model (in points, i.e. %).
MAX_PTQ_LOSS_POINTS = 0.5
GOLDEN_PER_LABEL = 2


@dataclass
class TrainConfig:
    name: str = DEFAULT_MODEL_NAME
    seed: int = 1234
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 3e-3
    hidden: tuple[int, ...] = (32, 16)
    split: str = "load"
    features: feat.FeatureConfig = field(default_factory=feat.FeatureConfig)
    #: Deployment rate (Hz); None keeps ``features`` as they are (vmon.ml.deployment).
    fs_hz: float | None = None


def config_from_options(
    name: str | None = None,
    seed: object = None,
    epochs: object = None,
    split: str | None = None,
    fs_hz: object = None,
) -> TrainConfig:
    """`invoke retrain`'s options (strings from the command line) as a TrainConfig."""
    tc = TrainConfig()
    if name is not None:
        tc.name = name
    if split is not None:
        tc.split = split
    if seed is not None:
        tc.seed = _whole(seed, "--seed", minimum=0)
    if epochs is not None:
        tc.epochs = _whole(epochs, "--epochs", minimum=1)
    if fs_hz is not None:
        tc.fs_hz = deployment.parse_rate(fs_hz)
    return tc


def _whole(value: object, option: str, minimum: int) -> int:
    try:
        n = int(str(value))
    except ValueError:
        n = minimum - 1
    if n < minimum:
        raise VmonError(f"{option} must be a whole number of at least {minimum}, not {value!r}")
    return n


# --------------------------------------------------------------------------- data checks


def check_dataset(ds: Dataset, cfg: feat.FeatureConfig) -> None:
    """One-line errors for datasets retrain cannot use."""
    labels = set(ds.labels())
    if len(labels) < 2:
        raise VmonError(f"dataset {ds.name} has only label(s) {sorted(labels)}; need at least 2")
    if "normal" not in labels:
        raise VmonError(
            f"dataset {ds.name} has no 'normal' recording; the novelty baseline needs one"
        )
    for rec in ds.recordings:
        if rec.label not in LABELS:
            raise VmonError(
                f"recording {rec.recording_id} has label {rec.label!r}, not in {LABELS}"
            )
        n = rec.n_samples * cfg.fs_hz / rec.fs_hz
        if n < cfg.window:
            raise VmonError(
                f"recording {rec.recording_id} is shorter ({rec.duration_s:.3f} s) than one "
                f"feature window ({cfg.window / cfg.fs_hz:.3f} s)"
            )
        if not np.isfinite(rec.signal).all():
            raise VmonError(f"recording {rec.recording_id} has NaN/Inf samples")
    cfg.check_bandwidth(deployment.data_bandwidth(ds))


def fingerprint(ds: Dataset) -> str:
    """sha256 over every recording's id, rate, label, load and samples."""
    h = hashlib.sha256()
    for rec in ds.recordings:
        h.update(f"{rec.recording_id}|{rec.fs_hz}|{rec.label}|{rec.load_hp}\n".encode())
        h.update(np.ascontiguousarray(rec.signal, dtype=np.float32).tobytes())
    return h.hexdigest()


def extract(ds: Dataset, cfg: feat.FeatureConfig, progress: Progress) -> list[RecordingFeatures]:
    fx = feat.FeatureExtractor(cfg)
    out = []
    task = progress.add_task("features", total=len(ds.recordings))
    for rec in ds.recordings:
        x = feat.resample_to(rec.signal, rec.fs_hz, cfg.fs_hz)
        counts = feat.g_to_counts(x, cfg)
        windows, starts = feat.frame(counts, cfg)
        out.append(
            RecordingFeatures(
                rec.recording_id, rec.label, rec.load_hp, starts, fx.compute(windows), counts
            )
        )
        progress.advance(task)
    return out


def _windows_in(
    segments: list[Any], recs: dict[str, RecordingFeatures], window: int, ratio: dict[str, float]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], list[tuple[str, int]]]:
    """Features and label indices of the windows that lie wholly inside the segments."""
    xs: list[npt.NDArray[np.int32]] = []
    ys: list[npt.NDArray[np.int64]] = []
    where: list[tuple[str, int]] = []
    for seg in segments:
        r = recs[seg.recording_id]
        # Segments are in the recording's own samples; windows in the resampled ones.
        start = int(np.ceil(seg.start * ratio[seg.recording_id]))
        stop = int(np.floor(seg.stop * ratio[seg.recording_id]))
        keep = (r.starts >= start) & (r.starts + window <= stop)
        xs.append(r.features[keep])
        ys.append(np.full(int(keep.sum()), LABELS.index(r.label)))
        where.extend((r.recording_id, int(s)) for s in r.starts[keep])
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64), where


# --------------------------------------------------------------------------- model


def _quiet_tensorflow() -> None:
    """TensorFlow's C++ and Python logs would bury the progress bars."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # absl prints a start-up banner to fd 2 whatever the log level says.
    with capture_fd(2):
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    with contextlib.suppress(ImportError):
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)


def _set_seed(seed: int) -> None:
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    tf.keras.utils.set_random_seed(seed)
    with contextlib.suppress(RuntimeError):  # already enabled in this process
        tf.config.experimental.enable_op_determinism()


def _train_keras(
    tc: TrainConfig,
    z: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    progress: Progress,
    desc: str,
) -> tuple[Any, dict[str, list[float]]]:
    import tensorflow as tf
    from tensorflow import keras

    # A fresh session and fixed layer names: Keras numbers unnamed layers per process, and
    # the names end up in the flatbuffer (same seed must give the same model.tflite).
    keras.backend.clear_session()
    _set_seed(tc.seed)
    inputs = keras.Input(shape=(z.shape[1],), name="features")
    h = inputs
    for i, width in enumerate(tc.hidden):
        h = keras.layers.Dense(width, activation="relu", name=f"hidden{i}")(h)
    outputs = keras.layers.Dense(len(LABELS), activation="softmax", name="classes")(h)
    model = keras.Model(inputs, outputs, name="vmon_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(tc.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    counts = np.bincount(y, minlength=len(LABELS)).astype(np.float64)
    present = counts > 0
    # Balanced class weights: the normal class is heavily outnumbered.
    weights = {
        i: float(counts[present].sum() / (present.sum() * c)) for i, c in enumerate(counts) if c > 0
    }
    task = progress.add_task(desc, total=tc.epochs)

    class Bar(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            progress.advance(task)

    hist = model.fit(
        z,
        y,
        epochs=tc.epochs,
        batch_size=tc.batch_size,
        class_weight=weights,
        shuffle=True,
        verbose=0,
        callbacks=[Bar()],
    )
    progress.remove_task(task)
    del tf
    return model, {k: [float(v) for v in vals] for k, vals in hist.history.items()}


def _convert_int8(model: Any, z_train: npt.NDArray[np.float32], seed: int) -> bytes:
    import tempfile

    import tensorflow as tf

    # Keras 3 models convert through a SavedModel export (concrete functions keep resource
    # variables the calibrator cannot read).
    with tempfile.TemporaryDirectory(prefix="vmon-savedmodel-") as tmpdir:
        with contextlib.redirect_stdout(io.StringIO()):
            model.export(tmpdir, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmpdir)
        return _convert_with(converter, z_train, seed)


def _convert_with(converter: Any, z_train: npt.NDArray[np.float32], seed: int) -> bytes:
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(seed)
    rep = z_train[rng.choice(len(z_train), size=min(500, len(z_train)), replace=False)]

    def representative() -> Any:
        for row in rep:
            yield [row[None, :].astype(np.float32)]

    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    # The firmware's TFLM (2024-06) rejects per-channel quantized FULLY_CONNECTED.
    converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    # The converter prints its settings from C++ straight to the process's stdout/stderr.
    with capture_fd(1), capture_fd(2):
        return bytes(converter.convert())


def run_fold(
    tc: TrainConfig,
    fold: Fold,
    recs: dict[str, RecordingFeatures],
    ratio: dict[str, float],
    progress: Progress,
) -> FoldResult:
    w = tc.features.window
    x_tr, y_tr, _ = _windows_in(fold.train, recs, w, ratio)
    x_te, y_te, where_te = _windows_in(fold.test, recs, w, ratio)
    if len(set(y_tr.tolist())) < 2:
        raise VmonError(f"fold {fold.name!r} has fewer than 2 classes to train on")
    mean = x_tr.mean(axis=0)
    std = np.maximum(x_tr.std(axis=0), 1.0)
    z_tr = ((x_tr - mean) / std).astype(np.float32)
    z_te = ((x_te - mean) / std).astype(np.float32)
    keras_model, history = _train_keras(tc, z_tr, y_tr, progress, f"train {fold.name}")
    p_float = keras_model.predict(z_te, verbose=0, batch_size=1024).argmax(axis=1)
    tflite = _convert_int8(keras_model, z_tr, tc.seed)
    facts = model_facts(tflite)
    if facts["per_channel"]:
        raise VmonError(
            "the converter produced per-channel quantization; the firmware's TFLM rejects it"
        )
    qin = facts["inputs"][0]
    iq = InputQuant.from_stats(mean, std, qin["scale"][0], qin["zero_point"][0])
    q_te = iq.apply(x_te)
    out = MicroInterpreter(tflite).run(q_te)
    p_int8 = out.argmax(axis=1)
    nov = novelty_fit(x_tr[y_tr == 0])
    s_te = novelty_score(nov, x_te)
    m = {
        "float": metrics.classification(y_te, p_float, LABELS),
        "int8": metrics.classification(y_te, p_int8, LABELS),
        "novelty": metrics.novelty(s_te, y_te != 0, nov["threshold"]),
        "windows": {"train": len(y_tr), "test": len(y_te)},
        "test_class_windows": {LABELS[i]: int((y_te == i).sum()) for i in range(len(LABELS))},
    }
    return FoldResult(fold, m, tflite, iq, std, nov, history, where_te)


# --------------------------------------------------------------------------- orchestration


def retrain(
    data: str | None = None,
    dataset: str | None = None,
    out: str | None = None,
    tc: TrainConfig | None = None,
) -> Path:
    tc = tc or TrainConfig()
    started = time.monotonic()
    _quiet_tensorflow()
    ds_path = data_mod.resolve_dataset(data, dataset or (DEFAULT_DATASET if data is None else None))
    ds = data_mod.load_dataset(ds_path)
    cfg = deployment.features_for(ds, tc.features, tc.fs_hz)
    check_dataset(ds, cfg)
    deployment.check_paths(cfg)
    tc = replace(tc, features=cfg)
    folds = make_folds(ds, window=cfg.window, split=tc.split)
    console.print(f"dataset {ds.name}: {len(ds.recordings)} recordings, {ds.total_seconds():.1f} s")
    print_paths(cfg)
    print_split(folds)
    ratio = {r.recording_id: cfg.fs_hz / r.fs_hz for r in ds.recordings}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        recs = {r.recording_id: r for r in extract(ds, cfg, progress)}
        results = []
        fold_task = progress.add_task("folds", total=len(folds))
        for fold in folds:
            results.append(run_fold(tc, fold, recs, ratio, progress))
            progress.advance(fold_task)
    summary = metrics.summarize([r.metrics for r in results])
    print_summary(results, summary)
    loss = summary["ptq_loss_points"]
    if loss > MAX_PTQ_LOSS_POINTS:
        raise VmonError(
            f"int8 post-training quantization loses {loss:.2f} macro-F1 points (> "
            f"{MAX_PTQ_LOSS_POINTS}); quantization-aware training is needed and not available"
        )
    final = results[-1]
    out_dir = Path(out) if out else REPO_ROOT / "models" / tc.name
    write_model_dir(
        out_dir, tc, ds, ds_path, final, results, summary, recs, ratio, time.monotonic() - started
    )
    console.print(f"[bold green]wrote {_show(out_dir)}[/] in {time.monotonic() - started:.0f} s")
    return out_dir


def _show(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


def print_paths(cfg: feat.FeatureConfig) -> None:
    console.print(
        f"features at {cfg.fs_hz:g} Hz, {cfg.n_bands} bands up to {cfg.f_max_hz:g} Hz; "
        "sensor paths:"
    )
    for p in cfg.sensors:
        mark = "" if p.verified else " (not verified)"
        console.print(f"  {p.path}: usable to {p.bandwidth_hz:g} Hz{mark}; {p.anti_aliasing}")


def print_split(folds: list[Fold]) -> None:
    table = Table(title="split (leak-free: by load / recording; single-load labels split in time)")
    for col in ("fold", "train recordings", "test recordings", "split in time"):
        table.add_column(col)
    for f in folds:
        d = f.describe()
        table.add_row(
            f.name,
            str(len(d["train_recordings"])),
            str(len(d["test_recordings"])),
            ", ".join(d["time_split_recordings"]) or "-",
        )
    console.print(table)


def print_summary(results: list[FoldResult], summary: dict[str, Any]) -> None:
    table = Table(title="held-out evaluation (int8 = TFLM interpreter)")
    short = "/".join("".join(w[0] for w in label.split("_")) for label in LABELS)
    for col in ("fold", "F1 float", "F1 int8", f"int8 recall {short}", "AUROC", "false alarms"):
        table.add_column(col, justify="right")
    for r in results:
        m = r.metrics
        recall = "/".join(_fmt(m["int8"]["recall"].get(label), 2) for label in LABELS)
        table.add_row(
            r.fold.name,
            _fmt(m["float"]["macro_f1"]),
            _fmt(m["int8"]["macro_f1"]),
            recall,
            _fmt(m["novelty"]["auroc"]),
            _fmt(m["novelty"]["false_alarm_rate"]),
        )
    table.add_row(
        "mean",
        _fmt(summary["float_macro_f1_mean"]),
        _fmt(summary["int8_macro_f1_mean"]),
        "",
        _fmt(summary["novelty_auroc_mean"]),
        _fmt(summary["false_alarm_rate_mean"]),
    )
    console.print(table)


def _fmt(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def write_model_dir(
    out_dir: Path,
    tc: TrainConfig,
    ds: Dataset,
    ds_path: Path,
    final: FoldResult,
    results: list[FoldResult],
    summary: dict[str, Any],
    recs: dict[str, RecordingFeatures],
    ratio: dict[str, float],
    seconds: float,
) -> None:
    """Write everything to a temporary folder, then swap it into place."""
    from vmon.ml import golden, report

    assert final.model is not None and final.input_quant is not None and final.novelty is not None
    cfg = tc.features
    facts = model_facts(final.model)
    probe = final.input_quant.apply(next(iter(recs.values())).features[:1])
    arena = measure_arena(final.model, probe)
    meta: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "name": tc.name,
        "vmon_version": __version__,
        "labels": list(LABELS),
        "feature_config": cfg.to_json(),
        "input": {
            "shape": facts["inputs"][0]["shape"],
            "dtype": "int8",
            "scale": facts["inputs"][0]["scale"][0],
            "zero_point": facts["inputs"][0]["zero_point"][0],
            "standardization": final.input_quant.to_json(),
        },
        "output": {
            "shape": facts["outputs"][0]["shape"],
            "dtype": "int8",
            "scale": facts["outputs"][0]["scale"][0],
            "zero_point": facts["outputs"][0]["zero_point"][0],
            "kind": "softmax probabilities",
        },
        "novelty": final.novelty,
        "ops": facts["ops"],
        "quantization": "full-integer int8, per-tensor (post-training)",
        "tensor_arena_bytes": arena,
        "model_bytes": len(final.model),
        "model_sha256": sha256_bytes(final.model),
        "training_data": {
            "dataset": ds.name,
            "file": ds_path.name,
            "fingerprint": fingerprint(ds),
            "recordings": len(ds.recordings),
        },
        "split": {
            "kind": tc.split,
            "shipped_model_fold": final.fold.name,
            "folds": [r.fold.describe() for r in results],
            "note": (
                "labels recorded at a single load are split in time into contiguous blocks "
                "with a guard gap of one window; all other recordings are split by load"
            ),
        },
        "metrics": {
            "summary": summary,
            "folds": [r.metrics for r in results],
            "shipped_model": final.metrics,
        },
        "training": {
            "seed": tc.seed,
            "epochs": tc.epochs,
            "batch_size": tc.batch_size,
            "learning_rate": tc.learning_rate,
            "hidden": list(tc.hidden),
            "seconds": round(seconds, 1),
        },
        "tools": _tool_versions(),
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        (tmp / MODEL_FILE).write_bytes(final.model)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        golden.write(tmp, final, recs, cfg, LABELS, GOLDEN_PER_LABEL)
        report.write(tmp / "report.html", meta, results, recs, cfg)
        report.write_card(tmp / "README.md", meta)
        old = out_dir.parent / f".{out_dir.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tool_versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for pkg in ("numpy", "cmsisdsp", "tensorflow-cpu", "tflite-micro"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[pkg] = md.version(pkg)
    return versions
