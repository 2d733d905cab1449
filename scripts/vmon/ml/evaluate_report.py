"""evaluate.html: novelty over time with the threshold, envelope spectra with the defect
frequencies marked, and the confusion of the named types (self-contained, no network)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from vmon.dsp import envelope as env
from vmon.ml.evaluate import Evaluation, PointResult
from vmon.ml.report import png_uri

NAMED = (*env.TYPES, env.UNKNOWN)
COLOURS = {"commission": "#999999", "normal": "#2a7", "fault": "#c33"}


def _novelty_fig(p: PointResult) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 2.8))
    x0 = 0.0
    for t in p.traces:
        if not t.t_s:
            continue
        ts = np.asarray(t.t_s) - t.t_s[0] + x0
        ax.plot(ts, t.novelty, lw=0.7, color=COLOURS[t.role])
        x0 = float(ts[-1]) + 0.5
    if math.isfinite(p.threshold):
        ax.axhline(p.threshold, color="k", ls="--", lw=0.8, label="threshold")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("time, recordings one after another (s)")
    ax.set_ylabel("novelty")
    ax.set_title(f"{p.name}: grey commissioning, green normal, red faults", fontsize=9)
    ax.legend(fontsize=7)
    return png_uri(fig)


def _envelope_fig(p: PointResult) -> str | None:
    import matplotlib.pyplot as plt

    traces = [t for t in p.traces if t.role == "fault" and t.envelope]
    if not traces:
        return None
    fig, axes = plt.subplots(len(traces), 1, figsize=(9, 1.7 * len(traces)), squeeze=False)
    for ax, t in zip(axes[:, 0], traces, strict=True):
        spec = np.asarray(t.envelope, dtype=np.float64)
        # Envelope-spectrum bins -> Hz (the typing's env rate over its length).
        hz = np.arange(len(spec)) * (p.env_fs_hz / (2 * len(spec)))
        ax.plot(hz, spec / max(spec.max(), 1), lw=0.6, color="#333")
        for kind, f in t.lines_hz.items():
            colour = {"inner_race": "#c33", "ball": "#36c", "outer_race": "#2a7"}[kind]
            for h in (1, 2, 3):
                ax.axvline(h * f, color=colour, lw=0.6, ls=":" if h > 1 else "-")
        ax.set_xlim(0, hz[-1])
        ax.set_ylabel(t.label[:5], fontsize=7)
        ax.set_title(f"{t.recording_id}: named {_named(t.fault)}", fontsize=7)
    axes[-1, 0].set_xlabel("Hz (lines: red BPFI, blue 2xBSF, green BPFO; dotted: harmonics)")
    fig.tight_layout()
    return png_uri(fig)


def _named(faults: list[str]) -> str:
    named = [f for f in faults if f != "none"]
    if not named:
        return "nothing (not raised)"
    top = max(set(named), key=named.count)
    return f"{top} ({100 * named.count(top) / len(faults):.0f} % of windows)"


def _confusion(points: list[PointResult]) -> tuple[list[str], np.ndarray]:
    rows = list(env.TYPES)
    cols = [*NAMED, "none"]
    m = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for p in points:
        for t in p.traces:
            if t.role == "fault" and t.label in rows:
                for f in t.fault:
                    m[rows.index(t.label), cols.index(f)] += 1
    return cols, m


def _confusion_fig(points: list[PointResult]) -> str:
    import matplotlib.pyplot as plt

    cols, m = _confusion(points)
    fig, ax = plt.subplots(figsize=(5, 2.8))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(env.TYPES)), env.TYPES, fontsize=7)
    ax.set_xlabel("named (fault windows; none = not raised)")
    ax.set_ylabel("true")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            colour = "white" if m[i, j] > m.max() / 2 else "black"
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7, color=colour)
    return png_uri(fig)


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


METRICS = (
    "normal_raised",
    "alarms_per_hour_normal",
    "fault_raised",
    "type_right",
    "type_right_physics",
    "type_unknown",
    "type_wrong",
    "type_right_in_band",
    "detect_s",
)


def write(ev: Evaluation, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    s = ev.summary()
    head = "".join(f"<th>{m}</th>" for m in METRICS)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{_fmt(m[k])}</td>" for k in METRICS)
        + "</tr>"
        for name, m in [("overall", s["overall"]), *s["points"].items()]
    )
    skipped = "".join(
        f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in s["skipped"].items()
    )
    done = [p for p in ev.points if not p.skipped]
    sections = ""
    for p in done:
        sections += (
            f"<h2>{html.escape(p.name)}</h2><p>commissioned on {p.commission_s:.1f} s, "
            f"threshold {p.threshold:.2f}, classifier "
            f"{'validated' if p.classifier_validated else 'not validated'} on this machine</p>"
            f'<img src="{_novelty_fig(p)}">'
        )
        fig = _envelope_fig(p)
        if fig:
            sections += f'<img src="{fig}">'
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>vmon evaluate {html.escape(ev.dataset)}</title>
<style>body{{font-family:sans-serif;max-width:1150px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right;
font-size:13px}}img{{margin:4px;max-width:100%}}</style></head><body>
<h1>vmon evaluate: <code>{html.escape(ev.dataset)}</code></h1>
<p>Bearing: {html.escape(ev.bearing)}. Each operating point is commissioned on up to
{ev.commission_s:g} s of its normal running (at most half of it), then every window is
decided by the device's policy (bit-exact integer pipeline). Fractions are of windows, after
hysteresis.</p>
<table><tr><th>point</th>{head}</tr>{rows}</table>
{"<p>Not evaluated:</p><ul>" + skipped + "</ul>" if skipped else ""}
<h2>Named types (all points)</h2><img src="{_confusion_fig(done)}">
{sections}
</body></html>
"""
    path.write_text(page)
