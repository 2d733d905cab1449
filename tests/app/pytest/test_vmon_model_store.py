"""The model store on the running firmware (twister pytest harness, QEMU).

Built with the build's own throw-away signing key (sample.yaml, vmon.app.model_store). Each
test boots the node with its model partition holding given bytes: nothing stored, a model
signed with another key, a model signed with the build's key. QEMU's own loader cannot put
them there (the image's flash simulator section overlaps anything loaded at its addresses),
so the test gives that section contents in the ELF QEMU boots (objcopy) and restores the
built ELF afterwards. The refusal of every other kind of bad partition is tested on the same
code in tests/app/modules/model_store.
"""

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shell_util import run
from twister_harness import DeviceAdapter, Shell

from vmon.firmware import device
from vmon.ml import sign
from vmon.ml.model import load_model_dir
from vmon.paths import REPO_ROOT

# app/boards/qemu_cortex_m3.overlay: the flash simulator's 20 KB (linker section FlashSim) and
# the model partition 8 KB into it, its first slot.
FLASH_SIM_SECTION, FLASH_SIM_SIZE, PARTITION_OFFSET = "FlashSim", 20 * 1024, 8 * 1024
MODEL = REPO_ROOT / "models" / "bearing-fault-12k"
# The schema's error code (app/schema/payload.yaml, enum error) a model_fault event carries,
# negated, for a model signed with another key.
DENIED = 12
EPERM = 1  # picolibc, as vmon status and vmon model info print it


def cmake_cache(build_dir: Path, name: str) -> str:
    for line in (build_dir / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} not in the build's CMake cache")


@pytest.fixture
def boot(request: pytest.FixtureRequest, device_object: DeviceAdapter) -> Iterator[Callable]:
    """Boot the node with the model partition holding the given bytes (the rest erased).

    Returns the node and the records it sent up to its first status.
    """
    build_dir = Path(device_object.device_config.app_build_dir)
    elf = build_dir / "zephyr" / "zephyr.elf"
    built = elf.with_suffix(".elf.built")
    shutil.copy2(elf, built)
    objcopy = cmake_cache(build_dir, "CMAKE_OBJCOPY")
    launched: list[DeviceAdapter] = []

    def _boot(stored: bytes) -> tuple[DeviceAdapter, list[dict]]:
        flash = bytearray(b"\xff" * FLASH_SIM_SIZE)
        flash[PARTITION_OFFSET : PARTITION_OFFSET + len(stored)] = stored
        image = build_dir / "flash-sim.bin"
        image.write_bytes(bytes(flash))
        subprocess.run(
            [
                objcopy,
                "--set-section-flags",
                f"{FLASH_SIM_SECTION}=alloc,load,contents,data",
                "--update-section",
                f"{FLASH_SIM_SECTION}={image}",
                str(built),
                str(elf),
            ],
            check=True,
        )
        device_object.initialize_log_files(request.node.name)
        device_object.launch()
        launched.append(device_object)
        # What the node sent up to its first status record (waiting for the prompt would
        # clear it from the buffer).
        lines = device_object.readlines_until(regex=r'@vmon up \{.*"fport":2,', timeout=30)
        assert Shell(device_object, timeout=20.0).wait_for_prompt()
        return device_object, device.uplinks(device.parse_records(lines))

    try:
        yield _boot
    finally:
        for dut in launched:
            dut.close()
        shutil.copy2(built, elf)
        built.unlink()


def test_empty_partition_runs_the_builtin_model(boot: Callable) -> None:
    dut, ups = boot(b"")
    assert not [u for u in ups if u["type"] == "event" and u["kind"] == "model_fault"], ups
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert "model bearing-fault-12k" in lines, lines
    assert "source built-in version 0" in lines, lines
    # -ENOENT: nothing stored is not a fault.
    assert "partition 2 x 6144 B: empty (-2) slot -1" in lines, lines
    lines = run(dut, "vmon status", r"^fallback: ")
    assert "fallback: 0x00 model_err: 0" in lines, lines


def test_model_signed_with_another_key_is_refused_and_reported(boot: Callable) -> None:
    foreign = sign.pack(load_model_dir(MODEL), sign.generate_key(), 3)
    dut, ups = boot(foreign)
    events = [u for u in ups if u["type"] == "event" and u["kind"] == "model_fault"]
    assert len(events) == 1 and events[0]["detail"] == -DENIED, events
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert "source built-in version 0" in lines, lines
    assert f"partition 2 x 6144 B: refused (-{EPERM}) slot -1" in lines, lines
    # The built-in model decides: no fallback, the refusal shown as the model error.
    lines = run(dut, "vmon status", r"^fallback: ")
    assert f"fallback: 0x00 model_err: -{EPERM}" in lines, lines


def test_model_signed_with_the_build_key_runs_from_the_partition(
    boot: Callable, device_object: DeviceAdapter
) -> None:
    # The build's throw-away key is in its build directory (CONFIG_VMON_MODEL_TEST_KEY).
    build_dir = Path(device_object.device_config.app_build_dir)
    key = sign.load_private(build_dir / "vmon_generated" / f"{sign.TEST_KEY_NAME}.pem")
    dut, ups = boot(sign.pack(load_model_dir(MODEL), key, 9))
    assert not [u for u in ups if u["type"] == "event" and u["kind"] == "model_fault"], ups
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert "model bearing-fault-12k" in lines, lines
    assert "source partition version 9" in lines, lines
    assert "partition 2 x 6144 B: runs (0) slot 0" in lines, lines
    lines = run(dut, "vmon status", r"^fallback: ")
    assert "fallback: 0x00 model_err: 0" in lines, lines
