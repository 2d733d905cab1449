"""The application end to end on QEMU: held-out CWRU recordings replayed over the UART.

The device's per-window scores must equal the tooling's (CMSIS-DSP features, quantization,
TFLM interpreter) byte for byte, its macro-F1 must equal the tooling's on the same windows,
no window may be lost, and commissioning must work: a baseline learned on normal data makes
faulty data novel and leaves normal data alone, with the decisions of vmon.dsp.policy.

The full held-out set (3,580 windows, the model card's figure) runs as
``invoke bench --suite app``; here the first blocks of every held-out recording.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_replay import firmware_or_skip

from vmon.bearing import PRESETS
from vmon.dsp import envelope as env
from vmon.dsp import policy
from vmon.errors import VmonError
from vmon.firmware import build as firmware
from vmon.firmware import device, replay
from vmon.ml import metrics
from vmon.ml.model import MicroInterpreter, load_model_dir
from vmon.paths import REPO_ROOT, resolve_data_dir

MODEL = REPO_ROOT / "models" / "bearing-fault-12k"
BOARD = "qemu_cortex_m3"
# 47 windows of each held-out recording: long enough for the typing's periods to vote.
BLOCKS_PER_CLIP = 48
LEARN_BLOCKS = 64  # 63 windows of normal data
LEARN_WINDOWS = 60


def test_records_parse() -> None:
    lines = [
        'junk @vmon win {"w":0,"blk":1,"scores":[-128,127,-128,-128],"label":"inner_race"}',
        "uart:~$ plain line",
        '@vmon event {"type":"state","w":3,"state":"alarm","fault":"ball","detail":0}',
        '@vmon up {"seq":7,"fport":1,"confirmed":1,"hex":"110700505d211c0000fbff"}',
    ]
    rec = device.parse_records(lines)
    assert [w["label"] for w in rec["win"]] == ["inner_race"]
    assert rec["event"][0]["state"] == "alarm" and rec["status"] == []
    [up] = device.uplinks(rec)
    assert (up["type"], up["seq"], up["fault"], up["confirmed"]) == ("event", 7, "ball", True)
    with pytest.raises(VmonError, match="malformed device record"):
        device.parse_records(['@vmon win {"w":0,'])
    wrong_port = {"up": [{"seq": 7, "fport": 2, "confirmed": 1, "hex": "110700505d211c0000fbff"}]}
    with pytest.raises(VmonError, match="ENOMSG"):
        device.uplinks(wrong_port)


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
    whole = device.recording_counts(md, None, normal.name)
    start = -(-len(normal.counts) // 512) * 512 + 1024  # past the held-out part and guard
    learn = device.Clip(
        "normal:learn", "normal", whole.counts[start : start + LEARN_BLOCKS * 512], whole.rpm
    )
    order = [learn, *faults, normal]

    # The machine profile as an installer sets it: the rig's bearing and the speed it runs
    # at while monitored (the fault recordings' rpm; the commissioning recording ran at
    # another load), so the physics typing reads defect lines.
    rpm = round(float(np.nanmedian([c.rpm for c in faults])))
    machine = policy.Machine(
        env.DeviceBearing.from_geometry(PRESETS["6205-2RS"]), (rpm * 1000 + 30) // 60
    )
    commands = [
        (0, "vmon machine bearing 6205-2RS"),
        (0, f"vmon machine speed {rpm}"),
        (0, f"vmon baseline learn {LEARN_WINDOWS}"),
    ]
    bdir = firmware.build(BOARD, replay=True).parents[1]
    run = device.run_app(BOARD, order, md, build_dir=bdir, commands=commands)

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

    # (3) commissioning first: the decisions (state, vote, novelty against the threshold
    # learned on site, fault type) are vmon.dsp.policy's, window by window; before the
    # baseline is complete the node says it is uncommissioned.
    baseline = [e for e in run.records["event"] if e["type"] == "baseline"]
    assert baseline and baseline[0]["detail"] == LEARN_WINDOWS, run.records["event"]
    problems = run.compare_decisions(md, (0, LEARN_WINDOWS), machine)
    assert problems == [], "\n".join(problems[:10])
    wins = [w for got in run.windows_by_clip for w in got]
    assert [w["comm"] for w in wins[: LEARN_WINDOWS - 1]] == [0] * (LEARN_WINDOWS - 1)
    assert all(w["comm"] == 1 and w["thr_q8"] >= 1024 for w in wins[LEARN_WINDOWS - 1 :])
    # What the policy decides here, so the equality above is not vacuous: faults of this
    # machine are novel, its normal running after commissioning is not. The normal clip
    # follows a fault clip in the same stream, so its first windows' mean novelty still
    # holds fault windows and its state stays raised until the N-of-M hysteresis has seen
    # enough normal votes.
    novel_fault = [w["nov_avg_q8"] > w["thr_q8"] for got in run.windows_by_clip[1:-1] for w in got]
    normal_wins = run.windows_by_clip[-1]
    settled = normal_wins[policy.NOVELTY_AVG - 1 :]
    novel_normal = [w["nov_avg_q8"] > w["thr_q8"] for w in settled]
    raised_normal = [w["state"] != "normal" for w in settled[policy.HYST_M :]]
    assert np.mean(novel_fault) >= 0.75, f"{np.mean(novel_fault):.2f} of fault windows novel"
    assert not any(novel_normal), f"{sum(novel_normal)} normal windows novel"
    assert not any(raised_normal), f"{sum(raised_normal)} normal windows raised after hysteresis"
    # The typing ran and named types (so its equality above is not vacuous); a type is
    # named only while raised, and only from the physics or a classifier it backs.
    assert {w["src"] for w in wins if w["fault"] not in ("none", "unknown")} <= {
        "physics",
        "classifier",
    }
    assert any(w["src"] == "physics" for w in wins), "the physics typing never named a type"
    named = [
        (w["fault"], c.label)
        for c, got in zip(order, run.windows_by_clip, strict=True)
        for w in got
        if w["fault"] not in ("none", "unknown")
    ]
    wrong = sum(f != label for f, label in named)
    assert wrong <= 0.10 * len(named), f"{wrong} of {len(named)} named types wrong"
    assert all(w["fault"] == "none" for w in wins if w["state"] == "normal")
    # A band is demodulated only at a shaft rate near the nominal one typed in.
    nominal = machine.nominal_mhz
    typed = [w for w in wins if w["band"] >= 0]
    assert typed and all(abs(w["spd_mhz"] - nominal) <= nominal * 0.06 for w in typed)

    # (4) nothing lost or corrupt (sequence gaps are the ones between clips), and the model
    # path decided every window (no fallback on good data).
    status = run.records["status"]
    assert status, "no status record"
    assert all(r["overruns"] == 0 and r["bad_frames"] == 0 and r["dropped"] == 0 for r in status)
    assert status[-1]["restarts"] <= len(order) - 1
    assert all(w["fb"] == 0 for got in run.windows_by_clip for w in got)

    # (5) what a radio would send (the console transport): every event once, in order, as
    # the payload record vmon.codec decodes, alarms confirmed; status and telemetry records
    # on their period; sequence numbers rising without a repeat.
    ups = device.uplinks(run.records)
    seqs = [u["seq"] for u in ups]
    assert seqs == sorted(set(seqs)), seqs
    events = [u for u in ups if u["type"] == "event"]
    assert [(u["kind"], u["state"], u["fault"]) for u in events] == [
        (e["type"], e["state"], e["fault"]) for e in run.records["event"]
    ]
    assert all(u["confirmed"] for u in events)
    statuses = [u for u in ups if u["type"] == "status"]
    assert statuses and len(statuses) == sum(u["type"] == "telemetry" for u in ups)
    assert statuses[-1]["commissioned"] == 1 and statuses[-1]["queue_dropped"] == 0


# Decision fallback and sensor-fault bits (app/src/modules/decision/decision.h,
# app/src/modules/processing/processing.h).
FB_INPUT_SATURATED, FB_INPUT_STUCK = 1 << 3, 1 << 4
SENSOR_SATURATED, SENSOR_STUCK, SENSOR_BAD_FRAME, SENSOR_LOST = 1, 2, 4, 8


@pytest.mark.firmware
@pytest.mark.slow
def test_bad_input_is_counted_reported_and_survived() -> None:
    """Corrupt frames, clipped and stuck samples: counted, reported as sensor faults, decided
    by the zones alone; the node keeps running, learns nothing from them and recovers."""
    app_or_skip()
    md = load_model_dir(MODEL)
    # Any normal data will do (this is about the node, not the model's accuracy): the whole
    # normal recording of the held-out fold.
    normal = next(c for c in device.held_out_clips(md, None) if c.label == "normal")
    block = 512
    good = device.blocks_of(device.recording_counts(md, None, normal.name).counts, block)
    assert len(good) >= 8 + 42, "the normal recording is too short for this test"
    # Clipped: the normal signal made so loud that every block hits the int16 limits.
    gain = int(np.ceil(40_000 / np.abs(good[:8].astype(np.int32)).max(axis=(1, 2)).min()))
    loud = np.clip(good[:8].astype(np.int32) * gain, -32768, 32767).astype(np.int16)
    assert all(((b == 32767) | (b == -32768)).any() for b in loud)
    stuck = np.full((8, block, 1), 100, np.int16)
    tail = good[8 : 8 + 42]

    def frames(first_seq: int, blocks: np.ndarray) -> list[bytes]:
        return [replay.encode_frame(first_seq + k, b) for k, b in enumerate(blocks)]

    # A bad CRC (seq 8) and a bad header (seq 9: 256 samples, zero payload, which holds no
    # sync word, so exactly two bad frames are counted); the firmware never sees 8 and 9.
    bad_crc = bytearray(replay.encode_frame(8, good[0]))
    bad_crc[-1] ^= 0xFF
    bad_len = replay.encode_frame(9, np.zeros(256, np.int16))
    segments = [
        (["vmon baseline learn 12"], frames(0, good[:8])),  # blocks 0..7: 7 windows
        ([], [bytes(bad_crc), bad_len]),
        ([], frames(10, loud)),  # blocks 10..17: a gap, then 7 clipped windows
        ([], frames(18, stuck)),  # 18..25: 1 clipped + stuck, then 7 stuck windows
        ([], frames(26, tail)),  # 26..67: 1 stuck + good, then 41 good windows
    ]
    bdir = firmware.build(BOARD, replay=True).parents[1]
    with device.open_app(BOARD, md, bdir) as session:
        device.stream(session, segments, block / md.feature_config.fs_hz, last_blk=67)
        # The 64th window (blk 67) closes a status period: its record follows the window's.
        session.wait_for(re.compile(r"@vmon status "), 10.0)
        lines = session.lines()
    rec = device.parse_records(lines)
    wins = {w["blk"]: w for w in rec["win"]}

    # Every window arrives (the gap restarts the window once), in order: nothing crashed.
    assert sorted(wins) == [*range(1, 8), *range(11, 68)], sorted(wins)
    assert [w["w"] for w in rec["win"]] == list(range(len(rec["win"])))
    # Clipped and stuck windows are flagged and get no novelty; good ones run the model.
    assert all(wins[b]["fb"] & FB_INPUT_SATURATED for b in range(11, 19))
    assert all(wins[b]["fb"] & FB_INPUT_STUCK for b in range(19, 26))
    early = [b for b in sorted(wins) if b < 26]
    assert all(wins[b]["nov_q8"] == -1 and wins[b]["comm"] == 0 for b in early)
    assert all(wins[b]["fb"] == 0 and wins[b]["scores"] is not None for b in range(27, 68))
    # The good data after the faults gets exactly the tooling's scores.
    interp = MicroInterpreter(md.model)
    exp = device.expected(md, interp, device.Clip("tail", "normal", tail.reshape(-1)), block, 26)
    assert exp.last_block_seq == list(range(27, 68))
    assert [wins[b]["scores"] for b in exp.last_block_seq] == exp.scores.tolist()

    # Reported: one sensor-fault event per change of cause, then sensor_ok.
    sensor = [e for e in rec["event"] if e["type"] in ("sensor_fault", "sensor_ok")]
    causes = 0
    for e in sensor[:-1]:
        assert e["type"] == "sensor_fault", sensor
        causes |= e["detail"]
    assert causes == SENSOR_SATURATED | SENSOR_STUCK | SENSOR_BAD_FRAME | SENSOR_LOST, sensor
    assert sensor[-1]["type"] == "sensor_ok", sensor
    # The same events as payload records for the radios, with their cause bits.
    sent = [u for u in device.uplinks(rec) if u["type"] == "event"]
    sent_sensor = [u for u in sent if u["kind"] in ("sensor_fault", "sensor_ok")]
    assert [(u["kind"], u["detail"]) for u in sent_sensor] == [
        (e["type"], e["detail"]) for e in sensor
    ]
    # Counted: the status record at window 64.
    status = rec["status"]
    assert status, "no status record"
    s = status[0]
    assert (s["bad_frames"], s["seq_missing"], s["restarts"]) == (2, 2, 1), s
    assert (s["saturated"], s["stuck"], s["overruns"], s["dropped"]) == (8, 7, 0, 0), s
    # Nothing learned from bad windows: the 12-window baseline needed 5 good windows after
    # them (7 before, 15 clipped or stuck skipped), so it completed at window 27 (28 if the
    # stuck-to-good window counts as out of range), not at window 12.
    baseline = [e for e in rec["event"] if e["type"] == "baseline"]
    assert [e["detail"] for e in baseline] == [12], rec["event"]
    assert 27 <= baseline[0]["w"] <= 28, baseline
    # An event's "w" counts the windows processed, so the last learned window is w - 1: it
    # is already scored against the new baseline, as vmon.dsp.policy does.
    done = baseline[0]["w"] - 1
    assert all(w["comm"] == (w["w"] >= done) for w in rec["win"]), "commissioned from then on"
