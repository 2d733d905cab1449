"""vmon.firmware.image_id: the vendor and class TLVs of images imgtool signs, and the one
place (the fota module's Kconfig) that names the vendor.

The node's C twin (app/src/modules/fota/image_id.c) is tested on QEMU against images signed
the same way (tests/app/modules/fota).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmon.errors import VmonError
from vmon.firmware import image_id

IMGTOOL = Path(sys.executable).parent / "imgtool"


def sign(tmp: Path, *ident: str) -> bytes:
    raw, out = tmp / "in.bin", tmp / "out.bin"
    raw.write_bytes(bytes(range(256)) * 4)
    cmd = [str(IMGTOOL), "sign", "--header-size", "0x200", "--pad-header", "--align", "4"]
    cmd += ["--version", "1.0.0", "--slot-size", "0x4000", *ident, str(raw), str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return sign(tmp_path_factory.mktemp("img"), "--vid", "vmon", "--cid", "rak4631/nrf52840")


def test_reads_what_imgtool_wrote(marked: bytes) -> None:
    got = image_id.read_identity(marked)
    assert got == image_id.expected("vmon", "rak4631/nrf52840")
    assert got != image_id.expected("vmon", "nrf52840dk/nrf52840")
    # imgtool's own derivation, independently: uuid5 of the class under the vendor's uuid5.
    vid = uuid.uuid5(uuid.NAMESPACE_DNS, "vmon")
    assert got.vid == vid and got.cid == uuid.uuid5(vid, "rak4631/nrf52840")


def test_unmarked_image_has_no_identity(tmp_path: Path) -> None:
    assert image_id.read_identity(sign(tmp_path)) == image_id.Identity(None, None)


def test_vendor_comes_from_the_fota_kconfig(tmp_path: Path) -> None:
    assert image_id.image_vendor() == "vmon"
    bad = tmp_path / "Kconfig"
    bad.write_text("config X\n\tbool\n")
    with pytest.raises(VmonError, match="vmon-image-vendor"):
        image_id.image_vendor(bad)


def test_check_image_for(tmp_path: Path, marked: bytes) -> None:
    path = tmp_path / "app.signed.bin"
    path.write_bytes(marked)
    assert image_id.check_image_for(path, "rak4631/nrf52840").cid is not None
    with pytest.raises(VmonError, match="another board or vendor"):
        image_id.check_image_for(path, "nrf52840dk/nrf52840")


def test_malformed_images_are_one_line_errors(marked: bytes) -> None:
    with pytest.raises(VmonError, match="not an MCUboot image"):
        image_id.read_identity(b"\xff" * 64)
    big = bytearray(marked)
    struct.pack_into("<I", big, 12, 0xFFFFFFFF)
    with pytest.raises(VmonError, match="do not fit"):
        image_id.read_identity(bytes(big))
    start = 0x200 + struct.unpack_from("<I", marked, 12)[0]
    dup = bytearray(marked)
    struct.pack_into("<H", dup, start + 4, image_id.TLV_UUID_CID)  # the vendor TLV as a class
    with pytest.raises(VmonError, match="repeated UUID TLV"):
        image_id.read_identity(bytes(dup))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_flip_gives_an_identity_or_a_one_line_error(marked: bytes, data: st.DataObject) -> None:
    bit = data.draw(st.integers(0, len(marked) * 8 - 1))
    img = bytearray(marked)
    img[bit // 8] ^= 1 << (bit % 8)
    try:
        got = image_id.read_identity(bytes(img))
    except VmonError as err:
        assert "\n" not in str(err)
        return
    start = 0x200 + struct.unpack_from("<I", marked, 12)[0]
    prot = struct.unpack_from("<H", marked, 10)[0]
    if start * 8 <= bit < (start + prot) * 8:
        # A flip inside the protected TLVs never leaves this board's identity in place.
        assert got != image_id.expected("vmon", "rak4631/nrf52840")
