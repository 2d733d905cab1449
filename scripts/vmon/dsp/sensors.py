"""The product's sensor paths: what delivers the samples a model's features are computed from.

Each model records, in its feature config, one :class:`SensorPath` per path the product can
feed it at the model's rate: its rate, usable bandwidth, anti-aliasing and full scale. The
record documents; it does not change a single feature, so it is not part of the feature hash.

The bandwidth rule that sets a model's band plan (``f_max_hz``): a path is usable up to 80 %
of its first cut-off, Nyquist or the -3 dB point of its anti-alias filter, whichever is lower
(0.4 fs for a path whose filter sits at Nyquist: 4800 Hz at 12 kHz). The band plan never
reaches above any path's usable bandwidth.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from vmon.errors import VmonError

#: A path is usable up to this fraction of its first cut-off (Nyquist or its filter's -3 dB).
USABLE_FRACTION = 0.8

#: Paths the firmware can sample from (its sampling sources, app/src/modules/sampling).
REPLAY = "replay"
ICM42688 = "icm42688"
SAADC = "saadc"


@dataclass(frozen=True)
class SensorPath:
    """One way samples reach the features, as recorded in a model's feature config."""

    #: The firmware's sampling source: "replay" (recordings over the UART), "icm42688" or
    #: "saadc" (an analog accelerometer).
    path: str
    name: str
    rate_hz: float
    #: Axes the path delivers per sample instant (the features use one).
    axes: int
    #: Acceleration that int16 full scale (32768 counts) stands for.
    full_scale_g: float
    #: Usable bandwidth: the band plan stays below it.
    bandwidth_hz: float
    #: The filters in front of the samples, with their figures.
    anti_aliasing: str
    #: Where the figures come from.
    source: str
    #: False: a figure is transcribed or assumed, not checked against its primary document.
    verified: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> SensorPath:
        if not isinstance(doc, dict) or set(doc) != set(cls.__dataclass_fields__):
            raise VmonError(
                f"feature config sensor entry must have the fields "
                f"{sorted(cls.__dataclass_fields__)}"
            )
        return cls(**doc)


def usable_bandwidth(fs_hz: float, cutoff_hz: float = math.inf) -> float:
    """80 % of the first cut-off: Nyquist, or a filter's -3 dB point below it."""
    return USABLE_FRACTION * min(fs_hz / 2, cutoff_hz)


def resampling_note(fs_from: float, fs_to: float) -> str:
    """What vmon.dsp.features.resample_to does between two rates, in words."""
    if fs_from == fs_to:
        return f"none (recorded at {fs_to:g} Hz)"
    ratio = Fraction(fs_to / fs_from).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    taps = 20 * max(up, down) + 1
    return (
        f"vmon resampling {fs_from:g} -> {fs_to:g} Hz: scipy resample_poly (up {up}, down "
        f"{down}), Kaiser (beta 5) FIR of {taps} taps, -6 dB at {min(fs_from, fs_to) / 2:g} Hz"
    )


# --------------------------------------------------------------------------- replay


def replay_path(
    fs_hz: float,
    full_scale_g: float,
    dataset: str,
    recorded_hz: float,
    recorded_usable_hz: float,
    recordings: str,
    source: str,
    verified: bool,
) -> SensorPath:
    """Recordings replayed to the node at the model's rate (the replay source).

    ``recorded_usable_hz`` is the recordings' own usable bandwidth (their acquisition filter);
    the replay path is usable up to the lower of it and the rule at ``fs_hz``.
    """
    return SensorPath(
        path=REPLAY,
        name=f"replay: {dataset} recordings over the UART",
        rate_hz=float(fs_hz),
        axes=1,
        full_scale_g=float(full_scale_g),
        bandwidth_hz=round(min(usable_bandwidth(fs_hz), recorded_usable_hz), 1),
        anti_aliasing=(
            f"{recordings}; then {resampling_note(recorded_hz, fs_hz)}; counts rounded and "
            f"saturated at +-{full_scale_g:g} g"
        ),
        source=source,
        verified=verified,
    )


# --------------------------------------------------------------------------- ICM-42688-P
#
# TDK InvenSense ICM-42688-P, datasheet DS-000347 rev 1.5 (05/05/2021), read in a copy of the
# PDF: the register descriptions (sections 14.40 GYRO_ACCEL_CONFIG0, 16.1-16.3
# ACCEL_CONFIG_STATIC2-4), the anti-alias filter table (section 5.3) and the UI filter tables
# (section 5.5). docs/models.md#sensor-paths.

#: ACCEL_CONFIG0.ACCEL_ODR codes of the low-noise mode rates (Hz -> code).
ICM42688_ODR_CODES: dict[int, int] = {
    32_000: 1,
    16_000: 2,
    8_000: 3,
    4_000: 4,
    2_000: 5,
    1_000: 6,
    500: 15,
    200: 7,
    100: 8,
}
#: ACCEL_CONFIG0.ACCEL_FS_SEL full scales (g).
ICM42688_FULL_SCALES_G = (2.0, 4.0, 8.0, 16.0)
#: GYRO_ACCEL_CONFIG0.ACCEL_UI_FILT_BW in low-noise mode (section 14.40): 0 is ODR/2, code c
#: in 1..7 is max(400 Hz, ODR) / divisor[c]; reset value 1. Codes 14 and 15 (low latency)
#: state no bandwidth.
ICM42688_UI_FILT_DIVISOR: dict[int, int] = {1: 4, 2: 5, 3: 8, 4: 10, 5: 16, 6: 20, 7: 40}
#: At ODR 2 kHz and above the section 5.5 tables give one -3 dB bandwidth for every code and
#: filter order (the same in the 1st, 2nd and 3rd order tables), not the formula's.
ICM42688_UI_HIGH_ODR_3DB_HZ: dict[int, float] = {
    32_000: 8400.0,
    16_000: 4194.1,
    8_000: 2096.3,
    4_000: 1048.1,
    2_000: 524.0,
}
#: Anti-alias filter (section 5.3 table): -3 dB bandwidth, ACCEL_AAF_DELTSQR and
#: ACCEL_AAF_BITSHIFT per ACCEL_AAF_DELT: the reset value (ACCEL_CONFIG_STATIC2 = 0x30:
#: enabled, DELT 24; STATIC3 0x40, STATIC4 0x62: DELTSQR 576, BITSHIFT 6) and the widest.
ICM42688_AAF: dict[int, tuple[float, int, int]] = {24: (1163.0, 576, 6), 63: (3979.0, 3968, 3)}
ICM42688_AAF_3DB_HZ: dict[int, float] = {d: v[0] for d, v in ICM42688_AAF.items()}


@dataclass(frozen=True)
class Icm42688Filters:
    """The accelerometer's two programmable low-pass stages (defaults: the reset values)."""

    ui_filt_bw: int = 1
    #: ACCEL_AAF_DELT; None: the anti-alias filter disabled (ACCEL_AAF_DIS).
    aaf_delt: int | None = 24


#: What the FIFO source (app/src/modules/sampling/source_icm42688.c) programs: neither
#: GYRO_ACCEL_CONFIG0 nor the bank-2 anti-alias registers, so both stay at their reset values.
#: tests/scripts/dsp/test_sensors.py fails when the source starts to program them. Widening
#: the anti-alias filter to 3979 Hz would leave the UI stage's 2096.3 Hz (1677 Hz usable): a
#: trial retrain of the 8 kHz model at that plan scored no better (docs/models.md).
FIFO_SOURCE_FILTERS = Icm42688Filters()


def icm42688_ui_bandwidth(odr_hz: float, code: int) -> float:
    """-3 dB bandwidth of the UI filter in low-noise mode."""
    if code not in ICM42688_UI_FILT_DIVISOR and code != 0:
        raise VmonError(f"ICM-42688-P ACCEL_UI_FILT_BW {code} states no bandwidth")
    if int(odr_hz) in ICM42688_UI_HIGH_ODR_3DB_HZ:
        return ICM42688_UI_HIGH_ODR_3DB_HZ[int(odr_hz)]
    if code == 0:
        return odr_hz / 2
    return max(400.0, odr_hz) / ICM42688_UI_FILT_DIVISOR[code]


def icm42688_path(
    fs_hz: float, full_scale_g: float, filters: Icm42688Filters | None = None
) -> SensorPath | None:
    """The ICM-42688-P FIFO at ``fs_hz`` (filters: the FIFO source's), or None when that is
    not one of its rates."""
    if fs_hz not in ICM42688_ODR_CODES:
        return None
    filters = filters or FIFO_SOURCE_FILTERS
    if full_scale_g not in ICM42688_FULL_SCALES_G:
        raise VmonError(
            f"full scale +-{full_scale_g:g} g is not an ICM-42688-P range {ICM42688_FULL_SCALES_G}"
        )
    ui = icm42688_ui_bandwidth(fs_hz, filters.ui_filt_bw)
    stages = [f"UI filter ACCEL_UI_FILT_BW {filters.ui_filt_bw}: -3 dB at {ui:g} Hz"]
    cutoff = ui
    if filters.aaf_delt is not None:
        if filters.aaf_delt not in ICM42688_AAF_3DB_HZ:
            raise VmonError(f"ICM-42688-P ACCEL_AAF_DELT {filters.aaf_delt} is not in the table")
        aaf = ICM42688_AAF_3DB_HZ[filters.aaf_delt]
        stages.insert(
            0, f"anti-alias filter ACCEL_AAF_DELT {filters.aaf_delt}: -3 dB at {aaf:g} Hz"
        )
        cutoff = min(cutoff, aaf)
    else:
        stages.insert(0, "anti-alias filter disabled")
    return SensorPath(
        path=ICM42688,
        name=(
            f"TDK ICM-42688-P accelerometer FIFO at ODR {fs_hz:g} Hz, low-noise mode "
            "(source_icm42688.c)"
        ),
        rate_hz=float(fs_hz),
        axes=3,
        full_scale_g=float(full_scale_g),
        bandwidth_hz=round(usable_bandwidth(fs_hz, cutoff), 1),
        anti_aliasing="on-chip, in order: " + "; ".join(stages),
        source=(
            "TDK DS-000347 rev 1.5: section 5.3 (anti-alias filter table), section 5.5 (UI "
            "filter tables), sections 14.40 and 16.1-16.3 (GYRO_ACCEL_CONFIG0 reset 0x11, "
            "ACCEL_CONFIG_STATIC2-4 reset 0x30/0x40/0x62)"
        ),
        verified=True,
    )


# --------------------------------------------------------------------------- analog (SAADC)


@dataclass(frozen=True)
class AnalogInput:
    """A voltage-output accelerometer on the nRF52840 SAADC, as a board wires it: its
    devicetree vmon,analog-accel node and SAADC channel (source_saadc.c reads the same)."""

    board: str
    sensor: str
    sensitivity_uv_per_g: int
    zero_g_mv: int
    #: -3 dB of the analog path: the sensor and the anti-alias filter in front of the SAADC.
    bandwidth_hz: float
    filters: str
    #: The SAADC input's full scale (reference / gain) and resolution.
    input_fs_mv: int
    resolution: int


#: boards/vmon/vmon_node: an ADXL1002 at 3.3 V (40 mV/g at 5 V, ratiometric) behind a 5 kHz RC
#: filter on AIN7, 12 bits at gain 1/6 on the 0.6 V reference. Checked against the board's
#: devicetree by tests/scripts/dsp/test_sensors.py.
VMON_NODE_ANALOG = AnalogInput(
    board="vmon_node/nrf52840",
    sensor="ADXL1002-class, +-50 g",
    sensitivity_uv_per_g=26_400,
    zero_g_mv=1650,
    bandwidth_hz=5000.0,
    filters="first-order RC, -3 dB at 5000 Hz; the sensor's own -3 dB at 11 kHz",
    input_fs_mv=3600,
    resolution=12,
)


def saadc_path(
    fs_hz: float, full_scale_g: float, board: AnalogInput = VMON_NODE_ANALOG
) -> SensorPath | None:
    """The board's analog accelerometer sampled by the SAADC source at ``fs_hz``, or None
    below twice its bandwidth (the firmware refuses that build: it would alias)."""
    if fs_hz < 2 * board.bandwidth_hz:
        return None
    lsb_mg = board.input_fs_mv * 1e6 / 2**board.resolution / board.sensitivity_uv_per_g
    return SensorPath(
        path=SAADC,
        name=(
            f"{board.sensor} analog accelerometer on the nRF52840 SAADC of {board.board}, "
            f"paced by a TIMER through PPI at {fs_hz:g} Hz (source_saadc.c)"
        ),
        rate_hz=float(fs_hz),
        axes=1,
        full_scale_g=float(full_scale_g),
        bandwidth_hz=round(usable_bandwidth(fs_hz, board.bandwidth_hz), 1),
        anti_aliasing=(
            f"{board.filters}; {board.resolution}-bit SAADC on a {board.input_fs_mv} mV input "
            f"({lsb_mg:.1f} mg a code); counts saturated at +-{full_scale_g:g} g"
        ),
        source=(
            "Analog Devices ADXL1002 datasheet (sensitivity, bandwidth) and the board's RC "
            "values, as the board's devicetree records them; not checked against the "
            "datasheet PDF"
        ),
        verified=False,
    )
