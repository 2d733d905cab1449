"""LoRa time on air (Semtech AN1200.13) and the EU868 uplink's radio-on times.

Time on air, for a packet of ``PL`` bytes at spreading factor ``SF`` and bandwidth ``BW``:

    Tsym          = 2^SF / BW
    Tpreamble     = (n_preamble + 4.25) * Tsym
    payloadSymbNb = 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) (CR + 4), 0)
    ToA           = Tpreamble + payloadSymbNb * Tsym

with CRC = 1 (uplinks carry one), IH = 0 (explicit header), DE = 1 when Tsym exceeds 16 ms
(low data rate optimisation: SF11 and SF12 at 125 kHz) and CR = 1 (coding rate 4/5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: EU863-870 uplink data rates DR0..DR5: (spreading factor, bandwidth in Hz).
EU868_DR: dict[int, tuple[int, int]] = {
    0: (12, 125_000),
    1: (11, 125_000),
    2: (10, 125_000),
    3: (9, 125_000),
    4: (8, 125_000),
    5: (7, 125_000),
}
#: RX2 of EU868: 869.525 MHz at DR0 (LoRaMac-node RegionEU868.h, EU868_RX_WND_2_DR).
EU868_RX2_DR = 0
#: LoRaWAN preamble length on every EU868 data rate.
PREAMBLE_SYMBOLS = 8


@dataclass(frozen=True)
class LoraParams:
    sf: int
    bw_hz: int
    cr: int = 1  # coding rate 4/(4 + cr)
    crc: bool = True
    explicit_header: bool = True
    preamble: int = PREAMBLE_SYMBOLS
    ldro: bool | None = None  # None: on when a symbol lasts more than 16 ms

    @property
    def t_sym(self) -> float:
        return float(2**self.sf) / self.bw_hz

    @property
    def de(self) -> int:
        if self.ldro is None:
            return int(self.t_sym > 16e-3)
        return int(self.ldro)


def payload_symbols(p: LoraParams, payload_bytes: int) -> int:
    num = 8 * payload_bytes - 4 * p.sf + 28 + 16 * int(p.crc) - 20 * int(not p.explicit_header)
    den = 4 * (p.sf - 2 * p.de)
    return 8 + max(math.ceil(num / den) * (p.cr + 4), 0)


def time_on_air(p: LoraParams, payload_bytes: int) -> float:
    """Seconds on air for a PHY payload of ``payload_bytes`` bytes."""
    return (p.preamble + 4.25 + payload_symbols(p, payload_bytes)) * p.t_sym


def eu868(dr: int) -> LoraParams:
    try:
        sf, bw = EU868_DR[dr]
    except KeyError:
        raise ValueError(f"EU868 DR{dr} is not a LoRa 125 kHz data rate (DR0..DR5)") from None
    return LoraParams(sf=sf, bw_hz=bw)


def rx_window(p: LoraParams, min_rx_symbols: int, max_rx_error_s: float) -> float:
    """Seconds a receive window stays open when nothing arrives.

    LoRaMac-node's RegionCommonComputeRxWindowParameters(): the symbol timeout is
    max(ceil(((2 min_rx - 8) Tsym + 2 max_rx_error) / Tsym), min_rx) symbols.
    """
    # In whole microseconds and milliseconds, as LoRaMac-node computes it.
    t_us = round(p.t_sym * 1e6)
    err_ms = round(max_rx_error_s * 1e3)
    num = (2 * min_rx_symbols - 8) * t_us + 2 * err_ms * 1000
    symbols = max(-(-num // t_us), min_rx_symbols)
    return symbols * p.t_sym
