"""`invoke bench`: the issue targets, measured (not unit tests: they take minutes).

- ``ml``: `invoke retrain` on the default dataset in a child process: wall time, peak RSS,
  int8 macro-F1 per fold, PTQ loss, novelty AUROC, model and arena size.
- ``memmap``: parse time of a generated 5+ MB ELF with DWARF (tests/benchmarks/bench_memmap.py).
- ``fw``: on mps2/an521/cpu1 under QEMU -icount, features + inference per window against
  the same CMSIS-DSP / CMSIS-NN kernels alone (tests/benchmarks/fw_cost), and the envelope
  typing per window against its inverse FFTs and spectra alone; one run, with
  cpu0 parked (cpu0_park.S) so that the virtual clock counts cpu1's instructions alone.
- ``app``: the application on qemu_cortex_m3: flash and RAM per area against app/budgets.yaml,
  then every held-out window of the shipped model replayed through the replay UART: scores
  identical to vmon's, macro-F1 equal to the model card's, no window lost.
- ``replay``: the host's frame pacing on the real clock (into a local socket), then 10 s of
  full-range samples at 12.8 kHz x 1 and 6.4 kHz x 3 streamed at the nominal rate into the
  replay echo firmware on both QEMU boards: no block lost or altered (the rate the QEMU UART
  reaches is reported; TCP flow control holds back the rest). ``--write-docs`` writes those
  figures into docs/replay.md, with the date and the host.
- ``detect``: `invoke evaluate` on the shared CWRU 12 kHz set (when present) and on every
  synthetic rig of :mod:`vmon.data.rigs`, commissioned on 30 s: normal windows raised, alarm
  events in normal running, fault windows raised, fault types wrong and right (in band); and
  again with the shaft speed kept from the node (`--no-speed`): fault types wrong.
- ``energy``: the fw benchmark's instructions per window through the energy model of
  :mod:`vmon.energy` (cited datasheet figures, docs/energy.md): computation per window and
  battery life on 2 x AA, terms per measurement and per report, build/bench/energy.html.
"""

from __future__ import annotations

import json
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from vmon.dsp import spec
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

console = Console()
SUITES = ("ml", "memmap", "fw", "app", "replay", "detect", "energy")
FW_BOARD = "mps2/an521/cpu1"
APP_BOARD = "qemu_cortex_m3"


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
        Target("model flatbuffer", meta["model_bytes"], spec.MODEL_BUDGET, "B"),
        Target("tensor arena (TFLM, host)", meta["tensor_arena_bytes"], spec.ARENA_BUDGET, "B"),
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


#: Where mps2/an521's cpu0 boots from (SSE-200 INITSVTOR0 at reset): the park image's home.
CPU0_BOOT = 0x10000000
_PARK_SRC = REPO_ROOT / "tests" / "benchmarks" / "fw_cost" / "cpu0_park.S"


def cpu0_park_image(build_dir: Path, elf: Path) -> Path:
    """Assemble the cpu0 park image (tests/benchmarks/fw_cost/cpu0_park.S) for ``elf``.

    It wakes cpu1 at ``elf``'s vector table and sleeps, so that under -icount the virtual
    clock counts cpu1's instructions only (Zephyr's empty_cpu0 spins instead).
    """
    from vmon.memmap import elf as memmap_elf

    symbols = memmap_elf.load(elf).symbols or []
    vectors = next((sym.address for sym in symbols if sym.name == "_vector_start"), None)
    if vectors is None:
        raise VmonError(f"{elf} has no _vector_start symbol")
    cache = (build_dir / "CMakeCache.txt").read_text()
    m = re.search(r"^CMAKE_C_COMPILER:\w+=(.+)$", cache, re.M)
    if m is None:
        raise VmonError(f"no C compiler in {build_dir}/CMakeCache.txt")
    out = build_dir / "cpu0_park.elf"
    cmd = [
        m.group(1).strip(),
        "-nostdlib",
        "-mcpu=cortex-m33",
        "-mthumb",
        f"-Wa,--defsym,CPU1_VECTORS={vectors:#x}",
        f"-Wl,--section-start=.vectors={CPU0_BOOT:#x}",
        f"-Wl,-Ttext={CPU0_BOOT + 8:#x}",
        "-Wl,--entry=park",
        "-o",
        str(out),
        str(_PARK_SRC),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise VmonError(f"assembling {_PARK_SRC.name} failed: {proc.stderr.strip()[-300:]}")
    return out


def icount_command(argv: list[str], park: Path) -> tuple[list[str], int]:
    """The build's QEMU command with cpu0's image replaced by ``park``; and the icount shift.

    The pidfile and the extra serial port (a pty) go too: nothing else runs beside it.
    """
    from vmon.firmware.replay import console_only, qemu_option_groups

    groups = console_only(qemu_option_groups(argv[1:]))
    shift = None
    for g in groups:
        if g[0] == "-icount" and len(g) > 1:
            m = re.search(r"shift=(\d+)", g[1])
            shift = int(m.group(1)) if m else None
    if shift is None:
        raise VmonError("the fw benchmark needs -icount with a fixed shift (CONFIG_QEMU_ICOUNT)")
    cpu0 = [g for g in groups if g[0] == "-device" and "empty_cpu0" in " ".join(g[1:])]
    if len(cpu0) != 1:
        raise VmonError("the QEMU command has no (single) empty_cpu0 image to replace")
    out = [argv[0]]
    for g in groups:
        out += ["-device", f"loader,file={park}"] if g is cpu0[0] else g
    return out, shift


def _fields(lines: list[str], prefix: str) -> dict[str, int]:
    """The ``key=integer`` fields of the first console line that starts with ``prefix``
    (after any log prefix); empty when there is none."""
    for ln in lines:
        i = ln.find(prefix)
        if i >= 0:
            text = ln[i + prefix.rfind(" ") + 1 :]
            return {k: int(x) for k, x in re.findall(r"(\w+)=(\d+)", text)}
    return {}


def _fw_cost_run(
    bdir: Path, cmake_args: tuple[str, ...] = ()
) -> tuple[dict[str, int], list[str], int]:
    """Build and run tests/benchmarks/fw_cost into ``bdir``: its fields, lines, -icount shift."""
    from vmon.firmware import build as firmware
    from vmon.firmware import workspace
    from vmon.firmware.replay import build_qemu_command

    ws = workspace.find_workspace()
    if ws is None:
        raise VmonError(f"the fw benchmark needs the firmware: {workspace.NO_WORKSPACE}")
    src = REPO_ROOT / "tests" / "benchmarks" / "fw_cost"
    elf = firmware.build(FW_BOARD, source=src, build_dir=bdir, cmake_args=cmake_args)
    park = cpu0_park_image(bdir, elf)
    argv, shift = icount_command(build_qemu_command(bdir), park)
    lines = firmware.run_console(
        argv,
        workspace.build_env(ws),
        120.0,
        until=r"vmon_cost: (done|.*failed)",
        echo=False,
        cwd=bdir,
    )
    v = _fields(lines, "vmon_cost: windows=")
    if not v:
        tail = " | ".join(lines[-5:]) or "(no output)"
        raise VmonError(f"the fw benchmark printed no result: {tail}")
    return v, lines, shift


def bench_fw() -> list[Target]:
    console.print(f"[bold]fw[/]: tests/benchmarks/fw_cost on {FW_BOARD}")
    v, lines, shift = _fw_cost_run(REPO_ROOT / "build" / "bench-fw-cost")
    n = v["windows"]
    # Under -icount shift=s one instruction takes 2^s ns of virtual time.
    ticks_per_insn = v["clock_hz"] * (1 << shift) / 1e9

    def insn(key: str) -> float:
        return v[key] / ticks_per_insn / n

    core = v["features"] + v["inference"]
    kernels = v["kernels_fft"] + v["kernels_nn"]
    console.print(
        f"  instructions per window ({n} golden windows, cpu1 alone, -icount shift={shift}): "
        f"features {insn('features'):,.0f}, inference {insn('inference'):,.0f}; kernels "
        f"alone: rfft+mag {insn('kernels_fft'):,.0f}, NN ops {insn('kernels_nn'):,.0f}"
    )
    # Typing: per-window demodulation plus one period's spectra and verdict spread over the
    # windows of a period, against the same kernels called alone.
    per = v["period_windows"]
    typing = insn("typing_window") + v["typing_period"] / ticks_per_insn / per
    k_typing = insn("kernels_typing_window") + v["kernels_typing_period"] / ticks_per_insn / per
    console.print(
        f"  typing per window: {typing:,.0f} instructions ({insn('typing_window'):,.0f} "
        f"demodulation + 1/{per} of a {v['typing_period'] / ticks_per_insn:,.0f}-instruction "
        f"period); its kernels alone {k_typing:,.0f}"
    )
    # The breakdowns the benchmark prints beside its result: where the typing's cost goes.
    for tag, what, per_window in (
        ("window parts", "the typing per window", True),
        ("kernel parts", "its kernels alone per window", True),
        ("period parts", "the period", False),
    ):
        parts = _fields(lines, f"vmon_cost: {tag} ")
        if parts:
            n_lines = parts.pop("n_lines", None)
            scale = ticks_per_insn * (n if per_window else 1)
            console.print(
                f"  {what} (instructions): "
                + ", ".join(f"{k.replace('_', ' ')} {x / scale:,.0f}" for k, x in parts.items())
                + (f" ({n_lines} lines)" if n_lines is not None else "")
            )
    # The same model on TFLM's reference kernels (no CMSIS-NN), in a build of its own: what
    # CMSIS-NN saves on the product's Cortex-M4F class of core.
    ref, _, ref_shift = _fw_cost_run(
        REPO_ROOT / "build" / "bench-fw-cost-ref", ("-DCONFIG_VMON_TFLM_CMSIS_NN=n",)
    )
    ref_insn = ref["inference"] / (ref["clock_hz"] * (1 << ref_shift) / 1e9) / ref["windows"]
    console.print(
        f"  inference per window: CMSIS-NN {insn('inference'):,.0f} instructions, reference "
        f"kernels {ref_insn:,.0f} ({ref_insn / insn('inference'):.2f}x)"
    )
    return [
        # Issue #18's target: the integer work around the FFT and the NN ops at most a quarter
        # of the kernels themselves.
        Target("features + inference / kernels alone (an521)", core / kernels, 1.25, "x"),
        Target("typing / its FFT kernels alone (an521)", typing / k_typing, 1.5, "x"),
    ]


def bench_app(data: str | None = None) -> list[Target]:
    import numpy as np

    from vmon.firmware import build as firmware
    from vmon.firmware import device, workspace
    from vmon.memmap import cli as memmap_cli
    from vmon.ml import metrics
    from vmon.ml.model import load_model_dir

    if workspace.find_workspace() is None:
        raise VmonError(f"the app benchmark needs the firmware: {workspace.NO_WORKSPACE}")
    console.print(f"[bold]app[/]: build for {APP_BOARD}, memory per area")
    elf = firmware.build(APP_BOARD)
    used = memmap_cli.run(elf=str(elf), board=APP_BOARD, check=False).region_used()
    md = load_model_dir(REPO_ROOT / "models" / "bearing-fault-12k")
    clips = device.held_out_clips(md, data)
    console.print(f"[bold]app[/]: replaying {len(clips)} held-out recordings (minutes)")
    replay_elf = firmware.build(APP_BOARD, replay=True)
    run = device.run_app(APP_BOARD, clips, md, build_dir=replay_elf.parents[1])
    problems = run.compare()
    for line in problems[:5]:
        console.print(f"  [red]{line}[/]")
    y = np.concatenate(
        [
            np.full(len(w), md.labels.index(c.label))
            for c, w in zip(clips, run.windows_by_clip, strict=True)
        ]
    )
    f1 = metrics.classification(y, np.concatenate(run.device_predictions(md.labels)), md.labels)
    card = md.meta["metrics"]["shipped_model"]["int8"]["macro_f1"]
    expected = sum(len(e.last_block_seq) for e in run.expected)
    blocks = sum(len(device.blocks_of(c.counts, 512)) for c in clips)
    console.print(
        f"  {len(y)} windows, {blocks} blocks in {run.seconds:.0f} s "
        f"({blocks / run.seconds:.1f} blocks/s; nominal {md.feature_config.fs_hz / 512:.1f}); "
        f"device macro-F1 {f1['macro_f1']:.6f}, model card {card:.6f}"
    )
    # Issue #16's cap for its wave (issue #6 set 96 KB / 32 KB before the wave's additions);
    # app/budgets.yaml holds the measured figures every build is checked against.
    return [
        Target("app flash (qemu_cortex_m3)", used.get("flash", 0), 112 * 1024, "B"),
        Target("app RAM, static + arena + stacks", used.get("ram", 0), 36 * 1024, "B"),
        Target("held-out windows differing from vmon", len(problems), 0, "win"),
        Target("held-out windows lost", expected - len(y), 0, "win"),
        Target("|device macro-F1 - model card|", abs(f1["macro_f1"] - card), 0.0, ""),
    ]


#: (sampling rate, axes) the replay source must carry without loss (issue #6).
REPLAY_RATES = ((12_800, 1), (6_400, 3))
REPLAY_SECONDS = 10.0
#: How late the host may send a replay frame against its schedule (frame k at k periods).
PACING_LATE_MS = 20.0
PACING_SECONDS = 2.0

DOCS_REPLAY = REPO_ROOT / "docs" / "replay.md"
DOCS_BEGIN = "<!-- written by `invoke bench --suite replay --write-docs`; do not edit -->"
DOCS_END = "<!-- end of the figures written by invoke bench -->"


class _TimedSocket:
    """Stands in for the replay UART's socket: records when each frame is handed over."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sent: list[float] = []

    def sendall(self, frame: bytes) -> None:
        self.sent.append(time.monotonic())
        self.sock.sendall(frame)


def _drain(sock: socket.socket) -> None:
    while sock.recv(4096):
        pass


def bench_pacing() -> Target:
    """The replay sender's pacing on the real clock, into a local socket (no QEMU)."""
    from vmon.firmware import replay

    period = 512 / 12_800
    frames = [bytes(64)] * int(PACING_SECONDS / period)
    host, guest = socket.socketpair()
    reader = threading.Thread(target=_drain, args=(guest,))
    reader.start()
    timed = _TimedSocket(host)
    session = replay.ReplaySession(Path("."))
    session._conn = timed  # type: ignore[assignment]
    try:
        t0 = session.send(frames, period)
    finally:
        host.shutdown(socket.SHUT_WR)
        reader.join(timeout=5)
        host.close()
        guest.close()
    late = max(t - (t0 + k * period) for k, t in enumerate(timed.sent)) * 1000
    console.print(
        f"[bold]replay[/]: host pacing, {len(frames)} frames at {1 / period:g}/s: the latest "
        f"frame {late:.1f} ms behind its schedule"
    )
    return Target("replay: host frame pacing, worst lateness", late, PACING_LATE_MS, "ms")


@dataclass
class ReplayRow:
    board: str
    fs: int
    axes: int
    echoed: int
    sent: int
    seconds: float
    bad: int

    @property
    def blocks_per_s(self) -> float:
        return self.echoed / self.seconds if self.seconds > 0 else 0.0


def replay_docs_block(rows: list[ReplayRow], date: str, host: str) -> str:
    """The figures section of docs/replay.md, raw measurements included so that a hand edit
    of the table is detected (tests re-render it from them)."""
    data = {"date": date, "host": host, "rows": [r.__dict__ for r in rows]}
    lines = [
        DOCS_BEGIN,
        f"<!-- data: {json.dumps(data, sort_keys=True)} -->",
        f"`invoke bench --suite replay --write-docs` on {date} ({host}), "
        f"{REPLAY_SECONDS:g} s of full-range samples per case streamed at the nominal rate:",
        "",
        "| board | case | blocks echoed / sent | seconds | blocks/s (nominal) | lost, altered or "
        "counted bad |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.board} | {r.fs / 1000:g} kHz x {r.axes} | {r.echoed} / {r.sent} | "
            f"{r.seconds:.1f} | {r.blocks_per_s:.1f} ({r.fs / 512:g}) | {r.bad} |"
        )
    lines.append(DOCS_END)
    return "\n".join(lines)


def _docs_section(text: str) -> str:
    try:
        start = text.index(DOCS_BEGIN)
        end = text.index(DOCS_END, start) + len(DOCS_END)
    except ValueError:
        raise VmonError(
            f"docs/replay.md has no section between '{DOCS_BEGIN}' and '{DOCS_END}'"
        ) from None
    return text[start:end]


def parse_docs_block(text: str) -> tuple[str, list[ReplayRow], str, str]:
    """(block, rows, date, host) of the figures section in ``text``."""
    block = _docs_section(text)
    m = re.search(r"<!-- data: (\{.*\}) -->", block)
    if m is None:
        raise VmonError("docs/replay.md: the figures section carries no data line")
    data = json.loads(m.group(1))
    rows = [ReplayRow(**r) for r in data["rows"]]
    return block, rows, data["date"], data["host"]


def write_replay_docs(rows: list[ReplayRow], path: Path = DOCS_REPLAY) -> None:
    import datetime
    import os

    text = path.read_text()
    block = _docs_section(text)
    cores = os.cpu_count() or 0
    load = os.getloadavg()[0]
    host = f"{cores}-core host, load average {load:.1f} at the end"
    today = datetime.date.today().isoformat()
    path.write_text(text.replace(block, replay_docs_block(rows, today, host)))
    console.print(f"replay: figures written to {path.name}")


def bench_replay(write_docs: bool = False) -> list[Target]:
    import numpy as np

    from vmon.firmware import replay, workspace

    targets = [bench_pacing()]
    if workspace.find_workspace() is None:
        raise VmonError(f"the replay benchmark needs the firmware: {workspace.NO_WORKSPACE}")
    rows: list[ReplayRow] = []
    for board in workspace.QEMU_BOARDS:
        for fs, axes in REPLAY_RATES:
            console.print(f"[bold]replay[/]: {board}, {fs} Hz x {axes}, {REPLAY_SECONDS:g} s")
            bdir = replay.build_replay_echo(board, axes=axes, fs_hz=fs)
            n = int(REPLAY_SECONDS * fs)
            # Full-range counts: the payload is full of bytes that look like sync words.
            counts = np.random.default_rng(fs + axes).integers(
                -32768, 32767, (n, axes), dtype=np.int16, endpoint=True
            )
            result = replay.replay_recording(board, counts, float(fs), build_dir=bdir)
            # The firmware's own counters, as of its last echo (no echo: all blocks lost).
            last = result.echoes[-1] if result.echoes else None
            faults = last.overruns + last.bad_crc + last.bad_length + last.seq_gaps if last else 0
            console.print(
                f"  {len(result.echoes)}/{len(result.sent)} blocks in {result.elapsed_s:.1f} s "
                f"({result.blocks_per_s:.1f} blocks/s, nominal {fs / 512:.1f}); firmware "
                f"counters overruns+bad+gaps {faults}"
            )
            bad = len(result.lost) + len(result.corrupted) + faults
            rows.append(
                ReplayRow(
                    board,
                    fs,
                    axes,
                    len(result.echoes),
                    len(result.sent),
                    round(result.elapsed_s, 2),
                    bad,
                )
            )
            name = f"blocks lost or altered, {board} {fs / 1000:g} kHz x{axes}"
            targets.append(Target(name, bad, 0, "blk"))
    if write_docs:
        write_replay_docs(rows)
    return targets


def bench_detect(data: str | None = None) -> list[Target]:
    from vmon.data import load_dataset, resolve_dataset, rigs
    from vmon.data.importers.cwru import SHARED_12K_NAME
    from vmon.ml.evaluate import DEFAULT_MODEL, evaluate
    from vmon.ml.model import load_model_dir
    from vmon.paths import resolve_data_dir

    md = load_model_dir(REPO_ROOT / "models" / DEFAULT_MODEL)
    sets = [rigs.generate_dataset(rig) for rig in rigs.RIGS.values()]
    if resolve_data_dir(data) is not None:
        sets.insert(0, load_dataset(resolve_dataset(data, SHARED_12K_NAME)))
    else:
        console.print("detect: no shared data; CWRU left out (pass --data)")
    targets: list[Target] = []
    summaries = {}
    for ds in sets:
        console.print(f"[bold]detect[/]: evaluate {ds.name}")
        s = evaluate(ds, md, 30.0).summary()
        summaries[ds.name] = s
        o = s["overall"]
        targets += [
            Target(f"{ds.name}: normal windows raised", o["normal_raised"], 0.005, ""),
            Target(f"{ds.name}: alarm events, normal running", o["alarm_events_normal"], 0, "ev"),
            Target(f"{ds.name}: fault windows raised", o["fault_raised"], 0.99, "", True),
            Target(f"{ds.name}: fault type wrong", o["type_wrong"], 0.10, ""),
            Target(
                f"{ds.name}: fault type right (in band)",
                o["type_right_in_band"] or 0.0,
                0.70,
                "",
                True,
            ),
        ]
        # Reported, not a target: the issue asks for the right type from the physics or a
        # classifier validated on the machine. On CWRU, where the classifier was trained, the
        # ball faults and some outer-race recordings show no clear defect line in their
        # envelope (as in Smith and Randall's CWRU benchmark study, MSSP 2015), so the
        # classifier names most of them; where it does not validate (every synthetic rig)
        # all named types are physics.
        console.print(
            f"  fault type right by physics {o['type_right_physics'] or 0:.3f} "
            f"(of {o['type_right'] or 0:.3f} right)"
        )
        # The same machine when nobody typed in its speed: the node estimates it. Naming a
        # wrong type is what must not get worse; how often the type is right is reported.
        ns = evaluate(ds, md, 30.0, speed_given=False).summary()
        summaries[f"{ds.name} (speed estimated)"] = ns
        no = ns["overall"]
        console.print(
            f"  speed estimated: fault type right {no['type_right'] or 0:.3f}, unknown "
            f"{no['type_unknown'] or 0:.3f}, wrong {no['type_wrong'] or 0:.3f}"
        )
        targets.append(
            Target(f"{ds.name}, speed estimated: fault type wrong", no["type_wrong"], 0.10, "")
        )
    out = REPO_ROOT / "build" / "bench" / "detect.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summaries, indent=2) + "\n")
    console.print(f"detect: summaries in {out.relative_to(REPO_ROOT)}")
    return targets


@dataclass
class _Verdict(Target):
    """A target whose check decides it: an estimate resting on unverified figures is not met
    even when its value is within the limit."""

    met: bool = False

    @property
    def ok(self) -> bool:
        return self.met


def bench_energy() -> list[Target]:
    from vmon.workflows import energy

    console.print(
        f"[bold]energy[/]: instructions per window from tests/benchmarks/fw_cost on {FW_BOARD}"
    )
    v, _, shift = _fw_cost_run(REPO_ROOT / "build" / "bench-fw-cost")
    return [
        _Verdict(r.name, r.measured, r.limit, r.unit, r.higher_is_better, r.met)
        for r in energy.run(v, shift)
    ]


def run(suites: list[str] | None = None, data: str | None = None, write_docs: bool = False) -> None:
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
    if "fw" in chosen:
        targets += bench_fw()
    if "app" in chosen:
        targets += bench_app(data)
    if "replay" in chosen:
        targets += bench_replay(write_docs=write_docs)
    if "detect" in chosen:
        targets += bench_detect(data)
    if "energy" in chosen:
        targets += bench_energy()
    table = Table(title="benchmarks (measured on this machine)")
    for col in ("target", "measured", "limit", "result"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for t in targets:
        fmt = ".4f" if not t.unit else ".2f" if t.unit in ("GB", "s", "pt", "x") else ".0f"
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
