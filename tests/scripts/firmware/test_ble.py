"""BLE end to end without a radio: the node's reporting on native_sim against bumble.

Two bumble controllers share a virtual link: one serves HCI over TCP to the node (Zephyr's
HCI user-channel driver, ``--bt-dev=127.0.0.1:PORT``), the other carries the gateway
(:class:`vmon.gateway.ble.Central`, what ``vmon listen`` runs). The node
(tests/app/modules/reporting_ble: the reporting module, its BLE transport and the product's
Bluetooth settings, fed a scripted recording's events) is scanned for its advertised health,
connected, subscribed, refused SMP (mcumgr) commands and configuration writes until paired (LE
Secure Connections) and served them after, written good and bad configurations, and
disconnected mid-stream: every event must arrive, in order, none lost and none twice
after de-duplication, alarms delivered (the indication confirmed by the gateway) within 1 s
of their publication in the node's simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import statistics
import sys
import time
from pathlib import Path

import pytest
from test_replay import firmware_or_skip

from vmon import codec
from vmon.errors import VmonError
from vmon.firmware import native
from vmon.paths import REPO_ROOT

bumble = pytest.importorskip("bumble", reason="BLE test skipped: bumble is not installed")

from bumble import hci  # noqa: E402
from bumble.controller import Controller  # noqa: E402
from bumble.core import UUID as BumbleUUID  # noqa: E402
from bumble.device import Device, Peer  # noqa: E402
from bumble.keys import JsonKeyStore  # noqa: E402
from bumble.link import LocalLink  # noqa: E402
from bumble.transport.common import StreamPacketSink, StreamPacketSource  # noqa: E402

from vmon.gateway.ble import STATES, Central, Received, bad_line  # noqa: E402

pytest.importorskip("smpclient.transport.bumble", reason="SMP over BLE: smpclient[bumble]")
from smp.error import MGMT_ERR  # noqa: E402
from smpclient import SMPClient  # noqa: E402
from smpclient.generics import error_v1, success  # noqa: E402
from smpclient.requests.os_management import EchoWrite, MCUMgrParametersRead  # noqa: E402
from smpclient.transport import SMP_SERVICE_UUID  # noqa: E402
from smpclient.transport.bumble import SMPBumbleTransport, borrowed_connection  # noqa: E402

NODE = REPO_ROOT / "tests" / "app" / "modules" / "reporting_ble"
BOARD = "native_sim/native/64"
N_EVENTS = 40  # CONFIG_VMON_TEST_EVENTS
PUBLISHED = re.compile(r"@vmon test published (\d+) (\d+)")
# The reporting loop's debug line when a record is acknowledged, with the log's timestamp
# (and colour codes before the level).
DELIVERED = re.compile(
    r"\[(\d+):(\d+):(\d+)\.(\d+),(\d+)\] [^<]*<dbg> vmon_reporting: (?:\w+: )?delivered (\d+)"
)


class HciBridge(asyncio.Protocol):
    """A bumble controller's HCI on a TCP connection (H4 framing both ways)."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.source = StreamPacketSource()
        self.sock: socket.socket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self.sock = transport.get_extra_info("socket")
        # Nagle on one side and delayed ACKs on the other cost ~90 ms per ATT round trip.
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.source.set_packet_sink(self.controller)
        self.controller.host = StreamPacketSink(transport)

    def data_received(self, data: bytes) -> None:
        self.source.data_received(data)
        if self.sock is not None and hasattr(socket, "TCP_QUICKACK"):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.controller.host = None


@pytest.fixture(scope="module")
def node_exe() -> Path:
    firmware_or_skip("BLE end-to-end test")
    return native.build(NODE, "reporting-ble", BOARD)


class Node:
    """The node's process and what it prints."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.published: dict[int, float] = {}  # event index -> time.monotonic() printed
        self.published_ms: dict[int, int] = {}  # event index -> node uptime (ms)
        self.delivered_ms: dict[int, float] = {}  # record seq (16 bits) -> node uptime (ms)
        self.done = asyncio.Event()

    async def read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if m := PUBLISHED.search(line):
                self.published[int(m.group(1))] = time.monotonic()
                self.published_ms[int(m.group(1))] = int(m.group(2))
            elif m := DELIVERED.search(line):
                h, mi, sec, ms, us, seq = (int(g) for g in m.groups())
                t = ((h * 60 + mi) * 60 + sec) * 1000 + ms + us / 1000
                self.delivered_ms[seq & 0xFFFF] = t
            elif "@vmon test done" in line:
                self.done.set()

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.lines[-n:])


async def wait_for(cond: object, timeout: float, what: str, node: Node) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; node said:\n{node.tail()}")
        await asyncio.sleep(0.05)


async def node_on_link(
    exe: Path, workdir: Path, output: int
) -> tuple[Controller, asyncio.Server, asyncio.subprocess.Process]:
    """A virtual link with two controllers, the node's served to its process over TCP HCI
    and the process started; the gateway's controller is returned with them."""
    link = LocalLink()
    # No public address for the node: Zephyr makes a static random identity, as on an
    # nRF52840, and keeps it in settings (bumble's link routes LE data by random address).
    node_ctrl = Controller("node", link=link)
    gw_ctrl = Controller("gateway", link=link)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HciBridge(node_ctrl), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        str(exe),
        f"--bt-dev=127.0.0.1:{port}",
        cwd=workdir,  # flash.bin: settings (bonds) and the report queue
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )
    return gw_ctrl, server, proc


async def smp_over_ble(central: Central) -> tuple[object, object]:
    """mcumgr's echo and parameters over the gateway's link to the node (SMP's GATT service,
    smpclient's bumble transport on the connection the gateway holds)."""
    assert central.connection is not None
    # The gateway discovered only vmon's service; smpclient looks for SMP's among those.
    peer = Peer(central.connection)
    await peer.discover_services([BumbleUUID(str(SMP_SERVICE_UUID))])
    for service in peer.get_services_by_uuid(BumbleUUID(str(SMP_SERVICE_UUID))):
        await service.discover_characteristics()
    transport = SMPBumbleTransport()
    async with borrowed_connection(transport, central.connection, peer=peer):
        client = SMPClient(transport, str(central.connection.peer_address), timeout_s=10)
        echo = await client.request(EchoWrite(d="vmon smp over ble"))
        params = await client.request(MCUMgrParametersRead())
    return echo, params


async def scenario(exe: Path, workdir: Path) -> dict[str, float]:
    gw_ctrl, server, proc = await node_on_link(exe, workdir, asyncio.subprocess.PIPE)
    node = Node(proc)
    reader = asyncio.create_task(node.read())
    received: list[Received] = []
    device = Device.with_hci("gateway", hci.Address("C0:C1:C2:C3:C4:C5"), gw_ctrl, gw_ctrl)
    device.keystore = JsonKeyStore(namespace="vmon-test", filename=str(workdir / "keys.json"))
    central = Central(device, on_record=received.append, keep_duplicates=True)
    try:
        await device.power_on()
        health = await central.scan(timeout=20)
        assert health.name.startswith("vmon-"), health
        assert health.state in STATES and health.battery_mv is None, health

        # Records flow without pairing; configuration needs a bond first.
        await central.connect(health.address, pair=False)
        good = {"type": "config", "seq": 1, "report": {"status_period_s": 600}}
        with pytest.raises(VmonError, match="EACCES"):
            await central.write_config(good)
        # SMP (mcumgr: images, models, resets) likewise: the guard refuses every command on
        # a link without LE Secure Connections keys.
        for response in await smp_over_ble(central):
            assert error_v1(response), response
            assert response.header.group_id == 0, response  # the os group
            assert response.rc == MGMT_ERR.EACCESSDENIED, response
        assert any("SMP command refused" in ln for ln in node.lines), node.tail()
        assert central.connection is not None
        await central.connection.pair()
        await central.write_config(good)
        echo, params = await smp_over_ble(central)
        assert success(echo) and echo.r == "vmon smp over ble", echo
        # The node's SMP buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, app/smp_bt.conf).
        assert success(params) and params.buf_size == 512, params
        bad = {
            "type": "config",
            "seq": 2,
            "zones": {"ab_um_s": 3000, "bc_um_s": 2000, "cd_um_s": 7100},
        }
        with pytest.raises(VmonError, match="EINVAL"):
            await central.write_config(bad)
        with pytest.raises(VmonError, match="EMSGSIZE"):
            await central.write_config(codec.encode(good)[:-1])

        # Mid-stream: drop the link, let the node queue, come back with the bond.
        def events() -> list[Received]:
            return [r for r in received if r.characteristic == "event" and not r.duplicate]

        await wait_for(lambda: len(events()) >= 12, 30, "12 events", node)
        await central.disconnect()
        gap_start = time.monotonic()
        await asyncio.sleep(2.0)
        health = await central.scan(timeout=20)
        await central.connect(health.address, pair=True)
        gap_end = time.monotonic()
        await wait_for(node.done.is_set, 40, "the end of the recording", node)
        await wait_for(lambda: len(events()) >= N_EVENTS, 20, f"{N_EVENTS} events", node)
        await central.disconnect()
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        reader.cancel()
        server.close()

    evs = events()
    details = [r.record["detail"] for r in evs]
    assert details == list(range(N_EVENTS)), f"events out of order or lost: {details}"
    assert central.bad_records == 0
    assert not [ln for ln in node.lines if "publish failed" in ln]
    dups = sum(1 for r in received if r.duplicate)
    # Latency of the events published while the link was up (the others waited in the
    # queue by design): from publication to the gateway's confirmation of the indication,
    # in the node's simulated time (the target); and, for comparison, from the node's print
    # to the gateway's receipt on the wall clock.
    live = [
        r for r in evs if not gap_start - 1.0 <= node.published[r.record["detail"]] <= gap_end + 1.0
    ]
    lat = [
        (node.delivered_ms[r.record["seq"]] - node.published_ms[r.record["detail"]]) / 1000
        for r in live
    ]
    wall = [r.t - node.published[r.record["detail"]] for r in live]
    assert len(lat) >= 10, len(lat)
    assert min(lat) >= 0, lat
    assert max(lat) <= 1.0, f"latency {max(lat):.3f} s (simulated time)"
    statuses = [r.record for r in received if r.characteristic == "status" and not r.duplicate]
    # Every status period a status and a telemetry record; the status names the last
    # configuration handled (the truncated write, seq 1: refused for its length, a portable
    # code whatever the node's C library numbers EMSGSIZE).
    last = [r for r in statuses if r["type"] == "status"][-1]
    assert (last["config_seq"], last["config_err"]) == (1, "length"), last
    return {
        "events": len(evs),
        "duplicates_dropped": dups,
        "latency_max_s": max(lat),
        "latency_median_s": statistics.median(lat),
        "wall_latency_max_s": max(wall),
        "status_records": len(statuses),
        "reconnection_s": gap_end - gap_start,
    }


@pytest.mark.firmware
@pytest.mark.slow
def test_ble_events_in_order_across_a_reconnection(
    node_exe: Path, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    result = asyncio.run(scenario(node_exe, tmp_path))
    for key, value in result.items():
        record_property(key, value)
    print(f"BLE end to end: {result}")


async def listen_cli(exe: Path, workdir: Path) -> list[dict[str, object]]:
    """`vmon listen` as a user runs it, its controller on a TCP HCI transport."""
    gw_ctrl, node_server, proc = await node_on_link(exe, workdir, asyncio.subprocess.DEVNULL)
    loop = asyncio.get_running_loop()
    gw_server = await loop.create_server(lambda: HciBridge(gw_ctrl), "127.0.0.1", 0)
    gw_port = gw_server.sockets[0].getsockname()[1]
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vmon.cli",
        "listen",
        "--transport",
        f"tcp-client:127.0.0.1:{gw_port}",
        "--count",
        "6",
        "--seconds",
        "40",
        "--keys",
        str(workdir / "keys.json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(cli.communicate(), 60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        node_server.close()
        gw_server.close()
    assert cli.returncode == 0, err.decode()[-2000:]
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


@pytest.mark.firmware
@pytest.mark.slow
def test_vmon_listen_prints_json_lines(node_exe: Path, tmp_path: Path) -> None:
    lines = asyncio.run(listen_cli(node_exe, tmp_path))
    assert len(lines) == 6, lines
    events = [ln for ln in lines if ln["type"] == "event"]
    assert [ln["detail"] for ln in events] == list(range(len(events)))
    assert all(str(ln["node"]) and str(ln["via"]).startswith("ble/") for ln in lines)


class _StubDevice:
    """What Central needs of a bumble Device to decode values (no radio, no firmware)."""

    pairing_config_factory: object = None

    def on(self, _event: str, _handler: object) -> None:
        pass


def test_gateway_reports_undecodable_values_and_drops_duplicates() -> None:
    good: list[Received] = []
    bad: list[dict[str, object]] = []
    central = Central(
        _StubDevice(),  # type: ignore[arg-type]
        on_record=good.append,
        on_bad=lambda *b: bad.append(bad_line(*b)),
    )
    deliver = central._deliverer("vmon-1", "event")
    event = codec.encode(
        {
            "type": "event",
            "seq": 5,
            "kind": "state",
            "state": "alarm",
            "fault": "unknown",
            "source": "none",
            "confidence_pct": 0,
            "uptime_s": 60,
            "detail": 0,
        }
    )
    deliver(event)
    deliver(event)  # a retransmission: de-duplicated by seq
    deliver(event[:-1])  # truncated
    deliver(bytes([0x12]) + event[1:])  # another schema version
    assert [r.record["seq"] for r in good] == [5]
    assert central.bad_records == 2
    assert [b["error"].split(":")[0] for b in bad] == ["EMSGSIZE", "ENOTSUP"]  # type: ignore[union-attr]
    assert bad[0] == {
        "node": "vmon-1",
        "via": "ble/event",
        "error": bad[0]["error"],
        "hex": event[:-1].hex(),
    }
