"""SMP (mcumgr) to a node under the twister pytest harness, through its console.

The node's SMP transport is its shell's UART (app/smp.conf): the frames share the console
with the shell and the records. smpclient's serial transport sorts SMP frames out of such a
stream; here its byte pipe is the twister DeviceAdapter instead of a serial port (the harness
owns QEMU's console pipes).
"""

from __future__ import annotations

import asyncio

from smpclient import SMPClient
from smpclient.transport.serial import SMPSerialTransport
from twister_harness import DeviceAdapter
from twister_harness.exceptions import TwisterHarnessTimeoutException


class DutPipe:
    """The few pyserial calls smpclient's serial transport makes, on a DeviceAdapter."""

    out_waiting = 0

    def __init__(self, dut: DeviceAdapter, console: list[str] | None = None) -> None:
        self.dut = dut
        self.port = "twister-dut"
        # The node's other output read on the way (logs between SMP frames), for the tests.
        self.console = console if console is not None else []

    def open(self) -> None:
        """The harness has the console open already."""

    def close(self) -> None:
        """The harness closes the console with the device."""

    def reset_input_buffer(self) -> None:
        self.dut.clear_buffer()

    def write(self, data: bytes) -> int:
        self.dut.write(data)
        return len(data)

    def read_all(self) -> bytes:
        # The harness hands the console over in lines, stripped of their line ends; an SMP
        # packet is a line and ends with one.
        out = bytearray()
        while True:
            try:
                line = self.dut.readline(timeout=0.02, print_output=False)
            except TwisterHarnessTimeoutException:
                return bytes(out)
            out += line.encode() + b"\n"
            if not line.startswith(("\x06\x09", "\x04\x14")):
                self.console.append(line)


class DutSerialTransport(SMPSerialTransport):
    """smpclient's serial transport (framing, fragmentation by the node's buffer size) over
    the harness's console: the sanctioned override of connect() for a non-serial pipe."""

    def __init__(self, dut: DeviceAdapter, console: list[str] | None = None) -> None:
        super().__init__()
        self._pipe = DutPipe(dut, console)

    async def connect(self, address: str, timeout_s: float) -> None:
        self._conn = self._pipe  # type: ignore[misc]
        # The harness has just sent newlines to find the prompt. Zephyr's shell transport
        # only diverts an SMP frame that starts a burst of received bytes: one right behind a
        # newline went to the shell as a command. Let the shell take its input first.
        await asyncio.sleep(0.3)
        await super().connect(address, timeout_s)


def dut_client(
    dut: DeviceAdapter, timeout_s: float = 5.0, console: list[str] | None = None
) -> SMPClient:
    """An SMP client on the node's console; `console` collects the node's other lines."""
    return SMPClient(DutSerialTransport(dut, console), "twister-dut", timeout_s=timeout_s)
