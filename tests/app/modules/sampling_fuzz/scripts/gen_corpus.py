#!/usr/bin/env python3
"""Seed streams for the replay frame parser's fuzz target (tests/app/modules/sampling_fuzz).

Frames from vmon.firmware.replay (the host's encoder) for the target's build: blocks of 16
sample instants of 3 axes (prj.conf). Each seed is preceded by the target's mode byte (bit 0:
keep the CRCs right while mutating, bit 1: the consumer holds its blocks, bits 2-7: the seed
of the chunk sizes).

    python tests/app/modules/sampling_fuzz/scripts/gen_corpus.py  # rewrites corpus/
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "scripts"))

from vmon.firmware import replay

OUT = Path(__file__).resolve().parents[1] / "corpus"
LEN, AXES = 16, 3  # prj.conf: CONFIG_VMON_SAMPLING_BLOCK_LEN, CONFIG_VMON_SAMPLING_AXES


def block(seq: int) -> np.ndarray:
    i = np.arange(LEN * AXES, dtype=np.int64)
    return ((seq * 977 + i * 31 - 1000) % 65536 - 32768).astype(np.int16).reshape(LEN, AXES)


def frame(seq: int) -> bytes:
    return replay.encode_frame(seq, block(seq))


def seeds() -> dict[str, bytes]:
    """The seed files: mode byte + stream."""
    good = b"".join(frame(s) for s in range(3))
    bad_crc = bytearray(frame(7))
    bad_crc[-1] ^= 0xFF
    other_len = replay.encode_frame(8, np.zeros((LEN + 1, AXES), dtype=np.int16))
    return {
        "frames.bin": b"\x01" + good,
        "gap.bin": b"\x05" + frame(0) + frame(5) + frame(4),
        "noise.bin": b"\x09" + b"\x00\xa5\xa5\x5a\x01" + frame(1) + b"\x5a\xa5" + frame(2),
        "bad_crc.bin": b"\x00" + bytes(bad_crc) + frame(8),
        "bad_header.bin": b"\x01" + other_len[:20] + frame(9) + frame(10)[:25],
        "slow_consumer.bin": b"\x03" + b"".join(frame(s) for s in range(5)),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for path in OUT.iterdir():
        path.unlink()
    for name, data in seeds().items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
