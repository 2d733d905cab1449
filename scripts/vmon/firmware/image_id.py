"""Which board a signed firmware image is for: MCUboot's vendor and class UUID TLVs.

imgtool writes them (``--vid``/``--cid``) into the protected TLV area, which the image's
signature covers; the node refuses an uploaded image whose TLVs are not its own
(app/src/modules/fota/image_id.c, the C twin of :func:`read_identity`). The vendor name and
the class (the board target) are set in app/src/modules/fota/Kconfig.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

IMAGE_MAGIC = 0x96F3B83D
TLV_PROT_INFO_MAGIC = 0x6908
TLV_UUID_VID = 0x74
TLV_UUID_CID = 0x75
FOTA_KCONFIG = REPO_ROOT / "app" / "src" / "modules" / "fota" / "Kconfig"


@dataclass(frozen=True)
class Identity:
    vid: uuid.UUID | None
    cid: uuid.UUID | None


def image_vendor(kconfig: Path = FOTA_KCONFIG) -> str:
    """The vendor name the firmware build signs with and its nodes expect."""
    m = re.search(r"^vmon-image-vendor\s*:=\s*(\S+)\s*$", kconfig.read_text(), re.M)
    if m is None:
        raise VmonError(f"{kconfig}: no 'vmon-image-vendor := NAME' line")
    return m.group(1)


def expected(vendor: str, board: str) -> Identity:
    """The UUIDs imgtool derives from a vendor (domain) name and a class (board) name."""
    vid = uuid.uuid5(uuid.NAMESPACE_DNS, vendor)
    return Identity(vid, uuid.uuid5(vid, board))


def read_identity(image: bytes, name: str = "image") -> Identity:
    """The vendor and class TLVs of a signed image (None where absent); a malformed image
    raises a one-line error."""
    if len(image) < 32 or struct.unpack_from("<I", image, 0)[0] != IMAGE_MAGIC:
        raise VmonError(f"{name}: not an MCUboot image (no header magic)")
    hdr_size, prot_size, img_size = struct.unpack_from("<HHI", image, 8)
    start = hdr_size + img_size
    if hdr_size < 32 or start + prot_size > len(image):
        raise VmonError(f"{name}: header sizes do not fit the file")
    if prot_size == 0:
        return Identity(None, None)
    magic, total = struct.unpack_from("<HH", image, start) if prot_size >= 4 else (0, 0)
    if magic != TLV_PROT_INFO_MAGIC or total != prot_size:
        raise VmonError(f"{name}: malformed protected TLV area")
    found: dict[int, uuid.UUID] = {}
    off, end = start + 4, start + prot_size
    while off < end:
        if end - off < 4:
            raise VmonError(f"{name}: truncated TLV in the protected area")
        kind, length = struct.unpack_from("<HH", image, off)
        off += 4
        if end - off < length:
            raise VmonError(f"{name}: TLV 0x{kind:02x} runs past the protected area")
        if kind in (TLV_UUID_VID, TLV_UUID_CID):
            if length != 16 or kind in found:
                raise VmonError(f"{name}: malformed or repeated UUID TLV 0x{kind:02x}")
            found[kind] = uuid.UUID(bytes=bytes(image[off : off + 16]))
        off += length
    return Identity(found.get(TLV_UUID_VID), found.get(TLV_UUID_CID))


def check_image_for(image: Path, board: str, vendor: str | None = None) -> Identity:
    """Refuse (one line) a signed image that a node of ``board`` would refuse."""
    vendor = vendor or image_vendor()
    want = expected(vendor, board)
    got = read_identity(image.read_bytes(), image.name)
    if got.vid is None or got.cid is None:
        raise VmonError(
            f"{image.name}: no vendor/class TLVs; a node refuses it (sign with imgtool "
            f"--vid {vendor} --cid {board})"
        )
    if got != want:
        raise VmonError(f"{image.name}: built for another board or vendor than {vendor} {board}")
    return got
