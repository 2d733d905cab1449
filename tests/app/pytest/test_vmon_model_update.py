"""Model updates over SMP on the running firmware (twister pytest harness, QEMU).

The product build with SMP on the shell's UART (app/smp.conf) and the build's own throw-away
signing key (sample.yaml, vmon.app.model_update); the host side is vmon.firmware.update on
smpclient. Each test starts from a fresh QEMU: an empty model partition, the built-in model.
The refusal of every other kind of bad container is tested on the same code in
tests/app/modules/model_store.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from shell_util import run
from smp_util import dut_client
from smpclient import SMPClient
from smpclient.generics import success
from smpclient.requests.os_management import ResetWrite
from twister_harness import DeviceAdapter, Shell

from vmon.firmware import update
from vmon.ml import sign
from vmon.ml.model import load_model_dir
from vmon.paths import REPO_ROOT

MODEL = REPO_ROOT / "models" / "bearing-fault-12k"
# app/boards/qemu_cortex_m3.overlay: the model partition's two slots.
SLOT_BYTES = 6144
T = TypeVar("T")


@pytest.fixture
def key(device_object: DeviceAdapter) -> ec.EllipticCurvePrivateKey:
    # The build's throw-away key is in its build directory (CONFIG_VMON_MODEL_TEST_KEY).
    build_dir = Path(device_object.device_config.app_build_dir)
    return sign.load_private(build_dir / "vmon_generated" / f"{sign.TEST_KEY_NAME}.pem")


@pytest.fixture
def console() -> list[str]:
    """The node's lines other than SMP frames, read while a client is connected."""
    return []


@pytest.fixture
def node(
    dut: DeviceAdapter, console: list[str]
) -> Iterator[Callable[[Callable[[SMPClient], Awaitable[T]]], T]]:
    """Run a coroutine with an SMP client connected to the booted node."""
    assert Shell(dut, timeout=20.0).wait_for_prompt()

    def _with(step: Callable[[SMPClient], Awaitable[T]]) -> T:
        async def go() -> T:
            client = dut_client(dut, console=console)
            await client.connect()
            try:
                return await step(client)
            finally:
                await client.disconnect()

        return asyncio.run(go())

    yield _with


def signed(key: ec.EllipticCurvePrivateKey, version: int) -> bytes:
    return sign.pack(load_model_dir(MODEL), key, version)


def test_update_over_smp_runs_the_new_model(
    node: Callable,
    dut: DeviceAdapter,
    console: list[str],
    key: ec.EllipticCurvePrivateKey,
    record_testsuite_property: Callable[[str, object], None],
) -> None:
    before = node(update.state)
    assert (before.source, before.slot, before.partition_error) == ("built-in", -1, "not_found"), (
        before
    )
    container = signed(key, 9)
    t0 = time.monotonic()
    version = node(lambda c: update.upload(c, container))
    seconds = time.monotonic() - t0
    # Issue #19's target is 10 s for a 5 KB model over the UART SMP transport on QEMU: a
    # benchmark figure, recorded here, not asserted on a shared CI host. A test suite property
    # of the JUnit report: twister takes a test case's first child element for its verdict.
    record_testsuite_property("upload_bytes", len(container))
    record_testsuite_property("upload_seconds", round(seconds, 2))
    print(f"model update: {len(container)} B in {seconds:.2f} s")
    assert version == 9
    after = node(update.state)
    assert (after.source, after.version, after.slot, after.updates, after.refused) == (
        "partition",
        9,
        0,
        1,
        0,
    ), after
    # Processing switched models and reported it (an event of kind model_update, detail 9).
    assert any("model version 9 decides: event model_update" in line for line in console), console
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert "source partition version 9" in lines, lines
    # The node goes on deciding with it: windows keep coming, no model error.
    first = run(dut, "vmon stats", r"^processing: blocks \d+ windows \d+")
    time.sleep(2)
    lines = run(dut, "vmon status", r"^fallback: ")
    assert "fallback: 0x00 model_err: 0" in lines, lines
    later = run(dut, "vmon stats", r"^processing: blocks \d+ windows \d+")
    assert windows(later) > windows(first), (first, later)


def windows(lines: list[str]) -> int:
    for line in lines:
        m = re.search(r"^processing: blocks \d+ windows (\d+)", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no window count in {lines}")


def test_bad_updates_are_refused_and_the_model_runs_on(
    node: Callable, dut: DeviceAdapter, key: ec.EllipticCurvePrivateKey
) -> None:
    assert node(lambda c: update.upload(c, signed(key, 9))) == 9
    bad = {
        "denied": [
            signed(key, 9),  # not newer: no rollback
            signed(sign.generate_key(), 12),  # another key
        ],
        "no_memory": [b"\0" * (SLOT_BYTES + 1)],  # larger than a slot: a full partition
        "malformed": [signed(key, 10)[:-1] + b"\0"],  # the model's digest
    }
    refusals = 0
    for why, containers in bad.items():
        for container in containers:
            with pytest.raises(update.UpdateError, match=f": {why}$"):
                node(lambda c, data=container: update.upload(c, data))
            refusals += 1

    # Out of order: a chunk at an offset the node did not ask for.
    async def out_of_order(c: SMPClient) -> str:
        await c.request(update.UploadWrite(off=0, data=b"\1" * 64, len=4000))
        r = await c.request(update.UploadWrite(off=128, data=b"\1" * 64))
        return update.ERRORS[int(r.err.rc)]

    assert node(out_of_order) == "range"
    refusals += 1
    st = node(update.state)
    assert (st.source, st.version, st.slot, st.refused) == ("partition", 9, 0, refusals), st
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert f"updates 1 refused {refusals}" in lines, lines


def test_interrupted_update_leaves_the_old_model(
    node: Callable, dut: DeviceAdapter, key: ec.EllipticCurvePrivateKey
) -> None:
    assert node(lambda c: update.upload(c, signed(key, 9))) == 9
    newer = signed(key, 10)

    class Cut(Exception):
        """The power goes half way through the upload."""

    def cut_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            raise Cut

    async def half_then_reset(c: SMPClient) -> None:
        # vmon's client (it resumes after a lost frame), stopped half way by its progress.
        with pytest.raises(Cut):
            await update.upload(c, newer, cut_half_way)
        assert (await update.state(c)).upload_offset >= len(newer) // 2
        # A warm reset keeps QEMU's RAM, where the flash simulator is.
        assert success(await c.request(ResetWrite()))

    node(half_then_reset)
    assert Shell(dut, timeout=30.0).wait_for_prompt()
    lines = run(dut, "vmon model info", r"^updates \d+ refused \d+")
    assert "source partition version 9" in lines, lines
    assert "partition 2 x 6144 B: runs (0) slot 0" in lines, lines
