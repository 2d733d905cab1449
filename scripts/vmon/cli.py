"""``vmon``: the gateway-side command line (installed with the package).

    vmon decode 1107005021... [--fport 1]     an uplink (hex) as a JSON line
    vmon decode --downlink 1103...            a downlink (hex) as a JSON line
    vmon encode '{"type": "config", ...}'     a record as hex, with its LoRaWAN fPort
    vmon listen [--transport usb:0] [--name vmon-1A2B] [--count N] [--seconds S]
                                              a node's records over BLE, as JSON lines

Bad input is one line on stderr, ``vmon: error: REASON: what``, and exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from vmon import codec
from vmon.errors import VmonError


def _decode(args: argparse.Namespace) -> None:
    direction = codec.DOWNLINK if args.downlink else codec.UPLINK
    rec = codec.decode(codec.parse_hex(args.hex), direction, args.fport)
    print(json.dumps(rec))


def _encode(args: argparse.Namespace) -> None:
    try:
        rec = json.loads(args.json)
    except json.JSONDecodeError as err:
        raise VmonError(f"not JSON: {err}") from None
    data = codec.encode(rec)
    print(json.dumps({"hex": data.hex(), "fport": codec.MESSAGES[rec["type"]]["fport"]}))


def _listen(args: argparse.Namespace) -> None:
    import asyncio

    from vmon.gateway import ble

    def out(line: dict[str, object]) -> None:
        print(json.dumps(line), flush=True)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends listening, no traceback
        asyncio.run(
            ble.listen(
                args.transport,
                out,
                name=args.name,
                count=args.count,
                seconds=args.seconds,
                keys=args.keys,
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmon", description="vmon gateway tools")
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decode", help="decode a record given in hex (LoRaWAN FRMPayload)")
    dec.add_argument("hex")
    dec.add_argument("--downlink", action="store_true", help="a downlink (configuration)")
    dec.add_argument("--fport", type=int, help="LoRaWAN fPort it arrived on (checked)")
    dec.set_defaults(func=_decode)
    enc = sub.add_parser("encode", help="encode a record given as JSON")
    enc.add_argument("json")
    enc.set_defaults(func=_encode)
    lis = sub.add_parser(
        "listen", help="connect to a node over BLE and print its records as JSON lines"
    )
    lis.add_argument(
        "--transport",
        default="usb:0",
        help="bumble HCI transport of the Bluetooth controller (usb:0, hci-socket:0, "
        "serial:/dev/ttyACM0,1000000, tcp-client:HOST:PORT)",
    )
    lis.add_argument("--name", help="the node's advertised name or address (default: first)")
    lis.add_argument("--count", type=int, help="stop after this many records")
    lis.add_argument("--seconds", type=float, help="stop after this long")
    lis.add_argument("--keys", help="bond store (JSON; default: bumble's per-user file)")
    lis.set_defaults(func=_listen)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except VmonError as err:
        print(f"vmon: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
