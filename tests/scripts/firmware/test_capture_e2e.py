"""`vmon capture` on the running application (QEMU): blocks replayed in come back bit for bit.

The application's replay build (the one test_app_e2e.py uses) takes blocks of known counts
over its replay UART; the capture module prints the blocks its processing takes; the host's
parser (vmon.firmware.capture) must return exactly the counts that were sent, without a gap,
and the recording in g must be those counts times the full scale. The shell refuses a bad
request with one line.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_replay import firmware_or_skip

from vmon.firmware import build as firmware
from vmon.firmware import capture, replay

BOARD = "qemu_cortex_m3"
N_FRAMES = 24
N_CAPTURE = 16


@pytest.mark.firmware
@pytest.mark.slow
def test_replayed_blocks_are_captured_bit_for_bit() -> None:
    firmware_or_skip("capture end-to-end test")
    bdir = firmware.build(BOARD, replay=True).parents[1]
    rng = np.random.default_rng(18)
    with replay.ReplaySession(bdir) as session:
        fmt = session.format
        assert fmt is not None and fmt.axes == 1
        counts = rng.integers(-20000, 20000, size=(N_FRAMES, fmt.block_len)).astype(np.int16)

        session.send_console("vmon capture 0\n")
        assert session.wait_for(re.compile(r"capture <blocks 1\.\.\d+> or capture stop"), 10)
        session.send_console("vmon capture info\n")
        assert session.wait_for(re.compile(r'@vmon capture \{"blocks":0,'), 10)
        session.send_console(f"vmon capture {N_CAPTURE}\n")
        assert session.wait_for(re.compile(rf'@vmon capture \{{"blocks":{N_CAPTURE},'), 10)
        frames = [replay.encode_frame(seq, block) for seq, block in enumerate(counts)]
        session.send(frames, fmt.block_len / fmt.fs_hz)
        done = session.wait_for(re.compile(r'@vmon capture \{"done"'), 60)
        lines = session.lines()
    assert done is not None, "\n".join(lines[-20:])

    cap = capture.parse(lines)
    assert cap.fmt is not None and (cap.fmt.fs_hz, cap.fmt.block_len) == (fmt.fs_hz, fmt.block_len)
    assert cap.bad_lines == 0 and cap.incomplete == 0
    assert cap.done == {"done": N_CAPTURE, "gaps": 0}
    [(first, got)] = cap.runs()
    assert len(got) == N_CAPTURE * fmt.block_len
    # Exactly the counts sent for those sequence numbers: nothing scaled, shifted or lost.
    want = counts[first : first + N_CAPTURE].reshape(-1)
    assert np.array_equal(got[:, 0], want)

    [rec] = capture.to_recordings(cap, capture.Labels("normal", "qemu"), "qemu", stamp="t")
    g = cap.fmt.full_scale_mg / 1000 / 32768
    assert np.array_equal(rec.signal, (want.astype(np.float64) * g).astype(np.float32))
    assert rec.fs_hz == fmt.fs_hz
