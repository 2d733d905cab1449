"""libFuzzer targets on native_sim: build them with clang (ASan, UBSan) and run them.

A target is a Zephyr test application with ``CONFIG_ARCH_POSIX_LIBFUZZER`` (Zephyr's
samples/subsys/debug/fuzz pattern) and a committed seed corpus in its ``corpus/`` folder.
``run()`` fuzzes for a bounded time from a copy of the seeds (the committed corpus is never
written) and reports the executions, the coverage reached and any crash inputs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from vmon.errors import VmonError
from vmon.firmware import native
from vmon.paths import REPO_ROOT

BOARD = "native_sim/native/64"
TARGETS = {
    # Configuration downlinks / BLE configuration writes: decoder, validation, apply.
    "config": REPO_ROOT / "tests" / "app" / "modules" / "reporting_fuzz",
    # The commissioning baseline's settings record, read from flash at every boot.
    "baseline": REPO_ROOT / "tests" / "app" / "modules" / "decision_fuzz",
    # The replay source's frame parser: every byte a host (or a noisy line) sends the node.
    "replay": REPO_ROOT / "tests" / "app" / "modules" / "sampling_fuzz",
    # The signed model container's verifier: what a node checks before it runs a model.
    "container": REPO_ROOT / "tests" / "modules" / "container_fuzz",
}
# clang for the fuzzer and sanitizer runtimes (Debian: clang libclang-rt-dev).
TOOLS = ("clang", "cmake", "ninja", "dtc")

_DONE = re.compile(r"^Done (\d+) runs in (\d+) second")
_COV = re.compile(r"\bcov: (\d+) ft: (\d+) corp: (\d+)/")


@dataclass(frozen=True)
class FuzzResult:
    target: str
    runs: int
    seconds: float
    coverage: int  # edges covered (libFuzzer's "cov")
    features: int  # libFuzzer's "ft"
    corpus: int  # inputs in the corpus at the end
    crashes: list[Path]
    log: Path


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def target_dir(name: str) -> Path:
    if name not in TARGETS:
        raise VmonError(f"unknown fuzz target '{name}' (known: {', '.join(sorted(TARGETS))})")
    return TARGETS[name]


def build_target(name: str) -> Path:
    """Build target ``name`` into build/fuzz-<name>; return the executable."""
    missing = missing_tools()
    if missing:
        raise VmonError(
            f"fuzz targets need {', '.join(missing)}: run scripts/setup.sh "
            "(or apt-get install clang libclang-rt-dev)"
        )
    return native.build(target_dir(name), f"fuzz-{name}", BOARD, toolchain="llvm")


def run(name: str, seconds: int, workdir: Path, exe: Path | None = None) -> FuzzResult:
    """Fuzz ``name`` for ``seconds`` in ``workdir`` (its corpus copy, flash file, crash inputs)."""
    if seconds < 1:
        raise VmonError(f"--seconds must be at least 1 (got {seconds})")
    exe = exe or build_target(name)
    seeds = target_dir(name) / "corpus"
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = workdir / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(seeds, corpus)
    # native_sim keeps its flash simulator in flash.bin in the working directory.
    (workdir / "flash.bin").unlink(missing_ok=True)
    log = workdir / f"fuzz-{name}.log"
    cmd = [
        str(exe),
        f"-max_total_time={seconds}",
        "-timeout=10",  # one input taking 10 s is a hang: a finding
        "-rss_limit_mb=1024",
        f"-artifact_prefix={workdir}/",
        str(corpus),
    ]
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.call(
            cmd, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, timeout=seconds + 120
        )
    elapsed = time.monotonic() - started
    text = log.read_text(errors="replace")
    crashes = sorted(
        p for p in workdir.iterdir() if p.name.startswith(("crash-", "leak-", "timeout-", "oom-"))
    )
    runs = 0
    cov = ft = corp = 0
    for line in text.splitlines():
        if m := _DONE.match(line):
            runs = int(m.group(1))
        if m := _COV.search(line):
            cov, ft, corp = (int(g) for g in m.groups())
    if code != 0 and not crashes:
        raise VmonError(f"fuzz {name} exited {code} without a crash input; see {log}")
    return FuzzResult(name, runs, elapsed, cov, ft, corp, crashes, log)
