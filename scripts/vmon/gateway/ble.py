"""A BLE central for vmon nodes, on the bumble Bluetooth stack.

It finds a node by the health it advertises (no connection needed for that), connects,
pairs with LE Secure Connections (a bond: configuration writes need one), subscribes to the
event (indications) and status (notifications) characteristics, decodes every record with
:mod:`vmon.codec` and drops the duplicates a node sends after a reconnection. ``vmon listen``
runs it on a real controller (any bumble transport: ``usb:0``, ``hci-socket:0``,
``serial:/dev/ttyACM0``, ...); the BLE end-to-end test runs it against the node on
``native_sim`` through a virtual controller.

The GATT layout and the advertising format are the node's (app/src/modules/reporting/
transport_ble.c, docs/reporting.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bumble import hci
from bumble.att import ATT_Error
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.pairing import PairingConfig, PairingDelegate

from vmon import codec
from vmon.errors import VmonError

SERVICE_UUID = UUID("7a6d0000-4c5e-9b1c-5f3a-d2c0e1a00000")
EVENT_UUID = UUID("7a6d0001-4c5e-9b1c-5f3a-d2c0e1a00000")
STATUS_UUID = UUID("7a6d0002-4c5e-9b1c-5f3a-d2c0e1a00000")
CONFIG_UUID = UUID("7a6d0003-4c5e-9b1c-5f3a-d2c0e1a00000")
# Bluetooth SIG's identifier for tests and internal use (CONFIG_VMON_REPORTING_BLE_COMPANY_ID).
COMPANY_ID = 0xFFFF
ADV_MARKER = ord("v")
ADV_FORMAT = 1
STATES = ("normal", "warning", "alarm")
MTU = 65  # the node's (CONFIG_BT_L2CAP_TX_MTU): the largest record plus the ATT header

# ATT errors the node answers a refused configuration write with.
ATT_ERRORS = {
    0x05: "EACCES: no bond with LE Secure Connections (pair first)",
    0x0D: "EMSGSIZE: wrong length",
    0x0E: "EIO: valid, but the node could not store it",
    0x13: "EINVAL: refused by the node (version, type, range or validation)",
}


@dataclass(frozen=True)
class Health:
    """What a node advertises: seen without connecting."""

    address: str
    name: str
    state: str
    battery_mv: int | None
    queue_depth: int
    rssi: int


def parse_health(adv: Advertisement) -> Health | None:
    """The node's health from an advertisement, or None when it is not a vmon node's."""
    for company, data in adv.data.get_all(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA):
        if company != COMPANY_ID or len(data) < 6 or data[0] != ADV_MARKER:
            continue
        if data[1] != ADV_FORMAT:
            continue
        state, battery, depth = data[2], data[3], struct.unpack_from("<H", data, 4)[0]
        names = adv.data.get_all(AdvertisingData.Type.COMPLETE_LOCAL_NAME)
        return Health(
            address=str(adv.address),
            name=str(names[0]) if names else "",
            state=STATES[state] if state < len(STATES) else f"unknown({state})",
            battery_mv=None if battery == 0xFF else battery * 20,
            queue_depth=depth,
            rssi=adv.rssi,
        )
    return None


@dataclass
class Received:
    """One record as received: decoded, with the time it arrived."""

    node: str
    characteristic: str  # "event" or "status"
    record: dict[str, Any]
    t: float  # time.monotonic()
    duplicate: bool


@dataclass
class Central:
    """A bumble device acting as the gateway: one node at a time."""

    device: Device
    on_record: Callable[[Received], None] = lambda r: None
    #: Called with each value that does not decode (node, characteristic, bytes, error).
    on_bad: Callable[[str, str, bytes, codec.CodecError], None] = lambda n, c, v, e: None
    keep_duplicates: bool = False
    dedup: dict[str, codec.Deduplicator] = field(default_factory=dict)
    bad_records: int = 0
    connection: Connection | None = None
    peer: Peer | None = None
    _config: CharacteristicProxy[bytes] | None = None
    # Per node, the value handles of its event and status characteristics, learned at the
    # first discovery. A bonded node resumes indications and notifications as soon as it is
    # connected (its subscriptions persist, as GATT requires), before any discovery: they
    # are taken from the first packet on with these handles.
    _handles: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.device.on("connection", self._on_connection)
        # LE Secure Connections, Just Works (a node has no display or keyboard), bonding.
        self.device.pairing_config_factory = lambda _conn: PairingConfig(
            sc=True,
            mitm=False,
            bonding=True,
            delegate=PairingDelegate(PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT),
        )

    def _deliverer(self, node: str, name: str) -> Callable[[bytes], None]:
        dedup = self.dedup.setdefault(node, codec.Deduplicator())

        def deliver(value: bytes) -> None:
            try:
                rec = codec.decode(bytes(value))
            except codec.CodecError as err:
                self.bad_records += 1
                self.on_bad(node, name, bytes(value), err)
                return
            new = dedup.accept(rec)
            if new or self.keep_duplicates:
                self.on_record(Received(node, name, rec, time.monotonic(), not new))

        return deliver

    def _on_connection(self, conn: Connection) -> None:
        # Synchronous, before any ATT packet of this connection is handled.
        node = str(conn.peer_address)
        handles = self._handles.get(node)
        if not handles:
            return
        client = conn.gatt_client
        client.indication_subscribers.setdefault(handles["event"], set()).add(
            self._deliverer(node, "event")
        )
        client.notification_subscribers.setdefault(handles["status"], set()).add(
            self._deliverer(node, "status")
        )

    async def scan(self, timeout: float = 10.0, name: str | None = None) -> Health:
        """The first vmon node heard (named ``name`` when given)."""
        found: asyncio.Future[Health] = asyncio.get_running_loop().create_future()

        def on_adv(adv: Advertisement) -> None:
            health = parse_health(adv)
            if health is None or found.done():
                return
            if name is None or health.name == name or health.address == name:
                found.set_result(health)

        self.device.on("advertisement", on_adv)
        await self.device.start_scanning(filter_duplicates=False)
        try:
            return await asyncio.wait_for(found, timeout)
        except asyncio.TimeoutError:
            raise VmonError(f"no vmon node advertising within {timeout:.0f} s") from None
        finally:
            self.device.remove_listener("advertisement", on_adv)
            await self.device.stop_scanning()

    async def connect(self, address: str, pair: bool = True) -> None:
        """Connect, secure the link (pair the first time, encrypt with the bond after),
        discover the vmon service and subscribe to events and status."""
        conn = await self.device.connect(
            hci.Address(address) if isinstance(address, str) else address, timeout=10.0
        )
        self.connection = conn
        node = str(conn.peer_address)
        if pair:
            store = self.device.keystore
            bonded = store is not None and await store.get(node) is not None
            if bonded:
                await conn.encrypt()
            else:
                await conn.pair()
        peer = Peer(conn)
        self.peer = peer
        # Status records (up to 51 bytes) need more than the default 23-byte ATT MTU.
        await peer.request_mtu(MTU)
        await peer.discover_services([SERVICE_UUID])
        services = peer.get_services_by_uuid(SERVICE_UUID)
        if not services:
            raise VmonError(f"{node} has no vmon service")
        await services[0].discover_characteristics()

        def char(uuid: UUID) -> CharacteristicProxy[bytes]:
            found = services[0].get_characteristics_by_uuid(uuid)
            if not found:
                raise VmonError(f"{node}: vmon service without characteristic {uuid}")
            return found[0]

        self._config = char(CONFIG_UUID)
        resumed = node in self._handles
        handles = {}
        for name, uuid in (("event", EVENT_UUID), ("status", STATUS_UUID)):
            characteristic = char(uuid)
            handles[name] = characteristic.handle
            if resumed and self._handles[node].get(name) == characteristic.handle:
                # Taken since the connection: write the subscription again only.
                await peer.subscribe(characteristic, None, prefer_notify=(name == "status"))
            else:
                await peer.subscribe(
                    characteristic, self._deliverer(node, name), prefer_notify=(name == "status")
                )
        self._handles[node] = handles

    async def write_config(self, record: dict[str, Any] | bytes) -> None:
        """Send a configuration (a config record, or its bytes); VmonError when refused."""
        if self._config is None:
            raise VmonError("not connected to a node")
        data = record if isinstance(record, bytes) else codec.encode(record)
        try:
            await self._config.write_value(data, with_response=True)
        except ATT_Error as err:
            why = ATT_ERRORS.get(err.error_code, f"ATT error 0x{err.error_code:02x}")
            raise VmonError(f"configuration refused: {why}") from None

    async def disconnect(self) -> None:
        if self.connection is not None:
            await self.connection.disconnect()
            self.connection = None
            self.peer = None
            self._config = None


def record_line(r: Received) -> dict[str, Any]:
    """A received record as ``vmon listen`` prints it (one JSON object per line)."""
    return {"node": r.node, "via": f"ble/{r.characteristic}", **r.record}


def bad_line(node: str, characteristic: str, value: bytes, err: codec.CodecError) -> dict[str, Any]:
    """A value that does not decode, as ``vmon listen`` prints it: kept, never dropped
    silently (a node on another schema version, a corrupted write)."""
    return {"node": node, "via": f"ble/{characteristic}", "error": str(err), "hex": value.hex()}


async def listen(
    transport: str,
    out: Callable[[dict[str, Any]], None],
    name: str | None = None,
    count: int | None = None,
    seconds: float | None = None,
    keys: str | None = None,
    scan_timeout: float = 30.0,
) -> int:
    """Receive a node's records until ``count`` arrived or ``seconds`` passed, reconnecting
    whenever the link drops; return the number of records printed."""
    from bumble.keys import JsonKeyStore
    from bumble.transport import open_transport

    try:
        hci_transport = await open_transport(transport)
    except Exception as err:  # bumble raises many kinds for a transport it cannot open
        raise VmonError(f"cannot open Bluetooth transport '{transport}': {err}") from None
    async with hci_transport:
        device = Device.with_hci(
            "vmon-gateway",
            hci.Address("F0:F1:F2:F3:F4:F5"),
            hci_transport.source,
            hci_transport.sink,
        )
        # Bonds survive restarts, so configuration writes keep working without re-pairing.
        device.keystore = JsonKeyStore(namespace="vmon", filename=keys)
        got = 0
        done = asyncio.Event()

        def on_record(r: Received) -> None:
            nonlocal got
            out(record_line(r))
            got += 1
            if count is not None and got >= count:
                done.set()

        central = Central(device, on_record=on_record, on_bad=lambda *bad: out(bad_line(*bad)))
        await device.power_on()

        async def run() -> None:
            while not done.is_set():
                health = await central.scan(timeout=scan_timeout, name=name)
                await central.connect(health.address)
                assert central.connection is not None
                lost = asyncio.Event()
                central.connection.on("disconnection", lambda _reason, ev=lost: ev.set())
                await asyncio.wait(
                    [asyncio.create_task(lost.wait()), asyncio.create_task(done.wait())],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            await central.disconnect()

        with contextlib.suppress(asyncio.TimeoutError):  # --seconds ran out
            await asyncio.wait_for(run(), seconds)
        return got
