"""The signed model container: what a model update carries to the node (include/vmon/container.h).

Standard library only: the firmware build computes the build model's interface hash with it.

Layout (little-endian), format 1::

    off  size  field
      0     4  magic "VMDL"
      4     2  format (1)
      6     2  header_len (160: the bytes the signature covers)
      8     4  model_version
     12     4  payload_len (the .tflite flatbuffer)
     16     4  arena_bytes (the model's measured tensor arena need)
     20     4  ops (bit i: the i-th op of spec.SUPPORTED_OPS)
     24     2  n_inputs
     26     2  n_outputs
     28     4  flags (0)
     32    32  feature_hash (the feature pipeline the model was trained on)
     64    32  interface_hash (interface_hash(): quantization, output scaling, labels)
     96    32  payload_sha256
    128     8  key_id (the first 8 bytes of the SHA-256 of the signing key's X || Y)
    136    24  name (UTF-8, NUL-padded, at least one NUL)
    160    64  signature: ECDSA P-256 over SHA-256(header), r || s
    224     -  payload

The node runs a container only when every check passes, in this order (the first failing
one is the reason, as errno): size and magic, format, lengths, reserved fields, key, signature,
payload digest, interface, ops, arena. ``check()`` is that order in Python, with the signature
check given by the caller (vmon.ml.sign has the cryptography).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vmon.dsp import spec

MAGIC = b"VMDL"
FORMAT = 1
HEADER_LEN = 160
SIG_LEN = 64
PREFIX_LEN = HEADER_LEN + SIG_LEN
NAME_LEN = 24
KEY_ID_LEN = 8
_HEAD = struct.Struct("<4sHHIIIIHHI32s32s32s8s24s")
assert _HEAD.size == HEADER_LEN

#: errno names of the refusals, as the node returns them (negated).
EMSGSIZE, EBADMSG, ENOTSUP, EPERM, EACCES, ENOEXEC, ENOMEM, ENOENT = (
    "EMSGSIZE",
    "EBADMSG",
    "ENOTSUP",
    "EPERM",
    "EACCES",
    "ENOEXEC",
    "ENOMEM",
    "ENOENT",
)


@dataclass(frozen=True)
class Header:
    format: int
    header_len: int
    model_version: int
    payload_len: int
    arena_bytes: int
    ops: int
    n_inputs: int
    n_outputs: int
    flags: int
    feature_hash: bytes
    interface_hash: bytes
    payload_sha256: bytes
    key_id: bytes
    name: bytes


@dataclass(frozen=True)
class Expect:
    """What the node accepts: its key and the build's model interface."""

    key: bytes  # the public key's raw X || Y (64 bytes)
    feature_hash: bytes
    interface_hash: bytes
    n_inputs: int
    n_outputs: int
    ops: int  # the ops its resolver registers
    arena_max: int


def key_id(public_xy: bytes) -> bytes:
    return hashlib.sha256(public_xy).digest()[:KEY_ID_LEN]


def ops_mask(ops: Sequence[str]) -> int:
    order = list(spec.SUPPORTED_OPS)
    return sum(1 << order.index(op) for op in ops)


def interface_hash(meta: Mapping[str, Any]) -> bytes:
    """SHA-256 of what the firmware's quantization and decision take from a model (model.json).

    A new model may change weights, not this: the input quantization (zero point, shift, mean,
    multipliers), the output zero point and scale, and the labels are build constants.
    """
    inp, out = meta["input"], meta["output"]
    std = inp["standardization"]
    n_in, n_out = int(inp["shape"][1]), int(out["shape"][1])
    data = struct.pack("<HHii", n_in, n_out, int(inp["zero_point"]), int(std["shift"]))
    data += struct.pack(f"<{n_in}i", *std["mean"]) + struct.pack(f"<{n_in}i", *std["mult"])
    data += struct.pack("<if", int(out["zero_point"]), float(out["scale"]))
    data += "\n".join(meta["labels"]).encode()
    return hashlib.sha256(data).digest()


def header_bytes(h: Header) -> bytes:
    return _HEAD.pack(
        MAGIC,
        h.format,
        h.header_len,
        h.model_version,
        h.payload_len,
        h.arena_bytes,
        h.ops,
        h.n_inputs,
        h.n_outputs,
        h.flags,
        h.feature_hash,
        h.interface_hash,
        h.payload_sha256,
        h.key_id,
        h.name,
    )


def header_for(
    payload: bytes, meta: Mapping[str, Any], model_version: int, public_xy: bytes
) -> Header:
    """The header of ``payload`` (a model directory's model.tflite and model.json)."""
    name = str(meta["name"]).encode()[: NAME_LEN - 1]
    return Header(
        format=FORMAT,
        header_len=HEADER_LEN,
        model_version=model_version,
        payload_len=len(payload),
        arena_bytes=int(meta["tensor_arena_bytes"]),
        ops=ops_mask(meta["ops"]),
        n_inputs=int(meta["input"]["shape"][1]),
        n_outputs=int(meta["output"]["shape"][1]),
        flags=0,
        feature_hash=bytes.fromhex(meta["feature_config"]["hash"]),
        interface_hash=interface_hash(meta),
        payload_sha256=hashlib.sha256(payload).digest(),
        key_id=key_id(public_xy),
        name=name.ljust(NAME_LEN, b"\0"),
    )


def parse_header(data: bytes) -> Header:
    fields = _HEAD.unpack_from(data)
    return Header(*fields[1:])


def check(data: bytes, expect: Expect, sig_ok: Callable[[bytes, bytes], bool]) -> str | None:
    """The node's verdict on ``data``: None (runs it) or the errno name of the first refusal.

    ``sig_ok(header, signature)``: whether ``signature`` signs ``header`` with ``expect.key``.
    """
    if len(data) < PREFIX_LEN:
        return EMSGSIZE
    if data[:4] != MAGIC:
        return EBADMSG
    h = parse_header(data)
    if h.format != FORMAT or h.header_len != HEADER_LEN:
        return ENOTSUP
    if h.payload_len == 0 or len(data) != PREFIX_LEN + h.payload_len:
        return EMSGSIZE
    if h.flags != 0 or b"\0" not in h.name:
        return EBADMSG
    if h.key_id != key_id(expect.key):
        return EPERM
    if not sig_ok(data[:HEADER_LEN], data[HEADER_LEN:PREFIX_LEN]):
        return EACCES
    if hashlib.sha256(data[PREFIX_LEN:]).digest() != h.payload_sha256:
        return EBADMSG
    if (
        h.feature_hash != expect.feature_hash
        or h.interface_hash != expect.interface_hash
        or (h.n_inputs, h.n_outputs) != (expect.n_inputs, expect.n_outputs)
    ):
        return ENOEXEC
    if h.ops & ~expect.ops:
        return ENOTSUP
    if h.arena_bytes > expect.arena_max:
        return ENOMEM
    return None


def stored_length(stored: bytes) -> int:
    """How many bytes of a model partition the node checks as the container.

    The partition holds no length of its own: the header's payload_len says it. A length that
    runs past the partition is cut to the partition, so check() refuses it for its length.
    """
    if len(stored) < PREFIX_LEN:
        return len(stored)
    payload_len = struct.unpack_from("<I", stored, 12)[0]
    return PREFIX_LEN + payload_len if payload_len <= len(stored) - PREFIX_LEN else len(stored)


def check_stored(
    stored: bytes, expect: Expect, sig_ok: Callable[[bytes, bytes], bool], erased: int = 0xFF
) -> str | None:
    """The node's verdict on a model partition's content (modules/model_store).

    ENOENT when it holds no container (its first word erased): not a fault, the built-in model
    runs. Otherwise check() on the stored_length() bytes.
    """
    if stored[:4] == bytes([erased]) * 4:
        return ENOENT
    return check(stored[: stored_length(stored)], expect, sig_ok)
