"""Signed model containers on the Python side (vmon.dsp.container, vmon.ml.sign).

The C verifier is held to the same verdicts by tests/modules/container (vectors generated with
these functions); here the format, the keys and `invoke sign-model`.
"""

from __future__ import annotations

import hashlib
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from vmon.dsp import container
from vmon.errors import VmonError
from vmon.ml import sign
from vmon.ml.model import load_model_dir
from vmon.paths import REPO_ROOT

MODEL = REPO_ROOT / "models" / "bearing-fault-12k"


@pytest.fixture(scope="module")
def setup() -> tuple:
    md = load_model_dir(MODEL)
    key = sign.generate_key()
    return md, key, sign.expect_for(md, key.public_key())


def test_shipped_model_round_trips(setup: tuple) -> None:
    md, key, expect = setup
    data = sign.pack(md, key, 3)
    assert len(data) == container.PREFIX_LEN + len(md.model)
    assert sign.verdict(data, expect) is None
    h = container.parse_header(data)
    assert (h.model_version, h.payload_len, h.n_inputs) == (3, len(md.model), 37)
    assert h.payload_sha256 == hashlib.sha256(md.model).digest()
    assert h.name.rstrip(b"\0") == b"bearing-fault-12k"
    assert data[container.PREFIX_LEN :] == md.model


def test_each_refusal_has_its_reason(setup: tuple) -> None:
    md, key, expect = setup
    base = container.header_for(md.model, md.meta, 1, sign.public_xy(key))

    def signed(**changes: object) -> bytes:
        return sign.seal(key, replace(base, **changes), md.model)

    good = signed()
    assert sign.verdict(sign.pack(md, sign.generate_key(), 1), expect) == "EPERM"
    forged = good[: container.HEADER_LEN] + bytes(64) + good[container.PREFIX_LEN :]
    assert sign.verdict(forged, expect) == "EACCES"
    # A header changed after signing: the signature no longer covers it.
    tampered = bytearray(good)
    tampered[16] ^= 1  # arena_bytes
    assert sign.verdict(bytes(tampered), expect) == "EACCES"
    assert sign.verdict(good[:-1] + bytes([good[-1] ^ 1]), expect) == "EBADMSG"
    assert sign.verdict(signed(format=2), expect) == "ENOTSUP"
    assert sign.verdict(signed(feature_hash=bytes(32)), expect) == "ENOEXEC"
    assert sign.verdict(signed(interface_hash=bytes(32)), expect) == "ENOEXEC"
    assert sign.verdict(signed(n_outputs=5), expect) == "ENOEXEC"
    assert sign.verdict(signed(ops=base.ops | 1 << 6), expect) == "ENOTSUP"
    assert sign.verdict(signed(arena_bytes=expect.arena_max + 1), expect) == "ENOMEM"
    assert sign.verdict(signed(flags=1), expect) == "EBADMSG"
    assert sign.verdict(good + b"\0", expect) == "EMSGSIZE"
    assert sign.verdict(good[:100], expect) == "EMSGSIZE"
    assert sign.verdict(b"XMDL" + good[4:], expect) == "EBADMSG"


def test_interface_hash_follows_what_the_firmware_builds_in(setup: tuple) -> None:
    md, _, _ = setup
    meta = md.meta
    h = container.interface_hash(meta)
    relabeled = {**meta, "labels": [*meta["labels"][:-1], "outer"]}
    requant = {**meta, "input": {**meta["input"], "zero_point": meta["input"]["zero_point"] + 1}}
    assert container.interface_hash(relabeled) != h
    assert container.interface_hash(requant) != h
    assert container.ops_mask(["FULLY_CONNECTED", "SOFTMAX"]) == 0b11


def test_keygen_and_sign_model(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    sign.write_keypair(private, public)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    with pytest.raises(VmonError, match="not overwriting a private key"):
        sign.write_keypair(private, public)
    out = sign.write_container(MODEL, private, 5, tmp_path / "m.vmdl")
    md = load_model_dir(MODEL)
    expect = sign.expect_for(md, sign.load_public(public))
    assert sign.verdict(out.read_bytes(), expect) is None
    with pytest.raises(VmonError, match="not an unencrypted PEM private key"):
        sign.load_private(public)
    with pytest.raises(VmonError, match="model version must be"):
        sign.write_container(MODEL, private, -1, tmp_path / "n.vmdl")


def test_no_private_key_is_committed() -> None:
    # Private keys are the user's (invoke keygen); tests and vectors make their own and drop them.
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    for name in out.decode().split("\0"):
        path = REPO_ROOT / name
        if name and path.is_file() and path.stat().st_size < 1_000_000:
            assert b"PRIVATE " + b"KEY-----" not in path.read_bytes(), name
