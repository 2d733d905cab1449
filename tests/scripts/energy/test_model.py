"""The energy model's arithmetic on hand-computed cases, and its target verdicts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from vmon.energy import figures as figs
from vmon.energy import lora, model

HOURS_PER_YEAR = 365.25 * 24


def cited(value: float, unit: str, role: str = "") -> dict[str, Any]:
    src = {"document": "d", "symbol": "s", "conditions": "c", "url": "https://example.org"}
    out: dict[str, Any] = {"value": value, "unit": unit, "status": "verified", "source": src}
    if role:
        out["role"] = role
    return out


def all_cited(**overrides: dict[str, Any]) -> dict[str, figs.Figure]:
    """The model's figures with round values, all cited, unless overridden."""
    raw = {
        model.CPU_CURRENT: cited(3.0, "mA"),
        model.CPU_HZ: cited(64, "MHz"),
        model.CPI_FLOOR: cited(1.0, "cycles/instr"),
        model.CPI_ASSUMED: cited(1.0, "cycles/instr"),
        model.SLEEP_MCU: cited(2.0, "uA"),
        model.SENSOR_ON: cited(0.3, "mA"),
        model.SENSOR_SLEEP: cited(1.0, "uA"),
        model.FIFO_PACKET: cited(8, "bytes"),
        model.SPI_HZ: cited(8, "MHz"),
        model.LORA_TX: cited(40, "mA"),
        model.LORA_RX: cited(4.2, "mA"),
        model.LORA_SLEEP: cited(0.6, "uA"),
        model.LORA_OVERHEAD: cited(13, "bytes"),
        model.LORA_MIN_RX: cited(6, "symbols"),
        model.LORA_RX_ERROR: cited(20, "ms"),
        model.BLE_TX: cited(6.4, "mA"),
        model.BLE_RX: cited(6.26, "mA"),
        model.BLE_RAMP: cited(40, "us"),
        model.BLE_TIFS: cited(150, "us"),
        model.BLE_OVERHEAD: cited(10, "bytes"),
        model.VOLTAGE: cited(3.0, "V"),
        model.CAPACITY: cited(2600, "mAh"),
        model.USABLE: cited(90, "%"),
        model.SELF_DISCHARGE: cited(2, "%/y"),
    }
    raw.update(overrides)
    return figs.parse(raw)


FW = model.FwCost(features=80_000, inference=10_000, typing=10_000, windows=13)


def test_fw_cost_from_the_benchmark_fields() -> None:
    # shift 7 at 25 MHz: 3.2 ticks per instruction; 2 windows, 16 windows a period.
    v = {
        "clock_hz": 25_000_000,
        "windows": 2,
        "features": 6400,
        "inference": 640,
        "typing_window": 3200,
        "typing_period": 51_200,
        "period_windows": 16,
    }
    fw = model.FwCost.from_fields(v, 7)
    assert (fw.features, fw.inference) == pytest.approx((1000, 100))
    assert fw.typing == pytest.approx(500 + 1000)
    assert fw.total == pytest.approx(2600)


def test_windows_per_burst() -> None:
    assert model.Scenario(fs_hz=12_000).windows_per_burst == 22
    assert model.Scenario(fs_hz=1024).windows_per_burst == 1
    assert model.Scenario(fs_hz=1000).windows_per_burst == 0


def test_computation_energy_by_hand() -> None:
    m = model.Model(all_cited(), FW)
    # 100,000 instructions at CPI 1 and 64 MHz: 1.5625 ms x 3 mA x 3 V = 14.0625 uJ.
    assert m.window_energy(model.CPI_ASSUMED) == pytest.approx(14.0625e-6)
    c = model.check_computation(m, 50e-6)
    assert (c.verdict, c.value) == ("met", pytest.approx(14.0625))


def test_computation_over_the_limit_says_what_would_meet_it() -> None:
    m = model.Model(all_cited(**{model.CPU_CURRENT: cited(12.0, "mA")}), FW)
    c = model.check_computation(m, 50e-6)
    assert c.verdict == "not met" and c.value == pytest.approx(56.25)
    # 50 uJ / (1.5625 ms x 3 V) = 10.67 mA; CPI 50 / 56.25 = 0.89.
    assert "10.67 mA" in c.reason and "CPI <= 0.89" in c.reason


def test_a_check_resting_on_a_flagged_figure_is_never_met() -> None:
    flagged = {"value": 1.0, "unit": "cycles/instr", "status": "assumption", "note": "n"}
    m = model.Model(all_cited(**{model.CPI_ASSUMED: flagged}), FW)
    c = model.check_computation(m, 50e-6)
    assert c.verdict == "not shown" and c.flagged == (model.CPI_ASSUMED,)
    assert model.CPI_ASSUMED in c.reason


def test_cpu_awake_by_hand() -> None:
    # 8 kHz: 14 windows of 100,000 instructions at CPI 1 and 64 MHz = 21.875 ms; the FIFO's
    # 8,000 packets of 8 bytes at 32 MHz SPI = 16 ms: 3.7875 % of the 1 s burst.
    sc = model.Scenario(fs_hz=8000)
    m = model.Model(all_cited(**{model.SPI_HZ: cited(32, "MHz")}), FW)
    c = model.check_cpu_awake(m, sc, 0.05)
    assert (c.verdict, c.value, c.limit, c.unit) == ("met", pytest.approx(3.7875), 5.0, "%")
    assert "12.1 ms to spare" in c.reason


def test_cpu_awake_over_names_the_term_and_the_cpi_that_would_do() -> None:
    sc = model.Scenario(fs_hz=8000)
    # CPI 2: 43.75 ms + 16 ms = 5.975 %, 9.75 ms over, all of it computation's; the windows
    # fit in 50 ms at CPI 50 / 21.875 = 2.29 (CPU asleep during DMA), in 50 - 16 = 34 ms at
    # CPI 1.55 (awake).
    m = model.Model(
        all_cited(
            **{model.SPI_HZ: cited(32, "MHz"), model.CPI_ASSUMED: cited(2.0, "cycles/instr")}
        ),
        FW,
    )
    c = model.check_cpu_awake(m, sc, 0.05)
    assert c.verdict == "not met" and c.value == pytest.approx(5.975)
    assert "9.8 ms over, broken by computation;" in c.reason
    assert "CPI <= 2.29 if the CPU sleeps" in c.reason and "CPI <= 1.55 if it stays" in c.reason
    # At 8 MHz SPI the FIFO reads alone take 64 ms: more than the whole 50 ms allowance.
    slow = model.check_cpu_awake(model.Model(all_cited(), FW), sc, 0.05)
    assert slow.verdict == "not met" and slow.value == pytest.approx(8.5875)
    assert "broken by FIFO reads" in slow.reason and "alone exceed it" in slow.reason


def test_battery_life_by_hand() -> None:
    # 2340 mAh usable over 0.05 mA plus 2 % of 2600 mAh a year (5.932 uA).
    hours = 2340 / (0.05 + 52 / HOURS_PER_YEAR)
    life = model.battery_life_s(2340 * 3.6, 50e-6, 2600 * 3.6 * 0.02 / model.SECONDS_PER_YEAR)
    assert life / 3600 == pytest.approx(hours)
    assert hours / HOURS_PER_YEAR == pytest.approx(4.7726, abs=1e-4)
    assert model.battery_life_s(1.0, 0.0, 0.0) == float("inf")


def test_budget_terms_by_hand() -> None:
    m = model.Model(all_cited(), FW)
    sc = model.Scenario(interval_s=60, fs_hz=12_000, dr=5, records=(("status", 33),))
    b = m.budget(sc)
    by = {t.name.split(" (")[0]: t for t in b.terms}
    # Sensor: 0.3 mA for 1 s a minute = 5 uA.
    assert by["sensor on"].current == pytest.approx(5e-6)
    # FIFO: 12,000 x 8 bytes x 8 bits / 8 MHz = 96 ms at 3 mA a minute = 4.8 uA.
    assert by["FIFO reads over SPI"].current == pytest.approx(0.096 * 3e-3 / 60)
    # Computation: 22 windows x 1.5625 ms x 3 mA a minute.
    assert by["computation"].current == pytest.approx(22 * 1.5625e-3 * 3e-3 / 60)
    # Uplink: 46 bytes at SF7 on air x 40 mA an hour.
    toa = lora.time_on_air(lora.eu868(5), 46)
    assert by["LoRaWAN uplink DR5"].current == pytest.approx(toa * 40e-3 / 3600)
    rx = lora.rx_window(lora.eu868(5), 6, 0.02) + lora.rx_window(lora.eu868(0), 6, 0.02)
    assert by["LoRaWAN RX1 + RX2 windows"].current == pytest.approx(rx * 4.2e-3 / 3600)
    assert by["nRF52840 System ON idle"].current == pytest.approx(2e-6)
    assert by["ICM-42688-P sleep between bursts"].current == pytest.approx(1e-6 * 59 / 60)
    assert b.current == pytest.approx(sum(t.current for t in b.terms))
    assert b.energy("measurement") == pytest.approx(
        3.0 * 60 * sum(t.current for t in b.terms if t.kind == "measurement")
    )


def test_ble_notification_by_hand() -> None:
    m = model.Model(all_cited(), FW)
    # RX: 40 us ramp + 80 us empty packet at 6.26 mA; TX: 150 us + (33 + 11 + 10) x 8 us.
    expected = (40e-6 + 80e-6) * 6.26e-3 + (150e-6 + 54 * 8e-6) * 6.4e-3
    assert m.ble_event_charge(33 + model.BLE_NOTIFY_EXTRA) == pytest.approx(expected)


def test_breaking_terms() -> None:
    currents = {"a": 10.0, "b": 5.0, "c": 1.0}
    assert model.breaking_terms(currents, 9.0) == ["a"]
    assert model.breaking_terms(currents, 12.0) == ["a", "b"]
    assert model.breaking_terms(currents, 20.0) == ["a", "b", "c"]


def test_battery_check_names_the_term_that_breaks_it() -> None:
    # A 200 mA radio at DR0 twice an hour: the uplinks break the 5-year budget alone.
    m = model.Model(all_cited(**{model.LORA_TX: cited(200, "mA")}), FW)
    sc = model.Scenario(dr=0)
    c = model.check_battery(m, sc, 5.0)
    b = m.budget(sc)
    budget = b.usable_c / (5 * model.SECONDS_PER_YEAR) - b.self_discharge_a
    assert c.verdict == "not met" and c.value < 5
    assert "broken by LoRaWAN uplinks (TX, DR0)" in c.reason
    assert f"{(b.current - budget) * 1e6:.1f} uA" in c.reason
    # The same node at DR5 with a modest radio meets it, all figures cited.
    m = model.Model(all_cited(), FW)
    c = model.check_battery(m, replace(sc, dr=5), 5.0)
    assert c.verdict == "met" and c.value > 5


def test_the_shipped_figures_claim_no_target() -> None:
    m = model.Model(figs.load(), FW)
    for sc in (model.Scenario(dr=0), model.Scenario(dr=5), model.Scenario(transport="ble")):
        c = model.check_battery(m, sc, 5.0)
        assert c.verdict != "met" and c.flagged
    assert model.check_computation(m).verdict != "met"
