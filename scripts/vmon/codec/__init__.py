"""The payload codec: the records a vmon node sends (uplinks) and accepts (downlinks).

The record layouts come from ``app/schema/payload.yaml`` through the generated
:mod:`vmon.codec._schema`; the node's C codec and the JavaScript payload formatters are
generated from the same schema and agree with this module bit for bit (tests run all three
on the same random records).

A record is a dict: ``{"type": "event", "seq": 7, "kind": "state", ...}``; enum fields are
their names (or codes, when encoding), optional groups are nested dicts (absent when not
sent), a field with a "none" value decodes to ``None``. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vmon.codec._schema import SCHEMA
from vmon.errors import VmonError

VERSION: int = SCHEMA["version"]
ENUMS: dict[str, list[str]] = SCHEMA["enums"]
MESSAGES: dict[str, dict[str, Any]] = {m["name"]: m for m in SCHEMA["messages"]}
UPLINK, DOWNLINK = "uplink", "downlink"
SEQ_MOD = 1 << 16  # uplink sequence numbers are 16 bits and wrap


class CodecError(VmonError):
    """A record that cannot be encoded or decoded; ``reason`` is the C codec's errno name."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def _bits(fields: Iterable[Mapping[str, Any]]) -> int:
    return sum(f["bits"] for f in fields)


def _put(buf: bytearray, pos: int, n: int, v: int) -> int:
    for i in range(n):
        if (v >> i) & 1:
            buf[(pos + i) >> 3] |= 1 << ((pos + i) & 7)
    return pos + n


def _get(data: bytes, pos: int, n: int) -> tuple[int, int]:
    v = 0
    for i in range(n):
        v |= ((data[(pos + i) >> 3] >> ((pos + i) & 7)) & 1) << i
    return v, pos + n


def _raw(f: Mapping[str, Any], value: Any, where: str) -> int:
    v = value
    if v is None:
        if f["none"] is None:
            raise CodecError("EINVAL", f"{where} is required")
        v = f["none"]
    elif f["enum"] is not None and isinstance(v, str):
        names = ENUMS[f["enum"]]
        if v not in names:
            raise CodecError("EINVAL", f"{where}: unknown {f['enum']} {v!r}")
        v = names.index(v)
    elif isinstance(v, bool):
        if f["bits"] != 1:
            raise CodecError("EINVAL", f"{where} must be an integer")
        v = int(v)
    if not isinstance(v, int):
        raise CodecError("EINVAL", f"{where} must be an integer")
    if not (f["none"] is not None and v == f["none"]) and not f["min"] <= v <= f["max"]:
        if not f["saturate"] or f["enum"] is not None:
            raise CodecError("ERANGE", f"{where} = {v} is outside {f['min']}..{f['max']}")
        v = min(max(v, f["min"]), f["max"])
    return v + (1 << f["bits"]) if v < 0 else v


def _value(f: Mapping[str, Any], raw: int, where: str) -> Any:
    v = raw - (1 << f["bits"]) if f["signed"] and raw >> (f["bits"] - 1) else raw
    if f["none"] is not None and v == f["none"]:
        return None
    if not f["min"] <= v <= f["max"]:
        raise CodecError("EINVAL", f"{where} = {v} is outside {f['min']}..{f['max']}")
    return ENUMS[f["enum"]][v] if f["enum"] is not None else v


def _check_keys(rec: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(rec) - allowed)
    if unknown:
        raise CodecError("EINVAL", f"{where}: unknown field {unknown[0]!r}")


def encode(record: Mapping[str, Any]) -> bytes:
    """The bytes of ``record`` (its ``type`` names the record); :class:`CodecError`."""
    if not isinstance(record, Mapping):
        raise CodecError("EINVAL", "a record is a mapping with a 'type'")
    msg = MESSAGES.get(record.get("type"))  # type: ignore[arg-type]
    if msg is None:
        raise CodecError("ENOMSG", f"unknown record type {record.get('type')!r}")
    name = msg["name"]
    groups = msg["groups"]
    _check_keys(
        record, {"type"} | {f["name"] for f in msg["fields"]} | {g["name"] for g in groups}, name
    )
    present = [g for g in groups if record.get(g["name"]) is not None]
    bits = (
        8 + _bits(msg["fields"]) + (8 if groups else 0) + sum(_bits(g["fields"]) for g in present)
    )
    buf = bytearray((bits + 7) // 8)
    pos = _put(buf, 0, 8, VERSION | msg["type"] << 4)
    for f in msg["fields"]:
        pos = _put(buf, pos, f["bits"], _raw(f, record.get(f["name"]), f"{name}.{f['name']}"))
    if groups:
        pos = _put(buf, pos, 8, sum(1 << g["bit"] for g in present))
        for g in present:
            sub = record[g["name"]]
            where = f"{name}.{g['name']}"
            if not isinstance(sub, Mapping):
                raise CodecError("EINVAL", f"{where} must be a mapping")
            _check_keys(sub, {f["name"] for f in g["fields"]}, where)
            for f in g["fields"]:
                pos = _put(buf, pos, f["bits"], _raw(f, sub.get(f["name"]), f"{where}.{f['name']}"))
    return bytes(buf)


def record_type(data: bytes, direction: str = UPLINK) -> dict[str, Any]:
    """The schema entry of ``data``'s record (its header byte); :class:`CodecError`."""
    if not data:
        raise CodecError("EMSGSIZE", "empty payload")
    if data[0] & 0x0F != VERSION:
        raise CodecError("ENOTSUP", f"schema version {data[0] & 0x0F}, this codec reads {VERSION}")
    for m in SCHEMA["messages"]:
        if m["direction"] == direction and m["type"] == data[0] >> 4:
            return m
    raise CodecError("ENOMSG", f"unknown {direction} record type {data[0] >> 4}")


def decode(data: bytes, direction: str = UPLINK, fport: int | None = None) -> dict[str, Any]:
    """The record in ``data``; ``fport`` (LoRaWAN) is checked when given; :class:`CodecError`."""
    msg = record_type(bytes(data), direction)
    name = msg["name"]
    if fport is not None and fport != msg["fport"]:
        raise CodecError("ENOMSG", f"{name} records use fPort {msg['fport']}, not {fport}")
    groups = msg["groups"]
    bits = 8 + _bits(msg["fields"]) + (8 if groups else 0)
    if len(data) * 8 < bits:
        raise CodecError("EMSGSIZE", f"{name}: {len(data)} bytes is too short")
    out: dict[str, Any] = {"type": name}
    pos = 8
    for f in msg["fields"]:
        raw, pos = _get(data, pos, f["bits"])
        out[f["name"]] = _value(f, raw, f"{name}.{f['name']}")
    present = []
    if groups:
        mask, pos = _get(data, pos, 8)
        if mask >> len(groups):
            raise CodecError("EINVAL", f"{name}: unknown optional group in mask {mask}")
        present = [g for g in groups if mask >> g["bit"] & 1]
        bits += sum(_bits(g["fields"]) for g in present)
    if len(data) != (bits + 7) // 8:
        raise CodecError("EMSGSIZE", f"{name}: {len(data)} bytes, expected {(bits + 7) // 8}")
    for g in present:
        sub: dict[str, Any] = {}
        for f in g["fields"]:
            raw, pos = _get(data, pos, f["bits"])
            sub[f["name"]] = _value(f, raw, f"{name}.{g['name']}.{f['name']}")
        out[g["name"]] = sub
    tail, _ = _get(data, pos, len(data) * 8 - pos)
    if tail:
        raise CodecError("EBADMSG", f"{name}: padding bits are not zero")
    return out


def parse_hex(text: str) -> bytes:
    """Bytes from hex ('0a1b', '0A 1B', '0a:1b'); :class:`CodecError` for anything else."""
    cleaned = "".join(text.replace(":", " ").replace("-", " ").split())
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise CodecError("EINVAL", f"not hex: {text!r}") from None


@dataclass
class Deduplicator:
    """Drops uplinks already seen: the node retransmits a record until it is acknowledged.

    Sequence numbers are 16 bits and wrap; a record is new unless its number is among the
    last ``window`` accepted (a replay resends records of the last hours, never 4096 of
    them: the node's queue is smaller). One instance per node.
    """

    window: int = 4096
    _seen: dict[int, None] = field(default_factory=dict)
    duplicates: int = 0

    def accept(self, record: Mapping[str, Any]) -> bool:
        seq = record.get("seq")
        if record.get("type") not in MESSAGES or MESSAGES[record["type"]]["direction"] != UPLINK:
            raise CodecError("ENOMSG", f"not an uplink record: {record.get('type')!r}")
        if not isinstance(seq, int):
            raise CodecError("EINVAL", "record without a sequence number")
        if seq in self._seen:
            self.duplicates += 1
            return False
        self._seen[seq] = None
        while len(self._seen) > self.window:
            self._seen.pop(next(iter(self._seen)))
        return True

    def filter(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        return (r for r in records if self.accept(r))
