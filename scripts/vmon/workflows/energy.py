"""`invoke bench --suite energy`: the energy budget on the measured firmware costs.

vmon.workflows.bench runs the fw benchmark's measurement (tests/benchmarks/fw_cost on
mps2/an521 under QEMU -icount) and hands its fields to :func:`run`, which feeds the
instructions per window with the figures of vmon/energy/figures.yaml to the model
(vmon.energy.model), prints the terms and the target checks (computation per window, CPU awake
per burst, battery life), and writes build/bench/energy.json and build/bench/energy.html (with
the plot of battery life against measurement interval). docs/energy.md describes the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vmon.energy import figures as figs
from vmon.energy import model, report
from vmon.paths import REPO_ROOT

console = Console()
#: The product board's model (app/boards/vmon_node_nrf52840.conf): its rate sets the burst.
MODEL_JSON = REPO_ROOT / "models" / "bearing-fault-8k" / "model.json"
OUT_DIR = REPO_ROOT / "build" / "bench"
#: The records the reporting module sends every status period (docs/reporting.md).
REPORT_RECORDS = ("status", "telemetry")
TARGET_YEARS = 5.0
TARGET_UJ = 50.0
#: The CPU awake at most this share of a 1 s burst (issue #18).
TARGET_AWAKE = 0.05


@dataclass(frozen=True)
class Row:
    """A check as a row of the bench table; ``met`` only when the check's verdict is "met":
    an estimate resting on flagged figures is never reported met."""

    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool
    met: bool


def record_sizes(names: tuple[str, ...] = REPORT_RECORDS) -> tuple[tuple[str, int], ...]:
    """(name, bytes) of the uplink records, from the payload schema."""
    from vmon.codec._schema import SCHEMA

    sizes = {m["name"]: int(m["bytes"]) for m in SCHEMA["messages"] if m["direction"] == "uplink"}
    return tuple((n, sizes[n]) for n in names)


def base_scenario(model_json: Path = MODEL_JSON) -> model.Scenario:
    """The issue's scenario: one 1 s burst a minute, hourly reports, at the product board's
    model's sampling rate, window and hop."""
    fc = json.loads(model_json.read_text())["feature_config"]
    return model.Scenario(
        fs_hz=float(fc["fs_hz"]),
        window=int(fc["window"]),
        hop=int(fc["hop"]),
        records=record_sizes(),
    )


def evaluate(
    fw: model.FwCost, figures: dict[str, figs.Figure], base: model.Scenario
) -> dict[str, Any]:
    """Everything the report shows, for the fw costs ``fw``."""
    m = model.Model(figures, fw)
    lora_worst = replace(base, transport="lorawan", dr=0)
    lora_best = replace(base, transport="lorawan", dr=5)
    ble = replace(base, transport="ble")
    budgets = [m.budget(s) for s in (lora_worst, lora_best, ble)]
    checks = [
        model.check_computation(m, TARGET_UJ * 1e-6),
        model.check_cpu_awake(m, base, TARGET_AWAKE),
        model.check_battery(m, lora_worst, TARGET_YEARS),
        model.check_battery(m, lora_best, TARGET_YEARS),
    ]
    curves = [
        report.Curve(b.scenario.label(), model.life_curve(m, b.scenario, report.PLOT_INTERVALS))
        for b in budgets
    ]
    window_uj = {
        f"{figures[k].value:g} ({k}, {figures[k].status})": m.window_energy(k) * 1e6
        for k in (model.CPI_FLOOR, model.CPI_ASSUMED)
    }
    data = report.summary(fw, window_uj, budgets, checks, figures, curves)
    return {"data": data, "budgets": budgets, "checks": checks, "curves": curves}


def flagged_note(figures: dict[str, figs.Figure]) -> str:
    flagged = figs.flagged(figures.values())
    unverified = [f.key for f in flagged if f.status == "unverified"]
    assumed = [f.key for f in flagged if f.status == "assumption"]
    return (
        f"Unverified figures (placeholders, not found in a primary source): "
        f"{', '.join(unverified) or 'none'}. Assumptions: {', '.join(assumed) or 'none'}. "
        "Every estimate below that uses them depends on them; no target resting on them is "
        "claimed met."
    )


def write(result: dict[str, Any], figures: dict[str, figs.Figure], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = result["data"]
    (out_dir / "energy.json").write_text(json.dumps(data, indent=2) + "\n")
    svg = report.svg_plot(
        report.PLOT_INTERVALS,
        result["curves"],
        TARGET_YEARS,
        result["budgets"][0].scenario.interval_s,
    )
    page = out_dir / "energy.html"
    page.write_text(report.html_page(data, svg, flagged_note(figures)))
    return page


def _print(result: dict[str, Any], figures: dict[str, figs.Figure]) -> None:
    data = result["data"]
    fw = data["fw_instructions_per_window"]
    console.print(
        f"  instructions per window: features {fw['features']:,.0f}, inference "
        f"{fw['inference']:,.0f}, typing {fw['typing']:,.0f}; total {fw['total']:,.0f}"
    )
    for k, v in data["computation_uJ_per_window"].items():
        console.print(f"  computation per window at CPI {k}: {v:.1f} uJ")
    b = result["budgets"][0]
    table = Table(
        title=f"energy terms: 1 measurement / {b.scenario.interval_s:g} s, {b.scenario.label()}"
    )
    for col in ("term", "uJ each", "avg uA", "share"):
        table.add_column(col, justify="left" if col == "term" else "right")
    for row in report.term_rows(b):
        table.add_row(
            row["term"],
            f"{row['energy_uJ']:.1f}",
            f"{row['avg_current_uA']:.3f}",
            f"{row['share']:.0%}",
        )
    console.print(table)
    for s in data["scenarios"]:
        console.print(
            f"  {s['label']}: {s['energy_per_measurement_uJ']:.0f} uJ per measurement, "
            f"{s['energy_per_report_uJ']:.0f} uJ per report, {s['avg_current_uA']:.1f} uA, "
            f"{s['life_years']:.2f} years"
        )
    for c in result["checks"]:
        colour = {"met": "green", "not met": "red"}.get(c.verdict, "yellow")
        console.print(
            f"  [{colour}]{c.verdict}[/]: {c.name}: {c.value:.2f} {c.unit} "
            f"(limit {c.limit:g}); {c.reason}"
        )
    console.print(f"  [yellow]{flagged_note(figures)}[/]")


def run(fields: dict[str, int], shift: int, out_dir: Path = OUT_DIR) -> list[Row]:
    """The suite on the fw benchmark's printed ``fields`` and -icount ``shift``."""
    figures = figs.load()
    result = evaluate(model.FwCost.from_fields(fields, shift), figures, base_scenario())
    _print(result, figures)
    page = write(result, figures, out_dir)
    console.print(f"energy: report in {page.relative_to(REPO_ROOT)} (and energy.json)")
    return [row(c) for c in result["checks"]]


def row(c: model.Check) -> Row:
    if c.unit == "y":  # months: the bench table prints whole numbers
        measured, limit, unit = c.value * 12, c.limit * 12, "mo"
    elif c.unit == "uJ":
        measured, limit, unit = c.value, c.limit, "µJ"
    else:
        measured, limit, unit = c.value, c.limit, c.unit
    return Row(f"energy: {c.name} ({c.verdict})", measured, limit, unit, c.higher_is_better, c.met)
