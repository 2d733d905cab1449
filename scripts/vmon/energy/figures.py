"""The energy model's figures (figures.yaml): values, units, and where each one comes from.

Every figure is either cited (``verified`` from a datasheet, ``protocol`` from a standard or the
pinned firmware stack) or flagged (``unverified`` placeholder, ``assumption``); a target check
that uses a flagged figure never claims the target met.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vmon.errors import VmonError

FIGURES_YAML = Path(__file__).with_name("figures.yaml")

#: Statuses whose figure is cited; the others must say why in a note.
CITED = ("verified", "protocol")
FLAGGED = ("unverified", "assumption")
STATUSES = CITED + FLAGGED
#: Citation fields a cited figure must fill.
CITATION_FIELDS = ("document", "symbol", "conditions", "url")

#: Factor from each unit to SI (A, s, Hz, V, C) or to a plain number.
UNITS: dict[str, float] = {
    "A": 1.0,
    "mA": 1e-3,
    "uA": 1e-6,
    "nA": 1e-9,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "Hz": 1.0,
    "kHz": 1e3,
    "MHz": 1e6,
    "V": 1.0,
    "C": 1.0,
    "mAh": 3.6,  # 1 mAh = 1e-3 A x 3600 s
    "%": 1e-2,
    "%/y": 1e-2,
    "bytes": 1.0,
    "symbols": 1.0,
    "cycles/instr": 1.0,
}


def to_si(value: float, unit: str) -> float:
    """``value`` in ``unit`` as SI (or as a plain number for counts and ratios)."""
    try:
        return value * UNITS[unit]
    except KeyError:
        raise VmonError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})") from None


def from_si(value: float, unit: str) -> float:
    """The SI ``value`` expressed in ``unit``."""
    return value / to_si(1.0, unit)


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    unit: str
    status: str
    source: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    role: str = ""

    @property
    def si(self) -> float:
        return to_si(self.value, self.unit)

    @property
    def cited(self) -> bool:
        return self.status in CITED

    def citation(self) -> str:
        """One line: what it is and where it comes from, or why it is flagged."""
        if self.cited:
            s = self.source
            return f"{s['document']}; {s['symbol']} ({s['conditions']}); {s['url']}"
        return f"{self.status.upper()}: {' '.join(self.note.split())}"


def problems(raw: Mapping[str, Any]) -> list[str]:
    """What is wrong with the entries of a figures file: a cited figure without its full
    citation, a flagged one without a note, an unknown status or unit."""
    out = []
    for key, entry in raw.items():
        status = entry.get("status")
        if status not in STATUSES:
            out.append(f"{key}: status {status!r} is not one of {', '.join(STATUSES)}")
            continue
        if entry.get("unit") not in UNITS:
            out.append(f"{key}: unknown unit {entry.get('unit')!r}")
        if not isinstance(entry.get("value"), int | float):
            out.append(f"{key}: no numeric value")
        if status in CITED:
            source = entry.get("source") or {}
            missing = [f for f in CITATION_FIELDS if not str(source.get(f, "")).strip()]
            if missing:
                out.append(f"{key}: {status} but its citation lacks {', '.join(missing)}")
            elif not str(source["url"]).startswith("https://"):
                out.append(f"{key}: citation url is not an https address")
        elif not str(entry.get("note", "")).strip():
            out.append(f"{key}: {status} without a note saying why")
    return out


def parse(raw: Mapping[str, Any]) -> dict[str, Figure]:
    bad = problems(raw)
    if bad:
        raise VmonError("energy figures: " + "; ".join(bad))
    return {
        key: Figure(
            key=key,
            value=float(e["value"]),
            unit=str(e["unit"]),
            status=str(e["status"]),
            source={k: " ".join(str(v).split()) for k, v in (e.get("source") or {}).items()},
            note=str(e.get("note", "")),
            role=str(e.get("role", "")),
        )
        for key, e in raw.items()
    }


def load(path: Path = FIGURES_YAML) -> dict[str, Figure]:
    return parse(yaml.safe_load(path.read_text()))


def flagged(figures: Iterable[Figure]) -> list[Figure]:
    """The figures among ``figures`` that are not cited (unverified or assumptions)."""
    return [f for f in figures if not f.cited]
