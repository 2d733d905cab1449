#!/usr/bin/env python3
"""Vectors for the payload codec's ztest, from vmon.codec (the Python codec).

Random records of every type (seeded, so the file is reproducible) encoded by the Python
codec, and byte strings decoded by it: valid records, every single-bit flip and truncation of
some, random bytes. The C codec must give the same bytes, fields and errors
(tests/scripts/codec/test_c_vectors.py keeps src/vectors.h current).

    python tests/modules/payload/scripts/gen_payload_vectors.py  # rewrites src/vectors.h
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "scripts"))

import vmon.codec as codec

OUT = Path(__file__).resolve().parents[1] / "src" / "vectors.h"
SEED = 20261206
N_RECORDS = 40
ERRNO = {
    "EMSGSIZE": "EMSGSIZE",
    "ENOTSUP": "ENOTSUP",
    "ENOMSG": "ENOMSG",
    "EINVAL": "EINVAL",
    "EBADMSG": "EBADMSG",
    "ERANGE": "ERANGE",
}


def _c_range(f: dict[str, Any]) -> tuple[int, int]:
    """The values the C member holds (vmon.codegen.payload._ctype)."""
    width = 32 if f["saturate"] else 8 if f["bits"] <= 8 else 16 if f["bits"] <= 16 else 32
    if f["signed"]:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def _value(f: dict[str, Any], rng: random.Random) -> int:
    r = rng.random()
    if f["none"] is not None and r < 0.15:
        return f["none"]
    if r < 0.3:
        return rng.choice([f["min"], f["max"]])
    if r < 0.85:
        return rng.randint(f["min"], f["max"])
    return rng.randint(*_c_range(f))


def random_record(msg: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": msg["name"]}
    for f in msg["fields"]:
        rec[f["name"]] = _value(f, rng)
    for g in msg["groups"]:
        if rng.random() < 0.5:
            rec[g["name"]] = {f["name"]: _value(f, rng) for f in g["fields"]}
    return rec


def _c_bytes(data: bytes) -> str:
    return "{" + ", ".join(f"0x{b:02x}" for b in data) + "}" if data else "{0}"


def _c_struct(msg: dict[str, Any], rec: dict[str, Any]) -> str:
    """A designated initializer; enum names become codes, None the field's none value."""

    def val(f: dict[str, Any], v: Any) -> str:
        if v is None:
            v = f["none"]
        elif isinstance(v, str):
            v = codec.ENUMS[f["enum"]].index(v)
        return str(v) + ("U" if v > 0x7FFFFFFF else "")

    parts = [f".{f['name']} = {val(f, rec[f['name']])}" for f in msg["fields"]]
    for g in msg["groups"]:
        if g["name"] in rec:
            inner = ", ".join(
                f".{f['name']} = {val(f, rec[g['name']][f['name']])}" for f in g["fields"]
            )
            parts.append(f".has_{g['name']} = true, .{g['name']} = {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "0", fn()
    except codec.CodecError as err:
        return f"-{ERRNO[err.reason]}", None


def decode_as(msg: dict[str, Any], data: bytes) -> dict[str, Any]:
    """What the C decoder of ``msg``'s type gives: another record type is -ENOMSG."""
    if codec.record_type(data, msg["direction"])["name"] != msg["name"]:
        raise codec.CodecError("ENOMSG", "another record type")
    return codec.decode(data, msg["direction"])


def vectors(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for msg in codec.SCHEMA["messages"]:
        enc, dec = [], []
        for _ in range(N_RECORDS):
            rec = random_record(msg, rng)
            err, data = _outcome(lambda rec=rec: codec.encode(rec))
            enc.append((rec, err, data or b""))
            if data is None:
                continue
            samples = [
                data,
                data[:-1],
                data + b"\x00",
                bytes([data[0] ^ 0x01]) + data[1:],
                bytes([(data[0] & 0x0F) | 0xF0]) + data[1:],
                data[:-1] + bytes([data[-1] | 0x80]),
            ]
            for _ in range(3):
                bit = rng.randrange(len(data) * 8)
                flipped = bytearray(data)
                flipped[bit // 8] ^= 1 << (bit % 8)
                samples.append(bytes(flipped))
            for s in samples:
                err, rec2 = _outcome(lambda s=s, m=msg: decode_as(m, s))
                dec.append((s, err, rec2))
        for _ in range(10):
            s = bytes([codec.VERSION | msg["type"] << 4]) + rng.randbytes(
                rng.randrange(msg["bytes"] + 2)
            )
            err, rec2 = _outcome(lambda s=s, m=msg: decode_as(m, s))
            dec.append((s, err, rec2))
        out[msg["name"]] = (enc, dec)
    return out


def _eq_function(msg: dict[str, Any]) -> list[str]:
    n = msg["name"]
    checks = [f"a->{f['name']} == b->{f['name']}" for f in msg["fields"]]
    for g in msg["groups"]:
        inner = " && ".join(
            f"a->{g['name']}.{f['name']} == b->{g['name']}.{f['name']}" for f in g["fields"]
        )
        checks.append(f"a->has_{g['name']} == b->has_{g['name']}")
        checks.append(f"(!a->has_{g['name']} || ({inner}))")
    body = " &&\n\t       ".join(checks)
    return [
        f"static inline bool eq_{n}(const struct vmon_pl_{n} *a, const struct vmon_pl_{n} *b)",
        "{",
        f"\treturn {body};",
        "}",
        "",
    ]


def text() -> str:
    rng = random.Random(SEED)
    lines = [
        "/* Generated by tests/modules/payload/scripts/gen_payload_vectors.py from vmon.codec;",
        " * do not edit. */",
        "",
        "#ifndef VMON_PAYLOAD_VECTORS_H_",
        "#define VMON_PAYLOAD_VECTORS_H_",
        "",
        "#include <errno.h>",
        "#include <stdbool.h>",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        '#include "vmon_payload.h"',
        "",
    ]
    for name, (enc, dec) in vectors(rng).items():
        msg = codec.MESSAGES[name]
        lines += _eq_function(msg)
        lines += [
            f"struct {name}_enc {{",
            f"\tstruct vmon_pl_{name} in;",
            "\tint err;",
            "\tsize_t len;",
            f"\tuint8_t bytes[{msg['bytes']}];",
            "};",
            "",
            f"static const struct {name}_enc {name}_enc[] = {{",
        ]
        for rec, err, data in enc:
            lines.append(f"\t{{{_c_struct(msg, rec)}, {err}, {len(data)}, {_c_bytes(data)}}},")
        lines += [
            "};",
            "",
            f"struct {name}_dec {{",
            f"\tuint8_t bytes[{msg['bytes'] + 2}];",
            "\tsize_t len;",
            "\tint err;",
            f"\tstruct vmon_pl_{name} out;",
            "};",
            "",
            f"static const struct {name}_dec {name}_dec[] = {{",
        ]
        for data, err, rec in dec:
            out = _c_struct(msg, rec) if rec is not None else "{0}"
            lines.append(f"\t{{{_c_bytes(data)}, {len(data)}, {err}, {out}}},")
        lines += ["};", ""]
    lines += ["#endif /* VMON_PAYLOAD_VECTORS_H_ */", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(text())
