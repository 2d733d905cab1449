"""Attribute every byte of every memory region to a symbol, a source file and an area.

Each allocated section is cut into pieces: the bytes each sized symbol covers
(first symbol wins where aliases overlap) and the fill between them. Every
placement of the section (run address, and load image when it has one) adds
those pieces to its region, so per region::

    sum(symbol bytes) + sum(fill) == region used == sum(section placements)

and the area and file views, which only regroup those pieces, sum exactly to
the region totals too.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vmon.errors import VmonError
from vmon.memmap import dwarf, elf, regions
from vmon.memmap.groups import UNATTRIBUTED, Grouping
from vmon.memmap.groups import load as load_grouping
from vmon.memmap.stackusage import StackUsage
from vmon.memmap.stackusage import load as load_stack_usage

_KIND = {elf.STT_FUNC: "func", elf.STT_OBJECT: "object", elf.STT_TLS: "tls"}
_FIGURE_TYPES = frozenset({elf.STT_OBJECT, elf.STT_NOTYPE, elf.STT_TLS})
#: Debug info is optional: when it is malformed the report degrades instead of failing.
_DWARF_ERRORS: tuple[type[BaseException], ...] = (dwarf.DwarfFormatError, *elf.PARSE_ERRORS)


@dataclass
class SymbolUse:
    name: str
    section: str
    address: int
    #: st_size: the object's own size, whatever share of it was attributed.
    size: int
    kind: str
    local: bool
    file: str | None
    area: str
    #: Region -> bytes attributed to this symbol there.
    bytes: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.bytes.values())


@dataclass
class SectionUse:
    name: str
    address: int
    load_address: int
    size: int
    #: text, data or bss, as arm-none-eabi-size counts it.
    size_class: str
    region: str | None
    load_region: str | None
    #: Bytes of the section covered by no symbol (padding, fill, symbol-less tables).
    unattributed: int


@dataclass
class FigureUse:
    id: str
    label: str
    total: int
    #: (symbol, size, region) of every symbol counted.
    symbols: list[tuple[str, int, str | None]]


@dataclass
class Report:
    elf: Path
    machine: str
    entry: int
    berkeley: regions.Berkeley
    regions: list[regions.RegionUse]
    sections: list[SectionUse]
    symbols: list[SymbolUse]
    #: (region, section) -> bytes outside every symbol.
    fill: dict[tuple[str, str], int]
    figures: list[FigureUse]
    has_symbols: bool
    #: Where source files come from: "dwarf", "symbol table" (STT_FILE base names) or None.
    file_source: str | None
    notes: list[str] = field(default_factory=list)
    stack: StackUsage | None = None
    areas_config: Path | None = None

    def region_names(self) -> list[str]:
        return [r.region.name for r in self.regions]

    def region_used(self) -> dict[str, int]:
        return {r.region.name: r.used for r in self.regions}

    def areas(self) -> dict[str, dict[str, int]]:
        """Area -> region -> bytes; sums to the region totals."""
        return self._group(lambda s: s.area)

    def files(self) -> dict[str, dict[str, int]]:
        """Source file -> region -> bytes; unknown files and fill are (unattributed)."""
        return self._group(lambda s: s.file or UNATTRIBUTED)

    def _group(self, key: Callable[[SymbolUse], str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for sym in self.symbols:
            bucket = out[key(sym)]
            for region, n in sym.bytes.items():
                bucket[region] += n
        for (region, _section), n in self.fill.items():
            out[UNATTRIBUTED][region] += n
        return {k: dict(v) for k, v in out.items()}

    def area_of_file(self) -> dict[str, str]:
        """Each file's main area: symbol rules can move some of its symbols elsewhere."""
        weights: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for sym in self.symbols:
            if sym.file:
                weights[sym.file][sym.area] += sym.total
        return {f: max(w.items(), key=lambda kv: (kv[1], kv[0]))[0] for f, w in weights.items()}


def analyze(
    elf_path: str | Path,
    grouping: Grouping | None = None,
    build_dir: str | Path | None = None,
    linker_script: str | Path | None = None,
) -> Report:
    """Read ``elf_path`` and attribute its bytes; VmonError on unusable input."""
    image = elf.load(elf_path)
    grouping = grouping or load_grouping()
    notes: list[str] = []

    sections = [s for s in image.sections if s.alloc]
    places = regions.placements(sections)
    if not image.sections:
        places = _segment_placements(image)
        notes.append(
            "no section headers: regions come from the program headers only, with no "
            "section, symbol or file views; text/data/bss read 0, as arm-none-eabi-size reports"
        )

    script = Path(linker_script) if linker_script else image.path.parent / "linker.cmd"
    declared = regions.read_linker_memory(script) if script.is_file() else []
    if linker_script and not declared:
        raise VmonError(f"no MEMORY regions found in linker script {script}")
    region_uses, place_regions = regions.assign(places, declared)
    if not declared:
        notes.append(
            "regions inferred from section addresses and flags (no linker.cmd beside the ELF): "
            "capacities unknown"
        )

    debug: dwarf.DebugInfo | None = None
    file_source: str | None = None
    if image.symbols is None:
        if image.sections:
            notes.append(
                "no symbol table (stripped ELF): by-symbol, by-file and by-area views "
                f"unavailable; every byte is {UNATTRIBUTED}"
            )
    else:
        unreadable = False
        try:
            debug = dwarf.load(image.elffile)
        except _DWARF_ERRORS as err:
            unreadable = True
            notes.append(f"DWARF unreadable ({err}): source files from the symbol table only")
        if debug is not None and debug.units:
            file_source = "dwarf"
        else:
            debug = None
            file_source = "symbol table"
        if file_source != "dwarf" and not unreadable:
            notes.append(
                "no DWARF: by-file view unavailable except base names of static symbols "
                "(STT_FILE); areas of other symbols come from symbol-name rules only"
            )

    symbols = image.symbols or []
    by_section: dict[int, list[int]] = defaultdict(list)
    for i, sym in enumerate(symbols):
        if sym.size > 0 and sym.type in elf.SIZED_TYPES:
            by_section[sym.section].append(i)

    resolver = _FileResolver(debug)
    uses: dict[int, SymbolUse] = {}
    fill: dict[tuple[str, str], int] = defaultdict(int)
    pieces_cache: dict[int, tuple[list[tuple[int, int]], int]] = {}
    section_regions: dict[int, tuple[str | None, str | None]] = {}
    for place, region in zip(places, place_regions, strict=True):
        sec = place.section
        vma_region, lma_region = section_regions.get(sec.index, (None, None))
        if place.load_image:
            lma_region = region
        else:
            vma_region = region
        section_regions[sec.index] = (vma_region, lma_region)
        if sec.index not in pieces_cache:
            pieces_cache[sec.index] = _pieces(
                sec,
                [symbols[i] for i in by_section.get(sec.index, [])],
                by_section.get(sec.index, []),
            )
        pieces, gap = pieces_cache[sec.index]
        if gap:
            fill[(region, sec.name)] += gap
        for index, n in pieces:
            use = uses.get(index)
            if use is None:
                sym = symbols[index]
                path = resolver.file_of(sym)
                use = SymbolUse(
                    name=sym.name,
                    section=sec.name,
                    address=sym.address,
                    size=sym.size,
                    kind=_KIND.get(sym.type, "other"),
                    local=sym.local,
                    file=path,
                    area=grouping.area_for(path, sym.name),
                    bytes={},
                )
                uses[index] = use
            use.bytes[region] = use.bytes.get(region, 0) + n

    if file_source == "dwarf":
        attributed = sum(u.total for u in uses.values())
        with_file = sum(u.total for u in uses.values() if u.file)
        if attributed and with_file < attributed / 2:
            notes.append(
                f"DWARF covers only {100 * with_file // attributed}% of symbol bytes: "
                "the rest was built without -g and has no source file"
            )

    section_uses = [
        SectionUse(
            name=s.name,
            address=s.address,
            load_address=s.load_address,
            size=s.size,
            size_class=s.size_class or "",
            region=section_regions.get(s.index, (None, None))[0],
            load_region=section_regions.get(s.index, (None, None))[1],
            unattributed=pieces_cache[s.index][1] if s.index in pieces_cache else 0,
        )
        for s in sections
        if s.size
    ]
    vma_of = {s.name: s.region for s in section_uses}
    names = {s.index: s.name for s in image.sections}
    figures = _figures(grouping, symbols, names, vma_of)

    report = Report(
        elf=image.path,
        machine=image.machine,
        entry=image.entry,
        berkeley=regions.berkeley(image.sections),
        regions=region_uses,
        sections=section_uses,
        symbols=sorted(uses.values(), key=lambda u: (-u.total, u.name, u.address)),
        fill=dict(fill),
        figures=figures,
        has_symbols=image.symbols is not None,
        file_source=file_source,
        notes=notes,
        areas_config=grouping.source,
    )
    if build_dir is not None:
        report.stack = load_stack_usage(Path(build_dir))
    return report


def _segment_placements(image: elf.ElfImage) -> list[regions.Placement]:
    """Stand-in sections for an ELF without section headers: one per PT_LOAD part."""
    out: list[regions.Placement] = []
    for i, seg in enumerate(s for s in image.segments if s.type == elf.PT_LOAD):
        flags = elf.SHF_ALLOC | (elf.SHF_WRITE if seg.flags & 2 else 0)
        flags |= elf.SHF_EXECINSTR if seg.flags & 1 else 0
        parts = [(seg.vaddr, seg.filesz, 1), (seg.vaddr + seg.filesz, seg.memsz - seg.filesz, 8)]
        for j, (addr, size, kind) in enumerate(parts):
            if size <= 0:
                continue
            sec = elf.Section(
                index=-1 - 2 * i - j,
                name=f"(segment {i}{'' if kind == 1 else ' zero-fill'})",
                type=kind,
                flags=flags,
                address=addr,
                size=size,
                offset=seg.offset,
                load_address=seg.paddr + (addr - seg.vaddr),
            )
            out.extend(regions.placements([sec]))
    return out


def _pieces(
    section: elf.Section, syms: list[elf.Symbol], indexes: list[int]
) -> tuple[list[tuple[int, int]], int]:
    """(symbol index, bytes) covering ``section``, and the bytes no symbol covers."""
    start, end = section.address, section.address + section.size
    spans = []
    for sym, index in zip(syms, indexes, strict=True):
        lo, hi = max(sym.address, start), min(sym.address + sym.size, end)
        if hi > lo:
            # Among aliases of one range, keep typed globals: `memcpy` over a local label.
            rank = (sym.type not in (elf.STT_FUNC, elf.STT_OBJECT), sym.bind != elf.STB_GLOBAL)
            spans.append((lo, -(hi - lo), rank, sym.name, hi, index))
    spans.sort()
    pieces: list[tuple[int, int]] = []
    cursor = start
    covered = 0
    for lo, _neg, _rank, _name, hi, index in spans:
        lo = max(lo, cursor)
        if hi > lo:
            pieces.append((index, hi - lo))
            covered += hi - lo
            cursor = hi
    return pieces, section.size - covered


class _FileResolver:
    """Source file of a symbol: DWARF first, then the STT_FILE base name for statics."""

    def __init__(self, debug: dwarf.DebugInfo | None) -> None:
        self.debug = debug
        self._by_base: dict[str, str | None] = {}
        if debug is not None:
            for unit in debug.units:
                if not unit.path:
                    continue
                base = posixpath.basename(unit.path)
                # A base name shared by two units (Zephyr has several common.c) stays ambiguous.
                self._by_base[base] = None if base in self._by_base else unit.path

    def file_of(self, sym: elf.Symbol) -> str | None:
        if self.debug is not None:
            unit = self.debug.unit_for(sym.address, sym.size, (sym.name,))
            if unit is not None and self.debug.units[unit].path:
                return self.debug.units[unit].path
        if sym.file:
            return self._by_base.get(sym.file) or sym.file
        return None


def _figures(
    grouping: Grouping,
    symbols: list[elf.Symbol],
    section_names: dict[int, str],
    region_of: dict[str, str | None],
) -> list[FigureUse]:
    out = []
    for figure in grouping.figures:
        seen: set[int] = set()  # addresses: aliases of one object count once
        found: list[tuple[str, int, str | None]] = []
        for sym in symbols:
            # Figures are memory objects: `z_impl_k_thread_stack_space_get` is not a stack.
            if sym.size <= 0 or sym.type not in _FIGURE_TYPES or sym.section not in section_names:
                continue
            section = section_names[sym.section]
            if sym.address in seen or not figure.matches_symbol(sym.name, section):
                continue
            seen.add(sym.address)
            found.append((sym.name, sym.size, region_of.get(section)))
        found.sort(key=lambda f: (-f[1], f[0]))
        out.append(FigureUse(figure.id, figure.label, sum(f[1] for f in found), found))
    return out


def zephyr_build_dir(elf: Path) -> Path | None:
    """The Zephyr build folder an ELF sits in (``<build>/zephyr/zephyr.elf``), if any."""
    build = elf.parent.parent
    if elf.parent.name == "zephyr" and (build / "CMakeCache.txt").is_file():
        return build
    return None
