"""report.html (self-contained: plots inlined as PNG, no network) and the model card."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from vmon.data import LABELS
from vmon.dsp import features as feat
from vmon.ml.evaluate import SUMMARY_COLUMNS
from vmon.ml.novelty import novelty_score
from vmon.ml.results import FoldResult, RecordingFeatures


def png_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _confusion_fig(cm: list[list[int]], title: str) -> str:
    import matplotlib.pyplot as plt

    a = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.imshow(a, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=30, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            ax.text(
                j,
                i,
                str(a[i, j]),
                ha="center",
                va="center",
                color="white" if a[i, j] > a.max() / 2 else "black",
                fontsize=8,
            )
    ax.set_title(title, fontsize=9)
    return png_uri(fig)


def _spectra_fig(recs: dict[str, RecordingFeatures], cfg: feat.FeatureConfig) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    centers = (np.asarray(cfg.band_edges[:-1]) + np.asarray(cfg.band_edges[1:])) / 2 * cfg.bin_hz
    for label in LABELS:
        rows = [r.features[:, : cfg.n_bands] for r in recs.values() if r.label == label]
        if rows:
            mean = np.concatenate(rows).mean(axis=0) / (1 << feat.LOG2_FRAC_BITS)
            ax.plot(centers, mean * 10 * np.log10(2), label=label)  # log2 energy -> dB
    ax.set_xlabel("band centre (Hz)")
    ax.set_ylabel("mean band energy (dB, arbitrary ref.)")
    ax.legend(fontsize=8)
    ax.set_title("per-band mean spectra per class (device features)", fontsize=9)
    return png_uri(fig)


def _scores_fig(final: FoldResult, recs: dict[str, RecordingFeatures]) -> str:
    import matplotlib.pyplot as plt

    assert final.novelty is not None and final.test_where is not None
    fig, ax = plt.subplots(figsize=(6, 3))
    by_label: dict[str, list[np.ndarray]] = {}
    for rid, start in final.test_where:
        r = recs[rid]
        i = int(np.searchsorted(r.starts, start))
        by_label.setdefault(r.label, []).append(r.features[i])
    for label, rows in by_label.items():
        s = novelty_score(final.novelty, np.stack(rows))
        ax.hist(np.log10(s), bins=40, alpha=0.5, label=label)
    ax.axvline(np.log10(final.novelty["threshold"]), color="k", linestyle="--", label="threshold")
    ax.set_xlabel("log10 novelty score")
    ax.set_ylabel("windows")
    ax.legend(fontsize=8)
    ax.set_title(f"novelty scores, held-out windows ({final.fold.name})", fontsize=9)
    return png_uri(fig)


def _curves_fig(results: list[FoldResult]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    for r in results:
        if r.history:
            ax.plot(r.history.get("loss", []), label=f"{r.fold.name} loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title("learning curves", fontsize=9)
    return png_uri(fig)


def write(
    path: Path,
    meta: dict[str, Any],
    results: list[FoldResult],
    recs: dict[str, RecordingFeatures],
    cfg: feat.FeatureConfig,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    final = results[-1]
    s = meta["metrics"]["summary"]
    rows = "".join(
        f"<tr><td>{html.escape(r.fold.name)}</td><td>{r.metrics['float']['macro_f1']:.4f}</td>"
        f"<td>{r.metrics['int8']['macro_f1']:.4f}</td>"
        f"<td>{_f(r.metrics['novelty']['auroc'])}</td>"
        f"<td>{_f(r.metrics['novelty']['false_alarm_rate'])}</td></tr>"
        for r in results
    )
    confusions = "".join(
        f'<img src="{_confusion_fig(r.metrics["int8"]["confusion"], f"int8, {r.fold.name}")}">'
        for r in results
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>vmon model {html.escape(meta["name"])}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
img{{margin:4px}}</style></head><body>
<h1>vmon model <code>{html.escape(meta["name"])}</code></h1>
<p>Dataset <code>{html.escape(meta["training_data"]["dataset"])}</code>, split
<b>{html.escape(meta["split"]["kind"])}</b> ({html.escape(meta["split"]["note"])}).
The shipped model is the one of fold <b>{html.escape(final.fold.name)}</b>.
int8 figures come from the TensorFlow Lite Micro interpreter on inputs quantized the way the
device quantizes them.</p>
<h2>Summary</h2>
<table><tr><th>fold</th><th>float macro-F1</th><th>int8 macro-F1</th><th>novelty AUROC</th>
<th>false-alarm rate</th></tr>{rows}
<tr><th>mean</th><td>{s["float_macro_f1_mean"]:.4f}</td><td>{s["int8_macro_f1_mean"]:.4f}</td>
<td>{_f(s["novelty_auroc_mean"])}</td><td>{_f(s["false_alarm_rate_mean"])}</td></tr></table>
<p>Model: {meta["model_bytes"]} B flatbuffer, ops {", ".join(meta["ops"])},
tensor arena {meta["tensor_arena_bytes"]} B (measured with TFLM), feature hash
<code>{meta["feature_config"]["hash"][:16]}</code>.</p>
{_paths_html(meta["feature_config"])}
<h2>Confusion matrices (int8)</h2>{confusions}
<h2>Per-band mean spectra per class</h2><img src="{_spectra_fig(recs, cfg)}">
<h2>Novelty score histograms</h2><img src="{_scores_fig(final, recs)}">
<h2>Learning curves</h2><img src="{_curves_fig(results)}">
</body></html>
"""
    path.write_text(page)


def _f(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def _paths_html(cfg: dict[str, Any]) -> str:
    paths = cfg.get("sensors") or []
    if not paths:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(p['path'])}</td><td>{p['rate_hz']:g}</td>"
        f"<td>{p['bandwidth_hz']:g}</td><td>+-{p['full_scale_g']:g} g</td>"
        f"<td style='text-align:left'>{html.escape(p['anti_aliasing'])}</td>"
        f"<td>{'yes' if p['verified'] else 'no'}</td></tr>"
        for p in paths
    )
    return f"""<h2>Sensor paths</h2>
<p>The paths that can feed this model at {cfg["fs_hz"]:g} Hz; the band plan ends at
{cfg["f_max_hz"]:g} Hz, the lowest usable bandwidth.</p>
<table><tr><th>path</th><th>rate (Hz)</th><th>usable to (Hz)</th><th>full scale</th>
<th>anti-aliasing</th><th>verified</th></tr>{rows}</table>"""


def _paths_section(cfg: dict[str, Any]) -> str:
    """The card's sensor-path table (models trained before paths were recorded have none)."""
    paths = cfg.get("sensors") or []
    if not paths:
        return ""
    rows = "\n".join(
        f"| {p['path']} | {p['rate_hz']:g} | {p['bandwidth_hz']:g} | +-{p['full_scale_g']:g} g "
        f"| {p['axes']} | {p['anti_aliasing']} | {'yes' if p['verified'] else 'no'}: "
        f"{p['source']} |"
        for p in paths
    )
    return f"""
## Sensor paths

Every path that can feed this model at {cfg["fs_hz"]:g} Hz, from its feature config (not part
of the feature hash); the band plan ends at {cfg["f_max_hz"]:g} Hz, the lowest usable
bandwidth (80 % of a path's first cut-off: Nyquist or its anti-alias filter's -3 dB point).

| path | rate (Hz) | usable to (Hz) | full scale | axes | anti-aliasing | verified: source |
|---|---|---|---|---|---|---|
{rows}
"""


def _paths_limit(cfg: dict[str, Any]) -> str:
    """A limit line when a path passes less of the band than the training data held."""
    paths = cfg.get("sensors") or []
    replay = [p for p in paths if p["path"] == "replay"]
    narrow = [p for p in paths if replay and p["bandwidth_hz"] < replay[0]["bandwidth_hz"]]
    if not narrow:
        return ""
    names = ", ".join(f"{p['path']} (usable to {p['bandwidth_hz']:g} Hz)" for p in narrow)
    return (
        f"- The time-domain features (RMS, peak, crest, kurtosis) see the whole band a path "
        f"passes; on {names} they see less than the training data (usable to "
        f"{replay[0]['bandwidth_hz']:g} Hz) and differ from it.\n"
    )


#: Per-dataset detection results of the model's policy, kept beside the card by
#: ``invoke evaluate --card`` (retraining replaces the directory, and with it this file).
DETECTION_FILE = "detection.json"


_DETECTION_HEAD = (
    "| dataset | bearing | points | commission (s) | normal raised | alarms/h normal | "
    "fault raised | type right | type unknown | type wrong | detect (s) |\n" + "|---" * 11 + "|"
)


def _g(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _detection_section(meta: dict[str, Any], detection: dict[str, Any] | None) -> str:
    """The card's "Detection on machines" table: entries of this model only."""
    rows = [
        (name, d)
        for name, d in sorted((detection or {}).items())
        if d.get("model_sha256") == meta["model_sha256"]
    ]
    if not rows:
        return ""
    lines = "\n".join(
        f"| {name} | {d['bearing'] or 'none'} | {d['points']} | {d['commission_s']:g} | "
        + " | ".join(_g(d["overall"][c], 2 if c == "detect_s" else 3) for c in SUMMARY_COLUMNS)
        + " |"
        for name, d in rows
    )
    return f"""
## Detection on machines (commissioning first)

Written by `invoke evaluate --card`: the device's decision policy (`vmon.dsp.policy`, which the
firmware equals window by window) commissioned on the first seconds of each operating point's
normal running, then deciding every later window. Fractions of windows after the hysteresis;
the type columns are fractions of fault windows; detect is the median time to the first raised
window of a fault recording.

{_DETECTION_HEAD}
{lines}
"""


def detection_entry(summary: dict[str, Any], model_sha256: str) -> dict[str, Any]:
    """What the card keeps of one ``invoke evaluate`` summary."""
    return {
        "model_sha256": model_sha256,
        "bearing": summary["bearing"],
        "commission_s": summary["commission_s"],
        "points": len(summary["points"]),
        "overall": {c: summary["overall"][c] for c in SUMMARY_COLUMNS},
    }


def write_card(path: Path, meta: dict[str, Any], detection: dict[str, Any] | None = None) -> None:
    """The model card: what the model is, how it was evaluated, what it must not be used for.

    ``detection`` (the model directory's DETECTION_FILE) adds the per-dataset detection table.
    """
    s = meta["metrics"]["summary"]
    shipped = meta["metrics"]["shipped_model"]
    cfg = meta["feature_config"]
    folds = "\n".join(
        f"| {f['name']} | {m['float']['macro_f1']:.4f} | {m['int8']['macro_f1']:.4f} | "
        f"{_f(m['novelty']['auroc'])} | {_f(m['novelty']['false_alarm_rate'])} |"
        for f, m in zip(meta["split"]["folds"], meta["metrics"]["folds"], strict=True)
    )
    # In label order: model.json stores the recalls with sorted keys.
    recall = shipped["int8"]["recall"]
    recalls = ", ".join(f"{k} {recall[k]:.3f}" for k in meta["labels"])
    far = 100 * meta["novelty"]["target_false_alarm_rate"]
    vel_lo, vel_hi = cfg["velocity_band_hz"]
    mean_row = (
        f"| **mean** | {s['float_macro_f1_mean']:.4f} | {s['int8_macro_f1_mean']:.4f} | "
        f"{_f(s['novelty_auroc_mean'])} | {_f(s['false_alarm_rate_mean'])} |"
    )
    text = f"""# Model card: {meta["name"]}

Generated by `invoke retrain` (and `invoke evaluate --card`); do not edit by hand.

- **Task**: bearing condition from one accelerometer axis: {", ".join(meta["labels"])}
  (int8 MLP on device features). On the node the classifier never raises a state: novelty
  against a baseline commissioned on the machine decides (see the detection table when
  present). The evaluation's novelty columns score a baseline of the training folds' normal
  windows (threshold at a {far:.0f} % false-alarm rate on them).
- **Training data**: `{meta["training_data"]["file"]}` ({meta["training_data"]["recordings"]}
  recordings), fingerprint `{meta["training_data"]["fingerprint"][:16]}`.
- **Features**: {cfg["window"]}-sample windows at {cfg["fs_hz"]:g} Hz (hop {cfg["hop"]}),
  Hann, q31 FFT (CMSIS-DSP), {cfg["n_bands"]} log band energies up to {cfg["f_max_hz"]:g} Hz,
  RMS, peak, crest, kurtosis, velocity RMS {vel_lo:g}-{vel_hi:g} Hz;
  feature hash `{cfg["hash"][:16]}`.
- **Model**: {meta["model_bytes"]} B, ops {", ".join(meta["ops"])}, tensor arena
  {meta["tensor_arena_bytes"]} B (TFLM interpreter), sha256 `{meta["model_sha256"][:16]}`.
- **Split**: {meta["split"]["kind"]}: {meta["split"]["note"]}. Shipped model: fold
  "{meta["split"]["shipped_model_fold"]}".

## Evaluation (held-out recordings; int8 on the TFLM interpreter)

| fold | float macro-F1 | int8 macro-F1 | novelty AUROC | false-alarm rate |
|---|---|---|---|---|
{folds}
{mean_row}

Shipped model, int8 recall per class: {recalls}. PTQ loss: {s["ptq_loss_points"]:.2f} points of
macro-F1.
{_paths_section(cfg)}{_detection_section(meta, detection)}
## Limits

- Trained on one test rig (seeded faults, one bearing type, four loads). Other machines,
  speeds and mountings need their own data: retrain, and commission a baseline on site.
- The normal class comes from a single recording split in time; normal recall and the
  false-alarm rate rest on few windows.
{_paths_limit(cfg)}"""
    path.write_text(text)


def update_card(model_dir: Path, meta: dict[str, Any], summary: dict[str, Any]) -> Path:
    """Record ``summary`` (one dataset's ``invoke evaluate``) beside the model and rewrite its
    card with the detection table; returns the card's path."""
    import json

    from vmon.errors import VmonError
    from vmon.paths import atomic_output

    path = model_dir / DETECTION_FILE
    detection: dict[str, Any] = {}
    if path.exists():
        try:
            detection = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise VmonError(f"{path} is unreadable ({err}); delete it to start anew") from None
        if not isinstance(detection, dict):
            raise VmonError(f"{path} must hold an object per dataset; delete it to start anew")
    detection[summary["dataset"]] = detection_entry(summary, meta["model_sha256"])
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(detection, indent=1, sort_keys=True, allow_nan=False) + "\n")
    card = model_dir / "README.md"
    with atomic_output(card) as tmp:
        write_card(tmp, meta, detection)
    return card
