"""Replay frames, the QEMU command with a second UART, and the replay session.

The fast tests run a fake QEMU (a Python script speaking the frame format) so the session
logic is covered without a Zephyr workspace; the ``firmware`` tests replay into the real
echo firmware on both QEMU boards.
"""

from __future__ import annotations

import re
import struct
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from vmon.errors import VmonError
from vmon.firmware import replay, workspace

# -- CRC ---------------------------------------------------------------------------------


def crc32_bitwise(data: bytes, crc: int = 0) -> int:
    """CRC-32/ISO-HDLC, bit by bit from its definition (reflected 0x04C11DB7)."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


ZEPHYR_NIBBLE_TABLE = (
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158,
    0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4,
    0xA00AE278, 0xBDBDF21C,
)  # fmt: skip


def crc32_zephyr(data: bytes, crc: int = 0) -> int:
    """Zephyr's crc32_ieee_update() (lib/crc/crc32_sw.c), transcribed: the firmware's CRC."""
    crc = ~crc & 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 4) ^ ZEPHYR_NIBBLE_TABLE[(crc ^ byte) & 0x0F]
        crc = (crc >> 4) ^ ZEPHYR_NIBBLE_TABLE[(crc ^ (byte >> 4)) & 0x0F]
    return ~crc & 0xFFFFFFFF


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0x00000000),
        (b"a", 0xE8B7BE43),
        (b"123456789", 0xCBF43926),  # the CRC catalogue's check value for CRC-32/ISO-HDLC
        (b"The quick brown fox jumps over the lazy dog", 0x414FA339),
        (bytes(32), 0x190A55AD),
        (b"\xff" * 32, 0xFF6CAB0B),
    ],
)
def test_crc32_known_vectors(data: bytes, expected: int) -> None:
    assert replay.crc32(data) == expected
    assert crc32_bitwise(data) == expected
    assert crc32_zephyr(data) == expected


def test_crc32_chains_like_the_firmware() -> None:
    # The firmware updates the CRC chunk by chunk as bytes arrive.
    data = bytes(range(256)) * 5
    crc = 0
    for i in range(0, len(data), 37):
        crc = crc32_zephyr(data[i : i + 37], crc)
    assert crc == replay.crc32(data) == crc32_bitwise(data)


# -- frames ------------------------------------------------------------------------------


def test_frame_layout() -> None:
    frame = replay.encode_frame(0x01020304, np.array([1, -2, 0x1234], dtype=np.int16))
    assert frame[:10] == bytes([0xA5, 0x5A, 1, 1, 3, 0, 4, 3, 2, 1])
    assert frame[10:16] == bytes([0x01, 0x00, 0xFE, 0xFF, 0x34, 0x12])
    assert frame[16:] == struct.pack("<I", crc32_bitwise(frame[2:16]))
    assert len(frame) == replay.frame_size(3, 1) == 20


def test_three_axes_interleaved() -> None:
    samples = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int16)
    frame = replay.encode_frame(7, samples)
    assert frame[3] == 3 and struct.unpack_from("<H", frame, 4) == (2,)
    assert struct.unpack_from("<6h", frame, 10) == (1, 2, 3, 4, 5, 6)


def test_seq_wraps_at_32_bits() -> None:
    frame = replay.encode_frame(2**32 + 5, np.zeros(4, dtype=np.int16))
    assert struct.unpack_from("<I", frame, 6) == (5,)


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.zeros(4, dtype=np.float32), "must be int16 counts"),
        (np.zeros((4, 2), dtype=np.int16), r"shape \(n,\) or \(n, 1\|3\)"),
        (np.zeros(0, dtype=np.int16), "1..65535 sample instants"),
        (np.zeros(65536, dtype=np.int16), "1..65535 sample instants"),
    ],
)
def test_bad_samples_are_one_line_errors(samples: np.ndarray, message: str) -> None:
    with pytest.raises(VmonError, match=message):
        replay.encode_frame(0, samples)


def test_recording_is_split_into_whole_blocks() -> None:
    counts = np.arange(1000 * 3, dtype=np.int16).reshape(1000, 3)
    blocks = replay.split_blocks(counts, 256)
    assert blocks.shape == (3, 256, 3)
    frames = replay.encode_recording(counts, 256, first_seq=10)
    decoded, stats = replay.decode_frames(b"".join(frames), block_len=256, axes=3)
    assert [f.seq for f in decoded] == [10, 11, 12]
    assert all(np.array_equal(f.samples, b) for f, b in zip(decoded, blocks, strict=True))
    assert stats == replay.DecodeStats(frames=3)
    # The CRC the echo firmware prints: the counts as the device holds them.
    assert replay.block_crc(blocks[1]) == crc32_bitwise(counts[256:512].astype("<i2").tobytes())


def frames_of(*seqs: int, n: int = 64) -> list[bytes]:
    return [
        replay.encode_frame(s, (np.arange(n) * 31 + s * 977 - 1000).astype(np.int16)) for s in seqs
    ]


def test_decoder_counts_like_the_firmware() -> None:
    f = frames_of(0, 1, 2, 3, 7)
    bad_crc = bytearray(f[1])
    bad_crc[20] ^= 0x10
    bad_len = replay.encode_frame(99, np.zeros(32, dtype=np.int16))
    garbage = bytes([1, 2, 3, 0xA5])
    stream = garbage + f[0] + bytes(bad_crc) + bad_len + f[2] + f[3] + f[4]
    frames, stats = replay.decode_frames(stream, block_len=64, axes=1)
    assert [fr.seq for fr in frames] == [0, 2, 3, 7]
    assert stats == replay.DecodeStats(
        frames=4,
        bad_crc=1,
        bad_length=1,
        seq_gaps=2,
        seq_missing=4,
        sync_skipped=len(garbage) + len(bad_len),
    )


def test_decoder_survives_random_corruption() -> None:
    rng = np.random.default_rng(3)
    good = frames_of(*range(40))
    stream = bytearray(b"".join(good))
    for pos in rng.integers(0, len(stream), size=60):
        stream[pos] = int(rng.integers(0, 256))
    frames, stats = replay.decode_frames(bytes(stream), block_len=64, axes=1)
    originals = {s: replay.decode_frames(g)[0][0].samples for s, g in enumerate(good)}
    assert 0 < len(frames) < 40
    assert stats.bad_crc + stats.bad_length > 0
    for fr in frames:  # whatever got through is exactly what was sent
        assert np.array_equal(fr.samples, originals[fr.seq])


def test_echo_and_started_lines_parse() -> None:
    line = (
        "echo seq=12 crc=8ab3cedd blocks=13 overruns=0 bad_crc=1 bad_length=2 seq_gaps=3 "
        "seq_missing=4 sync_skipped=5"
    )
    assert replay.Echo.parse(line) == replay.Echo(12, 0x8AB3CEDD, 13, 0, 1, 2, 3, 4, 5)
    assert replay.Echo.parse("uart:~$ nothing") is None
    started = (
        "[00:00:00.010,000] <inf> vmon_sampling: started: replay source, "
        "512 x 3-axis blocks at 6400 Hz"
    )
    assert replay.SourceFormat.parse(started) == replay.SourceFormat("replay", 512, 3, 6400)


# -- the QEMU command --------------------------------------------------------------------

M3_COMMAND = (
    "cd {bdir} && /usr/bin/qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic "
    "-vga none -net none -pidfile qemu.pid -chardev stdio,id=con,mux=on -serial chardev:con "
    "-mon chardev=con,mode=readline -icount shift=6,align=off,sleep=off -rtc clock=vm "
    "-kernel {bdir}/zephyr/zephyr.elf"
)
AN521_COMMAND = (
    "cd {bdir} && /usr/bin/qemu-system-arm -cpu cortex-m33 -machine mps2-an521 -nographic "
    "-m 16 -vga none -net none -pidfile qemu.pid -chardev stdio,id=con,mux=on "
    "-serial chardev:con -mon chardev=con,mode=readline -icount shift=7,align=off,sleep=off "
    "-rtc clock=vm -chardev pty,id=hostS0 -serial chardev:hostS0 "
    "-device loader,file={bdir}/zephyr/zephyr.elf -device loader,file={bdir}/cpu0/zephyr.elf"
)
M3_DTS = """\
/ {
	chosen {
		zephyr,console = &uart0;
		vmon,replay-uart = &{label};
	};
	soc {
		uart0: uart@4000c000 {
			compatible = "ti,stellaris-uart";
		};
		uart2: uart@4000e000 {
			compatible = "ti,stellaris-uart";
		};
		uart1: uart@4000d000 {
			compatible = "ti,stellaris-uart";
		};
		eth: ethernet@40048000 {
			compatible = "ti,stellaris-ethernet";
		};
	};
};
"""


def fake_build(root: Path, command: str, dts: str | None, label: str = "uart1") -> Path:
    bdir = root / "build"
    (bdir / "zephyr").mkdir(parents=True)
    (bdir / "zephyr" / "zephyr.elf").write_bytes(b"\x7fELF")
    (bdir / "build.ninja").write_text(
        "build zephyr/CMakeFiles/run_qemu | ${cmake_ninja_workdir}zephyr/CMakeFiles/run_qemu: "
        "CUSTOM_COMMAND zephyr/zephyr.elf\n"
        f"  COMMAND = {command.format(bdir=bdir)}\n"
        "  DESC = [QEMU] CPU: cortex-m3\n  pool = console\n"
    )
    if dts is not None:
        (bdir / "zephyr" / "zephyr.dts").write_text(dts.replace("{label}", label))
    return bdir


def test_qemu_command_cortex_m3(tmp_path: Path) -> None:
    bdir = fake_build(tmp_path, M3_COMMAND, M3_DTS)
    assert replay.replay_uart_slot(bdir) == 1
    argv = replay.qemu_command(bdir, 4321)
    text = " ".join(argv)
    assert argv[0] == "/usr/bin/qemu-system-arm"
    assert "-pidfile" not in argv
    assert (
        "-serial chardev:con -chardev socket,id=vmon_replay,host=127.0.0.1,port=4321,"
        "server=off,nodelay=on -serial chardev:vmon_replay" in text
    )
    assert text.endswith(f"-kernel {bdir}/zephyr/zephyr.elf")
    assert "-icount shift=6,align=off,sleep=off" in text


def test_qemu_command_replaces_the_an521_pty(tmp_path: Path) -> None:
    bdir = fake_build(tmp_path, AN521_COMMAND, None)
    argv = replay.qemu_command(bdir, 5000, slot=1)
    text = " ".join(argv)
    assert "hostS0" not in text and "pty" not in text
    assert argv.count("-serial") == 2
    assert text.count("-device loader,file=") == 2


def test_qemu_command_fills_ports_before_the_replay_uart(tmp_path: Path) -> None:
    bdir = fake_build(tmp_path, M3_COMMAND, M3_DTS, label="uart2")
    assert replay.replay_uart_slot(bdir) == 2
    text = " ".join(replay.qemu_command(bdir, 1))
    assert "-serial chardev:con -serial null -chardev socket" in text


def test_qemu_command_without_icount(tmp_path: Path) -> None:
    bdir = fake_build(tmp_path, M3_COMMAND, M3_DTS)
    argv = replay.qemu_command(bdir, 1, icount=False)
    assert "-icount" not in argv and "-rtc" not in argv


def test_build_without_replay_uart_is_one_line(tmp_path: Path) -> None:
    bdir = fake_build(tmp_path, M3_COMMAND, "/ {\n\tchosen {\n\t};\n};\n")
    with pytest.raises(VmonError, match="has no replay UART"):
        replay.qemu_command(bdir, 1)
    with pytest.raises(VmonError, match="is not a QEMU board"):
        replay.replay_recording("nrf52840dk/nrf52840", np.zeros(8, np.int16), 12_800.0)
    with pytest.raises(VmonError, match="no build for qemu_cortex_m3"):
        replay.replay_recording(
            "qemu_cortex_m3", np.zeros(8, np.int16), 12_800.0, build_dir=tmp_path / "none"
        )


# -- a replay session against a fake QEMU ------------------------------------------------

FAKE_QEMU = textwrap.dedent(
    """
    import socket, struct, sys, zlib
    spec = next(a for a in sys.argv if a.startswith("socket,id=vmon_replay"))
    opts = dict(p.split("=", 1) for p in spec.split(",")[1:])
    conn = socket.create_connection((opts["host"], int(opts["port"])))
    block, axes, fs = {block}, {axes}, {fs}
    print(f"<inf> vmon_sampling: started: replay source, {{block}} x {{axes}}-axis blocks "
          f"at {{fs}} Hz", flush=True)
    size = 10 + 2 * block * axes + 4
    buf, n = b"", 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= size:
            frame, buf = buf[:size], buf[size:]
            seq, = struct.unpack_from("<I", frame, 6)
            ok = zlib.crc32(frame[2:-4]) == struct.unpack_from("<I", frame, size - 4)[0]
            n += ok
            print(f"echo seq={{seq}} crc={{zlib.crc32(frame[10:-4]):08x}} blocks={{n}} "
                  f"overruns=0 bad_crc={{int(not ok)}} bad_length=0 seq_gaps=0 "
                  f"seq_missing=0 sync_skipped=0", flush=True)
    """
)


def fake_qemu_build(tmp_path: Path, block: int = 64, axes: int = 1, fs: int = 6400) -> Path:
    script = tmp_path / "fake_qemu.py"
    script.write_text(FAKE_QEMU.format(block=block, axes=axes, fs=fs))
    command = M3_COMMAND.replace("/usr/bin/qemu-system-arm", f"{sys.executable} {script}")
    return fake_build(tmp_path, command, M3_DTS)


def test_replay_session_streams_at_the_sampling_rate(tmp_path: Path) -> None:
    bdir = fake_qemu_build(tmp_path, block=64, axes=3, fs=6400)
    counts = np.random.default_rng(0).integers(-32768, 32767, (64 * 20 + 5, 3), dtype=np.int16)
    result = replay.replay_recording("qemu_cortex_m3", counts, 6400.0, build_dir=bdir)
    assert result.format == replay.SourceFormat("replay", 64, 3, 6400)
    assert [e.seq for e in result.echoes] == list(range(20))
    assert result.lost == [] and result.corrupted == []
    assert result.echoes[-1].blocks == 20
    # Wall-clock throughput is `invoke bench --suite replay`'s target; the pacing itself is
    # checked on a fake clock below.


class FakeClock:
    """time.monotonic/time.sleep for replay.send: sleeping advances the clock exactly."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


class RecordingConn:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent_at: list[tuple[float, bytes]] = []

    def sendall(self, frame: bytes) -> None:
        self.sent_at.append((self.clock.now, frame))
        self.clock.now += 0.001  # the send itself takes time: pacing must not drift by it


def test_send_paces_frame_k_at_k_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(replay.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(replay.time, "sleep", clock.sleep)
    session = replay.ReplaySession.__new__(replay.ReplaySession)
    conn = RecordingConn(clock)
    session._conn = conn  # type: ignore[assignment]
    frames = [bytes([k]) for k in range(20)]
    t0 = session.send(frames, 0.01)
    assert t0 == 100.0
    assert [f for _, f in conn.sent_at] == frames
    assert [round(t - t0, 9) for t, _ in conn.sent_at] == [round(k * 0.01, 9) for k in range(20)]
    # At once when not paced: no sleep at all.
    clock.sleeps.clear()
    session.send(frames, None)
    assert clock.sleeps == []


def test_replay_refuses_a_recording_the_firmware_cannot_take(tmp_path: Path) -> None:
    bdir = fake_qemu_build(tmp_path, block=64, axes=1, fs=6400)
    three_axes = np.zeros((640, 3), dtype=np.int16)
    with pytest.raises(VmonError, match="has 3 axes but the firmware takes 1"):
        replay.replay_recording("qemu_cortex_m3", three_axes, 6400.0, build_dir=bdir)
    with pytest.raises(VmonError, match="sampled at 12000 Hz but the firmware at 6400 Hz"):
        replay.replay_recording("qemu_cortex_m3", np.zeros(640, np.int16), 12000.0, build_dir=bdir)
    with pytest.raises(VmonError, match="shorter than one 64-sample block"):
        replay.replay_recording("qemu_cortex_m3", np.zeros(63, np.int16), 6400.0, build_dir=bdir)


# -- the real firmware on QEMU ------------------------------------------------------------


def firmware_or_skip(what: str = "firmware replay test") -> None:
    """Skip with one line saying why when there is no workspace or toolchain."""
    if workspace.find_workspace() is None:
        pytest.skip(f"{what} skipped: {workspace.NO_WORKSPACE}")
    missing = workspace.missing_tools()
    if missing:
        pytest.skip(f"{what} skipped: missing {', '.join(missing)}")


@pytest.mark.firmware
@pytest.mark.slow
@pytest.mark.parametrize("board", workspace.QEMU_BOARDS)
@pytest.mark.parametrize(("fs", "axes", "n_blocks"), [(12_800, 1, 40), (6_400, 3, 20)])
def test_replay_into_firmware_loses_nothing(
    board: str, fs: int, axes: int, n_blocks: int, record_property: pytest.RecordProperty
) -> None:
    firmware_or_skip()
    bdir = replay.build_replay_echo(board, axes=axes, fs_hz=fs)
    rng = np.random.default_rng(fs + axes)
    # Full-range counts: the payload is full of bytes that look like sync words.
    counts = rng.integers(-32768, 32767, (n_blocks * 512, axes), dtype=np.int16)
    result = replay.replay_recording(board, counts, float(fs), build_dir=bdir)
    record_property("blocks_per_s", round(result.blocks_per_s, 2))
    print(
        f"{board} {fs} Hz x{axes}: {len(result.echoes)}/{n_blocks} blocks in "
        f"{result.elapsed_s:.2f} s ({result.blocks_per_s:.1f} blocks/s, nominal "
        f"{fs / 512:.1f})"
    )
    assert result.format == replay.SourceFormat("replay", 512, axes, fs)
    assert result.lost == [], f"blocks lost: {result.lost}"
    assert result.corrupted == []
    assert [e.seq for e in result.echoes] == list(range(n_blocks))
    last = result.echoes[-1]
    assert (last.blocks, last.overruns, last.bad_crc, last.bad_length) == (n_blocks, 0, 0, 0)
    assert (last.seq_gaps, last.seq_missing, last.sync_skipped) == (0, 0, 0)


def test_no_workspace_skips_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match=re.escape(workspace.NO_WORKSPACE)):
        firmware_or_skip()
