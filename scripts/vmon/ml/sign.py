"""Signed model containers (vmon.dsp.container): keys, signing, verification.

ECDSA P-256 with SHA-256, the signature as raw r || s (what TinyCrypt's uECC_verify() takes on
the node). Private keys are PEM files the user keeps (`invoke keygen` writes one with mode
0600); the repository holds none. The node's build takes the public key's PEM
(CONFIG_VMON_MODEL_PUBKEY_FILE).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from vmon.dsp import container
from vmon.errors import VmonError
from vmon.ml.model import ModelDir, load_model_dir
from vmon.paths import REPO_ROOT, atomic_output

#: The throw-away key pair a test build makes (CONFIG_VMON_MODEL_TEST_KEY).
TEST_KEY_NAME = "TEST-ONLY-model-signing"


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_xy(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The public key as the node holds it: X || Y, 32 bytes each."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    raw = pub.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return raw[1:]


def write_keypair(private_path: Path, public_path: Path) -> None:
    """A new key pair: the private key PEM (mode 0600, never overwritten) and the public one."""
    if private_path.exists():
        raise VmonError(f"{private_path} exists: not overwriting a private key")
    key = generate_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(public_path) as tmp:
        tmp.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def load_private(path: Path, role: str = "the model signing key") -> ec.EllipticCurvePrivateKey:
    """An unencrypted ECDSA P-256 private key (PEM); ``role`` names it in the error."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise VmonError(f"{path}: not an unencrypted PEM private key ({e})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VmonError(f"{path}: {role} must be ECDSA P-256")
    return key


def load_public(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as e:
        raise VmonError(f"{path}: not a PEM public key ({e})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise VmonError(f"{path}: the model signing key must be ECDSA P-256")
    return key


def sign_header(key: ec.EllipticCurvePrivateKey, header: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(header, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_ok(key: ec.EllipticCurvePublicKey, header: bytes, signature: bytes) -> bool:
    if len(signature) != container.SIG_LEN:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), header, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(key: ec.EllipticCurvePrivateKey, header: container.Header, payload: bytes) -> bytes:
    head = container.header_bytes(header)
    return head + sign_header(key, head) + payload


def pack(md: ModelDir, key: ec.EllipticCurvePrivateKey, model_version: int) -> bytes:
    """The signed container of a model directory."""
    if not 0 <= model_version < 2**32:
        raise VmonError(f"model version must be 0..{2**32 - 1}, got {model_version}")
    payload = md.model
    header = container.header_for(payload, md.meta, model_version, public_xy(key))
    return seal(key, header, payload)


def expect_for(md: ModelDir, key: ec.EllipticCurvePublicKey) -> container.Expect:
    """What a node built with model directory ``md`` and public key ``key`` accepts."""
    meta = md.meta
    return container.Expect(
        key=public_xy(key),
        feature_hash=bytes.fromhex(meta["feature_config"]["hash"]),
        interface_hash=container.interface_hash(meta),
        n_inputs=int(meta["input"]["shape"][1]),
        n_outputs=int(meta["output"]["shape"][1]),
        ops=container.ops_mask(meta["ops"]),
        arena_max=int(meta["tensor_arena_bytes"]),
    )


def verdict(data: bytes, expect: container.Expect) -> str | None:
    """The node's verdict (vmon.dsp.container.check) with the real signature check."""
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + expect.key)
    return container.check(data, expect, lambda h, s: signature_ok(pub, h, s))


def write_container(
    model_dir: Path, key_path: Path, model_version: int, out: Path | None = None
) -> Path:
    """`invoke sign-model`: the signed container of ``model_dir``, checked before it is kept."""
    md = load_model_dir(model_dir)
    key = load_private(key_path)
    data = pack(md, key, model_version)
    err = verdict(data, expect_for(md, key.public_key()))
    if err is not None:  # a container its own build would refuse is a bug, not an output
        raise VmonError(f"the container of {model_dir} does not verify ({err})")
    out = out or REPO_ROOT / "build" / f"{md.meta['name']}-v{model_version}.vmdl"
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return out


def test_keypair(folder: Path) -> Path:
    """A test build's throw-away key pair in ``folder`` (made once); its public key's path."""
    private, public = folder / f"{TEST_KEY_NAME}.pem", folder / f"{TEST_KEY_NAME}.pub.pem"
    if not private.exists():
        write_keypair(private, public)
    return public


def main(argv: list[str] | None = None) -> int:
    """``python -m vmon.ml.sign test-key DIR``: what a CONFIG_VMON_MODEL_TEST_KEY build runs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "test-key":
        print("usage: python -m vmon.ml.sign test-key DIR", file=sys.stderr)
        return 2
    try:
        print(test_keypair(Path(args[1])))
    except (OSError, VmonError) as e:
        print(f"vmon: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
