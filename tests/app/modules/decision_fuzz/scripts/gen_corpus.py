#!/usr/bin/env python3
"""Seed records for the baseline fuzz target (tests/app/modules/decision_fuzz).

The record layout of app/src/modules/decision/baseline.h, version 2: a packed header
(magic "BL", version, n_features, feature_hash, n_windows, threshold_q8, flags), s[n]
(int32), d[n] (int64) and a CRC-32 (IEEE) of everything before it, little-endian. Each
seed is preceded by the target's mode byte (1: keep the CRC correct while mutating).

    python tests/app/modules/decision_fuzz/scripts/gen_corpus.py  # rewrites corpus/
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "corpus"
N_FEATURES = 8
FEATURE_HASH = 0x766D6F6E  # src/main.c's binding
MAGIC, VERSION = 0x4C42, 2
FEATURE_ABS_MAX = 32768


def record(n_windows: int, threshold_q8: int, flags: int, s: list[int], d: list[int]) -> bytes:
    body = struct.pack(
        "<HBBIIII", MAGIC, VERSION, len(s), FEATURE_HASH, n_windows, threshold_q8, flags
    )
    body += struct.pack(f"<{len(s)}i", *s) + struct.pack(f"<{len(d)}q", *d)
    return body + struct.pack("<I", zlib.crc32(body))


def seeds() -> dict[str, bytes]:
    """The seed files: the mode byte (1: keep the CRC correct) and a record."""
    return {name: b"\x01" + rec for name, rec in records().items()}


def records() -> dict[str, bytes]:
    n = N_FEATURES
    w = 300
    s_max = w * FEATURE_ABS_MAX
    return {
        "typical.bin": record(w, 1024, 0, [100 * i - 300 for i in range(n)], [w * w * 9] * n),
        "validated.bin": record(w, 4096, 1, [0] * n, [w * w] * n),
        "extremes.bin": record(
            w, 2048, 0, [s_max, -s_max] * (n // 2), [s_max * s_max, 0] * (n // 2)
        ),
        "fewest.bin": record(4, 1024, 0, [1] * n, [16] * n),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, rec in seeds().items():
        (OUT / name).write_bytes(rec)


if __name__ == "__main__":
    main()
