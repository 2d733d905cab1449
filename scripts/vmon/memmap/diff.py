"""Growth from an old image to a new one: per region, per area, per symbol."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from vmon.memmap.analysis import Report, SymbolUse


@dataclass(frozen=True)
class SymbolChange:
    name: str
    file: str | None
    area: str
    old: dict[str, int]
    new: dict[str, int]

    @property
    def status(self) -> str:
        if not self.old:
            return "added"
        if not self.new:
            return "removed"
        return "grown" if self.delta > 0 else "shrunk" if self.delta < 0 else "moved"

    @property
    def delta(self) -> int:
        return sum(self.new.values()) - sum(self.old.values())

    def region_delta(self, region: str) -> int:
        return self.new.get(region, 0) - self.old.get(region, 0)


@dataclass(frozen=True)
class Diff:
    old_elf: Path
    regions: list[tuple[str, int, int]]
    #: (text, data, bss) old and new.
    berkeley: tuple[tuple[int, int, int], tuple[int, int, int]]
    #: area -> region -> (old, new); only areas that changed.
    areas: dict[str, dict[str, tuple[int, int]]]
    #: Every symbol whose bytes changed, largest change first.
    symbols: list[SymbolChange]

    def region_names(self) -> list[str]:
        return [name for name, _, _ in self.regions]


def _key(sym: SymbolUse) -> tuple[str, str]:
    # Statics of the same name live in many files: tell them apart by file name (not
    # the full path, so images built in different checkouts still line up).
    return (sym.name, posixpath.basename(sym.file or "") if sym.local else "")


def compare(old: Report, new: Report) -> Diff:
    old_used, new_used = old.region_used(), new.region_used()
    names = list(dict.fromkeys([*new.region_names(), *old.region_names()]))
    regions = [(n, old_used.get(n, 0), new_used.get(n, 0)) for n in names]

    old_areas, new_areas = old.areas(), new.areas()
    areas: dict[str, dict[str, tuple[int, int]]] = {}
    for area in dict.fromkeys([*new_areas, *old_areas]):
        per = {
            r: (old_areas.get(area, {}).get(r, 0), new_areas.get(area, {}).get(r, 0)) for r in names
        }
        if any(a != b for a, b in per.values()):
            areas[area] = per

    olds: dict[tuple[str, str], SymbolUse] = {}
    old_bytes: dict[tuple[str, str], dict[str, int]] = {}
    for sym in old.symbols:
        key = _key(sym)
        olds.setdefault(key, sym)
        _add(old_bytes.setdefault(key, {}), sym.bytes)
    news: dict[tuple[str, str], SymbolUse] = {}
    new_bytes: dict[tuple[str, str], dict[str, int]] = {}
    for sym in new.symbols:
        key = _key(sym)
        news.setdefault(key, sym)
        _add(new_bytes.setdefault(key, {}), sym.bytes)

    changes = []
    for key in dict.fromkeys([*news, *olds]):
        before, after = old_bytes.get(key, {}), new_bytes.get(key, {})
        if before == after:
            continue
        ref = news.get(key) or olds[key]
        changes.append(SymbolChange(ref.name, ref.file, ref.area, before, after))
    changes.sort(key=lambda c: (-abs(c.delta), -_moved(c), c.name))

    b_old, b_new = old.berkeley, new.berkeley
    return Diff(
        old_elf=old.elf,
        regions=regions,
        berkeley=((b_old.text, b_old.data, b_old.bss), (b_new.text, b_new.data, b_new.bss)),
        areas=areas,
        symbols=changes,
    )


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for region, n in more.items():
        into[region] = into.get(region, 0) + n


def _moved(change: SymbolChange) -> int:
    return sum(abs(change.new.get(r, 0) - change.old.get(r, 0)) for r in {*change.new, *change.old})
