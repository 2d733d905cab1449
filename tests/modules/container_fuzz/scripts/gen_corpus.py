#!/usr/bin/env python3
"""Seed containers for the container verifier's fuzz target (tests/modules/container_fuzz).

The shipped model's container and a few signed variants (another format, another feature
pipeline, too large an arena, an op the node lacks), each signed with a key made here and
dropped: the target's build has its own key, so none verifies there; mode 0xff (the first
byte) writes the build's key id in, so the fuzzer reaches the signature check from it.

    python tests/modules/container_fuzz/scripts/gen_corpus.py  # rewrites corpus/
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "scripts"))

from vmon.dsp import container  # noqa: E402
from vmon.ml import sign  # noqa: E402
from vmon.ml.model import load_model_dir  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "corpus"


def seeds() -> dict[str, bytes]:
    md = load_model_dir(ROOT / "models" / "bearing-fault-12k")
    key = sign.generate_key()
    base = container.header_for(md.model, md.meta, 1, sign.public_xy(key))

    def signed(**changes: object) -> bytes:
        return sign.seal(key, replace(base, **changes), md.model)

    return {
        "shipped.bin": b"\x00" + signed(),
        "shipped_signature_checked.bin": b"\xff" + signed(),
        "future_format.bin": b"\x00" + signed(format=2),
        "other_features.bin": b"\x00" + signed(feature_hash=bytes(32)),
        "large_arena.bin": b"\x00" + signed(arena_bytes=1 << 20),
        "other_op.bin": b"\x00" + signed(ops=base.ops | (1 << 6)),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for path in OUT.iterdir():
        path.unlink()
    for name, data in seeds().items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
