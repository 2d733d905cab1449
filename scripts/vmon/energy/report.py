"""The energy report: a JSON summary and an HTML page with the terms, the target checks, the
figures with their citations and an inline SVG of battery life against measurement interval."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vmon.energy.figures import Figure
from vmon.energy.model import Budget, Check, FwCost

#: Measurement intervals of the plot (seconds): 10 s to 1 h.
PLOT_INTERVALS = tuple(10.0 * 360.0 ** (i / 40) for i in range(41))
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class Curve:
    label: str
    years: Sequence[float]


def term_rows(b: Budget) -> list[dict[str, Any]]:
    """One row per term: charge and energy per occurrence, average current, share."""
    total = b.current
    return [
        {
            "term": t.name,
            "kind": t.kind,
            "every_s": t.period_s,
            "charge_uC": t.charge * 1e6,
            "energy_uJ": t.charge * b.voltage * 1e6,
            "avg_current_uA": t.current * 1e6,
            "share": t.current / total if total > 0 else 0.0,
            "figures": list(t.figures),
        }
        for t in b.terms
    ]


def summary(
    fw: FwCost,
    window_uj: Mapping[str, float],
    budgets: Sequence[Budget],
    checks: Sequence[Check],
    figures: Mapping[str, Figure],
    curves: Sequence[Curve],
) -> dict[str, Any]:
    return {
        "fw_instructions_per_window": {
            "features": fw.features,
            "inference": fw.inference,
            "typing": fw.typing,
            "total": fw.total,
            "golden_windows": fw.windows,
        },
        "computation_uJ_per_window": dict(window_uj),
        "scenarios": [
            {
                "label": b.scenario.label(),
                "interval_s": b.scenario.interval_s,
                "windows_per_measurement": b.scenario.windows_per_burst,
                "energy_per_measurement_uJ": b.energy("measurement") * 1e6,
                "energy_per_report_uJ": b.energy("report") * 1e6,
                "avg_current_uA": b.current * 1e6,
                "life_years": b.life_years,
                "terms": term_rows(b),
            }
            for b in budgets
        ],
        "checks": [
            {
                "name": c.name,
                "value": c.value,
                "limit": c.limit,
                "unit": c.unit,
                "verdict": c.verdict,
                "reason": c.reason,
                "flagged_figures": list(c.flagged),
            }
            for c in checks
        ],
        "figures": {
            k: {"value": f.value, "unit": f.unit, "status": f.status, "cite": f.citation()}
            for k, f in figures.items()
        },
        "plot": {
            "intervals_s": list(PLOT_INTERVALS),
            "curves": {c.label: list(c.years) for c in curves},
        },
    }


def _nice_max(v: float) -> float:
    if not math.isfinite(v) or v <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(v))
    return math.ceil(v / step) * step


def svg_plot(
    intervals_s: Sequence[float],
    curves: Sequence[Curve],
    target_years: float,
    mark_s: float,
    width: int = 720,
    height: int = 420,
) -> str:
    """Battery life (years, linear) against measurement interval (log), one line per curve,
    the target as a dashed line and the issue's interval marked."""
    left, right, top, bottom = 64, 16, 16, 56
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = math.log10(intervals_s[0]), math.log10(intervals_s[-1])
    finite = [y for c in curves for y in c.years if math.isfinite(y)]
    y_max = _nice_max(max([*finite, target_years]) * 1.05)

    def x(t: float) -> float:
        return left + (math.log10(t) - x0) / (x1 - x0) * pw

    def y(v: float) -> float:
        return top + ph - min(v, y_max) / y_max * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>',
    ]
    for t, label in ((10, "10 s"), (60, "1 min"), (600, "10 min"), (3600, "1 h")):
        if intervals_s[0] <= t <= intervals_s[-1]:
            out.append(
                f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{top + ph}" stroke="#ddd"/>'
            )
            out.append(
                f'<text x="{x(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{label}</text>'
            )
    steps = 5
    for i in range(steps + 1):
        v = y_max * i / steps
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 12}" text-anchor="middle">'
        "measurement interval (log scale)</text>"
    )
    out.append(
        f'<text x="16" y="{top + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + ph / 2})">battery life (years)</text>'
    )
    out.append(
        f'<line x1="{left}" y1="{y(target_years):.1f}" x2="{left + pw}" '
        f'y2="{y(target_years):.1f}" stroke="#000" stroke-dasharray="6 4"/>'
    )
    out.append(
        f'<text x="{left + pw - 4}" y="{y(target_years) - 4:.1f}" text-anchor="end">'
        f"target {target_years:g} years</text>"
    )
    out.append(
        f'<line x1="{x(mark_s):.1f}" y1="{top}" x2="{x(mark_s):.1f}" y2="{top + ph}" '
        'stroke="#000" stroke-dasharray="2 3"/>'
    )
    for i, c in enumerate(curves):
        colour = COLOURS[i % len(COLOURS)]
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(intervals_s, c.years, strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = top + 16 + 16 * i
        out.append(
            f'<line x1="{left + 10}" y1="{ly - 4}" x2="{left + 34}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{left + 40}" y="{ly}">{html.escape(c.label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def html_page(data: Mapping[str, Any], svg: str, flagged_note: str) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>vmon energy budget</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left;vertical-align:top}"
        ".met{color:#060}.no{color:#b00}.ns{color:#a60}</style></head><body>",
        "<h1>vmon energy budget (<code>invoke bench --suite energy</code>)</h1>",
        f"<p class='ns'><b>{esc(flagged_note)}</b></p>",
        "<h2>Target checks</h2>",
    ]
    cls = {"met": "met", "not met": "no", "not shown": "ns"}
    parts.append(
        _table(
            ["check", "value", "limit", "verdict", "why"],
            [
                [
                    esc(c["name"]),
                    f"{c['value']:.2f} {c['unit']}",
                    f"{c['limit']:g} {c['unit']}",
                    f"<b class='{cls[c['verdict']]}'>{esc(c['verdict'])}</b>",
                    esc(c["reason"]),
                ]
                for c in data["checks"]
            ],
        )
    )
    fw = data["fw_instructions_per_window"]
    parts.append("<h2>Computation per 1024-sample window</h2>")
    parts.append(
        f"<p>Measured by the fw benchmark (mps2/an521, QEMU -icount, {fw['golden_windows']} "
        f"golden windows): features {fw['features']:,.0f}, inference {fw['inference']:,.0f}, "
        f"typing {fw['typing']:,.0f}, total {fw['total']:,.0f} instructions.</p>"
    )
    parts.append(
        _table(
            ["CPI", "uJ per window"],
            [[esc(k), f"{v:.1f}"] for k, v in data["computation_uJ_per_window"].items()],
        )
    )
    parts.append("<h2>Battery life against measurement interval</h2>")
    parts.append(svg)
    for s in data["scenarios"]:
        parts.append(f"<h2>Terms: 1 measurement / {s['interval_s']:g} s, {esc(s['label'])}</h2>")
        parts.append(
            f"<p>{s['windows_per_measurement']} windows per measurement; "
            f"{s['energy_per_measurement_uJ']:.0f} uJ per measurement, "
            f"{s['energy_per_report_uJ']:.0f} uJ per report; average "
            f"{s['avg_current_uA']:.2f} uA; battery life {s['life_years']:.2f} years.</p>"
        )
        parts.append(
            _table(
                ["term", "every", "uJ each", "avg uA", "share", "figures"],
                [
                    [
                        esc(t["term"]),
                        f"{t['every_s']:g} s",
                        f"{t['energy_uJ']:.1f}",
                        f"{t['avg_current_uA']:.3f}",
                        f"{t['share']:.0%}",
                        esc(", ".join(t["figures"])),
                    ]
                    for t in s["terms"]
                ],
            )
        )
    parts.append("<h2>Figures</h2>")
    parts.append(
        _table(
            ["figure", "value", "status", "source or reason"],
            [
                [esc(k), f"{f['value']:g} {esc(f['unit'])}", esc(f["status"]), esc(f["cite"])]
                for k, f in data["figures"].items()
            ],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)
