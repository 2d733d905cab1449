"""Model updates over SMP (mcumgr): the host side of the node's vmon model group.

The node (app/src/modules/model_store/model_update_smp.c) has its own SMP group with two
commands: ``state`` (read: which model runs, from which slot, the partition's verdict,
update counters) and ``upload`` (write: ``{off, data[, len]}`` chunks; after the last one the
node verifies the container as at boot, refuses it unless it is newer than the running
partition model, and switches to it between two windows). A refusal is an SMP version 2
group error whose rc is the payload schema's error code (``enum error``): errno values differ
between C libraries and never leave the node.

The client is smpclient's, on any of its transports: a serial port here (the shell's UART,
USB CDC ACM), Bluetooth on the radio boards. Models are the signed containers `invoke
sign-model` writes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from smp import error as smperr
from smp import message as smpmsg
from smpclient import SMPClient
from smpclient.exceptions import SMPBadSequence
from smpclient.generics import error, success
from smpclient.transport import SMPTransport, SMPTransportDisconnected

from vmon.codec._schema import SCHEMA
from vmon.errors import VmonError

# app/src/modules/model_store/Kconfig: VMON_MODEL_UPDATE_SMP_GROUP's default.
GROUP = 80
CMD_STATE, CMD_UPLOAD = 0, 1
# The schema's portable error codes (app/schema/payload.yaml, enum error).
ERRORS: list[str] = SCHEMA["enums"]["error"]


class UpdateError(VmonError):
    """The node refused an update, or did not answer."""


class ModelErr(IntEnum):
    """The group's SMP rc values: the payload schema's error codes."""

    NONE = 0
    INVALID = 1
    RANGE = 2
    UNSUPPORTED = 3
    LENGTH = 4
    MALFORMED = 5
    NO_MEMORY = 6
    IO = 7
    BUSY = 8
    TIMEOUT = 9
    NOT_FOUND = 10
    OTHER = 11
    DENIED = 12
    INCOMPATIBLE = 13


assert [e.name.lower() for e in ModelErr] == ERRORS, "ModelErr follows the schema's enum error"


class StateReadRequest(smpmsg.ReadRequest):
    _GROUP_ID = GROUP
    _COMMAND_ID = CMD_STATE


class StateReadResponse(smpmsg.ReadResponse):
    _GROUP_ID = GROUP
    _COMMAND_ID = CMD_STATE

    src: str
    ver: int
    slot: int
    err: int
    cap: int
    updates: int
    refused: int
    off: int


class UploadWriteRequest(smpmsg.WriteRequest):
    _GROUP_ID = GROUP
    _COMMAND_ID = CMD_UPLOAD

    off: int
    data: bytes
    len: int | None = None


class UploadWriteResponse(smpmsg.WriteResponse):
    _GROUP_ID = GROUP
    _COMMAND_ID = CMD_UPLOAD

    off: int
    ver: int | None = None


class ErrorV1(smperr.ErrorV1):
    _GROUP_ID = GROUP


class ErrorV2(smperr.ErrorV2[ModelErr]):
    _GROUP_ID = GROUP


class StateRead(StateReadRequest):
    _Response = StateReadResponse
    _ErrorV1 = ErrorV1
    _ErrorV2 = ErrorV2


class UploadWrite(UploadWriteRequest):
    _Response = UploadWriteResponse
    _ErrorV1 = ErrorV1
    _ErrorV2 = ErrorV2


@dataclass(frozen=True)
class ModelState:
    """What the node's model store says (``vmon model info`` over SMP)."""

    source: str  # partition | built-in | none
    version: int
    slot: int
    partition_error: str  # the schema's name of the partition's verdict
    slot_bytes: int
    updates: int
    refused: int
    upload_offset: int


def _why(response: object) -> str:
    if isinstance(response, ErrorV2) and response.err is not None:
        rc = int(response.err.rc)
        return ERRORS[rc] if 0 <= rc < len(ERRORS) else f"rc {rc}"
    if isinstance(response, ErrorV1):
        return f"SMP error {int(response.rc)}"
    return str(response)


async def state(client: SMPClient) -> ModelState:
    r = await client.request(StateRead())
    if not success(r):
        raise UpdateError(f"model state: {_why(r)}")
    return ModelState(
        r.src,
        r.ver,
        r.slot,
        ERRORS[r.err] if r.err < len(ERRORS) else str(r.err),
        r.cap,
        r.updates,
        r.refused,
        r.off,
    )


async def upload(
    client: SMPClient,
    container: bytes,
    progress: Callable[[int, int], None] | None = None,
    timeout_s: float = 20.0,
    retries: int = 3,
) -> int:
    """Upload a signed container; the model version the node now runs.

    Chunks fill the transport's frames. A chunk whose answer is lost (a noisy link) is not
    sent again blindly: the node abandons an upload at an out-of-order chunk, so the client
    asks the node how far it got and goes on from there (at most `retries` times). The last
    request's answer comes after the node has verified and switched to the model, hence its
    longer timeout.
    """
    off, lost = 0, 0
    while True:
        first = off == 0
        empty = UploadWrite(off=off, data=b"", len=len(container) if first else None)
        _, room = client.get_max_cbor_and_data_size(empty)
        if room <= 0:
            raise UpdateError("the transport's frames have no room for data")
        chunk = container[off : off + room]
        last = off + len(chunk) == len(container)
        try:
            r = await client.request(
                UploadWrite(off=off, data=chunk, len=len(container) if first else None),
                timeout_s=timeout_s if last else None,
            )
        except (TimeoutError, SMPBadSequence):
            lost += 1
            if last or lost > retries:
                raise
            off = (await state(client)).upload_offset
            if off > len(container):
                raise UpdateError(f"the node is at byte {off} of {len(container)}") from None
            continue
        if error(r):
            raise UpdateError(f"model refused at byte {off}: {_why(r)}")
        if not success(r) or r.off != off + len(chunk):
            raise UpdateError(f"unexpected answer at byte {off}: {r}")
        off = r.off
        if progress is not None:
            progress(off, len(container))
        if last:
            if r.ver is None:
                raise UpdateError("the node took the model but did not say its version")
            return r.ver


def serial_client(port: str, timeout_s: float = 5.0) -> SMPClient:
    """An SMP client on a serial port (the shell's UART, USB CDC ACM)."""
    from smpclient.transport.serial import SMPSerialTransport

    transport: SMPTransport = SMPSerialTransport()
    return SMPClient(transport, port, timeout_s=timeout_s)


def update_file(
    client: SMPClient, path: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[ModelState, int, float]:
    """Connect, upload a container file, disconnect: the node's state before, the version it
    now runs and the seconds the upload took."""
    try:
        container = path.read_bytes()
    except OSError as err:
        raise UpdateError(f"cannot read {path}: {err.strerror}") from None

    async def run() -> tuple[ModelState, int, float]:
        await client.connect()
        try:
            before = await state(client)
            if len(container) > before.slot_bytes:
                raise UpdateError(
                    f"{path.name} is {len(container)} B; the node's model slots hold "
                    f"{before.slot_bytes} B"
                )
            t0 = time.monotonic()
            version = await upload(client, container, progress)
            return before, version, time.monotonic() - t0
        finally:
            await client.disconnect()

    try:
        return asyncio.run(run())
    except TimeoutError:
        raise UpdateError("the node did not answer (is SMP enabled in its build?)") from None
    except SMPTransportDisconnected:
        raise UpdateError(f"{client.address}: the connection was lost") from None
    except OSError as err:  # the serial port: absent, busy, unplugged
        raise UpdateError(f"{client.address}: {err.strerror or err}") from None


def update_port(port: str, path: Path) -> None:
    """`invoke model-update`: upload a signed container over a serial port, with progress."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    if not path.is_file():
        raise UpdateError(f"cannot read {path}: no such file (invoke sign-model writes one)")
    if "://" not in port and not port.upper().startswith("COM") and not Path(port).exists():
        # smpclient retries a port that cannot be opened until its timeout; say it now.
        raise UpdateError(f"no serial port {port}")
    with Progress(TextColumn("upload {task.description}"), BarColumn(), DownloadColumn()) as bar:
        job = bar.add_task(path.name, total=path.stat().st_size)
        before, version, seconds = update_file(
            serial_client(port), path, lambda done, total: bar.update(job, completed=done)
        )
    print(
        f"{port}: model version {version} runs (was {before.source} version {before.version}); "
        f"{path.stat().st_size:,} B in {seconds:.1f} s"
    )
