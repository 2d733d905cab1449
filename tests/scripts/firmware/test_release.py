"""`invoke release`'s checks and manifest (vmon.firmware.release), on images imgtool signs here.

The firmware build itself is twister's `vmon.app.nrf52840dk.dfu` scenario; these tests give
the collector what a sysbuild build leaves and check that it refuses what a node would
refuse (another key, another version, a model for another key) and that the hashes it
writes are the files' own (`sha256sum -c`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vmon.errors import VmonError
from vmon.firmware import image_id, release
from vmon.ml import sign
from vmon.paths import REPO_ROOT

IMGTOOL = Path(sys.executable).parent / "imgtool"
MODEL_DIR = REPO_ROOT / "models" / "bearing-fault-12k"


def write_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def signed_image(
    tmp: Path,
    key_path: Path,
    version: str,
    name: str = "app",
    identity: tuple[str, str] | None = ("vmon", "nrf52840dk/nrf52840"),
) -> Path:
    """A firmware image as sysbuild's imgtool step writes it (slot size of the layout, the
    vendor and class TLVs of app/src/modules/fota/Kconfig)."""
    ident = ["--vid", identity[0], "--cid", identity[1]] if identity else []
    raw = tmp / f"{name}.bin"
    raw.write_bytes(bytes(range(256)) * 64)
    out = tmp / f"{name}.signed.bin"
    subprocess.run(
        [
            str(IMGTOOL),
            "sign",
            "--key",
            str(key_path),
            "--header-size",
            "0x200",
            "--pad-header",
            "--align",
            "4",
            "--version",
            version,
            "--slot-size",
            "0x74000",
            *ident,
            str(raw),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def kit(tmp_path: Path) -> dict:
    image_key_path, model_key_path = tmp_path / "image.pem", tmp_path / "model.pem"
    image_key = write_key(image_key_path)
    model_key = write_key(model_key_path)
    app = signed_image(tmp_path, image_key_path, "0.1.0+0")
    app_hex = tmp_path / "app.signed.hex"
    app_hex.write_text(":00000001FF\n")
    boot_hex = tmp_path / "mcuboot.hex"
    boot_hex.write_text(":00000001FF\n")
    container = sign.write_container(MODEL_DIR, model_key_path, 7, tmp_path / "model-v7.vmdl")
    return {
        "board": "nrf52840dk/nrf52840",
        "app_image": app,
        "app_hex": app_hex,
        "bootloader_hex": boot_hex,
        "model_container": container,
        "model_dir": MODEL_DIR,
        "image_key": image_key,
        "model_key": model_key,
        "model_version": 7,
        "out": tmp_path / "dist",
        "version": (0, 1, 0, 0),
        "build_version": "v0.1.0-test",
    }


def test_manifest_lists_checked_artifacts_with_their_hashes(kit: dict) -> None:
    manifest_path = release.collect(**kit)
    out = kit["out"]
    manifest = json.loads(manifest_path.read_text())
    assert manifest["board"] == "nrf52840dk/nrf52840"
    assert manifest["firmware_version"] == "0.1.0.0"
    assert manifest["model_version"] == 7
    assert manifest["image_key_sha256"] == release.fingerprint(kit["image_key"])
    assert manifest["model_key_sha256"] == release.fingerprint(kit["model_key"])
    assert manifest["image_key_sha256"] != manifest["model_key_sha256"]
    assert manifest["image_vendor"] == "vmon"
    assert manifest["image_class"] == "nrf52840dk/nrf52840"
    assert manifest["image_cid"] == str(image_id.expected("vmon", "nrf52840dk/nrf52840").cid)
    files = {a["file"]: a for a in manifest["artifacts"]}
    assert set(files) == {
        "vmon-nrf52840dk_nrf52840-0.1.0-app-signed.bin",
        "vmon-nrf52840dk_nrf52840-0.1.0-app-signed.hex",
        "vmon-nrf52840dk_nrf52840-0.1.0-mcuboot.hex",
        "model-v7.vmdl",
    }
    signed = out / "vmon-nrf52840dk_nrf52840-0.1.0-app-signed.bin"
    assert signed.read_bytes() == kit["app_image"].read_bytes()
    assert files[signed.name]["bytes"] == signed.stat().st_size
    # imgtool's image hash is the one MCUboot checks (the TLV), not the file's sha256.
    assert len(manifest["image_hash_sha256"]) == 64
    assert manifest["image_hash_sha256"] != files[signed.name]["sha256"]
    # SHA256SUMS is what `sha256sum -c` reads, the manifest included.
    assert shutil.which("sha256sum"), "coreutils' sha256sum"
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == 5
    (out / "model-v7.vmdl").write_bytes(b"tampered")
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True)
    assert done.returncode != 0


def test_image_signed_with_another_key_is_refused(kit: dict, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    write_key(other)
    kit["app_image"] = signed_image(tmp_path, other, "0.1.0+0", name="foreign")
    with pytest.raises(VmonError, match="imgtool verify failed"):
        release.collect(**kit)
    assert not (kit["out"] / "manifest.json").exists()


def test_image_of_another_version_is_refused(kit: dict, tmp_path: Path) -> None:
    key_path = tmp_path / "image.pem"
    kit["app_image"] = signed_image(tmp_path, key_path, "0.2.0+0", name="newer")
    with pytest.raises(VmonError, match=r"image version 0\.2\.0\.0 is not app/VERSION 0\.1\.0\.0"):
        release.collect(**kit)


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        (("vmon", "rak4631/nrf52840"), "built for another board or vendor"),
        (("example.com", "nrf52840dk/nrf52840"), "built for another board or vendor"),
        (None, "no vendor/class TLVs"),
    ],
)
def test_image_a_node_of_the_board_would_refuse_is_refused(
    kit: dict, tmp_path: Path, identity: tuple[str, str] | None, message: str
) -> None:
    kit["app_image"] = signed_image(
        tmp_path, tmp_path / "image.pem", "0.1.0+0", name="other", identity=identity
    )
    with pytest.raises(VmonError, match=message):
        release.collect(**kit)
    assert not (kit["out"] / "manifest.json").exists()


def test_model_for_another_key_is_refused(kit: dict, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.pem"
    write_key(stranger)
    kit["model_container"] = sign.write_container(MODEL_DIR, stranger, 7, tmp_path / "m.vmdl")
    with pytest.raises(VmonError, match="the node would refuse this model"):
        release.collect(**kit)


def test_missing_artifact_is_one_line(kit: dict, tmp_path: Path) -> None:
    kit["bootloader_hex"] = tmp_path / "nope.hex"
    with pytest.raises(VmonError, match="release artifact missing") as err:
        release.collect(**kit)
    assert "\n" not in str(err.value)


def test_mcuboot_development_key_is_refused(tmp_path: Path) -> None:
    dev = tmp_path / "root-ec-p256.pem"
    key = write_key(dev)
    with pytest.raises(VmonError, match="MCUboot's published development key"):
        release.refuse_dev_key(key, [tmp_path / "absent.pem", dev], "the image key")
    release.refuse_dev_key(ec.generate_private_key(ec.SECP256R1()), [dev], "the image key")


def test_key_checks(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-key.pem"
    garbage.write_text("not a key\n")
    with pytest.raises(VmonError, match="not an unencrypted PEM private key"):
        release.load_image_key(garbage)
    p384 = tmp_path / "p384.pem"
    p384.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(VmonError, match="must be ECDSA P-256"):
        release.load_image_key(p384)


def test_app_version_reads_the_version_file(tmp_path: Path) -> None:
    assert release.app_version() == release.app_version(REPO_ROOT / "app" / "VERSION")
    f = tmp_path / "VERSION"
    f.write_text("VERSION_MAJOR = 2\nVERSION_MINOR = 5\nPATCHLEVEL = 1\nVERSION_TWEAK = 9\n")
    assert release.app_version(f) == (2, 5, 1, 9)
    f.write_text("VERSION_MAJOR = 2\n")
    with pytest.raises(VmonError, match="no VERSION_MAJOR"):
        release.app_version(f)


@pytest.mark.parametrize(
    ("board", "model_version", "message"),
    [
        ("qemu_cortex_m3", 1, "no release for 'qemu_cortex_m3'"),
        ("nrf52840dk/nrf52840", 0, "--model-version must be 1 or more"),
    ],
)
def test_unknown_board_and_bad_model_version(
    tmp_path: Path, board: str, model_version: int, message: str
) -> None:
    with pytest.raises(VmonError, match=message):
        release.release(
            board=board,
            image_key_path=tmp_path / "k.pem",
            model_key_path=tmp_path / "m.pem",
            model_version=model_version,
            out=tmp_path,
        )


def test_the_container_follows_the_model_the_image_embeds(tmp_path: Path) -> None:
    # vmon_node's configuration names the 8 kHz model: the release's container must too.
    (tmp_path / "zephyr").mkdir()
    cfg = tmp_path / "zephyr" / ".config"
    cfg.write_text('CONFIG_VMON_SAMPLING=y\nCONFIG_VMON_MODEL_NAME="bearing-fault-8k"\n')
    assert release.built_model_name(tmp_path) == "bearing-fault-8k"
    cfg.write_text("CONFIG_VMON_SAMPLING=y\n")
    with pytest.raises(VmonError, match="names no CONFIG_VMON_MODEL_NAME"):
        release.built_model_name(tmp_path)
    with pytest.raises(VmonError, match="cannot read"):
        release.built_model_name(tmp_path / "missing")
    assert "vmon_node/nrf52840" in release.RELEASE_BOARDS
