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


def test_stored_verdict_reads_the_container_out_of_its_partition(setup: tuple) -> None:
    md, key, expect = setup
    pub = key.public_key()

    def stored(data: bytes, capacity: int = 8192) -> str | None:
        image = (data + b"\xff" * capacity)[:capacity]
        return container.check_stored(image, expect, lambda h, s: sign.signature_ok(pub, h, s))

    good = sign.pack(md, key, 2)
    assert stored(good) is None
    # Nothing stored is not a fault; bytes after the container are not the container's.
    assert stored(b"") == container.ENOENT
    assert stored(good + b"\0\1\2") is None
    # A partition too small for the container, or a header that claims more than it holds.
    assert stored(good, capacity=len(good) - 1) == container.EMSGSIZE
    long = bytearray(good)
    long[12:16] = (8192).to_bytes(4, "little")
    assert stored(bytes(long)) == container.EMSGSIZE
    # A truncated upload: the erased rest is read as the model, whose digest fails.
    assert stored(good[: len(good) // 2]) == container.EBADMSG
    # Cut inside the header: its name field reads erased, with no NUL.
    assert stored(good[:100]) == container.EBADMSG


def test_public_key_header_for_the_node_build(tmp_path: Path) -> None:
    from vmon.codegen import pubkey

    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    sign.write_keypair(private, public)
    assert pubkey.public_xy(public.read_text()) == sign.public_xy(sign.load_public(public))
    out = tmp_path / "h.h"
    assert pubkey.main(["--pem", str(public), "--out", str(out)]) == 0
    text = out.read_text()
    assert "VMON_MODEL_PUBKEY_IS_TEST_KEY 0" in text
    assert f"0x{sign.public_xy(sign.load_public(public))[0]:02x}," in text
    # A private key, another curve or garbage is refused with one line.
    for bad in (private.read_text(), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"):
        with pytest.raises(pubkey.PubkeyError):
            pubkey.public_xy(bad)
    assert pubkey.main(["--pem", str(private), "--out", str(out)]) == 1
    # A test build's throw-away key: made once in the build directory, then reused.
    folder = tmp_path / "b"
    assert sign.main(["test-key", str(folder)]) == 0
    made = (folder / f"{sign.TEST_KEY_NAME}.pem").read_bytes()
    assert sign.main(["test-key", str(folder)]) == 0
    assert (folder / f"{sign.TEST_KEY_NAME}.pem").read_bytes() == made
    assert sign.main(["test-key"]) == 2
    pem = folder / f"{sign.TEST_KEY_NAME}.pub.pem"
    assert pubkey.main(["--pem", str(pem), "--test-key", "--out", str(out)]) == 0
    assert "THROW-AWAY TEST KEY" in out.read_text()
