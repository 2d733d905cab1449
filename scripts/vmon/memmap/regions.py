"""Where sections live: Berkeley text/data/bss totals and memory regions.

A section occupies memory at its run address (VMA). A section with contents
whose load address (LMA, from the PT_LOAD segment) differs is also stored at
its load address: the initial values of .data sit in flash and are copied to
RAM at boot, so they count in both regions.

Region names and sizes come from the MEMORY block of the linker script next to
the ELF (Zephyr writes ``zephyr/linker.cmd`` beside ``zephyr.elf``). Without
one, regions are inferred: placements closer than :data:`CLUSTER_GAP` form one
region, called ``ram`` when it holds zero-initialised sections or sections
copied there from a load image, and ``flash`` otherwise.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vmon.memmap.elf import Section

#: Placements further apart than this are different memories (1 MiB: larger than
#: any gap inside one Cortex-M flash or SRAM, smaller than the gaps between them).
CLUSTER_GAP = 1 << 20


@dataclass(frozen=True)
class Berkeley:
    """``arm-none-eabi-size`` (Berkeley format) totals."""

    text: int
    data: int
    bss: int

    @property
    def dec(self) -> int:
        return self.text + self.data + self.bss


def berkeley(sections: Iterable[Section]) -> Berkeley:
    totals = {"text": 0, "data": 0, "bss": 0}
    for sec in sections:
        kind = sec.size_class
        if kind is not None:
            totals[kind] += sec.size
    return Berkeley(**totals)


@dataclass(frozen=True)
class Placement:
    """A section's bytes at one address: its run address, or its load image."""

    section: Section
    address: int
    size: int
    load_image: bool

    @property
    def proves_ram(self) -> bool:
        """Bytes only RAM can hold: zero-initialised (NOBITS), or copied here from a load image.

        Writable sections with contents stored in place prove nothing: Zephyr's
        ``sw_isr_table`` and picolibc's ``.init`` are writable yet live in flash.
        """
        if self.load_image:
            return False
        return self.section.nobits or self.section.load_address != self.section.address


def placements(sections: Iterable[Section]) -> list[Placement]:
    out: list[Placement] = []
    for sec in sections:
        if not sec.alloc or sec.size == 0:
            continue
        if sec.nobits and sec.tls:
            # .tbss is a template for per-thread copies: it takes no room in the image
            # and overlaps the next section, so it belongs to no region.
            continue
        out.append(Placement(sec, sec.address, sec.size, load_image=False))
        if not sec.nobits and sec.load_address != sec.address:
            out.append(Placement(sec, sec.load_address, sec.size, load_image=True))
    return out


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    origin: int
    #: Capacity in bytes; None when only inferred from addresses.
    length: int | None
    source: str  # "linker script" or "inferred"

    def contains(self, address: int) -> bool:
        return self.length is not None and self.origin <= address < self.origin + self.length


@dataclass(frozen=True)
class RegionUse:
    region: MemoryRegion
    used: int
    start: int | None
    end: int | None


_CANONICAL = {"flash": "flash", "rom": "flash", "ram": "ram", "sram": "ram"}


def read_linker_memory(path: Path) -> list[MemoryRegion]:
    """Regions of the MEMORY block of a linker script; [] when absent or unreadable."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    block = re.search(r"\bMEMORY\s*\{(.*?)\}", text, flags=re.S)
    if not block:
        return []
    body = block.group(1)
    heads = list(re.finditer(r"(\w+)\s*(?:\([^)]*\))?\s*:", body))
    regions: list[MemoryRegion] = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        spec = body[head.end() : nxt.start() if nxt else len(body)]
        match = re.search(
            r"\b(?:ORIGIN|org|o)\s*=\s*(.+?)\s*,\s*(?:LENGTH|len|l)\s*=\s*(.+)", spec, re.S
        )
        if not match:
            continue
        origin, length = _eval(match.group(1)), _eval(match.group(2))
        if origin is not None and length is not None:
            regions.append(MemoryRegion(head.group(1), origin, length, "linker script"))
    names = [r.name.lower() for r in regions]
    out = []
    for region, lower in zip(regions, names, strict=True):
        canon = _CANONICAL.get(lower, lower)
        # ROM -> flash and SRAM -> ram only when the script does not use both spellings.
        name = canon if canon == lower or canon not in names else lower
        out.append(MemoryRegion(name, region.origin, region.length, region.source))
    return out


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.floordiv,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}


def _eval(expr: str) -> int | None:
    """Value of a linker-script constant expression (numbers with K/M suffixes, + - * / ())."""
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", " ".join(expr.split()))
    expr = re.sub(
        r"\b(0[xX][0-9a-fA-F]+|\d+)([KkMm])\b",
        lambda m: f"({m.group(1)}*{1024 if m.group(2) in 'Kk' else 1 << 20})",
        expr,
    )
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return int(_OPS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        raise ValueError("not a constant")

    try:
        value = walk(tree)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if value >= 0 else None


def assign(
    places: list[Placement], declared: list[MemoryRegion]
) -> tuple[list[RegionUse], list[str]]:
    """Region of every placement (same order), and the regions in address order."""
    names: list[str | None] = [None] * len(places)
    for i, place in enumerate(places):
        for region in declared:
            if region.contains(place.address):
                names[i] = region.name
                break
    inferred = _infer([p for p, n in zip(places, names, strict=True) if n is None], declared)
    leftovers = iter(inferred)
    resolved = [n if n is not None else next(leftovers) for n in names]

    by_name: dict[str, MemoryRegion] = {r.name: r for r in declared}
    for place, name in zip(places, resolved, strict=True):
        if name not in by_name:
            by_name[name] = MemoryRegion(name, place.address, None, "inferred")
    uses: list[RegionUse] = []
    for name, region in by_name.items():
        mine = [p for p, n in zip(places, resolved, strict=True) if n == name]
        if not mine and region.source == "linker script" and name not in ("flash", "ram"):
            continue  # e.g. Zephyr's IDT_LIST: a pre-link helper region, empty here
        start = min((p.address for p in mine), default=None)
        end = max((p.address + p.size for p in mine), default=None)
        origin = region.origin if region.length is not None else (start or 0)
        uses.append(
            RegionUse(
                MemoryRegion(name, origin, region.length, region.source),
                used=sum(p.size for p in mine),
                start=start,
                end=end,
            )
        )
    uses.sort(key=lambda u: (u.region.origin, u.region.name))
    return uses, resolved


def _infer(places: list[Placement], declared: list[MemoryRegion]) -> list[str]:
    """Names for placements outside any declared region, by address clusters."""
    if not places:
        return []
    order = sorted(range(len(places)), key=lambda i: places[i].address)
    clusters: list[list[int]] = []
    end = -1
    for i in order:
        place = places[i]
        if not clusters or place.address > end + CLUSTER_GAP:
            clusters.append([])
        clusters[-1].append(i)
        end = max(end, place.address + place.size)
    taken = {r.name for r in declared}
    kinds = ["ram" if any(places[i].proves_ram for i in c) else "flash" for c in clusters]
    sizes = [sum(places[i].size for i in c) for c in clusters]
    result = [""] * len(places)
    for kind in ("flash", "ram"):
        ours = sorted(
            (k for k in range(len(clusters)) if kinds[k] == kind), key=lambda k: -sizes[k]
        )
        for rank, k in enumerate(ours):
            start = min(places[i].address for i in clusters[k])
            plain = rank == 0 and kind not in taken
            name = kind if plain else f"{kind}@{start:#010x}"
            for i in clusters[k]:
                result[i] = name
    # `result` is indexed like `places`; the caller consumes it in that order.
    return result
