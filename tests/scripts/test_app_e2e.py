"""The application end to end on QEMU: held-out CWRU recordings replayed over the UART.

The device's per-window scores must equal the tooling's (CMSIS-DSP features, quantization,
TFLM interpreter) byte for byte, its macro-F1 must equal the tooling's on the same windows,
no window may be lost, and commissioning must work: a baseline learned on normal data makes
faulty data novel and leaves normal data alone.

The full held-out set (3,580 windows, the model card's figure) runs as
``invoke bench --suite app``; here the first blocks of every held-out recording.
"""

from __future__ import annotations

import numpy as np
import pytest

from test_replay import firmware_or_skip
from vmon import device, firmware, metrics, workspace
from vmon.errors import VmonError
from vmon.model import load_model_dir
from vmon.paths import REPO_ROOT, resolve_data_dir

MODEL = REPO_ROOT / "models" / "bearing-fault-12k"
BOARD = "qemu_cortex_m3"
BLOCKS_PER_CLIP = 16  # 15 windows of each held-out recording
LEARN_BLOCKS = 64  # 63 windows of normal data
LEARN_WINDOWS = 60


def test_records_parse() -> None:
    lines = [
        'junk @vmon win {"w":0,"blk":1,"scores":[-128,127,-128,-128],"label":"inner_race"}',
        "uart:~$ plain line",
        '@vmon event {"type":"state","w":3,"state":"alarm","fault":"ball","detail":0}',
    ]
    rec = device.parse_records(lines)
    assert [w["label"] for w in rec["win"]] == ["inner_race"]
    assert rec["event"][0]["state"] == "alarm" and rec["status"] == []
    with pytest.raises(VmonError, match="malformed device record"):
        device.parse_records(['@vmon win {"w":0,'])


def test_expected_windows_end_on_their_last_block() -> None:
    md = load_model_dir(MODEL)
    counts = np.zeros(512 * 5 + 100, dtype=np.int16)

    class Fake:
        def run(self, x: np.ndarray) -> np.ndarray:
            return np.zeros((len(x), 4), np.int8)

    exp = device.expected(md, Fake(), device.Clip("c", "normal", counts), 512, 10)  # type: ignore[arg-type]
    # 5 whole blocks -> windows over blocks (0,1) .. (3,4); the partial block is not sent.
    assert exp.last_block_seq == [11, 12, 13, 14]


def app_or_skip() -> None:
    firmware_or_skip("application end-to-end test")
    if resolve_data_dir(None) is None:
        pytest.skip("application end-to-end test skipped: no dataset folder (VMON_DATA)")


@pytest.mark.firmware
@pytest.mark.slow
def test_held_out_recordings_end_to_end() -> None:
    app_or_skip()
    md = load_model_dir(MODEL)
    clips = device.held_out_clips(md, None, max_blocks=BLOCKS_PER_CLIP)
    faults = [c for c in clips if c.label != "normal"]
    # Commissioning: learn on normal data of the same machine that the held-out segment of
    # that recording does not contain (its training part), then replay the held-out part.
    normal = next(c for c in device.held_out_clips(md, None) if c.label == "normal")
    whole = device.recording_counts(md, None, normal.name).counts
    start = -(-len(normal.counts) // 512) * 512 + 1024  # past the held-out part and guard
    learn = device.Clip("normal:learn", "normal", whole[start : start + LEARN_BLOCKS * 512])
    order = [learn, *faults, normal]

    firmware.build(BOARD, replay=True)
    bdir = workspace.build_dir(BOARD).with_name(workspace.build_dir(BOARD).name + "-replay")
    run = device.run_app(
        BOARD, order, md, build_dir=bdir, commands=[(0, f"vmon baseline learn {LEARN_WINDOWS}")]
    )

    # (1) window by window, the device is the tooling.
    problems = run.compare()
    assert problems == [], "\n".join(problems[:10])
    n = sum(len(w) for w in run.windows_by_clip)
    assert n == sum(len(e.last_block_seq) for e in run.expected) > 200

    # (2) macro-F1 on these windows equals the tooling's.
    y = np.concatenate(
        [
            np.full(len(e.last_block_seq), md.labels.index(c.label))
            for c, e in zip(order, run.expected, strict=True)
        ]
    )
    host = np.concatenate([e.predictions for e in run.expected])
    dev = np.concatenate(run.device_predictions(md.labels))
    f1_dev = metrics.classification(y, dev, md.labels)["macro_f1"]
    f1_host = metrics.classification(y, host, md.labels)["macro_f1"]
    assert f1_dev == f1_host

    # (3) commissioning: a learned baseline, faults are novel, normal data is not.
    baseline = [e for e in run.records["event"] if e["type"] == "baseline"]
    assert baseline and baseline[0]["detail"] == LEARN_WINDOWS, run.records["event"]
    threshold_milli = md.meta["novelty"]["threshold"] * 1000
    novel_fault = [
        w["nov_milli"] > threshold_milli for got in run.windows_by_clip[1:-1] for w in got
    ]
    novel_normal = [w["nov_milli"] > threshold_milli for w in run.windows_by_clip[-1]]
    assert np.mean(novel_fault) >= 0.75, f"{np.mean(novel_fault):.2f} of fault windows novel"
    assert sum(novel_normal) <= 1, (
        f"{sum(novel_normal)} of {len(novel_normal)} normal windows novel"
    )

    # (4) nothing lost or corrupt (sequence gaps are the ones between clips), and the model
    # path decided every window (no fallback on good data).
    status = run.records["status"]
    assert status, "no status record"
    assert all(r["overruns"] == 0 and r["bad_frames"] == 0 and r["dropped"] == 0 for r in status)
    assert status[-1]["restarts"] <= len(order) - 1
    assert all(w["fb"] == 0 for got in run.windows_by_clip for w in got)
