"""LoRa time on air against published examples, and LoRaMac-node's receive windows."""

from __future__ import annotations

import pytest

from vmon.energy import lora


@pytest.mark.parametrize(
    ("sf", "payload", "ldro", "expected_ms"),
    [
        # rfwireless-world.com LoRaWAN airtime calculator, examples 1 and 2 (CR 4/5,
        # 125 kHz, 8 preamble symbols, explicit header, 10 bytes).
        (7, 10, False, 41.216),
        (11, 10, True, 577.536),
        # The AN1200.13 spreadsheet (docs.google.com, "Formulas taken from AN1200.13"):
        # 13 bytes at SF9, no low data rate optimisation.
        (9, 13, False, 164.864),
    ],
)
def test_time_on_air_matches_published_examples(
    sf: int, payload: int, ldro: bool, expected_ms: float
) -> None:
    p = lora.LoraParams(sf=sf, bw_hz=125_000, ldro=ldro)
    assert lora.time_on_air(p, payload) * 1e3 == pytest.approx(expected_ms, abs=1e-9)


def test_low_data_rate_optimisation_follows_the_16_ms_symbol_rule() -> None:
    assert lora.eu868(1).de == 1  # SF11: 16.384 ms symbols
    assert lora.eu868(0).de == 1
    assert lora.eu868(2).de == 0  # SF10: 8.192 ms
    # Auto and explicit agree on the published SF11 example.
    assert lora.time_on_air(lora.eu868(1), 10) == pytest.approx(0.577536)


def test_eu868_data_rates_and_a_wrong_one() -> None:
    assert [lora.eu868(dr).sf for dr in range(6)] == [12, 11, 10, 9, 8, 7]
    with pytest.raises(ValueError, match="DR6"):
        lora.eu868(6)


def test_payload_symbols_by_hand() -> None:
    # SF12, 46 bytes (33-byte status + 13 of LoRaWAN): (368 - 48 + 28 + 16) / 40 = 9.1 -> 10,
    # times 5, plus 8.
    assert lora.payload_symbols(lora.eu868(0), 46) == 58
    assert lora.time_on_air(lora.eu868(0), 46) == pytest.approx((8 + 4.25 + 58) * 0.032768)


def test_rx_window_as_loramac_node_computes_it() -> None:
    # SF7: ceil((4 x 1024 us + 2 x 20 ms) / 1024 us) = 44 symbols.
    assert lora.rx_window(lora.eu868(5), 6, 0.020) == pytest.approx(44 * 1.024e-3)
    # SF12: ceil((4 x 32768 + 40000) / 32768) = 6, the minimum as well.
    assert lora.rx_window(lora.eu868(0), 6, 0.020) == pytest.approx(6 * 32.768e-3)
    # No error allowance: the minimum symbol count.
    assert lora.rx_window(lora.eu868(5), 6, 0.0) == pytest.approx(6 * 1.024e-3)
