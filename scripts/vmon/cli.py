"""``vmon``: the gateway-side command line (installed with the package).

    vmon decode 1107005021... [--fport 1]     an uplink (hex) as a JSON line
    vmon decode --downlink 1103...            a downlink (hex) as a JSON line
    vmon encode '{"type": "config", ...}'     a record as hex, with its LoRaWAN fPort

Bad input is one line on stderr, ``vmon: error: REASON: what``, and exit code 1.
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except VmonError as err:
        print(f"vmon: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
