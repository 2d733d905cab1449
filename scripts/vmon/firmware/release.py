"""`invoke release`: the signed firmware and model artifacts of one board, with their hashes.

A release is built behind MCUboot (sysbuild, app/sysbuild.conf) for a radio board:

- the application image signed by imgtool during the build with the fleet's image key (the
  file a node takes over SMP, ``*-app-signed.bin``, and its hex for a programmer);
- MCUboot itself, which holds the public half of that key (factory programming only);
- the model container signed with the fleet's model key (``invoke sign-model``), whose public
  half is the application's build input (CONFIG_VMON_MODEL_PUBKEY_FILE).

Before anything is written the artifacts are checked the way a node checks them: the image's
signature against the image key (imgtool's verifier), its version against app/VERSION and its
board identity (vendor and class TLVs) against the board's, the model container with the
verifier its build runs. ``manifest.json`` lists board, versions,
keys' fingerprints, files, sizes and sha256; ``SHA256SUMS`` is ``sha256sum -c`` input.
MCUboot's published development keys are refused: a fleet signed with them accepts anyone's
image.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vmon.errors import VmonError
from vmon.firmware import build as fw_build
from vmon.firmware import image_id, workspace
from vmon.paths import REPO_ROOT, atomic_output

#: Boards whose flash layout has MCUboot's slots (app/boards/nrf52840_partitions.dtsi).
RELEASE_BOARDS = ("nrf52840dk/nrf52840", "rak4631/nrf52840", "vmon_node/nrf52840")
#: MCUboot's published development keys, relative to the mcuboot module.
MCUBOOT_DEV_KEYS = ("root-ec-p256.pem", "root-ec-p384.pem", "root-ed25519.pem", "root-rsa-2048.pem")


@dataclass(frozen=True)
class Artifact:
    file: str
    kind: str
    bytes: int
    sha256: str


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def app_version(version_file: Path = REPO_ROOT / "app" / "VERSION") -> tuple[int, int, int, int]:
    """app/VERSION as MCUboot's image version (major, minor, revision, build)."""
    fields = dict(re.findall(r"^(\w+)\s*=\s*(\d*)\s*$", version_file.read_text(), re.M))
    try:
        return (
            int(fields["VERSION_MAJOR"]),
            int(fields["VERSION_MINOR"]),
            int(fields["PATCHLEVEL"]),
            int(fields.get("VERSION_TWEAK") or 0),
        )
    except (KeyError, ValueError):
        raise VmonError(f"{version_file}: no VERSION_MAJOR/MINOR/PATCHLEVEL numbers") from None


def load_image_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The image signing key: an unencrypted ECDSA P-256 PEM (SB_CONFIG_BOOT_SIGNATURE_TYPE)."""
    from vmon.ml import sign

    return sign.load_private(path, "the image signing key (app/sysbuild.conf)")


def fingerprint(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """sha256 of the public key's DER (SubjectPublicKeyInfo): which key, never the key."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def refuse_dev_key(key: ec.EllipticCurvePrivateKey, dev_keys: list[Path], what: str) -> None:
    """Refuse a key whose public half is one of MCUboot's published development keys."""
    mine = fingerprint(key)
    for path in dev_keys:
        try:
            dev = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError):
            continue
        if isinstance(dev, ec.EllipticCurvePrivateKey) and fingerprint(dev) == mine:
            raise VmonError(
                f"{what} is MCUboot's published development key ({path.name}): anyone can "
                "sign for it; make a fleet key (imgtool keygen -t ecdsa-p256)"
            )


def verify_image(image: Path, key: ec.EllipticCurvePrivateKey) -> tuple[tuple[int, ...], str]:
    """imgtool's check of a signed image: (version, sha256 of the image) or a one-line error."""
    from imgtool import image as imgtool_image
    from imgtool.keys import ECDSA256P1

    result, version, digest, _ = imgtool_image.Image.verify(str(image), ECDSA256P1(key))
    if result != imgtool_image.VerifyResult.OK:
        raise VmonError(f"{image.name}: imgtool verify failed ({result.name}) with the image key")
    if version is None or digest is None:
        raise VmonError(f"{image.name}: imgtool verify returned no version or hash")
    return tuple(int(v) for v in version), bytes(digest).hex()


def collect(
    *,
    board: str,
    app_image: Path,
    app_hex: Path,
    bootloader_hex: Path,
    model_container: Path,
    model_dir: Path,
    image_key: ec.EllipticCurvePrivateKey,
    model_key: ec.EllipticCurvePrivateKey,
    model_version: int,
    out: Path,
    version: tuple[int, int, int, int],
    build_version: str = "",
) -> Path:
    """Check the built artifacts, copy them into ``out`` and write the manifest; its path."""
    for path in (app_image, app_hex, bootloader_hex, model_container):
        if not path.is_file():
            raise VmonError(f"release artifact missing: {path}")
    image_version, image_hash = verify_image(app_image, image_key)
    if image_version != version:
        raise VmonError(
            f"{app_image.name}: image version {'.'.join(map(str, image_version))} is not "
            f"app/VERSION {'.'.join(map(str, version))}"
        )
    identity = image_id.check_image_for(app_image, board)
    # The node's verifier, with the release's key and model: a container the node would
    # refuse is no artifact.
    from vmon.ml import sign
    from vmon.ml.model import load_model_dir

    expect = sign.expect_for(load_model_dir(model_dir), model_key.public_key())
    err = sign.verdict(model_container.read_bytes(), expect)
    if err is not None:
        raise VmonError(f"{model_container.name}: the node would refuse this model ({err})")

    ver = ".".join(map(str, version[:3])) + (f"+{version[3]}" if version[3] else "")
    stem = f"vmon-{board.replace('/', '_')}-{ver}"
    files = {
        f"{stem}-app-signed.bin": (app_image, "firmware image (SMP upload, MCUboot slot 1)"),
        f"{stem}-app-signed.hex": (app_hex, "firmware image (programmer, slot 0)"),
        f"{stem}-mcuboot.hex": (bootloader_hex, "bootloader (factory programming)"),
        f"{model_container.stem}.vmdl": (model_container, "signed model (SMP model update)"),
    }
    out.mkdir(parents=True, exist_ok=True)
    artifacts: list[Artifact] = []
    for name, (src, kind) in files.items():
        dst = out / name
        with atomic_output(dst) as tmp:
            shutil.copyfile(src, tmp)
        artifacts.append(Artifact(name, kind, dst.stat().st_size, sha256_file(dst)))
    manifest = {
        "format": 1,
        "board": board,
        "firmware_version": ".".join(map(str, version)),
        "build": build_version,
        "image_hash_sha256": image_hash,
        "image_key_sha256": fingerprint(image_key),
        "image_vendor": image_id.image_vendor(),
        "image_class": board,
        "image_vid": str(identity.vid),
        "image_cid": str(identity.cid),
        "model_version": model_version,
        "model_key_sha256": fingerprint(model_key),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "artifacts": [asdict(a) for a in artifacts],
    }
    path = out / "manifest.json"
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    with atomic_output(out / "SHA256SUMS") as tmp:
        tmp.write_text(
            "".join(f"{a.sha256}  {a.file}\n" for a in artifacts)
            + f"{sha256_file(path)}  manifest.json\n"
        )
    return path


def _build_version(app_dir: Path) -> str:
    """The application's `git describe` (what the banner prints), or '' outside git."""
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=app_dir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def built_model_name(app_build: Path) -> str:
    """CONFIG_VMON_MODEL_NAME of a finished application build."""
    config = app_build / "zephyr" / ".config"
    try:
        text = config.read_text()
    except OSError as err:
        raise VmonError(f"cannot read {config}: {err.strerror}") from None
    m = re.search(r'^CONFIG_VMON_MODEL_NAME="([^"]+)"$', text, re.M)
    if m is None:
        raise VmonError(f"{config} names no CONFIG_VMON_MODEL_NAME")
    return m.group(1)


def release(
    *,
    board: str,
    image_key_path: Path,
    model_key_path: Path,
    model_version: int,
    out: Path,
    model_dir: Path | None = None,
) -> Path:
    """Build the board's release behind MCUboot, check and collect it; the manifest's path."""
    from vmon.ml import sign

    if board not in RELEASE_BOARDS:
        raise VmonError(
            f"no release for '{board}': boards with MCUboot's flash layout are "
            f"{', '.join(RELEASE_BOARDS)}"
        )
    if model_version < 1:
        raise VmonError("--model-version must be 1 or more")
    image_key = load_image_key(image_key_path)
    model_key = sign.load_private(model_key_path)
    ws = workspace.require_workspace()
    workspace.require_tools()
    mcuboot_dir = ws.zephyr_base.parent / "bootloader" / "mcuboot"
    dev_keys = [mcuboot_dir / name for name in MCUBOOT_DEV_KEYS]
    refuse_dev_key(image_key, dev_keys, f"the image key {image_key_path}")
    refuse_dev_key(model_key, dev_keys, f"the model key {model_key_path}")

    bdir = REPO_ROOT / "build" / f"release-{board.replace('/', '_')}"
    bdir.mkdir(parents=True, exist_ok=True)
    # The model key's public half is the application's build input.
    model_pub = bdir / "vmon-model-signing.pub.pem"
    model_pub.write_bytes(
        model_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    env = workspace.build_env(ws)
    app = fw_build.APP_DIR.name  # sysbuild names the application's image after its folder
    cmd = fw_build._west(
        "build", "--sysbuild", "-p", "always", "-b", board, "-d", str(bdir), str(fw_build.APP_DIR)
    )
    cmd += [
        "--",
        *workspace.cmake_args(env),
        # Sysbuild resolves the board before the application names vmon's module: vmon's own
        # boards (vmon_node) need the repository as a board root for both images.
        f"-DBOARD_ROOT={REPO_ROOT}",
        f'-DSB_CONFIG_BOOT_SIGNATURE_KEY_FILE="{image_key_path.resolve()}"',
        f'-D{app}_CONFIG_VMON_MODEL_PUBKEY_FILE="{model_pub.resolve()}"',
    ]
    if model_dir is not None:
        cmd.append(f"-D{app}_VMON_MODEL_DIR={model_dir.resolve()}")
    fw_build._run_logged(
        cmd, env, bdir.parent / f"{bdir.name}.build.log", f"building the {board} release"
    )
    # The model the image embeds (the board's configuration may name another than the
    # default: vmon_node's is the 8 kHz one), so the container matches the image's rate.
    model = model_dir or REPO_ROOT / "models" / built_model_name(bdir / app)
    container = sign.write_container(
        model, model_key_path, model_version, bdir / f"{model.name}-v{model_version}.vmdl"
    )
    return collect(
        board=board,
        app_image=bdir / app / "zephyr" / "zephyr.signed.bin",
        app_hex=bdir / app / "zephyr" / "zephyr.signed.hex",
        bootloader_hex=bdir / "mcuboot" / "zephyr" / "zephyr.hex",
        model_container=container,
        model_dir=model,
        image_key=image_key,
        model_key=model_key,
        model_version=model_version,
        out=out,
        version=app_version(),
        build_version=_build_version(fw_build.APP_DIR),
    )
