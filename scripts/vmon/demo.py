"""`invoke demo`: the product end to end on the embedded default.

Summarize the default dataset; check the shipped model (or retrain it with ``--retrain``) and
embed it; generate synthetic bearing data and check its defect frequencies; build and run the
firmware on qemu_cortex_m3 when a Zephyr workspace exists.
"""

from __future__ import annotations

import json
import re

from rich.console import Console
from rich.table import Table

from vmon import data, firmware, synth, workspace
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

console = Console()

DEMO_DIR = REPO_ROOT / "build" / "demo"
DEMO_BOARD = "qemu_cortex_m3"
# The firmware prints this once every module has started.
READY = re.compile(r"vmon: ready")


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


def _firmware_step() -> None:
    console.rule(f"firmware on {DEMO_BOARD}")
    if workspace.find_workspace() is None:
        console.print(f"[bold yellow]firmware step skipped: {workspace.NO_WORKSPACE}[/]")
        return
    firmware.build(board=DEMO_BOARD)
    lines = firmware.run_qemu(board=DEMO_BOARD, seconds=30.0, until=READY.pattern, echo=False)
    device = [line for line in lines if "vmon" in line]
    for line in device:
        console.print(f"  device> {line}", markup=False, highlight=False)
    if not any(READY.search(line) for line in lines):
        raise VmonError(f"the firmware did not report ready on {DEMO_BOARD} within 30 s")


def _model_step(data_dir: str | None, retrain: bool) -> None:
    from vmon import embed, train

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


def run(data_dir: str | None = None, retrain: bool = False) -> None:
    console.rule("dataset")
    data.print_summary(data_dir=data_dir, name=None)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    _model_step(data_dir, retrain)
    _synthetic_step()
    _firmware_step()
    console.print("[bold green]demo finished[/]")
