"""`invoke bench`: the issue targets, measured (not unit tests: they take minutes).

- ``ml``: `invoke retrain` on the default dataset in a child process: wall time, peak RSS,
  int8 macro-F1 per fold, PTQ loss, novelty AUROC, model and arena size.
- ``memmap``: parse time of a generated 5+ MB ELF with DWARF (tests/benchmarks/bench_memmap.py).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from vmon import fwspec
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

console = Console()
SUITES = ("ml", "memmap")


@dataclass
class Target:
    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        return self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit


def bench_ml(data: str | None = None) -> list[Target]:
    with tempfile.TemporaryDirectory(prefix="vmon-bench-") as tmp:
        out = Path(tmp) / "model"
        cmd = [sys.executable, "-m", "invoke", "retrain", "--out", str(out)]
        if data:
            cmd += ["--data", data]
        console.print(f"[bold]ml[/]: {' '.join(cmd[1:])}")
        started = time.monotonic()
        code = subprocess.call(cmd, cwd=REPO_ROOT)
        seconds = time.monotonic() - started
        if code != 0:
            raise VmonError(f"retrain failed in the benchmark (exit {code})")
        # ru_maxrss of waited-for children, in KiB on Linux.
        rss_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        meta = json.loads((out / "model.json").read_text())
    s = meta["metrics"]["summary"]
    return [
        Target("retrain wall time", seconds, 180.0, "s"),
        Target("retrain peak RSS", rss_gb, 4.0, "GB"),
        Target("int8 macro-F1, mean over folds", s["int8_macro_f1_mean"], 0.98, "", True),
        Target("int8 macro-F1, worst fold", s["int8_macro_f1_min"], 0.95, "", True),
        Target("PTQ loss vs float (points)", abs(s["ptq_loss_points"]), 0.5, "pt"),
        Target("novelty AUROC, worst fold", s["novelty_auroc_min"] or 0.0, 0.95, "", True),
        Target("model flatbuffer", meta["model_bytes"], fwspec.MODEL_BUDGET, "B"),
        Target("tensor arena (TFLM, host)", meta["tensor_arena_bytes"], fwspec.ARENA_BUDGET, "B"),
    ]


def bench_memmap() -> list[Target]:
    script = REPO_ROOT / "tests" / "benchmarks" / "bench_memmap.py"
    console.print(f"[bold]memmap[/]: {script.relative_to(REPO_ROOT)}")
    proc = subprocess.run(
        [sys.executable, str(script), "--json"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise VmonError(f"memmap benchmark failed (exit {proc.returncode}): {proc.stderr[-300:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return [Target(f"memmap parse of a {result['elf_mb']:.1f} MB ELF", result["best_s"], 5.0, "s")]


def run(suites: list[str] | None = None, data: str | None = None) -> None:
    chosen = suites or list(SUITES)
    unknown = sorted(set(chosen) - set(SUITES))
    if unknown:
        raise VmonError(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}"
        )
    targets: list[Target] = []
    if "ml" in chosen:
        targets += bench_ml(data)
    if "memmap" in chosen:
        targets += bench_memmap()
    table = Table(title="benchmarks (measured on this machine)")
    for col in ("target", "measured", "limit", "result"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for t in targets:
        fmt = ".4f" if not t.unit else ".2f" if t.unit in ("GB", "s", "pt") else ".0f"
        sign = ">=" if t.higher_is_better else "<="
        table.add_row(
            t.name,
            f"{t.measured:{fmt}} {t.unit}",
            f"{sign} {t.limit:g} {t.unit}",
            "[green]met[/]" if t.ok else "[red]missed[/]",
        )
    console.print(table)
    missed = [t.name for t in targets if not t.ok]
    if missed:
        raise VmonError(f"targets missed: {', '.join(missed)}")
