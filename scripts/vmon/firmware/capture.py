"""`invoke capture`: raw sample blocks from a running node into the shared dataset format.

The node's capture module (app/src/modules/capture, `vmon capture <blocks>` on its shell)
prints the blocks its processing takes, unchanged: an ``@vmon capture`` line with rate, axes,
block length and full scale, then per block ``@vmon raw`` lines of base64 little-endian int16
counts with a CRC-32 each, then a ``done`` line. This module reads those lines from a serial
port (a board) or from the application on QEMU, checks every part, and turns the blocks into
recordings of the shared format (docs/dataset-format.md), in g, labelled as the user says,
so users can train and evaluate on their own machines.

Nothing is guessed: a part that fails its CRC or does not decode loses its block, a lost
block breaks the recording, and a capture with breaks is refused unless ``allow_gaps`` keeps
each unbroken run as a recording of its own. An existing output file is extended only when
asked, and never loses a recording.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.data import format as dsformat
from vmon.errors import VmonError

# Whatever follows the tag is the record: a line cut short still counts as a bad one.
HEADER = re.compile(r"@vmon capture (.*?)\s*$")
RAW = re.compile(r"@vmon raw (.*?)\s*$")
#: Full scale of the int16 counts: 32768 counts = the feature pipeline's full scale.
COUNTS_FULL_SCALE = 32768.0
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CaptureFormat:
    """What the node announced when the capture was armed."""

    blocks: int
    fs_hz: int
    axes: int
    block_len: int
    part: int
    axis: int
    full_scale_mg: int

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CaptureFormat:
        try:
            fmt = cls(
                int(obj["blocks"]),
                int(obj["fs"]),
                int(obj["axes"]),
                int(obj["len"]),
                int(obj["part"]),
                int(obj.get("axis", 0)),
                int(obj["full_scale_mg"]),
            )
        except (KeyError, TypeError, ValueError):
            raise VmonError(f"malformed capture header {json.dumps(obj)}") from None
        if min(fmt.blocks, fmt.fs_hz, fmt.axes, fmt.block_len, fmt.part, fmt.full_scale_mg) < 1:
            raise VmonError(f"capture header with a zero or negative field {json.dumps(obj)}")
        if not 0 <= fmt.axis < fmt.axes:
            raise VmonError(f"capture header names axis {fmt.axis} of {fmt.axes}")
        return fmt

    @property
    def parts(self) -> int:
        return -(-self.block_len * self.axes // self.part)

    @property
    def g_per_count(self) -> float:
        return self.full_scale_mg / 1000.0 / COUNTS_FULL_SCALE


@dataclass
class Capture:
    """Blocks assembled from a node's capture lines, with what went wrong on the way."""

    fmt: CaptureFormat | None = None
    blocks: dict[int, npt.NDArray[np.int16]] = field(default_factory=dict)
    bad_lines: int = 0  # raw lines that failed JSON, base64, length or CRC
    done: dict[str, Any] | None = None  # the node's last line: blocks captured, gaps seen
    _parts: dict[int, dict[int, bytes]] = field(default_factory=dict)

    def feed(self, line: str) -> None:
        """Take one console line (anything that is not a capture line is ignored)."""
        if m := HEADER.search(line):
            try:
                obj = json.loads(m.group(1))
            except json.JSONDecodeError:
                self.bad_lines += 1
                return
            if "done" in obj:
                self.done = obj
            elif obj.get("blocks") == 0:
                return  # `vmon capture info`: what a capture would carry, nothing armed
            elif self.fmt is None:
                self.fmt = CaptureFormat.from_json(obj)
            else:
                raise VmonError("the node started a second capture while this one ran")
        elif (m := RAW.search(line)) and self.fmt is not None:
            self._raw(m.group(1))

    def _raw(self, text: str) -> None:
        assert self.fmt is not None
        try:
            obj = json.loads(text)
            seq, k, n = int(obj["seq"]), int(obj["p"]), int(obj["n"])
            data = base64.b64decode(obj["d"], validate=True)
            crc = int(obj["crc"], 16)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error):
            self.bad_lines += 1
            return
        last = self.fmt.parts - 1
        want = self.fmt.part if k < last else self.fmt.block_len * self.fmt.axes - k * self.fmt.part
        if not 0 <= k <= last or n != want or len(data) != 2 * n or zlib.crc32(data) != crc:
            self.bad_lines += 1
            return
        parts = self._parts.setdefault(seq, {})
        parts[k] = data
        if len(parts) == self.fmt.parts:
            raw = b"".join(parts[i] for i in range(self.fmt.parts))
            self.blocks[seq] = np.frombuffer(raw, dtype="<i2").astype(np.int16)
            del self._parts[seq]

    @property
    def incomplete(self) -> int:
        """Blocks of which some parts arrived and some did not."""
        return len(self._parts)

    def runs(self) -> list[tuple[int, npt.NDArray[np.int16]]]:
        """Unbroken runs of blocks: (first sequence number, counts of shape (n, axes))."""
        if self.fmt is None or not self.blocks:
            return []
        seqs = sorted(self.blocks)
        out: list[tuple[int, list[int]]] = []
        for s in seqs:
            if out and s == out[-1][1][-1] + 1:
                out[-1][1].append(s)
            else:
                out.append((s, [s]))
        axes = self.fmt.axes
        return [
            (first, np.concatenate([self.blocks[s] for s in run]).reshape(-1, axes))
            for first, run in out
        ]


def parse(lines: Iterable[str]) -> Capture:
    cap = Capture()
    for line in lines:
        cap.feed(line)
    return cap


def _id_part(text: str, what: str) -> str:
    clean = _ID_SAFE.sub("-", text.strip()).strip("-")
    if not clean:
        raise VmonError(f"--{what} must name something (letters, digits, '.', '_', '-')")
    return clean


@dataclass(frozen=True)
class Labels:
    """What the user says about the captured machine."""

    label: str
    machine: str
    rpm: float = math.nan
    load_hp: float = math.nan
    axis: int | None = None  # None: the axis the node analyses

    def check(self) -> None:
        if self.label not in dsformat.LABELS:
            raise VmonError(f"--label {self.label!r}: expected one of {', '.join(dsformat.LABELS)}")
        _id_part(self.machine, "machine")
        if not math.isnan(self.rpm) and not 0 < self.rpm <= 30_000:
            raise VmonError(f"--rpm {self.rpm:g}: give the shaft speed in (0, 30000] rpm")
        if not math.isnan(self.load_hp) and not 0 <= self.load_hp < math.inf:
            raise VmonError(f"--load-hp {self.load_hp:g}: give a load >= 0")


def to_recordings(
    cap: Capture, labels: Labels, source: str, *, allow_gaps: bool = False, stamp: str = ""
) -> list[dsformat.Recording]:
    """The capture's unbroken runs as recordings in g (one-line errors for bad captures)."""
    labels.check()
    fmt = cap.fmt
    if fmt is None:
        raise VmonError(
            f"no capture header from {source}: is it a vmon node with CONFIG_VMON_CAPTURE "
            "(`vmon capture` in its shell)?"
        )
    axis = fmt.axis if labels.axis is None else labels.axis
    if not 0 <= axis < fmt.axes:
        raise VmonError(f"--axis {axis}: the node samples {fmt.axes} axis/axes")
    runs = cap.runs()
    if not runs:
        raise VmonError(f"no complete block from {source} ({cap.bad_lines} bad lines)")
    got = sum(len(c) for _, c in runs) // fmt.block_len
    if len(runs) > 1 and not allow_gaps:
        missing = runs[-1][0] + len(runs[-1][1]) // fmt.block_len - runs[0][0] - got
        raise VmonError(
            f"{source}: {len(runs) - 1} break(s) in the captured blocks ({missing} block(s) "
            f"lost, {cap.bad_lines} bad line(s)): capture again (a faster console, fewer "
            "other lines), or --allow-gaps to keep each unbroken run as its own recording"
        )
    machine = _id_part(labels.machine, "machine")
    stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    recs = []
    for k, (first, counts) in enumerate(runs):
        rid = f"{machine}_{labels.label}_{stamp}" + (f"_r{k}" if len(runs) > 1 else "")
        signal = (counts[:, axis].astype(np.float64) * fmt.g_per_count).astype(np.float32)
        recs.append(
            dsformat.Recording(
                recording_id=rid,
                signal=signal,
                fs_hz=float(fmt.fs_hz),
                label=labels.label,
                load_hp=labels.load_hp,
                fault_size_in=0.0 if labels.label == "normal" else math.nan,
                rpm=labels.rpm,
                source_file=f"capture:{source} seq {first}+{len(counts) // fmt.block_len}",
            )
        )
    return recs


def write(
    recs: list[dsformat.Recording],
    out: Path,
    *,
    append: bool,
    meta: dict[str, Any],
) -> dsformat.Dataset:
    """Write the recordings to ``out``, after the ones it holds when ``append``."""
    if out.exists() and not append:
        raise VmonError(f"{out} exists: --append adds the capture to it, or choose another --out")
    if append and out.exists():
        ds = dsformat.load_dataset(out)
        clash = set(ds.ids()) & {r.recording_id for r in recs}
        if clash:
            raise VmonError(f"{out} already holds {', '.join(sorted(clash))}")
        captures = [*ds.meta.get("captures", []), meta]
        ds = dsformat.Dataset(ds.name, [*ds.recordings, *recs], {**ds.meta, "captures": captures})
    else:
        provenance = {
            "source_repo": "vmon capture (recorded from a node)",
            "source_commit": "n/a",
            "license": "recorded by the user on their own machine",
        }
        ds = dsformat.Dataset(out.stem, recs, {**provenance, "captures": [meta]})
    dsformat.save_dataset(ds, out)
    return ds


# ------------------------------------------------------------------------------- sources

#: Console of a node: send a command, and get the next line (None after waiting ``wait`` s).
Send = Callable[[str], None]
NextLine = Callable[[float], "str | None"]


def read_until_done(
    next_line: NextLine,
    cap: Capture,
    timeout_s: float,
    on_block: Callable[[int], None] | None = None,
) -> Capture:
    """Feed lines into ``cap`` until the node's done line or ``timeout_s`` of silence."""
    last = time.monotonic()
    while cap.done is None:
        line = next_line(0.2)
        if line is None:
            if time.monotonic() - last > timeout_s:
                break
            continue
        last = time.monotonic()
        n = len(cap.blocks)
        cap.feed(line)
        if on_block is not None and len(cap.blocks) != n:
            on_block(len(cap.blocks))
    return cap


def node_format(send: Send, next_line: NextLine, timeout_s: float = 5.0) -> CaptureFormat:
    """Ask the node what a capture would carry (`vmon capture info`)."""
    send("vmon capture info\n")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = next_line(0.2)
        if line is not None and (m := HEADER.search(line)):
            try:
                obj = json.loads(m.group(1))
            except json.JSONDecodeError:
                continue
            if obj.get("blocks") == 0:
                return CaptureFormat.from_json({**obj, "blocks": 1})
    raise VmonError(
        f"no answer to `vmon capture info` within {timeout_s:.0f} s: is it a vmon node with "
        "CONFIG_VMON_CAPTURE on this console?"
    )


def capture_console(
    send: Send,
    next_line: NextLine,
    seconds: float,
    *,
    timeout_s: float = 10.0,
    on_start: Callable[[int], None] | None = None,
    on_block: Callable[[int], None] | None = None,
) -> Capture:
    """Capture ``seconds`` of the node's samples over its console; the node stops itself."""
    fmt = node_format(send, next_line)
    blocks = max(1, math.ceil(seconds * fmt.fs_hz / fmt.block_len))
    if on_start is not None:
        on_start(blocks)
    send(f"vmon capture {blocks}\n")
    cap = read_until_done(next_line, Capture(), timeout_s, on_block)
    if cap.done is None:
        # Silence before the end: leave the node as it was found.
        send("vmon capture stop\n")
    return cap


def capture_serial(
    port: str,
    seconds: float,
    *,
    baud: int = 115200,
    on_start: Callable[[int], None] | None = None,
    on_block: Callable[[int], None] | None = None,
) -> Capture:
    """Capture from a node's serial console (a board's UART or USB CDC ACM)."""
    import serial

    try:
        con = serial.Serial(port, baud, timeout=0.2)
    except (serial.SerialException, OSError) as err:
        raise VmonError(f"cannot open {port}: {err}") from None
    with con:
        con.reset_input_buffer()

        def send(text: str) -> None:
            con.write(text.encode())

        pending = bytearray()

        def next_line(_wait: float) -> str | None:
            # readline() gives back what it has when its timeout passes: keep a line's
            # beginning until its end arrives.
            pending.extend(con.readline())
            if not pending.endswith(b"\n"):
                return None
            line = pending.decode("utf-8", errors="replace")
            pending.clear()
            return line

        send("\n")
        return capture_console(send, next_line, seconds, on_start=on_start, on_block=on_block)


class QemuConsole:
    """An application build running in QEMU, its console on this process's pipes."""

    def __init__(self, build_dir: Path) -> None:
        from vmon.firmware import replay, workspace

        argv = replay.build_qemu_command(build_dir)
        groups = replay.console_only(replay.qemu_option_groups(argv[1:]))
        cmd = [argv[0], *[a for g in groups for a in g]]
        if not Path(cmd[0]).is_file():
            workspace.require_tools()
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._next = 0
        self.proc = subprocess.Popen(
            cmd,
            cwd=build_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self._lines.append(raw.decode("utf-8", errors="replace"))
                self._cond.notify_all()

    def next_line(self, wait: float) -> str | None:
        with self._cond:
            if self._next >= len(self._lines):
                self._cond.wait(wait)
            if self._next >= len(self._lines):
                return None
            self._next += 1
            return self._lines[self._next - 1]

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            line = self.next_line(0.5)
            if line is not None and "vmon: ready" in line:
                return
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise VmonError("the firmware on QEMU did not boot ('vmon: ready')")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def capture_qemu(
    build_dir: Path,
    seconds: float,
    *,
    on_start: Callable[[int], None] | None = None,
    on_block: Callable[[int], None] | None = None,
) -> Capture:
    """Run the application's QEMU build (its own sampling source) and capture from it."""
    qemu = QemuConsole(build_dir)
    try:
        qemu.wait_ready(30.0)
        return capture_console(
            qemu.send, qemu.next_line, seconds, on_start=on_start, on_block=on_block
        )
    finally:
        qemu.close()


def run(
    *,
    out: Path,
    labels: Labels,
    seconds: float,
    port: str | None = None,
    baud: int = 115200,
    qemu_board: str | None = None,
    append: bool = False,
    allow_gaps: bool = False,
) -> tuple[dsformat.Dataset, list[dsformat.Recording], Capture]:
    """`invoke capture`: arm the node, read its blocks, write the recordings."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from vmon.firmware import workspace

    labels.check()
    if (port is None) == (qemu_board is None):
        raise VmonError("give --port (a board's console) or --qemu (the application on QEMU)")
    if not 0 < seconds <= 3600:
        raise VmonError(f"--seconds {seconds:g}: capture between 0 and 3600 s")
    if out.suffix != ".npz":
        raise VmonError(f"--out {out} must end in .npz")
    if out.exists() and not append:
        raise VmonError(f"{out} exists: --append adds the capture to it, or choose another --out")
    source = port or f"qemu:{qemu_board}"
    with Progress(
        TextColumn("capture {task.description} (blocks)"), BarColumn(), MofNCompleteColumn()
    ) as bar:
        task = bar.add_task(source, total=None)

        def on_start(n: int) -> None:
            bar.update(task, total=n)

        def on_block(n: int) -> None:
            bar.update(task, completed=n)

        if port is not None:
            cap = capture_serial(port, seconds, baud=baud, on_start=on_start, on_block=on_block)
        else:
            assert qemu_board is not None
            bdir = workspace.build_dir(qemu_board)
            cap = capture_qemu(bdir, seconds, on_start=on_start, on_block=on_block)
    recs = to_recordings(cap, labels, source, allow_gaps=allow_gaps)
    assert cap.fmt is not None
    meta = {
        "source": source,
        "captured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": labels.machine,
        "axis": labels.axis if labels.axis is not None else cap.fmt.axis,
        "node": dict(vars(cap.fmt)),
        "done": cap.done,
        "bad_lines": cap.bad_lines,
        "recordings": [r.recording_id for r in recs],
    }
    return write(recs, out, append=append, meta=meta), recs, cap
