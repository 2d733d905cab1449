"""`invoke demo`: the product end to end on the embedded default.

Summarize the default dataset; check the shipped model (or retrain it with ``--retrain``) and
embed it; generate synthetic bearing data and check its defect frequencies; when a Zephyr
workspace exists, build the application for qemu_cortex_m3, replay the model's held-out
recordings into it over the replay UART, print the device's events and a confusion table of
its per-window decisions, and check them against vmon's own predictions.
"""

from __future__ import annotations

import json
import re

import numpy as np
from rich.console import Console
from rich.table import Table

from vmon import data
from vmon.data import summary, synth
from vmon.errors import VmonError
from vmon.firmware import build as firmware
from vmon.firmware import device, workspace
from vmon.ml import metrics
from vmon.ml.model import ModelDir, load_model_dir
from vmon.paths import REPO_ROOT

console = Console()

DEMO_DIR = REPO_ROOT / "build" / "demo"
DEMO_BOARD = "qemu_cortex_m3"
# The firmware prints this once every module has started.
READY = re.compile(r"vmon: ready")
# Blocks replayed per recording: 23 windows each.
DEMO_BLOCKS = 24


def _synthetic_step() -> None:
    console.rule("synthetic bearing data")
    ds = synth.generate_dataset(fs=12_000.0, seconds=2.0, seed=0)
    out = DEMO_DIR / "synthetic_12k.npz"
    data.save_dataset(ds, out)
    console.print(f"wrote {out.relative_to(REPO_ROOT)}: {len(ds.recordings)} recordings")
    table = Table(title="defect frequency: envelope spectrum peak vs bearing geometry")
    for col in ("recording", "defect", "theory Hz", "measured Hz", "error %"):
        table.add_column(col, justify="right" if col != "recording" else "left")
    for rec in ds.recordings:
        if rec.label == "normal":
            continue
        name, theory = synth.expected_defect_frequency(rec)
        measured = synth.envelope_peak(rec, near=theory)
        table.add_row(
            rec.recording_id,
            name,
            f"{theory:.1f}",
            f"{measured:.1f}",
            f"{100 * abs(measured - theory) / theory:.2f}",
        )
    console.print(table)


def _demo_clips(md: ModelDir, data_dir: str | None) -> tuple[str, list[device.Clip]]:
    """Held-out CWRU recordings of the model when the dataset is there, else synthetic ones."""
    from vmon.dsp import features as feat

    try:
        return "held-out CWRU", device.held_out_clips(md, data_dir, max_blocks=DEMO_BLOCKS)
    except VmonError as err:
        console.print(f"[yellow]no held-out recordings ({err}); replaying synthetic data[/]")
    cfg = md.feature_config
    ds = synth.generate_dataset(fs=cfg.fs_hz, seconds=DEMO_BLOCKS * 512 / cfg.fs_hz, seed=1)
    return "synthetic", [
        device.Clip(r.recording_id, r.label, feat.g_to_counts(r.signal, cfg)) for r in ds.recordings
    ]


def _firmware_step(md: ModelDir, data_dir: str | None) -> None:
    console.rule(f"firmware on {DEMO_BOARD}: replay, device decisions")
    if workspace.find_workspace() is None:
        console.print(f"[bold yellow]firmware step skipped: {workspace.NO_WORKSPACE}[/]")
        return
    kind, clips = _demo_clips(md, data_dir)
    elf = firmware.build(board=DEMO_BOARD, replay=True, model_dir=md.path)
    bdir = elf.parents[1]  # build/<board>-replay
    console.print(f"replaying {len(clips)} {kind} recordings ({DEMO_BLOCKS} blocks each) ...")
    run = device.run_app(DEMO_BOARD, clips, md, build_dir=bdir)
    for line in run.lines:
        if READY.search(line) or "@vmon event" in line or "@vmon status" in line:
            console.print(f"  device> {line}", markup=False, highlight=False)
    labels = md.labels
    table = Table(title=f"device decisions per window vs labels ({kind})")
    table.add_column("label \\ device")
    for name in labels:
        table.add_column(name, justify="right")
    y = np.concatenate(
        [
            np.full(len(w), labels.index(c.label))
            for c, w in zip(clips, run.windows_by_clip, strict=True)
        ]
    )
    pred = np.concatenate(run.device_predictions(labels))
    cm = metrics.confusion(y, pred, len(labels))
    for i, name in enumerate(labels):
        table.add_row(name, *(str(v) for v in cm[i]))
    console.print(table)
    f1 = metrics.classification(y, pred, labels)["macro_f1"]
    problems = run.compare()
    console.print(
        f"{len(y)} windows in {run.seconds:.0f} s, macro-F1 {f1:.4f}; "
        + ("identical to vmon's predictions window by window" if not problems else "")
    )
    if problems:
        raise VmonError(f"device and tooling differ: {problems[0]} ({len(problems)} in all)")


def _model_step(data_dir: str | None, retrain: bool) -> ModelDir:
    from vmon.ml import embed, train

    console.rule("model")
    model_dir = REPO_ROOT / "models" / train.DEFAULT_MODEL_NAME
    if retrain:
        model_dir = train.retrain(data=data_dir, out=str(DEMO_DIR / "model"))
    embed.embed(model_dir, REPO_ROOT / "build" / "vmon_generated")
    summary = json.loads((model_dir / "model.json").read_text())["metrics"]["summary"]
    console.print(
        f"held-out int8 macro-F1 {summary['int8_macro_f1_mean']:.4f} (worst fold "
        f"{summary['int8_macro_f1_min']:.4f}), novelty AUROC {summary['novelty_auroc_mean']:.4f}"
        f"; model card: {(model_dir / 'README.md').relative_to(REPO_ROOT)}"
    )
    return load_model_dir(model_dir)


def run(data_dir: str | None = None, retrain: bool = False) -> None:
    console.rule("dataset")
    summary.print_summary(data_dir=data_dir, name=None)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    md = _model_step(data_dir, retrain)
    _synthetic_step()
    _firmware_step(md, data_dir)
    console.print("[bold green]demo finished[/]")
