"""The payload codecs: Python (vmon.codec) and the JavaScript formatters on the same records.

Random records of every type from the schema (hypothesis): the Python codec round-trips them
within the size limits, and the formatters for The Things Stack and ChirpStack give the same
bytes, the same fields and the same refusals (the C codec is held to the same vectors by the
ztest tests/modules/payload).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmon import codec

FLAVOURS = ("tts", "chirpstack")
LIMITS = {"event": 11}  # US915 DR0; every other record: EU868 DR0
MAX_BYTES = 51
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _field_values(f: dict[str, Any], wide: bool) -> st.SearchStrategy[Any]:
    """Values the codec must accept; ``wide`` adds out-of-range ones for saturating fields."""
    if f["enum"] is not None:
        names = codec.ENUMS[f["enum"]]
        return st.sampled_from(names) | st.integers(0, len(names) - 1)
    lo, hi = f["min"], f["max"]
    if wide and f["saturate"]:
        lo, hi = lo - 1000, hi + 1000
    s: st.SearchStrategy[Any] = st.integers(lo, hi)
    if f["none"] is not None:
        s = s | st.none()
    return s


def records(msg: dict[str, Any], wide: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    fields = {f["name"]: _field_values(f, wide) for f in msg["fields"]}
    optional = {
        g["name"]: st.fixed_dictionaries({f["name"]: _field_values(f, wide) for f in g["fields"]})
        for g in msg["groups"]
    }
    return st.fixed_dictionaries({"type": st.just(msg["name"]), **fields}, optional=optional)


ANY_RECORD = st.one_of([records(m, wide=True) for m in codec.SCHEMA["messages"]])
EXACT_RECORD = st.one_of([records(m) for m in codec.SCHEMA["messages"]])


def _normalized(rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` as decode gives it: enum names, saturated values, nested groups."""
    msg = codec.MESSAGES[rec["type"]]

    def norm(f: dict[str, Any], v: Any) -> Any:
        if v is None or v == f["none"]:
            return None
        if f["enum"] is not None:
            return v if isinstance(v, str) else codec.ENUMS[f["enum"]][v]
        return min(max(v, f["min"]), f["max"]) if f["saturate"] else v

    out: dict[str, Any] = {"type": rec["type"]}
    for f in msg["fields"]:
        out[f["name"]] = norm(f, rec[f["name"]])
    for g in msg["groups"]:
        if g["name"] in rec:
            out[g["name"]] = {f["name"]: norm(f, rec[g["name"]][f["name"]]) for f in g["fields"]}
    return out


@SETTINGS
@given(ANY_RECORD)
def test_round_trip_within_the_size_limits(rec: dict[str, Any]) -> None:
    data = codec.encode(rec)
    msg = codec.MESSAGES[rec["type"]]
    assert len(data) <= LIMITS.get(rec["type"], MAX_BYTES)
    assert len(data) <= msg["bytes"]
    assert codec.decode(data, msg["direction"]) == _normalized(rec)


@SETTINGS
@given(ANY_RECORD)
def test_javascript_encodes_and_decodes_as_python(node: Any, rec: dict[str, Any]) -> None:
    data = codec.encode(rec)
    direction = codec.MESSAGES[rec["type"]]["direction"]
    for flavour in FLAVOURS:
        got = node(flavour=flavour, op="encode", record=rec)
        assert got["ok"], got
        assert bytes(got["bytes"]) == data
        dec = node(flavour=flavour, op="decode", bytes=list(data), direction=direction)
        assert dec["ok"] and dec["data"] == codec.decode(data, direction)


def _python(data: bytes, direction: str) -> dict[str, Any]:
    try:
        return {"ok": True, "data": codec.decode(data, direction)}
    except codec.CodecError as err:
        return {"ok": False, "reason": err.reason}


@SETTINGS
@given(st.binary(max_size=60), st.sampled_from([codec.UPLINK, codec.DOWNLINK]))
def test_any_bytes_get_the_same_verdict_in_javascript(
    node: Any, data: bytes, direction: str
) -> None:
    want = _python(data, direction)
    for flavour in FLAVOURS:
        got = node(flavour=flavour, op="decode", bytes=list(data), direction=direction)
        assert got["ok"] == want["ok"], (got, want)
        assert got.get("data", got.get("reason")) == want.get("data", want.get("reason"))


@SETTINGS
@given(EXACT_RECORD, st.integers(0, 8 * 51 - 1))
def test_corrupted_records_are_refused_or_decode_to_a_valid_record(
    node: Any, rec: dict[str, Any], bit: int
) -> None:
    data = bytearray(codec.encode(rec))
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    direction = codec.MESSAGES[rec["type"]]["direction"]
    want = _python(bytes(data), direction)
    if want["ok"]:
        # A flip inside a field's range gives another valid record: it re-encodes exactly.
        assert codec.encode(want["data"]) == bytes(data)
    got = node(flavour="tts", op="decode", bytes=list(data), direction=direction)
    assert got["ok"] == want["ok"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "EMSGSIZE"),
        (bytes([0x12]) + bytes(10), "ENOTSUP"),  # schema version 2
        (bytes([0xF1]) + bytes(10), "ENOMSG"),  # uplink type 15
        (bytes([0x11]) + bytes(9), "EMSGSIZE"),  # an event one byte short
        (bytes([0x11]) + bytes(11), "EMSGSIZE"),  # and one byte long
    ],
)
def test_bad_uplinks_are_refused_with_their_reason(node: Any, data: bytes, reason: str) -> None:
    with pytest.raises(codec.CodecError) as err:
        codec.decode(data)
    assert err.value.reason == reason
    for flavour in FLAVOURS:
        got = node(flavour=flavour, op="decode", bytes=list(data), direction="uplink")
        assert not got["ok"] and got["reason"] == reason


def _event(**kw: Any) -> dict[str, Any]:
    rec = {
        "type": "event",
        "seq": 1,
        "kind": "state",
        "state": "alarm",
        "fault": "ball",
        "source": "physics",
        "confidence_pct": 80,
        "uptime_s": 60,
        "detail": 0,
    }
    return {**rec, **kw}


def test_an_alarm_event_is_eleven_bytes() -> None:
    assert len(codec.encode(_event(uptime_s=2**31 - 1, seq=65535, detail=-32768))) == 11


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kind": "exploded"}, "EINVAL"),  # unknown enum name
        ({"state": 3}, "ERANGE"),  # enum code beyond the list
        ({"confidence_pct": 101}, "ERANGE"),  # beyond max, not saturating
        ({"seq": -1}, "ERANGE"),
        ({"seq": 1.5}, "EINVAL"),
        ({"seq": None}, "EINVAL"),  # required, no none value
        ({"colour": "red"}, "EINVAL"),  # unknown field
        ({"type": "selfie"}, "ENOMSG"),
    ],
)
def test_bad_records_are_not_encoded(node: Any, change: dict[str, Any], reason: str) -> None:
    rec = _event(**change)
    with pytest.raises(codec.CodecError) as err:
        codec.encode(rec)
    assert err.value.reason == reason
    got = node(flavour="tts", op="encode", record=rec)
    assert not got["ok"] and got["reason"] == reason


def test_saturating_fields_clamp_and_none_round_trips() -> None:
    status = {
        "type": "status",
        "seq": 9,
        "uptime_s": 2**40,
        "boots": 3,
        "state": "normal",
        "fault": "none",
        "source": "none",
        "confidence_pct": 0,
        "zone": "A",
        "commissioned": 1,
        "learning": 0,
        "fallback": 0,
        "model_err": "none",
        "velocity_um_s": 5_000_000,
        "novelty_avg_q8": None,
        "threshold_q8": 700,
        "speed_mhz": 0,
        "battery_mv": None,
        "queue_depth": 2,
        "queue_dropped": 0,
        "windows": 10,
        "config_seq": 0,
        "config_err": "none",
        "reset_cause": "watchdog",
        "resets": 300,
    }
    out = codec.decode(codec.encode(status))
    assert out["reset_cause"] == "watchdog" and out["resets"] == 255
    assert out["uptime_s"] == 2**32 - 1 and out["velocity_um_s"] == 2**20 - 1
    assert out["novelty_avg_q8"] is None and out["battery_mv"] is None
    # The largest measurable mean novelty stays a number, below the "none" value.
    assert (
        codec.decode(codec.encode({**status, "novelty_avg_q8": 10**6}))["novelty_avg_q8"] == 65534
    )


def test_config_groups_are_optional_and_unknown_ones_refused() -> None:
    only_seq = codec.encode({"type": "config", "seq": 5})
    assert codec.decode(only_seq, codec.DOWNLINK) == {"type": "config", "seq": 5}
    bad_mask = bytes([only_seq[0], only_seq[1], 0x80])
    with pytest.raises(codec.CodecError, match="unknown optional group") as err:
        codec.decode(bad_mask, codec.DOWNLINK)
    assert err.value.reason == "EINVAL"
    with pytest.raises(codec.CodecError) as err:
        codec.encode({"type": "config", "seq": 5, "zones": {"ab_um_s": 1, "bc_um_s": 2}})
    assert err.value.reason == "EINVAL"  # cd_um_s missing


def test_the_formatters_entry_points_have_the_servers_shapes(node: Any) -> None:
    ev = list(codec.encode(_event()))
    tts = node(flavour="tts", op="call", fn="decodeUplink", input={"bytes": ev, "fPort": 1})
    assert tts["ok"] and tts["result"]["data"]["fault"] == "ball"
    wrong_port = node(flavour="tts", op="call", fn="decodeUplink", input={"bytes": ev, "fPort": 2})
    assert wrong_port["ok"] and wrong_port["result"]["errors"][0].startswith("ENOMSG")
    cs = node(flavour="chirpstack", op="call", fn="decodeUplink", input={"bytes": ev, "fPort": 1})
    assert cs["ok"] and cs["result"]["data"] == codec.decode(bytes(ev))
    # ChirpStack reports a throw as the codec error.
    bad = node(flavour="chirpstack", op="call", fn="decodeUplink", input={"bytes": [], "fPort": 1})
    assert not bad["ok"] and bad["reason"] == "EMSGSIZE"
    cfg = {"seq": 2, "report": {"status_period_s": 600}}
    down = node(flavour="tts", op="call", fn="encodeDownlink", input={"data": cfg})
    want = codec.encode({"type": "config", **cfg})
    assert down["result"]["bytes"] == list(want) and down["result"]["fPort"] == 10
    back = node(
        flavour="tts", op="call", fn="decodeDownlink", input={"bytes": list(want), "fPort": 10}
    )
    assert back["result"]["data"] == {"type": "config", **cfg}
    refused = node(
        flavour="tts",
        op="call",
        fn="encodeDownlink",
        input={"data": {"seq": 2, "report": {"status_period_s": 1}}},
    )
    assert refused["result"]["errors"][0].startswith("ERANGE")


def test_duplicates_are_dropped_by_sequence_number() -> None:
    dedup = codec.Deduplicator()
    stream = [_event(seq=s) for s in (1, 2, 2, 3, 1, 4)]
    assert [r["seq"] for r in dedup.filter(stream)] == [1, 2, 3, 4]
    assert dedup.duplicates == 2
    with pytest.raises(codec.CodecError):
        dedup.accept({"type": "config", "seq": 1})


def test_hex_input_forms() -> None:
    assert codec.parse_hex("0a 1B:ff") == b"\x0a\x1b\xff"
    assert codec.parse_hex("0x0a1b") == b"\x0a\x1b"
    with pytest.raises(codec.CodecError, match="not hex"):
        codec.parse_hex("zz")
