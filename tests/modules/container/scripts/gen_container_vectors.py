#!/usr/bin/env python3
"""Vectors for the container verifier's ztest, with vmon.dsp.container's verdicts.

Run by the test's CMake at configure time into the build directory, never committed: the
signing keys are made here, used once and dropped (no private key exists anywhere else). The
shipped model's container, signed variants the node must refuse for one reason each (another
key, a future format, another feature pipeline, ...), and the corruptions the issue asks
for: bit flips at random positions and truncations at random lengths, each with the reason
the Python verifier gives. The C verifier must give the same reason for every one.

    python gen_container_vectors.py --model models/bearing-fault-12k --out vectors.h

The model store's test (tests/app/modules/model_store) uses the same vectors as partition
images: ``--key`` signs with the build's throw-away test key (the node under test holds its
public half), ``--arena-margin`` gives the node's tensor arena, and ``--capacity`` makes every
verdict the one on a partition of that size holding the bytes, the rest erased
(vmon.dsp.container.check_stored: a truncated container is a partition holding its start).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "scripts"))

from vmon.dsp import container
from vmon.ml import sign
from vmon.ml.model import load_model_dir

N_FLIPS = 100
N_TRUNCATIONS = 50


def c_bytes(name: str, data: bytes) -> str:
    rows = [", ".join(f"0x{b:02x}" for b in data[i : i + 16]) for i in range(0, len(data), 16)]
    body = ",\n\t".join(rows)
    return f"static const uint8_t {name}[{len(data)}] __aligned(4) = {{\n\t{body}\n}};\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--key", type=Path, help="sign with this private key (default: a new one)")
    ap.add_argument("--version", type=int, default=1, help="model version of the good one")
    ap.add_argument(
        "--arena-margin",
        type=int,
        help="the node's tensor arena is the model's need plus this (CONFIG_VMON_TFLM_ARENA_MARGIN)"
        " rounded up to 16 (default: the model's need)",
    )
    ap.add_argument(
        "--capacity", type=lambda v: int(v, 0), help="verdicts on a partition of this many bytes"
    )
    args = ap.parse_args()

    md = load_model_dir(args.model)
    key = sign.load_private(args.key) if args.key else sign.generate_key()
    other = sign.generate_key()
    expect = sign.expect_for(md, key.public_key())
    if args.arena_margin is not None:
        # modules/tflm/vmon_model.cpp: VMON_ARENA_SIZE.
        arena = -(-(expect.arena_max + args.arena_margin) // 16) * 16
        expect = replace(expect, arena_max=arena)
    good = sign.pack(md, key, args.version)
    base = container.header_for(md.model, md.meta, args.version, sign.public_xy(key))
    pub = key.public_key()

    def verdict(data: bytes) -> str | None:
        if args.capacity is None:
            return sign.verdict(data, expect)
        image = data + b"\xff" * (args.capacity - len(data))
        return container.check_stored(image, expect, lambda h, s: sign.signature_ok(pub, h, s))

    if args.capacity is not None and len(good) + 1 > args.capacity:
        print(f"the container ({len(good)} B) does not fit {args.capacity} B", file=sys.stderr)
        return 1
    assert verdict(good) is None

    def signed(**changes: object) -> bytes:
        return sign.seal(key, replace(base, **changes), md.model)

    other_model = bytearray(md.model)
    other_model[-1] ^= 0xFF
    cases = {
        "another key": sign.pack(md, other, 1),
        "future format": signed(format=2),
        "another feature pipeline": signed(feature_hash=hashlib.sha256(b"other").digest()),
        "another interface": signed(interface_hash=hashlib.sha256(b"other").digest()),
        "more inputs": signed(n_inputs=base.n_inputs + 1),
        "arena too large": signed(arena_bytes=expect.arena_max + 16),
        "an op the node lacks": signed(ops=base.ops | (1 << 6)),
        "model digest": sign.seal(key, base, bytes(other_model)),
        "signature": good[: container.HEADER_LEN] + bytes(64) + good[container.PREFIX_LEN :],
        "trailing byte": good + b"\0",
        "empty": b"",
    }
    if args.capacity is not None:
        # A partition's bytes past the container are not the container's.
        del cases["trailing byte"]
    rng = random.Random(args.seed)
    flips = []
    for _ in range(N_FLIPS):
        pos, bit = rng.randrange(len(good)), rng.randrange(8)
        bad = bytearray(good)
        bad[pos] ^= 1 << bit
        flips.append((pos, bit, verdict(bytes(bad))))
    # A partition holding nothing is not a fault: truncations start at one byte there.
    lengths = range(1 if args.capacity else 0, len(good))
    truncations = [(n, verdict(good[:n])) for n in rng.sample(lengths, N_TRUNCATIONS)]

    lines = [
        "/* Generated by gen_container_vectors.py at configure time. Do not edit. */",
        "#include <errno.h>",
        "#include <stdint.h>",
        "#include <zephyr/toolchain.h>",
        "",
        c_bytes("v_public_key", expect.key),
        c_bytes("v_feature_hash", expect.feature_hash),
        c_bytes("v_interface_hash", expect.interface_hash),
        f"#define V_N_INPUTS {expect.n_inputs}",
        f"#define V_N_OUTPUTS {expect.n_outputs}",
        f"#define V_OPS 0x{expect.ops:x}U",
        f"#define V_ARENA_MAX {expect.arena_max}U",
        f"#define V_VERSION {args.version}U",
        c_bytes("v_good", good),
        "/* The same model signed as the next version: an update (model store tests). */",
        c_bytes("v_newer", sign.pack(md, key, args.version + 1)).replace(
            "__aligned(4)", "__aligned(4) __maybe_unused"
        ),
        "#include <vmon/container.h>",
        "/* What the node that holds this key and the shipped model accepts. */",
        "static const struct vmon_container_expect v_expect = {",
        "\t.public_key = v_public_key,",
        "\t.feature_hash = v_feature_hash,",
        "\t.interface_hash = v_interface_hash,",
        "\t.n_inputs = V_N_INPUTS,",
        "\t.n_outputs = V_N_OUTPUTS,",
        "\t.ops = V_OPS,",
        "\t.arena_max = V_ARENA_MAX,",
        "};",
    ]
    for i, data in enumerate(cases.values()):
        lines.append(c_bytes(f"v_case{i}", data) if data else f"static const uint8_t v_case{i}[1];")
    lines.append("struct v_case { const char *what; const uint8_t *data; size_t len; int err; };")
    lines.append("static const struct v_case v_cases[] = {")
    for i, (what, data) in enumerate(cases.items()):
        err = verdict(data)
        assert err is not None, what
        lines.append(f'\t{{"{what}", v_case{i}, {len(data)}, -{err}}},')
    lines.append("};")
    lines.append("struct v_flip { uint32_t pos; uint8_t bit; int err; };")
    lines.append("static const struct v_flip v_flips[] = {")
    for pos, bit, err in flips:
        assert err is not None
        lines.append(f"\t{{{pos}, {bit}, -{err}}},")
    lines.append("};")
    lines.append("struct v_trunc { uint32_t len; int err; };")
    lines.append("static const struct v_trunc v_truncations[] = {")
    for n, err in truncations:
        assert err is not None
        lines.append(f"\t{{{n}, -{err}}},")
    lines.append("};")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
