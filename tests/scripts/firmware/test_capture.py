"""`invoke capture` (vmon.firmware.capture): the node's capture lines into the shared format.

The lines here are written as the node's capture module writes them (app/src/modules/capture);
the firmware itself is checked end to end in test_capture_e2e.py (QEMU, replayed blocks
captured back bit for bit).
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from vmon.data import format as dsformat
from vmon.errors import VmonError
from vmon.firmware import capture
from vmon.paths import resolve_data_dir

FMT = {"fs": 12000, "axes": 1, "len": 512, "part": 128, "axis": 0, "full_scale_mg": 16000}


def header(blocks: int, **over: int) -> str:
    return "@vmon capture " + json.dumps({"blocks": blocks, **FMT, **over}, separators=(",", ":"))


def raw_lines(seq: int, counts: np.ndarray, part: int = 128) -> list[str]:
    data = counts.astype("<i2").tobytes()
    out = []
    for k, off in enumerate(range(0, len(data), 2 * part)):
        chunk = data[off : off + 2 * part]
        obj = {
            "seq": seq,
            "p": k,
            "n": len(chunk) // 2,
            "crc": f"{zlib.crc32(chunk):08x}",
            "d": base64.b64encode(chunk).decode(),
        }
        out.append("@vmon raw " + json.dumps(obj, separators=(",", ":")))
    return out


def node_output(blocks: np.ndarray, first_seq: int = 40) -> list[str]:
    lines = [header(len(blocks)), "uart:~$ "]
    for i, b in enumerate(blocks):
        lines += raw_lines(first_seq + i, b)
    lines.append("@vmon capture " + json.dumps({"done": len(blocks), "gaps": 0}))
    return lines


@pytest.fixture
def blocks() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(-32768, 32767, size=(6, 512), endpoint=True).astype(np.int16)


LABELS = capture.Labels("normal", "pump 3", rpm=1480.0, load_hp=2.0)


def test_blocks_come_back_bit_for_bit(blocks: np.ndarray) -> None:
    cap = capture.parse(node_output(blocks))
    assert cap.fmt is not None and cap.fmt.parts == 4 and cap.bad_lines == 0
    assert sorted(cap.blocks) == list(range(40, 46))
    [(first, counts)] = cap.runs()
    assert first == 40 and np.array_equal(counts[:, 0], blocks.reshape(-1))
    assert cap.done == {"done": 6, "gaps": 0}


def test_recordings_are_in_g_with_the_users_labels(blocks: np.ndarray, tmp_path: Path) -> None:
    cap = capture.parse(node_output(blocks))
    [rec] = capture.to_recordings(cap, LABELS, "/dev/ttyACM0", stamp="20261207T000000Z")
    assert rec.recording_id == "pump-3_normal_20261207T000000Z"
    assert (rec.fs_hz, rec.label, rec.rpm, rec.load_hp, rec.fault_size_in) == (
        12000.0,
        "normal",
        1480.0,
        2.0,
        0.0,
    )
    # 32768 counts = the feature pipeline's full scale (16 g here).
    want = (blocks.reshape(-1).astype(np.float64) * 16.0 / 32768).astype(np.float32)
    assert rec.signal.dtype == np.float32 and np.array_equal(rec.signal, want)
    out = tmp_path / "mine.npz"
    capture.write([rec], out, append=False, meta={"source": "test"})
    ds = dsformat.load_dataset(out)
    assert ds.ids() == [rec.recording_id] and np.array_equal(ds.recordings[0].signal, want)
    assert ds.meta["captures"] == [{"source": "test"}]
    # The shared data's own checker takes it (format invariants and provenance fields).
    data_dir = resolve_data_dir(None)
    checker = data_dir / "check_dataset.py" if data_dir is not None else None
    if checker is not None and checker.is_file():
        done = subprocess.run([sys.executable, str(checker), str(out)], capture_output=True)
        assert done.returncode == 0, done.stdout.decode()[-2000:]


def test_a_bad_crc_loses_its_block_and_breaks_the_recording(blocks: np.ndarray) -> None:
    lines = node_output(blocks)
    i = next(i for i, ln in enumerate(lines) if '"seq":42,"p":2' in ln)
    obj = json.loads(lines[i].removeprefix("@vmon raw "))
    data = bytearray(base64.b64decode(obj["d"]))
    data[5] ^= 0x10  # one bit flipped on the way, CRC as sent
    obj["d"] = base64.b64encode(bytes(data)).decode()
    lines[i] = "@vmon raw " + json.dumps(obj)
    cap = capture.parse(lines)
    assert cap.bad_lines == 1 and cap.incomplete == 1 and 42 not in cap.blocks
    with pytest.raises(VmonError, match=r"1 break\(s\) in the captured blocks \(1 block\(s\) lost"):
        capture.to_recordings(cap, LABELS, "p")
    recs = capture.to_recordings(cap, LABELS, "p", allow_gaps=True, stamp="s")
    assert [r.recording_id for r in recs] == ["pump-3_normal_s_r0", "pump-3_normal_s_r1"]
    assert [r.n_samples for r in recs] == [2 * 512, 3 * 512]
    assert recs[1].source_file == "capture:p seq 43+3"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda ln: ln[:-5],  # cut short: no JSON
        lambda ln: ln.replace('"d":"', '"d":"!!'),  # not base64
        lambda ln: ln.replace('"n":128', '"n":127'),  # length disagrees
        lambda ln: ln.replace('"p":1', '"p":9'),  # no such part
        lambda ln: ln.replace('"crc":"', '"crc":"zz'),  # not hex
    ],
)
def test_garbled_lines_are_counted_never_taken(blocks: np.ndarray, mangle: object) -> None:
    lines = node_output(blocks[:2])
    i = next(i for i, ln in enumerate(lines) if '"seq":41,"p":1' in ln)
    lines[i] = mangle(lines[i])  # type: ignore[operator]
    cap = capture.parse(lines)
    assert cap.bad_lines == 1 and sorted(cap.blocks) == [40]


def test_multi_axis_node_keeps_the_chosen_axis() -> None:
    counts = np.arange(3 * 64, dtype=np.int16).reshape(64, 3)  # interleaved x, y, z
    lines = [header(1, axes=3, len=64, part=128, axis=2)]
    lines += raw_lines(0, counts.reshape(-1), part=128)
    cap = capture.parse(lines)
    assert cap.fmt is not None and cap.fmt.parts == 2
    [rec] = capture.to_recordings(cap, LABELS, "p", stamp="s")
    assert np.array_equal(rec.signal * 2048, counts[:, 2].astype(np.float32))  # 16 g / 32768
    x = capture.to_recordings(cap, capture.Labels("normal", "m", axis=0), "p", stamp="s")
    assert np.array_equal(x[0].signal * 2048, counts[:, 0].astype(np.float32))
    with pytest.raises(VmonError, match="--axis 3: the node samples 3"):
        capture.to_recordings(cap, capture.Labels("normal", "m", axis=3), "p")


def test_bad_user_input_is_one_line(blocks: np.ndarray) -> None:
    cap = capture.parse(node_output(blocks[:1]))
    for labels, message in [
        (capture.Labels("broken", "m"), "--label 'broken'"),
        (capture.Labels("normal", " / "), "--machine must name something"),
        (capture.Labels("normal", "m", rpm=-3), "--rpm -3"),
        (capture.Labels("normal", "m", load_hp=math.inf), "--load-hp inf"),
    ]:
        with pytest.raises(VmonError, match=message) as err:
            capture.to_recordings(cap, labels, "p")
        assert "\n" not in str(err.value)
    with pytest.raises(VmonError, match="no capture header from p"):
        capture.to_recordings(capture.parse(raw_lines(0, blocks[0])), LABELS, "p")
    with pytest.raises(VmonError, match="no complete block"):
        capture.to_recordings(capture.parse([header(3)]), LABELS, "p")
    with pytest.raises(VmonError, match="malformed capture header"):
        capture.parse(['@vmon capture {"blocks":1,"fs":12000}'])
    with pytest.raises(VmonError, match="second capture"):
        capture.parse([header(1), header(1)])
    info = capture.parse([header(0)])  # `vmon capture info` arms nothing
    assert info.fmt is None


def test_nothing_is_lost_when_writing(blocks: np.ndarray, tmp_path: Path) -> None:
    out = tmp_path / "mine.npz"
    first = capture.to_recordings(capture.parse(node_output(blocks[:2])), LABELS, "p", stamp="a")
    capture.write(first, out, append=False, meta={"n": 1})
    with pytest.raises(VmonError, match="exists: --append"):
        capture.write(first, out, append=False, meta={})
    with pytest.raises(VmonError, match="already holds pump-3_normal_a"):
        capture.write(first, out, append=True, meta={})
    faulty = capture.Labels("outer_race", "pump 3")
    second = capture.to_recordings(capture.parse(node_output(blocks[2:])), faulty, "p", stamp="b")
    capture.write(second, out, append=True, meta={"n": 2})
    ds = dsformat.load_dataset(out)
    assert ds.ids() == ["pump-3_normal_a", "pump-3_outer_race_b"]
    assert math.isnan(ds.recordings[1].fault_size_in) and ds.recordings[0].fault_size_in == 0
    assert ds.meta["captures"] == [{"n": 1}, {"n": 2}]
    assert np.array_equal(ds.recordings[0].signal, first[0].signal)


def test_console_session_asks_the_format_then_exactly_enough_blocks(blocks: np.ndarray) -> None:
    """capture_console against a scripted node: info, then the block count for the seconds."""
    sent: list[str] = []
    pending: list[str] = []

    def send(text: str) -> None:
        sent.append(text)
        if text.startswith("vmon capture info"):
            pending.append(header(0))
        elif text.startswith("vmon capture "):
            n = int(text.split()[2])
            pending.extend(node_output(blocks[:n], first_seq=0))

    def next_line(_wait: float) -> str | None:
        return pending.pop(0) if pending else None

    starts: list[int] = []
    cap = capture.capture_console(send, next_line, 0.2, on_start=starts.append, timeout_s=0.5)
    # 0.2 s at 12 kHz in 512-sample blocks: 5 blocks.
    assert sent == ["vmon capture info\n", "vmon capture 5\n"] and starts == [5]
    assert sorted(cap.blocks) == list(range(5)) and cap.done is not None

    silent: list[str] = []
    with pytest.raises(VmonError, match="no answer to `vmon capture info`"):
        capture.node_format(silent.append, lambda _w: None, timeout_s=0.3)


def test_serial_capture_over_a_pty_with_lines_split_in_transit(blocks: np.ndarray) -> None:
    """capture_serial on a pseudo-terminal: the scripted node answers the commands, and
    writes its lines in small pieces with pauses (as a slow UART does)."""
    import os
    import threading
    import time
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    done = threading.Event()

    def node() -> None:
        buf = b""
        while not done.is_set():
            try:
                buf += os.read(master, 256)
            except OSError:
                return
            while b"\n" in buf:
                cmd, buf = buf.split(b"\n", 1)
                text = cmd.decode().strip()
                if text == "vmon capture info":
                    out = [header(0)]
                elif text.startswith("vmon capture ") and text.split()[2].isdigit():
                    out = node_output(blocks[: int(text.split()[2])], first_seq=0)
                else:
                    continue
                data = "".join(ln + "\n" for ln in out).encode()
                for i in range(0, len(data), 700):  # pieces that end mid-line
                    os.write(master, data[i : i + 700])
                    # Once longer than the port's read timeout, mid-line.
                    time.sleep(0.3 if i == 1400 else 0.01)

    t = threading.Thread(target=node, daemon=True)
    t.start()
    try:
        cap = capture.capture_serial(port, 0.2)
    finally:
        done.set()
        os.close(master)
        os.close(slave)
    assert cap.bad_lines == 0 and cap.done is not None
    [(first, counts)] = cap.runs()
    assert first == 0 and np.array_equal(counts[:, 0], blocks[:5].reshape(-1))
