"""Sensor paths: the bandwidth rule, the ICM-42688-P figures, and their place in the config."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from vmon.dsp import features as feat
from vmon.dsp import sensors
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

SOURCE = REPO_ROOT / "app" / "src" / "modules" / "sampling" / "source_icm42688.c"
NODE_DTS = REPO_ROOT / "boards" / "vmon" / "vmon_node" / "vmon_node_nrf52840.dts"


def test_the_rule_gives_the_default_band_plan() -> None:
    # 12 kHz behind a filter at Nyquist: 0.4 fs, the shipped model's 4800 Hz.
    assert sensors.usable_bandwidth(12_000.0) == feat.FeatureConfig().f_max_hz == 4800.0
    assert sensors.usable_bandwidth(8_000.0) == 3200.0
    # A filter below Nyquist sets the limit instead.
    assert sensors.usable_bandwidth(8_000.0, 1000.0) == 800.0


@pytest.mark.parametrize(
    ("odr", "code", "hz"),
    [
        # ODR >= 2 kHz: one -3 dB figure per rate in the section 5.5 tables, whatever the code.
        (8000, 0, 2096.3),
        (8000, 1, 2096.3),
        (8000, 7, 2096.3),
        (32000, 1, 8400.0),
        # Below: the register description's formula, ODR/2 or max(400 Hz, ODR) / divisor.
        (1000, 0, 500.0),
        (1000, 1, 250.0),
        (200, 1, 100.0),
    ],
)
def test_ui_filter_bandwidth(odr: int, code: int, hz: float) -> None:
    assert sensors.icm42688_ui_bandwidth(odr, code) == hz


def test_low_latency_ui_codes_state_no_bandwidth() -> None:
    with pytest.raises(VmonError, match="ACCEL_UI_FILT_BW 14 states no bandwidth"):
        sensors.icm42688_ui_bandwidth(8000, 14)


def test_icm_path_at_reset_is_limited_by_its_anti_alias_filter() -> None:
    p = sensors.icm42688_path(8000.0, 16.0)
    assert p is not None
    # AAF at reset (DELT 24: 1163 Hz) lies below the UI stage (2096.3 Hz) and Nyquist.
    assert p.bandwidth_hz == pytest.approx(0.8 * 1163.0)
    assert "1163 Hz" in p.anti_aliasing and "2096.3 Hz" in p.anti_aliasing
    assert (p.path, p.rate_hz, p.axes, p.full_scale_g, p.verified) == (
        "icm42688",
        8000.0,
        3,
        16.0,
        True,
    )


def test_a_wide_anti_alias_filter_leaves_the_ui_stage() -> None:
    # The widest AAF row (DELT 63: 3979 Hz), or none: the UI stage's 2096.3 Hz bounds it.
    for f in (sensors.Icm42688Filters(aaf_delt=63), sensors.Icm42688Filters(0, None)):
        p = sensors.icm42688_path(8000.0, 16.0, f)
        assert p is not None and p.bandwidth_hz == pytest.approx(0.8 * 2096.3, abs=0.05)
    assert sensors.ICM42688_AAF[63] == (3979.0, 3968, 3)
    assert sensors.ICM42688_AAF[24] == (1163.0, 576, 6)


def test_icm_path_only_at_its_rates_and_ranges() -> None:
    assert sensors.icm42688_path(12_000.0, 16.0) is None
    with pytest.raises(VmonError, match="not an ICM-42688-P range"):
        sensors.icm42688_path(8000.0, 12.0)
    with pytest.raises(VmonError, match="ACCEL_AAF_DELT 5 is not in the table"):
        sensors.icm42688_path(8000.0, 16.0, sensors.Icm42688Filters(aaf_delt=5))


def test_fifo_source_filters_match_what_the_firmware_programs() -> None:
    """FIFO_SOURCE_FILTERS says what source_icm42688.c leaves in the filter registers."""
    if not SOURCE.is_file():
        pytest.skip("no ICM-42688-P source in this checkout")
    code = SOURCE.read_text()
    # The filter registers (bank 0 GYRO_ACCEL_CONFIG0, bank 2 ACCEL_CONFIG_STATIC2-4); the
    # source selects bank 4 for its wake-on-motion thresholds, which is not a filter.
    programs = bool(re.search(r"GYRO_ACCEL_CONFIG0|ACCEL_CONFIG_STATIC|BANK_SEL, 2\b", code))
    at_reset = sensors.Icm42688Filters() == sensors.FIFO_SOURCE_FILTERS
    assert programs != at_reset, (
        "source_icm42688.c and vmon.dsp.sensors.FIFO_SOURCE_FILTERS disagree on the "
        "accelerometer's filters: update FIFO_SOURCE_FILTERS and retrain the 8 kHz model"
    )


def test_saadc_path_figures() -> None:
    assert sensors.saadc_path(8000.0, 16.0) is None  # below twice the 5 kHz filter
    p = sensors.saadc_path(10_000.0, 16.0)
    assert p is not None and (p.path, p.axes, p.verified) == ("saadc", 1, False)
    assert p.bandwidth_hz == 4000.0  # 80 % of the filter's 5 kHz (Nyquist too)
    assert sensors.saadc_path(12_000.0, 16.0).bandwidth_hz == 4000.0  # type: ignore[union-attr]
    # 3600 mV / 4096 codes / 26.4 mV per g.
    assert "33.3 mg a code" in p.anti_aliasing


def test_vmon_node_analog_input_matches_the_board_devicetree() -> None:
    """VMON_NODE_ANALOG repeats the board's vmon,analog-accel node and its SAADC channel."""
    dts = NODE_DTS.read_text()
    node = re.search(r"vmon_analog_accel: analog-accel \{(.*?)\};", dts, re.S)
    assert node is not None
    props = dict(re.findall(r"([a-z-]+) = <(\d+)>;", node.group(1)))
    ch = re.search(r"adc (\d+)>", node.group(1))
    assert ch is not None
    channel = re.search(rf"channel@{ch.group(1)} \{{(.*?)\}};", dts, re.S)
    assert channel is not None
    a = sensors.VMON_NODE_ANALOG
    assert int(props["sensitivity-uv-per-g"]) == a.sensitivity_uv_per_g
    assert int(props["zero-g-mv"]) == a.zero_g_mv
    assert float(props["bandwidth-hz"]) == a.bandwidth_hz
    assert f"zephyr,resolution = <{a.resolution}>" in channel.group(1)
    # Gain 1/6 on the 600 mV reference: a 3600 mV input.
    assert '"ADC_GAIN_1_6"' in channel.group(1) and a.input_fs_mv == 3600


def test_sensor_paths_are_recorded_but_not_hashed() -> None:
    p = sensors.icm42688_path(8000.0, 16.0)
    assert p is not None
    plain = feat.FeatureConfig(fs_hz=8000.0, f_max_hz=930.0)
    with_paths = replace(plain, sensors=(p,))
    assert with_paths.hash == plain.hash
    doc = with_paths.to_json()
    assert doc["sensors"] == [p.to_json()]
    back = feat.FeatureConfig.from_json(doc)
    assert back.sensors == (p,) and back.hash == plain.hash
    # A model written before paths were recorded still loads, with none.
    del doc["sensors"]
    assert feat.FeatureConfig.from_json(doc).sensors == ()


def test_bad_sensor_records_are_refused() -> None:
    p = sensors.icm42688_path(8000.0, 16.0)
    assert p is not None
    with pytest.raises(VmonError, match="runs at 8000 Hz, the features at 12000 Hz"):
        feat.FeatureConfig(sensors=(p,))
    doc = replace(feat.FeatureConfig(fs_hz=8000.0, f_max_hz=930.0), sensors=(p,)).to_json()
    doc["sensors"][0].pop("verified")
    with pytest.raises(VmonError, match="sensor entry must have the fields"):
        feat.FeatureConfig.from_json(doc)


def test_resampling_note_names_the_filter() -> None:
    assert sensors.resampling_note(12_000.0, 12_000.0).startswith("none")
    note = sensors.resampling_note(12_000.0, 8_000.0)
    assert "up 2, down 3" in note and "61 taps" in note and "-6 dB at 4000 Hz" in note
