"""Replay recordings into the firmware on QEMU: the host side of the replay sample source.

The firmware's replay source (``app/src/modules/sampling``, ``CONFIG_VMON_SAMPLING_SOURCE_REPLAY``)
reads framed blocks of int16 counts from the UART named by the devicetree chosen node
``vmon,replay-uart``. This module encodes those frames (format in ``docs/replay.md``), starts
a QEMU build with that UART connected to a loopback TCP socket and the console on a pipe,
streams a recording at its sampling rate (or as fast as the guest takes it), and collects
the console lines.

Frame (little-endian)::

    sync 0xA5 0x5A | version u8 | axes u8 | count u16 | seq u32 | int16[count*axes] | crc32 u32

The CRC is CRC-32/ISO-HDLC (``zlib.crc32``; Zephyr's ``crc32_ieee``) of everything between
the sync word and the CRC.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console

from vmon.errors import VmonError
from vmon.firmware import workspace
from vmon.firmware.build import clean_console_line
from vmon.paths import REPO_ROOT

console = Console()

SYNC = b"\xa5\x5a"
VERSION = 1
#: version, axes, count, seq: the header after the sync word.
_HEADER = struct.Struct("<BBHI")
_TRAILER = struct.Struct("<I")
HEADER_SIZE = len(SYNC) + _HEADER.size
TRAILER_SIZE = _TRAILER.size
SUPPORTED_AXES = (1, 3)
MAX_COUNT = 0xFFFF
SEQ_MOD = 1 << 32

#: The tiny firmware the end-to-end tests replay into: it echoes every block's CRC.
ECHO_APP = REPO_ROOT / "tests" / "app" / "modules" / "sampling" / "replay_echo"

#: What the sampling module logs once its source runs (sampling.c).
STARTED = re.compile(r"started: (\w+) source, (\d+) x (\d+)-axis blocks at (\d+) Hz")
ECHO = re.compile(
    r"echo seq=(\d+) crc=([0-9a-f]{8}) blocks=(\d+) overruns=(\d+) bad_crc=(\d+) "
    r"bad_length=(\d+) seq_gaps=(\d+) seq_missing=(\d+) sync_skipped=(\d+)"
)
_REPLAY_CHARDEV = "vmon_replay"


# -- frames ------------------------------------------------------------------------------


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC: reflected polynomial 0x04C11DB7, init and final XOR 0xFFFFFFFF."""
    return zlib.crc32(data) & 0xFFFFFFFF


def frame_size(count: int, axes: int) -> int:
    """Bytes of a frame carrying ``count`` sample instants of ``axes`` axes."""
    return HEADER_SIZE + 2 * count * axes + TRAILER_SIZE


def as_counts(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Samples as an int16 array of shape (n, axes): the layout of a frame's payload."""
    arr = np.asarray(samples)
    if arr.dtype != np.int16:
        raise VmonError(
            f"replay samples must be int16 counts, got {arr.dtype}; "
            "convert acceleration with vmon.features.g_to_counts"
        )
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] not in SUPPORTED_AXES:
        raise VmonError(
            f"replay samples must have shape (n,) or (n, 1|3), got {tuple(np.shape(samples))}"
        )
    return arr


def encode_frame(seq: int, samples: npt.ArrayLike) -> bytes:
    """One frame: ``samples`` (n,) or (n, axes) int16 counts with sequence number ``seq``."""
    block = as_counts(samples)
    count, axes = block.shape
    if not 1 <= count <= MAX_COUNT:
        raise VmonError(f"a frame carries 1..{MAX_COUNT} sample instants, got {count}")
    body = _HEADER.pack(VERSION, axes, count, seq % SEQ_MOD) + block.astype("<i2").tobytes()
    return SYNC + body + _TRAILER.pack(crc32(body))


def split_blocks(counts: npt.ArrayLike, block_len: int) -> npt.NDArray[np.int16]:
    """Whole blocks of a recording, shape (n_blocks, block_len, axes); a partial tail is dropped."""
    arr = as_counts(counts)
    if not 1 <= block_len <= MAX_COUNT:
        raise VmonError(f"block length must be 1..{MAX_COUNT}, got {block_len}")
    n_blocks = arr.shape[0] // block_len
    return arr[: n_blocks * block_len].reshape(n_blocks, block_len, arr.shape[1])


def block_crc(block: npt.NDArray[np.int16]) -> int:
    """CRC-32 of a block's counts as the firmware holds them (little-endian, interleaved)."""
    return crc32(np.ascontiguousarray(block).astype("<i2").tobytes())


def encode_recording(counts: npt.ArrayLike, block_len: int, first_seq: int = 0) -> list[bytes]:
    """Frames for every whole block of a recording, numbered from ``first_seq``."""
    return [
        encode_frame(first_seq + i, block)
        for i, block in enumerate(split_blocks(counts, block_len))
    ]


@dataclass(frozen=True)
class Frame:
    seq: int
    #: (count, axes) int16 counts.
    samples: npt.NDArray[np.int16]


@dataclass
class DecodeStats:
    """The firmware's receive counters (struct vmon_sampling_stats), for a byte stream."""

    frames: int = 0
    bad_crc: int = 0
    bad_length: int = 0
    seq_gaps: int = 0
    seq_missing: int = 0
    sync_skipped: int = 0


def decode_frames(
    data: bytes, block_len: int | None = None, axes: int | None = None
) -> tuple[list[Frame], DecodeStats]:
    """Parse a byte stream with the firmware receiver's rules.

    A header that does not describe the expected block (``block_len``/``axes``; any when
    None) is a bad_length and hunting resumes at the byte after its sync word; a wrong CRC
    is a bad_crc and hunting resumes after the frame's declared end.
    """
    frames: list[Frame] = []
    stats = DecodeStats()
    pos = 0
    hunt_from = 0
    last_seq: int | None = None
    while True:
        start = data.find(SYNC, pos)
        if start < 0:
            break  # the receiver counts skipped bytes when it finds the next sync word
        if start + HEADER_SIZE > len(data):
            break  # incomplete header: the receiver would still be waiting
        version, n_axes, count, seq = _HEADER.unpack_from(data, start + len(SYNC))
        if (
            version != VERSION
            or n_axes not in SUPPORTED_AXES
            or count == 0
            or (axes is not None and n_axes != axes)
            or (block_len is not None and count != block_len)
        ):
            stats.bad_length += 1
            pos = start + 1
            continue
        end = start + frame_size(count, n_axes)
        if end > len(data):
            break
        stats.sync_skipped += start - hunt_from
        body = data[start + len(SYNC) : end - TRAILER_SIZE]
        (crc,) = _TRAILER.unpack_from(data, end - TRAILER_SIZE)
        pos = hunt_from = end
        if crc != crc32(body):
            stats.bad_crc += 1
            continue
        if last_seq is not None and seq != (last_seq + 1) % SEQ_MOD:
            stats.seq_gaps += 1
            ahead = (seq - last_seq - 1) % SEQ_MOD
            if ahead < SEQ_MOD // 2:
                stats.seq_missing += ahead
        last_seq = seq
        payload = np.frombuffer(body, dtype="<i2", offset=_HEADER.size).astype(np.int16)
        frames.append(Frame(seq, payload.reshape(count, n_axes)))
        stats.frames += 1
    return frames, stats


# -- QEMU with a second UART on a socket -------------------------------------------------


@dataclass(frozen=True)
class SourceFormat:
    """What the firmware's sampling source announced: ``started: ...`` in sampling.c."""

    source: str
    block_len: int
    axes: int
    fs_hz: int

    @classmethod
    def parse(cls, line: str) -> SourceFormat | None:
        m = STARTED.search(line)
        if m is None:
            return None
        return cls(m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))


@dataclass(frozen=True)
class Echo:
    """One line of the replay echo firmware: a block and the counters after it."""

    seq: int
    crc: int
    blocks: int
    overruns: int
    bad_crc: int
    bad_length: int
    seq_gaps: int
    seq_missing: int
    sync_skipped: int

    @classmethod
    def parse(cls, line: str) -> Echo | None:
        m = ECHO.search(line)
        if m is None:
            return None
        values = [int(v, 16 if i == 1 else 10) for i, v in enumerate(m.groups())]
        return cls(*values)


def _ninja_unescape(text: str) -> str:
    return re.sub(r"\$([$ :])", r"\1", text)


def build_qemu_command(build_dir: Path) -> list[str]:
    """The QEMU command line of ``west build -t run`` for a build (from its build.ninja)."""
    ninja = build_dir / "build.ninja"
    if not ninja.is_file():
        raise VmonError(f"no firmware build in {build_dir}; build it first (invoke build)")
    lines = ninja.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("build zephyr/CMakeFiles/run_qemu"):
            for cmd in lines[i + 1 : i + 8]:
                if cmd.startswith("  COMMAND = "):
                    text = _ninja_unescape(cmd.removeprefix("  COMMAND = "))
                    # "cd <build dir> && <qemu> <args>"
                    _, sep, qemu = text.partition(" && ")
                    return shlex.split(qemu if sep else text)
    raise VmonError(
        f"{build_dir} has no QEMU run target; build for a QEMU board "
        f"({', '.join(workspace.QEMU_BOARDS)})"
    )


def replay_uart_slot(build_dir: Path) -> int:
    """QEMU serial port index of the replay UART, from the build's devicetree.

    QEMU wires its n-th ``-serial`` to the machine's n-th UART of a kind, in address order,
    on both QEMU boards: the index of the chosen ``vmon,replay-uart`` among the UARTs with
    its compatible.
    """
    dts_file = build_dir / "zephyr" / "zephyr.dts"
    if not dts_file.is_file():
        raise VmonError(f"no devicetree in {build_dir}; build the firmware first")
    dts = dts_file.read_text()
    chosen = re.search(r"vmon,replay-uart = &(\w+);", dts)
    if chosen is None:
        raise VmonError(
            f"the firmware in {build_dir} has no replay UART (devicetree chosen "
            "vmon,replay-uart); build it with CONFIG_VMON_SAMPLING_SOURCE_REPLAY=y and the "
            "app/boards/<board>.overlay"
        )
    nodes = re.findall(
        r"^\s*(?:([\w]+): )?[\w,-]+@([0-9a-f]+) \{\n\s*compatible = \"([^\"]+)\"", dts, re.M
    )
    compat = {label: c for label, _, c in nodes if label}
    label = chosen.group(1)
    if label not in compat:
        raise VmonError(f"cannot find the node of the replay UART &{label} in {dts_file}")
    same = sorted(int(addr, 16) for _, addr, c in nodes if c == compat[label])
    address = next(int(a, 16) for lbl, a, _ in nodes if lbl == label)
    return same.index(address)


def qemu_option_groups(args: Sequence[str]) -> list[list[str]]:
    """QEMU options with their values: ``-serial chardev:con`` -> [["-serial", "chardev:con"]]."""
    groups: list[list[str]] = []
    for arg in args:
        if arg.startswith("-") or not groups:
            groups.append([arg])
        else:
            groups[-1].append(arg)
    return groups


def console_only(groups: list[list[str]]) -> list[list[str]]:
    """QEMU option groups without the pidfile and without every serial port but the first
    (the console), nor the chardevs those ports used (mps2/an521 adds uart1 on a pty)."""
    serials = [g for g in groups if g[0] == "-serial"]
    dropped_ids = {
        value.removeprefix("chardev:")
        for g in serials[1:]
        for value in g[1:]
        if value.startswith("chardev:")
    }

    def keep(g: list[str]) -> bool:
        if g[0] == "-pidfile" or (g[0] == "-serial" and g is not serials[0]):
            return False
        if g[0] == "-chardev" and len(g) > 1:
            ids = {p.removeprefix("id=") for p in g[1].split(",") if p.startswith("id=")}
            return not ids & dropped_ids
        return True

    return [g for g in groups if keep(g)]


def qemu_command(
    build_dir: Path, port: int, slot: int | None = None, icount: bool = True
) -> list[str]:
    """The build's QEMU command, with the replay UART on a TCP client of 127.0.0.1:``port``.

    The console stays on the first serial port (stdio); every other serial port the board
    adds (mps2/an521 puts uart1 on a pty) is replaced, ports before the replay UART get
    ``null``, and the pidfile is dropped. ``icount=False`` drops ``-icount`` and its
    ``-rtc clock=vm``: the guest then runs on the host's clock.
    """
    argv = build_qemu_command(build_dir)
    slot = replay_uart_slot(build_dir) if slot is None else slot
    if slot < 1:
        raise VmonError("the replay UART is the console's serial port; choose another UART")
    groups = console_only(qemu_option_groups(argv[1:]))
    if not any(g[0] == "-serial" for g in groups):
        raise VmonError(f"the QEMU command of {build_dir} has no console serial port")
    out = [argv[0]]
    console_serial = True
    for g in groups:
        if not icount and g[0] in ("-icount", "-rtc"):
            continue
        out += g
        if g[0] == "-serial" and console_serial:
            console_serial = False
            for _ in range(1, slot):
                out += ["-serial", "null"]
            out += [
                "-chardev",
                f"socket,id={_REPLAY_CHARDEV},host=127.0.0.1,port={port},server=off,nodelay=on",
                "-serial",
                f"chardev:{_REPLAY_CHARDEV}",
            ]
    return out


class ReplaySession:
    """A firmware build running in QEMU, its replay UART connected to this process.

    Use as a context manager; :meth:`send` streams frames, :meth:`lines` has the console.

    The host paces the replay by its clock, so by default the guest runs on the host's
    clock too (``icount=False``): with the build's ``-icount ...,sleep=off`` the guest's
    clock jumps ahead whenever it idles between frames, and the UART round trips per
    byte take about twice as long.
    """

    def __init__(
        self,
        build_dir: Path,
        *,
        echo: bool = False,
        boot_timeout: float = 30.0,
        icount: bool = False,
    ):
        self.build_dir = build_dir
        self.echo = echo
        self.icount = icount
        self.boot_timeout = boot_timeout
        self.format: SourceFormat | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: socket.socket | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._new_line = threading.Condition(self._lock)
        self._tail: deque[str] = deque(maxlen=15)

    def __enter__(self) -> ReplaySession:
        if self._proc is None:  # a session started by hand is entered as it is
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- console ------------------------------------------------------------------------

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def _reader(self, stream: Iterable[bytes]) -> None:
        for raw in stream:
            line = clean_console_line(raw.decode("utf-8", errors="replace"))
            with self._new_line:
                self._lines.append(line)
                self._tail.append(line)
                self._new_line.notify_all()
            if self.echo:
                console.print(line, markup=False, highlight=False, soft_wrap=True)

    def wait_for(self, pattern: re.Pattern[str], timeout: float, start: int = 0) -> str | None:
        """The first console line from index ``start`` on that matches, or None on timeout."""
        deadline = time.monotonic() + timeout
        index = start
        with self._new_line:
            while True:
                for line in self._lines[index:]:
                    if pattern.search(line):
                        return line
                index = len(self._lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self.running:
                    return None
                self._new_line.wait(min(left, 0.2))

    def send_console(self, text: str) -> None:
        """Type ``text`` on the console (a shell command: end it with a newline)."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise VmonError("replay session is not started")
        proc.stdin.write(text.encode())
        proc.stdin.flush()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _console_tail(self) -> str:
        with self._lock:
            tail = [line for line in self._tail if line]
        return " | ".join(tail[-5:]) or "(no console output)"

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> SourceFormat:
        """Boot the firmware, accept its replay UART, wait for the source to start."""
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            argv = qemu_command(self.build_dir, port, icount=self.icount)
            if not Path(argv[0]).is_file():
                workspace.require_tools()
            self._proc = subprocess.Popen(
                argv,
                cwd=self.build_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            assert self._proc.stdout is not None
            threading.Thread(target=self._reader, args=(self._proc.stdout,), daemon=True).start()
            server.settimeout(0.2)
            deadline = time.monotonic() + self.boot_timeout
            while self._conn is None:
                try:
                    self._conn, _ = server.accept()
                except TimeoutError:
                    if not self.running or time.monotonic() > deadline:
                        self.close()
                        raise VmonError(
                            f"QEMU did not connect the replay UART ({self._console_tail()})"
                        ) from None
        self._conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        line = self.wait_for(STARTED, self.boot_timeout)
        if line is None:
            tail = self._console_tail()
            self.close()
            raise VmonError(
                f"the firmware in {self.build_dir} did not start a sampling source within "
                f"{self.boot_timeout:.0f} s (console: {tail})"
            )
        fmt = SourceFormat.parse(line)
        assert fmt is not None
        if fmt.source != "replay":
            self.close()
            raise VmonError(
                f"the firmware samples from its {fmt.source} source; build it with "
                "CONFIG_VMON_SAMPLING_SOURCE_REPLAY=y to replay recordings"
            )
        self.format = fmt
        return fmt

    def send(self, frames: Sequence[bytes], period_s: float | None) -> float:
        """Send frames, frame k at k * ``period_s`` after the first (None: at once).

        Returns the monotonic time the first frame was sent.
        """
        if self._conn is None:
            raise VmonError("replay session is not started")
        t0 = time.monotonic()
        for k, frame in enumerate(frames):
            if period_s is not None:
                delay = t0 + k * period_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            try:
                self._conn.sendall(frame)
            except OSError as err:
                raise VmonError(
                    f"QEMU closed the replay UART after {k} frames ({self._console_tail()})"
                ) from err
        return t0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        proc = self._proc
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@dataclass
class ReplayResult:
    """What a replay sent and what the firmware printed."""

    format: SourceFormat
    lines: list[str]
    #: (seq, CRC-32 of the counts) of every frame sent.
    sent: list[tuple[int, int]]
    #: Seconds from the first frame sent to the last echo (or the end of sending).
    elapsed_s: float
    echoes: list[Echo] = field(default_factory=list)

    @property
    def blocks_per_s(self) -> float:
        n = len(self.echoes) or len(self.sent)
        return n / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def lost(self) -> list[int]:
        """Sequence numbers sent but not echoed."""
        echoed = {e.seq for e in self.echoes}
        return [seq for seq, _ in self.sent if seq not in echoed]

    @property
    def corrupted(self) -> list[int]:
        """Sequence numbers echoed with counts other than those sent."""
        sent = dict(self.sent)
        return [e.seq for e in self.echoes if e.seq in sent and sent[e.seq] != e.crc]


def replay_recording(
    board: str,
    counts: npt.ArrayLike,
    fs: float,
    *,
    build_dir: Path | None = None,
    realtime: bool = True,
    settle_s: float = 10.0,
    boot_timeout: float = 30.0,
    echo: bool = False,
    icount: bool = False,
) -> ReplayResult:
    """Stream a recording of int16 counts (n,) or (n, axes) into the firmware on QEMU.

    ``build_dir`` defaults to ``build/<board>`` (``invoke build``); the firmware must sample
    from the replay source with the recording's axes and rate. Blocks go out at the
    recording's rate ``fs`` (``realtime``) or as fast as the guest takes them. Returns once
    the last block is echoed, or ``settle_s`` after the last console line.
    """
    if board not in workspace.QEMU_BOARDS:
        raise VmonError(
            f"'{board}' is not a QEMU board; use one of {', '.join(workspace.QEMU_BOARDS)}"
        )
    bdir = build_dir or workspace.build_dir(board)
    if not (bdir / "zephyr" / "zephyr.elf").is_file():
        raise VmonError(f"no build for {board} in {bdir}; build the firmware first")
    arr = as_counts(counts)
    if fs <= 0:
        raise VmonError(f"sampling rate must be positive, got {fs}")
    with ReplaySession(bdir, echo=echo, boot_timeout=boot_timeout, icount=icount) as session:
        fmt = session.format
        assert fmt is not None
        if arr.shape[1] != fmt.axes:
            raise VmonError(
                f"the recording has {arr.shape[1]} axes but the firmware takes {fmt.axes}; "
                f"rebuild with CONFIG_VMON_SAMPLING_AXES={arr.shape[1]}"
            )
        if round(fs) != fmt.fs_hz:
            raise VmonError(
                f"the recording is sampled at {fs:g} Hz but the firmware at {fmt.fs_hz} Hz; "
                f"resample it or rebuild with CONFIG_VMON_SAMPLING_RATE_HZ={round(fs)}"
            )
        blocks = split_blocks(arr, fmt.block_len)
        if len(blocks) == 0:
            raise VmonError(
                f"the recording ({arr.shape[0]} samples) is shorter than one "
                f"{fmt.block_len}-sample block"
            )
        frames = [encode_frame(i, b) for i, b in enumerate(blocks)]
        sent = [(i, block_crc(b)) for i, b in enumerate(blocks)]
        first_line = len(session.lines())
        t0 = session.send(frames, fmt.block_len / fs if realtime else None)
        last_seq = len(frames) - 1
        done_at = time.monotonic()
        scanned = first_line
        while session.running:
            lines = session.lines()
            new = [Echo.parse(line) for line in lines[scanned:]]
            if scanned < len(lines):
                scanned, done_at = len(lines), time.monotonic()
            if any(e is not None and e.seq == last_seq for e in new):
                break
            if time.monotonic() - done_at > settle_s:
                break
            time.sleep(0.02)
        lines = session.lines()
    echoes = [e for e in (Echo.parse(line) for line in lines[first_line:]) if e is not None]
    return ReplayResult(fmt, lines, sent, max(done_at - t0, 1e-9), echoes)


def build_replay_echo(board: str, axes: int, fs_hz: int, pristine: bool = False) -> Path:
    """Build the replay echo firmware for ``board``, ``axes`` and ``fs_hz``; its build dir."""
    if axes not in SUPPORTED_AXES:
        raise VmonError(f"axes must be 1 or 3, got {axes}")
    ws = workspace.require_workspace()
    workspace.require_tools()
    env = workspace.build_env(ws)
    bdir = REPO_ROOT / "build" / "replay-echo" / f"{board.replace('/', '_')}-{fs_hz}x{axes}"
    cmd = [sys.executable, "-m", "west", "build", "-b", board, "-d", str(bdir), str(ECHO_APP)]
    if pristine:
        cmd += ["-p", "always"]
    cmd += [
        "--",
        *workspace.cmake_args(env),
        f"-DCONFIG_VMON_SAMPLING_AXES={axes}",
        f"-DCONFIG_VMON_SAMPLING_RATE_HZ={fs_hz}",
    ]
    log = bdir.parent / f"{bdir.name}.build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        code = subprocess.call(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if code != 0 or not (bdir / "zephyr" / "zephyr.elf").is_file():
        raise VmonError(
            f"building the replay echo firmware for {board} failed (exit {code}); "
            f"log in {log.relative_to(REPO_ROOT)}"
        )
    return bdir
