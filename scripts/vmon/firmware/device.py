"""The application on QEMU, end to end: replay recordings, read its reports, compare.

The firmware's console report module prints one line per record (``@vmon win {...}``,
``@vmon event {...}``, ``@vmon status {...}``; app/src/modules/console_report), and its
console transport prints the payload records a radio would send (``@vmon up {...}``, the
bytes in hex; app/src/modules/reporting, decoded by :mod:`vmon.codec`). This module
replays recordings into the application through the replay UART (:mod:`vmon.replay`),
parses those lines, and computes what the Python tooling predicts for the same windows
(features with CMSIS-DSP, quantization, the TFLM interpreter, and the decision policy of
:mod:`vmon.dsp.policy`), so a test or the demo can hold the device to the tooling window by
window.

Recordings are sent back to back in one session; between two recordings the frame
sequence number skips one, which the firmware treats as lost samples and restarts its
window, so no window mixes two recordings.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon import codec
from vmon.dsp import features as feat
from vmon.dsp import policy
from vmon.errors import VmonError
from vmon.firmware import replay, workspace
from vmon.ml.evaluate import DEFAULT_ZONES_UM_S, zone_vote
from vmon.ml.model import MicroInterpreter, ModelDir

RECORD = re.compile(r"@vmon (win|event|status|up) (.*?)\s*$")


def parse_records(lines: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The ``@vmon`` records of a console, by kind; a malformed record is an error."""
    out: dict[str, list[dict[str, Any]]] = {"win": [], "event": [], "status": [], "up": []}
    for line in lines:
        m = RECORD.search(line)
        if m is None:
            continue
        try:
            out[m.group(1)].append(json.loads(m.group(2)))
        except json.JSONDecodeError as err:
            raise VmonError(f"malformed device record ({err}): {line!r}") from None
    return out


def uplinks(records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The payload records the console transport printed, decoded by :mod:`vmon.codec` (its
    fPort checked), each with ``confirmed``; a record that does not decode is an error."""
    out = []
    for up in records["up"]:
        rec = codec.decode(codec.parse_hex(up["hex"]), codec.UPLINK, up["fport"])
        if rec["seq"] != up["seq"] % codec.SEQ_MOD:
            raise VmonError(f"uplink {up['seq']} carries sequence number {rec['seq']}")
        out.append({**rec, "confirmed": bool(up["confirmed"])})
    return out


@dataclass
class Clip:
    """A stretch of int16 counts to replay, with its label (for the confusion table)."""

    name: str
    label: str
    counts: npt.NDArray[np.int16]
    rpm: float = float("nan")  # the recording's shaft speed, when the dataset gives it


@dataclass
class Expected:
    """What the tooling computes for the windows the firmware sees in one clip."""

    first_seq: int
    last_block_seq: list[int]  # per window: sequence number of its last block
    scores: npt.NDArray[np.int8]  # (windows, classes)
    features: npt.NDArray[np.int32] | None = None  # (windows, features)
    spectra: npt.NDArray[np.int32] | None = None  # (windows, bins), q31 magnitudes
    clean: npt.NDArray[np.bool_] | None = None  # neither clipped nor stuck

    @property
    def predictions(self) -> npt.NDArray[np.int64]:
        return np.argmax(self.scores, axis=1) if len(self.scores) else np.zeros(0, np.int64)


def blocks_of(counts: npt.NDArray[np.int16], block_len: int) -> npt.NDArray[np.int16]:
    """The whole blocks of a clip (a trailing partial block is not sent)."""
    return replay.split_blocks(counts, block_len)


def expected(
    md: ModelDir, interp: MicroInterpreter, clip: Clip, block_len: int, first_seq: int
) -> Expected:
    """The Python chain on exactly the samples the firmware receives."""
    cfg = md.feature_config
    n = len(blocks_of(clip.counts, block_len)) * block_len
    counts = np.ascontiguousarray(clip.counts[:n])
    windows, starts = feat.frame(counts, cfg)
    if len(starts) == 0:
        return Expected(first_seq, [], np.zeros((0, len(md.labels)), np.int8))
    f, spectra = feat.FeatureExtractor(cfg).compute_with_spectra(windows)
    scores = interp.run(md.input_quant.apply(f))
    last = [first_seq + (int(s) + cfg.window) // block_len - 1 for s in starts]
    lo, hi = windows.min(axis=1), windows.max(axis=1)
    clean = (lo > -32768) & (hi < 32767) & (lo != hi)
    return Expected(first_seq, last, scores, f, spectra, clean)


@dataclass
class AppRun:
    """One replay session of the application."""

    clips: list[Clip]
    expected: list[Expected]
    records: dict[str, list[dict[str, Any]]]
    lines: list[str]
    seconds: float
    windows_by_clip: list[list[dict[str, Any]]] = field(default_factory=list)

    def compare(self) -> list[str]:
        """Differences between device and tooling, one line each (empty: identical)."""
        problems: list[str] = []
        for clip, exp, got in zip(self.clips, self.expected, self.windows_by_clip, strict=True):
            if len(got) != len(exp.last_block_seq):
                problems.append(
                    f"{clip.name}: the device reported {len(got)} windows, "
                    f"the tooling computes {len(exp.last_block_seq)}"
                )
                continue
            for i, (w, seq) in enumerate(zip(got, exp.last_block_seq, strict=True)):
                want = [int(v) for v in exp.scores[i]]
                if w["blk"] != seq or w["scores"] != want:
                    problems.append(
                        f"{clip.name} window {i}: device blk {w['blk']} scores {w['scores']}, "
                        f"tooling blk {seq} scores {want}"
                    )
        return problems

    def compare_decisions(
        self,
        md: ModelDir,
        commission: tuple[int, int],
        machine: policy.Machine | None = None,
    ) -> list[str]:
        """Differences between the device's decisions and :mod:`vmon.dsp.policy`'s, one
        line each (empty: identical): state, vote, novelty, its mean and their threshold,
        whether it is commissioned, the fault type with its source and confidence, the shaft
        rate the typing uses and its band, window by window. ``commission``: (clip index, windows),
        the ``vmon baseline learn`` typed before that clip; ``machine``: the profile set on
        the device before the first clip (default: none)."""
        cfg = md.feature_config
        pol = policy.Policy(cfg, machine or policy.Machine(), list(md.labels))
        fx = feat.FeatureExtractor(cfg)
        problems: list[str] = []
        for i, (clip, exp, got) in enumerate(
            zip(self.clips, self.expected, self.windows_by_clip, strict=True)
        ):
            if i == commission[0]:
                pol.commission(commission[1])
            assert exp.features is not None and exp.spectra is not None and exp.clean is not None
            if len(got) != len(exp.features):
                problems.append(f"{clip.name}: {len(got)} device windows, {len(exp.features)}")
                continue
            vel = fx.velocity_mm_s(exp.features)
            for k, w in enumerate(got):
                zone = zone_vote(float(vel[k]), DEFAULT_ZONES_UM_S)
                # The replay skips a sequence number between clips: the device restarts its
                # window, and its first window there follows a gap.
                out = pol.update(
                    exp.features[k],
                    exp.spectra[k],
                    zone,
                    exp.scores[k],
                    bool(exp.clean[k]),
                    contiguous=not (i > 0 and k == 0),
                )
                base = pol.baseline
                want = {
                    "state": policy.STATES[out.state],
                    "vote": policy.STATES[out.vote],
                    "nov_q8": out.novelty_q8,
                    "nov_avg_q8": out.novelty_avg_q8,
                    "thr_q8": base.threshold_q8 if base is not None else 0,
                    "comm": int(out.commissioned),
                    "fault": out.fault,
                    "src": out.source,
                    "fconf": out.confidence_permille,
                    "spd_mhz": out.speed_mhz,
                    "band": out.band_k1,
                }
                diff = {key: (w.get(key), v) for key, v in want.items() if w.get(key) != v}
                if diff:
                    problems.append(f"{clip.name} window {k} (device, policy): {diff}")
        return problems

    def device_predictions(self, labels: Sequence[str]) -> list[npt.NDArray[np.int64]]:
        """Per clip, the device's predicted class per window (-1 when the model did not run)."""
        return [
            np.array([labels.index(w["label"]) if w["label"] else -1 for w in got], np.int64)
            for got in self.windows_by_clip
        ]


def open_app(board: str, md: ModelDir, build_dir: Path | None = None) -> replay.ReplaySession:
    """Start the application's replay build on QEMU; checks it samples what the model needs.

    Use as a context manager (the session is started already).
    """
    bdir = build_dir or workspace.build_dir(board)
    if not (bdir / "zephyr" / "zephyr.elf").is_file():
        raise VmonError(f"no build for {board} in {bdir}; run `invoke build` first")
    cfg = md.feature_config
    session = replay.ReplaySession(bdir)
    fmt = session.start()
    if fmt.axes != 1 or fmt.fs_hz != round(cfg.fs_hz):
        session.close()
        raise VmonError(
            f"the firmware samples {fmt.axes} axes at {fmt.fs_hz} Hz; replay needs 1 axis at "
            f"the model's {cfg.fs_hz:g} Hz"
        )
    return session


def stream(
    session: replay.ReplaySession,
    segments: Sequence[tuple[Sequence[str], Sequence[bytes]]],
    period_s: float,
    last_blk: int,
    settle_s: float = 20.0,
) -> float:
    """Send (shell commands, frames) segments; wait for the window that ends on ``last_blk``.

    The guest runs behind the host's pacing: the wait lasts while the console keeps moving
    and gives up after ``settle_s`` of silence. Returns the seconds from first frame to end.
    """
    t0 = time.monotonic()
    for commands, frames in segments:
        for command in commands:
            session.send_console(command + "\n")
            time.sleep(0.5)
        session.send(frames, period_s)
    pattern = re.compile(rf'"blk":{last_blk},')
    seen, quiet_since = 0, time.monotonic()
    while last_blk >= 0 and session.running:
        if session.wait_for(pattern, 1.0, start=seen) is not None:
            break
        n = len(session.lines())
        if n != seen:
            seen, quiet_since = max(n - 1, 0), time.monotonic()
        elif time.monotonic() - quiet_since > settle_s:
            break
    return time.monotonic() - t0


def run_app(
    board: str,
    clips: Sequence[Clip],
    md: ModelDir,
    *,
    build_dir: Path | None = None,
    settle_s: float = 20.0,
    commands: Sequence[tuple[int, str]] = (),
) -> AppRun:
    """Replay ``clips`` into the application running on QEMU and collect its reports.

    ``commands``: (clip index, shell command) typed on the console before that clip.
    """
    interp = MicroInterpreter(md.model)
    cfg = md.feature_config
    with open_app(board, md, build_dir) as session:
        fmt = session.format
        assert fmt is not None
        seq = 0
        exps: list[Expected] = []
        segments: list[tuple[list[str], list[bytes]]] = []
        for i, clip in enumerate(clips):
            blocks = blocks_of(clip.counts, fmt.block_len)
            exps.append(expected(md, interp, clip, fmt.block_len, seq))
            frames = [replay.encode_frame(seq + k, b) for k, b in enumerate(blocks)]
            segments.append(([c for at, c in commands if at == i], frames))
            # Skip one sequence number: the firmware restarts its window.
            seq += len(frames) + 1
        want_last = max((e.last_block_seq[-1] for e in exps if e.last_block_seq), default=-1)
        seconds = stream(session, segments, fmt.block_len / cfg.fs_hz, want_last, settle_s)
        lines = session.lines()
    records = parse_records(lines)
    run = AppRun(list(clips), exps, records, lines, seconds)
    # Windows belong to the clip whose block range holds their last block.
    for e in exps:
        lo = e.first_seq
        hi = e.last_block_seq[-1] if e.last_block_seq else lo - 1
        run.windows_by_clip.append([w for w in records["win"] if lo <= w["blk"] <= hi])
    return run


def _training_recordings(md: ModelDir, data: str | Path | None) -> tuple[Path, dict[str, Any]]:
    """The dataset file the model was trained on and its recordings by id."""
    from vmon import data as vdata
    from vmon.paths import resolve_data_dir

    source = md.meta.get("training_data", {}).get("file")
    location = resolve_data_dir(data)
    if location is None or source is None:
        raise VmonError(
            "no dataset folder for the model's recordings: pass --data or set VMON_DATA"
        )
    path = location / source if location.is_dir() else location
    if not path.is_file():
        raise VmonError(f"the model was trained on {source}, which is not in {location}")
    return path, {r.recording_id: r for r in vdata.load_dataset(path).recordings}


def _counts(md: ModelDir, rec: Any) -> npt.NDArray[np.int16]:
    """A recording as the firmware sees it: resampled to the feature rate, int16 counts."""
    cfg = md.feature_config
    return feat.g_to_counts(feat.resample_to(rec.signal, rec.fs_hz, cfg.fs_hz), cfg)


def recording_counts(md: ModelDir, data: str | Path | None, recording_id: str) -> Clip:
    """One whole recording of the model's training dataset (e.g. normal data to commission on)."""
    path, recs = _training_recordings(md, data)
    if recording_id not in recs:
        raise VmonError(f"recording {recording_id} is not in {path.name}")
    rec = recs[recording_id]
    return Clip(recording_id, rec.label, _counts(md, rec), rec.rpm)


def held_out_clips(
    md: ModelDir, data: str | Path | None, max_blocks: int | None = None, block_len: int = 512
) -> list[Clip]:
    """The shipped model's held-out test segments (model.json split), as int16 counts.

    Segments are cut from the recordings as training framed them (resampled to the feature
    rate, scaled to counts), starting on the segment's first window; ``max_blocks`` keeps
    the first blocks of each (None: all of it).
    """
    split = md.meta.get("split", {})
    fold_name = split.get("shipped_model_fold")
    folds = [f for f in split.get("folds", []) if f.get("name") == fold_name]
    if not folds:
        raise VmonError(f"{md.path}/model.json names no held-out fold for the shipped model")
    path, recs = _training_recordings(md, data)
    cfg = md.feature_config
    clips: list[Clip] = []
    for rec_id, start, stop in folds[0]["test"]:
        if rec_id not in recs:
            raise VmonError(f"held-out recording {rec_id} is not in {path.name}")
        r = recs[rec_id]
        counts = _counts(md, r)
        ratio = cfg.fs_hz / r.fs_hz
        lo = int(np.ceil(start * ratio))
        hi = int(np.floor(stop * ratio))
        # Windows start on the recording's hop grid (feat.frame from sample 0).
        lo = -(-lo // cfg.hop) * cfg.hop
        seg = counts[lo:hi]
        if max_blocks is not None:
            seg = seg[: max_blocks * block_len]
        clips.append(Clip(rec_id, r.label, np.ascontiguousarray(seg), r.rpm))
    return clips
