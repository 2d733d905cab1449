"""vmon.firmware.update against a node emulated in Python (no QEMU): framing, chunking,
errors. The firmware side runs in app/sample.yaml vmon.app.model_update."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cbor2
import pytest
from smp import header as smphdr

from vmon.errors import VmonError
from vmon.firmware import update

MTU = 256


class FakeNode:
    """smpclient's transport protocol, answered by a model group that keeps the upload in
    memory the way model_update_smp.c does (sequential offsets, length with the first)."""

    def __init__(self, slot_bytes: int = 6144, refuse_with: update.ModelErr | None = None):
        self.slot_bytes = slot_bytes
        self.refuse_with = refuse_with
        self.received = bytearray()
        self.length = 0
        self.requests: list[int] = []  # sizes on the wire
        self.silent = False
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()
        # Upload requests (counted from 0) lost on the way to the node / their answers lost.
        self.lose_request: set[int] = set()
        self.lose_answer: set[int] = set()
        self.uploads = 0

    # -- SMPTransport
    async def connect(self, address: str, timeout_s: float) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    def initialize(self, smp_server_transport_buffer_size: int) -> None:
        pass

    @property
    def mtu(self) -> int:
        return MTU

    @property
    def max_unencoded_size(self) -> int:
        return MTU

    async def send(self, data: bytes) -> None:
        self.requests.append(len(data))
        hdr = smphdr.Header.loads(data[: smphdr.Header.SIZE])
        n = -1
        if hdr.group_id == update.GROUP and hdr.command_id == update.CMD_UPLOAD:
            n, self.uploads = self.uploads, self.uploads + 1
        if self.silent or n in self.lose_request:
            return
        answer = self._answer(data)
        if n not in self.lose_answer:
            await self.answers.put(answer)

    async def receive(self) -> bytes:
        return await self.answers.get()

    async def send_and_receive(self, data: bytes) -> bytes:
        await self.send(data)
        return await self.receive()

    # -- the node
    def _answer(self, data: bytes) -> bytes:
        hdr = smphdr.Header.loads(data[: smphdr.Header.SIZE])
        body = cbor2.loads(data[smphdr.Header.SIZE :])
        if hdr.group_id == 0:  # os: MCUmgr parameters
            return self._frame(hdr, {"buf_size": MTU, "buf_count": 4})
        if hdr.command_id == update.CMD_STATE:
            return self._frame(
                hdr,
                {
                    "src": "built-in",
                    "ver": 0,
                    "slot": -1,
                    "err": update.ModelErr.NOT_FOUND,
                    "cap": self.slot_bytes,
                    "updates": 0,
                    "refused": 0,
                    "off": len(self.received),
                },
            )
        if body["off"] == 0:
            self.length, self.received = body["len"], bytearray()
        if body["off"] != len(self.received):
            return self._error(hdr, update.ModelErr.RANGE)
        self.received += body["data"]
        if len(self.received) < self.length:
            return self._frame(hdr, {"off": len(self.received)})
        if self.refuse_with is not None:
            return self._error(hdr, self.refuse_with)
        return self._frame(hdr, {"off": len(self.received), "ver": 12})

    @staticmethod
    def _frame(req: smphdr.Header, payload: dict[str, object]) -> bytes:
        body = cbor2.dumps(payload)
        op = smphdr.OP.READ_RSP if req.op == smphdr.OP.READ else smphdr.OP.WRITE_RSP
        hdr = smphdr.Header(
            op, req.version, req.flags, len(body), req.group_id, req.sequence, req.command_id
        )
        return hdr.BYTES + body

    def _error(self, req: smphdr.Header, rc: update.ModelErr) -> bytes:
        return self._frame(req, {"err": {"group": update.GROUP, "rc": int(rc)}})


def client(node: FakeNode, timeout_s: float = 1.0) -> update.SMPClient:
    return update.SMPClient(node, "fake", timeout_s=timeout_s)  # type: ignore[arg-type]


def container(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "m.vmdl"
    path.write_bytes(bytes((i * 7) & 0xFF for i in range(size)))
    return path


def test_upload_fills_frames_and_returns_the_running_version(tmp_path: Path) -> None:
    node = FakeNode()
    path = container(tmp_path, 4856)
    seen: list[int] = []
    before, version, seconds = update.update_file(
        client(node), path, lambda done, total: seen.append(done)
    )
    assert (before.source, before.partition_error, before.slot_bytes) == (
        "built-in",
        "not_found",
        6144,
    )
    assert version == 12 and seconds >= 0
    assert bytes(node.received) == path.read_bytes()
    # Every upload request fills the frame but the last; none exceeds it.
    uploads = node.requests[2:]
    assert max(uploads) <= MTU and all(n >= MTU - 3 for n in uploads[:-1])
    assert seen == sorted(seen) and seen[-1] == 4856 and len(seen) == len(uploads)


def test_a_refusal_names_the_schema_error(tmp_path: Path) -> None:
    node = FakeNode(refuse_with=update.ModelErr.DENIED)
    with pytest.raises(update.UpdateError, match=r"model refused at byte \d+: denied"):
        update.update_file(client(node), container(tmp_path, 1000))


def test_a_container_larger_than_a_slot_is_not_sent(tmp_path: Path) -> None:
    node = FakeNode(slot_bytes=512)
    with pytest.raises(update.UpdateError, match="is 1000 B; the node's model slots hold 512 B"):
        update.update_file(client(node), container(tmp_path, 1000))
    assert len(node.requests) == 2  # parameters and state, no upload


@pytest.mark.parametrize("lost", ["request", "answer"])
def test_a_lost_frame_resumes_where_the_node_is(tmp_path: Path, lost: str) -> None:
    path = container(tmp_path, 4856)
    clean = FakeNode()
    update.update_file(client(clean), path)
    node = FakeNode()
    getattr(node, f"lose_{lost}").add(5)
    _, version, _ = update.update_file(client(node, timeout_s=0.3), path)
    assert version == 12 and bytes(node.received) == path.read_bytes()
    # The node said where it was (a state read): only a chunk it never got goes again.
    again = 1 if lost == "request" else 0
    assert len(node.requests) == len(clean.requests) + 1 + again
    assert node.uploads == clean.uploads + again


def test_lost_frames_give_up_after_the_retries(tmp_path: Path) -> None:
    node = FakeNode()
    node.lose_answer.update(range(1, 10))
    with pytest.raises(update.UpdateError, match="did not answer"):
        update.update_file(client(node, timeout_s=0.2), container(tmp_path, 4856))
    assert node.uploads == 5  # the first, then three retries and the one that gives up


def test_a_silent_node_is_one_error(tmp_path: Path) -> None:
    node = FakeNode()
    node.silent = True
    with pytest.raises(update.UpdateError, match="did not answer"):
        update.update_file(client(node, timeout_s=0.2), container(tmp_path, 100))


def test_update_error_is_a_user_error() -> None:
    assert issubclass(update.UpdateError, VmonError)
    assert [e.name.lower() for e in update.ModelErr] == update.ERRORS
