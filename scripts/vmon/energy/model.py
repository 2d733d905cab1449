"""The node's energy budget: charge per measurement, per report and in sleep; battery life.

All quantities are SI (A, s, C, V) inside; figures come from figures.yaml by key. Each term
records the figures it used, so a result knows whether it rests on flagged ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from vmon.energy import lora
from vmon.energy.figures import Figure

SECONDS_PER_YEAR = 365.25 * 86400.0

# The figures the model reads (keys of figures.yaml).
CPU_CURRENT = "nrf52840.cpu_coremark_plus_tx"
CPU_HZ = "nrf52840.hfclk_hz"
CPI_FLOOR = "cortex_m4.cpi_floor"
CPI_ASSUMED = "cortex_m4.cpi_assumed"
SLEEP_MCU = "nrf52840.system_on_idle"
SENSOR_ON = "icm42688p.accel_ln"
SENSOR_SLEEP = "icm42688p.sleep"
FIFO_PACKET = "icm42688p.fifo_packet"
SPI_HZ = "nrf52840.spim_clock"
LORA_TX = "sx1262.tx"
LORA_RX = "sx1262.rx"
LORA_SLEEP = "sx1262.sleep_warm"
LORA_OVERHEAD = "lorawan.frame_overhead"
LORA_MIN_RX = "lorawan.min_rx_symbols"
LORA_RX_ERROR = "lorawan.max_rx_error"
BLE_TX = "nrf52840.radio_tx_0dbm"
BLE_RX = "nrf52840.radio_rx_1m"
BLE_RAMP = "nrf52840.radio_ramp_up"
BLE_TIFS = "ble.t_ifs"
BLE_OVERHEAD = "ble.packet_overhead"
VOLTAGE = "supply.voltage"
CAPACITY = "battery.aa_pair"
USABLE = "battery.usable"
SELF_DISCHARGE = "battery.self_discharge"

#: BLE bytes around a notified value: L2CAP header 4, ATT opcode + handle 3, MIC 4.
BLE_NOTIFY_EXTRA = 4 + 3 + 4
#: An empty LE 1M packet (no MIC on an empty PDU).
BLE_EMPTY_PDU = 0


@dataclass(frozen=True)
class FwCost:
    """Instructions per 1024-sample window of the product's stages, as the fw benchmark
    (tests/benchmarks/fw_cost, mps2/an521 under QEMU -icount) measures them."""

    features: float
    inference: float
    typing: float
    windows: int = 0

    @property
    def total(self) -> float:
        return self.features + self.inference + self.typing

    @classmethod
    def from_fields(cls, v: Mapping[str, int], shift: int) -> FwCost:
        """From the benchmark's printed fields: the virtual clock advances 2^shift ns per
        instruction, the period's typing work is spread over its windows."""
        ticks_per_insn = v["clock_hz"] * (1 << shift) / 1e9
        n = v["windows"]
        typing = (
            v["typing_window"] / ticks_per_insn / n
            + v["typing_period"] / ticks_per_insn / (v["period_windows"])
        )
        return cls(
            features=v["features"] / ticks_per_insn / n,
            inference=v["inference"] / ticks_per_insn / n,
            typing=typing,
            windows=n,
        )


@dataclass(frozen=True)
class Scenario:
    """How the node runs: what it measures, how often, and how it reports."""

    interval_s: float = 60.0  # one measurement per interval
    burst_s: float = 1.0  # sensor on for this long per measurement
    fs_hz: float = 12_000.0
    window: int = 1024
    hop: int = 512
    transport: str = "lorawan"  # "lorawan" or "ble"
    report_period_s: float = 3600.0
    records: tuple[tuple[str, int], ...] = (("status", 33), ("telemetry", 39))
    dr: int = 0  # EU868 data rate of the uplinks
    ble_event_s: float = 0.5  # BLE connection interval x (1 + peripheral latency)
    cpi: str = CPI_ASSUMED  # which CPI figure the computation uses

    @property
    def windows_per_burst(self) -> int:
        samples = int(self.burst_s * self.fs_hz)
        return 0 if samples < self.window else (samples - self.window) // self.hop + 1

    def label(self) -> str:
        if self.transport == "ble":
            return f"BLE notifications every {self.report_period_s / 60:g} min"
        return f"LoRaWAN uplinks every {self.report_period_s / 60:g} min at DR{self.dr}"


@dataclass(frozen=True)
class Term:
    """One item of the budget: ``charge`` coulombs every ``period_s`` seconds."""

    name: str
    kind: str  # "measurement", "report" or "sleep"
    charge: float
    period_s: float
    figures: tuple[str, ...]
    group: str = ""  # terms of one group are weighed together by the checks

    @property
    def group_name(self) -> str:
        return self.group or self.name

    @property
    def current(self) -> float:
        """Average current (A) over the node's life."""
        return self.charge / self.period_s


@dataclass(frozen=True)
class Budget:
    scenario: Scenario
    terms: tuple[Term, ...]
    voltage: float
    usable_c: float  # coulombs delivered
    self_discharge_a: float  # rated capacity lost per second, as a current

    @property
    def current(self) -> float:
        return sum(t.current for t in self.terms)

    @property
    def life_s(self) -> float:
        return battery_life_s(self.usable_c, self.current, self.self_discharge_a)

    @property
    def life_years(self) -> float:
        return self.life_s / SECONDS_PER_YEAR

    def energy(self, kind: str) -> float:
        """Joules per occurrence of ``kind`` (one measurement, one report)."""
        return sum(t.charge for t in self.terms if t.kind == kind) * self.voltage

    def figures(self) -> set[str]:
        return {k for t in self.terms for k in t.figures} | {
            VOLTAGE,
            CAPACITY,
            USABLE,
            SELF_DISCHARGE,
        }


def battery_life_s(usable_c: float, current_a: float, self_discharge_a: float) -> float:
    """Seconds until the load and a linear self-discharge have taken the usable charge."""
    drain = current_a + self_discharge_a
    return math.inf if drain <= 0 else usable_c / drain


@dataclass
class Model:
    figures: Mapping[str, Figure]
    fw: FwCost

    def v(self, key: str) -> float:
        return self.figures[key].si

    # --- the MCU -----------------------------------------------------------------------
    def window_cycles(self, cpi_key: str) -> float:
        return self.fw.total * self.v(cpi_key)

    def window_seconds(self, cpi_key: str) -> float:
        return self.window_cycles(cpi_key) / self.v(CPU_HZ)

    def window_charge(self, cpi_key: str) -> float:
        return self.window_seconds(cpi_key) * self.v(CPU_CURRENT)

    def window_energy(self, cpi_key: str) -> float:
        """Joules of computation per 1024-sample window."""
        return self.window_charge(cpi_key) * self.v(VOLTAGE)

    # --- the terms ---------------------------------------------------------------------
    def fifo_seconds(self, sc: Scenario) -> float:
        """SPI time to read a burst's FIFO packets."""
        return sc.burst_s * sc.fs_hz * self.v(FIFO_PACKET) * 8 / self.v(SPI_HZ)

    def measurement_terms(self, sc: Scenario) -> list[Term]:
        n = sc.windows_per_burst
        fifo_s = self.fifo_seconds(sc)
        return [
            Term(
                "sensor on (accelerometer, low-noise, burst)",
                "measurement",
                self.v(SENSOR_ON) * sc.burst_s,
                sc.interval_s,
                (SENSOR_ON,),
                "sensor on",
            ),
            Term(
                "FIFO reads over SPI (CPU awake)",
                "measurement",
                fifo_s * self.v(CPU_CURRENT),
                sc.interval_s,
                (FIFO_PACKET, SPI_HZ, CPU_CURRENT),
                "FIFO reads",
            ),
            Term(
                f"computation ({n} windows: features, inference, typing)",
                "measurement",
                n * self.window_charge(sc.cpi),
                sc.interval_s,
                (CPU_CURRENT, CPU_HZ, sc.cpi),
                "computation",
            ),
        ]

    def sleep_terms(self, sc: Scenario) -> list[Term]:
        off = max(sc.interval_s - sc.burst_s, 0.0)
        terms = [
            Term("nRF52840 System ON idle", "sleep", self.v(SLEEP_MCU), 1.0, (SLEEP_MCU,)),
            Term(
                "ICM-42688-P sleep between bursts",
                "sleep",
                self.v(SENSOR_SLEEP) * off,
                sc.interval_s,
                (SENSOR_SLEEP,),
            ),
        ]
        if sc.transport == "lorawan":
            terms.append(
                Term("SX1262 sleep (warm start)", "sleep", self.v(LORA_SLEEP), 1.0, (LORA_SLEEP,))
            )
        else:
            terms.append(
                Term(
                    f"BLE connection events (one per {sc.ble_event_s:g} s)",
                    "sleep",
                    self.ble_event_charge(BLE_EMPTY_PDU),
                    sc.ble_event_s,
                    (BLE_TX, BLE_RX, BLE_RAMP, BLE_TIFS, BLE_OVERHEAD),
                )
            )
        return terms

    def report_terms(self, sc: Scenario) -> list[Term]:
        if sc.transport == "ble":
            return [
                Term(
                    f"BLE notification ({name}, {size} B)",
                    "report",
                    self.ble_event_charge(size + BLE_NOTIFY_EXTRA),
                    sc.report_period_s,
                    (BLE_TX, BLE_RX, BLE_RAMP, BLE_TIFS, BLE_OVERHEAD),
                    "BLE notifications",
                )
                for name, size in sc.records
            ]
        up = lora.eu868(sc.dr)
        rx = lora.rx_window(up, int(self.v(LORA_MIN_RX)), self.v(LORA_RX_ERROR)) + lora.rx_window(
            lora.eu868(lora.EU868_RX2_DR), int(self.v(LORA_MIN_RX)), self.v(LORA_RX_ERROR)
        )
        terms = []
        for name, size in sc.records:
            toa = lora.time_on_air(up, size + int(self.v(LORA_OVERHEAD)))
            terms.append(
                Term(
                    f"LoRaWAN uplink DR{sc.dr} ({name}, {size} B, {toa * 1e3:.0f} ms on air)",
                    "report",
                    toa * self.v(LORA_TX),
                    sc.report_period_s,
                    (LORA_TX, LORA_OVERHEAD),
                    f"LoRaWAN uplinks (TX, DR{sc.dr})",
                )
            )
            terms.append(
                Term(
                    f"LoRaWAN RX1 + RX2 windows ({name}, {rx * 1e3:.0f} ms)",
                    "report",
                    rx * self.v(LORA_RX),
                    sc.report_period_s,
                    (LORA_RX, LORA_MIN_RX, LORA_RX_ERROR),
                    "LoRaWAN receive windows",
                )
            )
        return terms

    def ble_event_charge(self, pdu_payload: int) -> float:
        """One connection event: receive the central's empty packet, turn around (T_IFS),
        transmit a packet with ``pdu_payload`` bytes of PDU payload; ramp-up before each."""
        rx_s = self.v(BLE_RAMP) + ble_packet_s(BLE_EMPTY_PDU, self.v(BLE_OVERHEAD))
        tx_s = self.v(BLE_TIFS) + ble_packet_s(pdu_payload, self.v(BLE_OVERHEAD))
        return rx_s * self.v(BLE_RX) + tx_s * self.v(BLE_TX)

    def budget(self, sc: Scenario) -> Budget:
        capacity = self.v(CAPACITY)
        return Budget(
            scenario=sc,
            terms=tuple(self.measurement_terms(sc) + self.report_terms(sc) + self.sleep_terms(sc)),
            voltage=self.v(VOLTAGE),
            usable_c=capacity * self.v(USABLE),
            self_discharge_a=capacity * self.v(SELF_DISCHARGE) / SECONDS_PER_YEAR,
        )


def ble_packet_s(pdu_payload: int, overhead_bytes: float) -> float:
    """Seconds on air of an LE 1M packet (1 us per bit)."""
    return (pdu_payload + overhead_bytes) * 8 * 1e-6


# --- the target checks -------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: float
    unit: str
    higher_is_better: bool
    verdict: str  # "met", "not met" or "not shown"
    reason: str
    flagged: tuple[str, ...] = field(default_factory=tuple)

    @property
    def met(self) -> bool:
        return self.verdict == "met"


def breaking_terms(currents: Mapping[str, float], excess: float) -> list[str]:
    """The terms that break a budget exceeded by ``excess``: the fewest of the largest terms
    whose removal would bring the total within it (all of them if even that does not)."""
    out: list[str] = []
    freed = 0.0
    for name in sorted(currents, key=lambda k: -currents[k]):
        if freed >= excess:
            break
        out.append(name)
        freed += currents[name]
    return out


def _flagged(figures: Mapping[str, Figure], keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(keys) if not figures[k].cited))


def _bounds(figures: Mapping[str, Figure], keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(keys) if figures[k].role == "upper_bound"))


def _rests_on(flags: Sequence[str], bounds: Sequence[str]) -> str:
    out = []
    if bounds:
        out.append(f"upper bounds {', '.join(bounds)}")
    if flags:
        out.append(f"flagged figures {', '.join(flags)}")
    return "; estimate rests on " + " and ".join(out) if out else "; all figures cited"


def check_computation(model: Model, limit_j: float = 50e-6) -> Check:
    """≤ ``limit_j`` of computation per window at the figures' clock, with the CPU current
    figure and the assumed CPI; says what current or CPI would meet it."""
    e = model.window_energy(CPI_ASSUMED)
    floor = model.window_energy(CPI_FLOOR)
    used = (CPU_CURRENT, CPU_HZ, CPI_ASSUMED, VOLTAGE)
    flags = _flagged(model.figures, used)
    bounds = _bounds(model.figures, used)
    v = model.v(VOLTAGE)
    i_max = limit_j / (model.window_seconds(CPI_ASSUMED) * v)
    i_max_floor = limit_j / (model.window_seconds(CPI_FLOOR) * v)
    cpi_max = limit_j / (model.fw.total / model.v(CPU_HZ) * model.v(CPU_CURRENT) * v)
    if e <= limit_j:
        verdict = "not shown" if flags else "met"
        reason = f"{(limit_j - e) * 1e6:.1f} uJ to spare"
    else:
        verdict = "not met"
        reason = (
            f"{(e - limit_j) * 1e6:.1f} uJ ({(e - limit_j) / limit_j:.0%}) over, all of it "
            f"the CPU term ({model.v(CPU_CURRENT) * 1e3:g} mA x {model.fw.total:,.0f} "
            f"instructions x CPI {model.v(CPI_ASSUMED):g} / {model.v(CPU_HZ) / 1e6:g} MHz; "
            f"{floor * 1e6:.1f} uJ at CPI {model.v(CPI_FLOOR):g}); met if the CPU draws at "
            f"most {i_max * 1e3:.2f} mA at CPI {model.v(CPI_ASSUMED):g} "
            f"({i_max_floor * 1e3:.2f} mA at CPI {model.v(CPI_FLOOR):g}), or at "
            f"{model.v(CPU_CURRENT) * 1e3:g} mA if CPI <= {cpi_max:.2f}"
        )
    return Check(
        name=f"computation per window at {model.v(CPU_HZ) / 1e6:g} MHz",
        value=e * 1e6,
        limit=limit_j * 1e6,
        unit="uJ",
        higher_is_better=False,
        verdict=verdict,
        reason=reason + _rests_on(flags, bounds),
        flagged=flags,
    )


def check_cpu_awake(model: Model, sc: Scenario, limit: float = 0.05) -> Check:
    """CPU awake at most ``limit`` of a burst: the burst's windows (instruction counts x the
    scenario's CPI at the figures' clock) plus the FIFO reads, which the model counts as awake
    although EasyDMA moves the bytes (an upper bound)."""
    n = sc.windows_per_burst
    compute_s = n * model.window_seconds(sc.cpi)
    fifo_s = model.fifo_seconds(sc)
    frac = (compute_s + fifo_s) / sc.burst_s
    used = (CPU_HZ, sc.cpi, FIFO_PACKET, SPI_HZ)
    flags = _flagged(model.figures, used)
    bounds = _bounds(model.figures, used)
    parts = (
        f"{n} windows {compute_s * 1e3:.1f} ms ({compute_s / sc.burst_s:.1%}) at CPI "
        f"{model.v(sc.cpi):g} and {model.v(CPU_HZ) / 1e6:g} MHz + FIFO reads "
        f"{fifo_s * 1e3:.1f} ms ({fifo_s / sc.burst_s:.1%})"
    )
    if frac <= limit:
        verdict = "not shown" if flags else "met"
        reason = f"{parts}; {(limit - frac) * sc.burst_s * 1e3:.1f} ms to spare"
    else:
        verdict = "not met"
        over_s = (frac - limit) * sc.burst_s
        names = breaking_terms({"computation": compute_s, "FIFO reads": fifo_s}, over_s)
        # EasyDMA moves the FIFO bytes: the CPU may sleep through them, or (as counted here)
        # stay awake. The CPI at which the windows fit, either way.
        per_cpi_s = n * model.fw.total / model.v(CPU_HZ)
        room_s = limit * sc.burst_s - fifo_s
        tail = (
            f"the windows fit at CPI <= {limit * sc.burst_s / per_cpi_s:.2f} if the CPU "
            "sleeps through the DMA transfers"
            if per_cpi_s > 0
            else "no windows in the burst"
        )
        tail += (
            f", at CPI <= {room_s / per_cpi_s:.2f} if it stays awake"
            if room_s > 0 and per_cpi_s > 0
            else "; awake through them, the FIFO reads alone exceed it"
        )
        reason = f"{parts}: {over_s * 1e3:.1f} ms over, broken by {' + '.join(names)}; {tail}"
    return Check(
        name=f"CPU awake in a {sc.burst_s:g} s burst at {sc.fs_hz:g} Hz",
        value=frac * 100,
        limit=limit * 100,
        unit="%",
        higher_is_better=False,
        verdict=verdict,
        reason=reason + _rests_on(flags, bounds),
        flagged=flags,
    )


def check_battery(model: Model, sc: Scenario, years: float = 5.0) -> Check:
    """≥ ``years`` on the battery in scenario ``sc``; when not, the terms that break it."""
    b = model.budget(sc)
    flags = _flagged(model.figures, b.figures())
    bounds = _bounds(model.figures, b.figures())
    life = b.life_years
    # The average current the battery affords for `years`, self-discharge taken out.
    budget_a = b.usable_c / (years * SECONDS_PER_YEAR) - b.self_discharge_a
    if life >= years:
        verdict = "not shown" if flags else "met"
        reason = f"{(life - years):.1f} y to spare"
    else:
        excess = b.current - budget_a
        groups: dict[str, float] = {}
        for t in b.terms:
            groups[t.group_name] = groups.get(t.group_name, 0.0) + t.current
        names = breaking_terms(groups, excess)
        verdict = "not met"
        reason = (
            f"average {b.current * 1e6:.1f} uA against {budget_a * 1e6:.1f} uA affordable, "
            f"{excess * 1e6:.1f} uA ({excess / budget_a:.0%}) over; broken by "
            + " + ".join(f"{n} ({groups[n] * 1e6:.1f} uA)" for n in names)
        )
    return Check(
        name=f"battery life, 1 measurement / {sc.interval_s:g} s, {sc.label()}",
        value=life,
        limit=years,
        unit="y",
        higher_is_better=True,
        verdict=verdict,
        reason=reason + _rests_on(flags, bounds),
        flagged=flags,
    )


def life_curve(model: Model, sc: Scenario, intervals_s: Sequence[float]) -> list[float]:
    """Battery life (years) of ``sc`` at each measurement interval."""
    return [model.budget(replace(sc, interval_s=t)).life_years for t in intervals_s]
