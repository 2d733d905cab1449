"""Map addresses to compilation units (source files) from DWARF.

pyelftools finds and decompresses the ``.debug_*`` sections; the units are then
read here with a small scanner that decodes only what memmap needs:

* each unit's name, compilation directory and code ranges (``.debug_aranges``,
  else the unit DIE's ``DW_AT_low_pc``/``DW_AT_high_pc``/``DW_AT_ranges``);
* the addresses of variables and functions defined at unit or namespace level,
  because GCC's address ranges only cover code: data symbols need the DIEs.

Walking DIEs through pyelftools costs ~90 us each (3 s for the 31k top-level
DIEs of a 5 MB image); skipping attributes by form here is ~10x cheaper, and
``DW_AT_sibling`` lets the scan jump over function bodies and types.
"""

from __future__ import annotations

import bisect
import posixpath
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elftools.elf.elffile import ELFFile

# Tags, attributes and forms (DWARF 2-5 plus the GNU extensions GCC emits).
_TAG_VARIABLE = 0x34
_TAG_SUBPROGRAM = 0x2E
_TAG_NAMESPACE = 0x39
_UNIT_TAGS = frozenset({0x11, 0x3C, 0x4A})  # compile, partial, skeleton unit

_AT_SIBLING = 0x01
_AT_LOCATION = 0x02
_AT_NAME = 0x03
_AT_LOW_PC = 0x11
_AT_HIGH_PC = 0x12
_AT_COMP_DIR = 0x1B
_AT_RANGES = 0x55
_AT_LINKAGE_NAME = 0x6E
_AT_MIPS_LINKAGE_NAME = 0x2007
_AT_STR_OFFSETS_BASE = 0x72
_AT_ADDR_BASE = 0x73
_AT_RNGLISTS_BASE = 0x74

_WANTED = frozenset(
    {
        _AT_SIBLING,
        _AT_LOCATION,
        _AT_NAME,
        _AT_LOW_PC,
        _AT_HIGH_PC,
        _AT_COMP_DIR,
        _AT_RANGES,
        _AT_LINKAGE_NAME,
        _AT_MIPS_LINKAGE_NAME,
        _AT_STR_OFFSETS_BASE,
        _AT_ADDR_BASE,
        _AT_RNGLISTS_BASE,
    }
)

_FORM_ADDR = 0x01
_FORM_STRING = 0x08
_FORM_STRP = 0x0E
_FORM_LINE_STRP = 0x1F
_FORM_IMPLICIT_CONST = 0x21
_FORM_INDIRECT = 0x16
_FORM_RNGLISTX = 0x23
_STRX_FORMS = frozenset({0x1A, 0x25, 0x26, 0x27, 0x28, 0x1F02})
_ADDRX_FORMS = frozenset({0x1B, 0x29, 0x2A, 0x2B, 0x2C, 0x1F01})
_REF_CU_FORMS = frozenset({0x11, 0x12, 0x13, 0x14, 0x15})
_REF_ADDR = 0x10
_DATA_FORMS = frozenset({0x05, 0x06, 0x07, 0x0B, 0x0D, 0x0F})

_OP_ADDR = 0x03
_OP_ADDRX = 0xA1
_OP_GNU_ADDR_INDEX = 0xFB

_FIXED: dict[int, int] = {
    0x0B: 1,  # data1
    0x11: 1,  # ref1
    0x0C: 1,  # flag
    0x25: 1,  # strx1
    0x29: 1,  # addrx1
    0x05: 2,  # data2
    0x12: 2,  # ref2
    0x26: 2,  # strx2
    0x2A: 2,  # addrx2
    0x27: 3,  # strx3
    0x2B: 3,  # addrx3
    0x06: 4,  # data4
    0x13: 4,  # ref4
    0x1C: 4,  # ref_sup4
    0x28: 4,  # strx4
    0x2C: 4,  # addrx4
    0x07: 8,  # data8
    0x14: 8,  # ref8
    0x20: 8,  # ref_sig8
    0x24: 8,  # ref_sup8
    0x1E: 16,  # data16
    0x19: 0,  # flag_present
    0x21: 0,  # implicit_const
}
_ULEB_FORMS = frozenset({0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02})
_OFFSET_FORMS = frozenset({0x0E, 0x17, 0x1F, 0x1D, 0x1F20, 0x1F21})  # strp, sec_offset, ...
_BLOCK_FORMS = {0x0A: 1, 0x03: 2, 0x04: 4}  # block1, block2, block4; block/exprloc are ULEB


class DwarfFormatError(Exception):
    """Malformed or unsupported DWARF; the caller degrades to the symbol table."""


@dataclass(frozen=True)
class CompileUnit:
    offset: int
    #: Source path, joined with the compilation directory when relative.
    path: str


@dataclass
class DebugInfo:
    units: list[CompileUnit]
    #: Sorted, start-keyed code ranges: (start, end, unit index).
    ranges: list[tuple[int, int, int]]
    #: Ranges that start at 0 or 1: where the linker resolves code it discarded
    #: (--gc-sections) and where Cortex-M vector tables live, so they need care.
    low_ranges: list[tuple[int, int, int]]
    #: Exact start address -> [(name or None, unit index)] of variables and functions.
    entities: dict[int, list[tuple[str | None, int]]]
    source: str
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.ranges.sort()
        self._starts = [r[0] for r in self.ranges]

    def unit_for(self, address: int, size: int, names: tuple[str, ...]) -> int | None:
        """Unit that defines the symbol at ``address``: exact DIE match, else a code range."""
        found = self._by_entity(address, names)
        if found is not None:
            return found
        return self._by_range(address, size)

    def _by_entity(self, address: int, names: tuple[str, ...]) -> int | None:
        candidates = self.entities.get(address)
        if not candidates:
            return None
        for name, unit in candidates:
            if name is not None and name in names:
                return unit
        units = {unit for _, unit in candidates}
        # Several units or a low address: discarded definitions also sit there, so a
        # match by address alone would be a guess.
        if len(units) == 1 and address > 1:
            return units.pop()
        return None

    def _by_range(self, address: int, size: int) -> int | None:
        i = bisect.bisect_right(self._starts, address) - 1
        best: tuple[int, int] | None = None  # (start, unit): innermost containing range wins
        # Ranges of distinct units do not overlap in a sane link; look back a little for
        # a wider range that encloses a narrower one.
        for j in range(i, max(i - 8, -1), -1):
            start, end, unit = self.ranges[j]
            if start <= address < end and (best is None or start > best[0]):
                best = (start, unit)
        if best is not None:
            return best[1]
        low = [(s, e, u) for s, e, u in self.low_ranges if s <= address < e]
        if len({u for _, _, u in low}) == 1:
            return low[0][2]
        exact = {u for s, e, u in low if s == address and e - s == size}
        return exact.pop() if len(exact) == 1 else None


def load(elffile: ELFFile) -> DebugInfo | None:
    """Debug info of ``elffile``, None when it has none. Raises DwarfFormatError when corrupt."""
    try:
        sections = _sections(elffile)
    except Exception as err:  # pyelftools and zlib raise assorted types on bad debug sections
        raise DwarfFormatError(f"unreadable debug sections: {type(err).__name__}: {err}") from None
    if sections is None:
        return None
    reader = _Reader(sections, elffile.little_endian)
    try:
        units, unit_ranges = reader.scan_units()
        aranges = reader.aranges({u.offset: i for i, u in enumerate(units)})
    except (IndexError, struct.error, KeyError, ValueError, UnicodeDecodeError) as err:
        raise DwarfFormatError(f"{type(err).__name__}: {err}") from None
    source = ".debug_aranges" if aranges else "unit DIE ranges"
    ranges = aranges if aranges else unit_ranges
    normal = [r for r in ranges if r[0] > 1 and r[1] > r[0]]
    low = [r for r in ranges if r[0] <= 1 and r[1] > r[0]]
    return DebugInfo(
        units=units, ranges=normal, low_ranges=low, entities=reader.entities, source=source
    )


def _sections(elffile: ELFFile) -> dict[str, bytes] | None:
    if not elffile.has_dwarf_info():
        return None
    info = elffile.get_dwarf_info(relocate_dwarf_sections=False, follow_links=False)
    if info.debug_info_sec is None or info.debug_abbrev_sec is None:
        return None

    def raw(desc: Any) -> bytes:
        return desc.stream.getvalue() if desc is not None else b""

    return {
        "info": raw(info.debug_info_sec),
        "abbrev": raw(info.debug_abbrev_sec),
        "str": raw(info.debug_str_sec),
        "line_str": raw(info.debug_line_str_sec),
        "str_offsets": raw(info.debug_str_offsets_sec),
        "addr": raw(info.debug_addr_sec),
        "aranges": raw(info.debug_aranges_sec),
        "ranges": raw(info.debug_ranges_sec),
        "rnglists": raw(info.debug_rnglists_sec),
    }


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    result, shift = byte & 0x7F, 7
    while True:
        pos += 1
        byte = data[pos]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos + 1
        shift += 7


def _sleb(data: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos


#: An abbreviation: (tag, has_children, ((attribute, form, implicit_const), ...)).
Abbrev = tuple[int, bool, tuple[tuple[int, int, int], ...]]


@dataclass
class _Unit:
    offset: int
    end: int
    version: int
    addr_size: int
    offset_size: int
    abbrevs: dict[int, Abbrev]


class _Reader:
    def __init__(self, sections: dict[str, bytes], little: bool) -> None:
        self.s = sections
        self.e = "<" if little else ">"
        self.entities: dict[int, list[tuple[str | None, int]]] = {}
        self._abbrev_cache: dict[int, dict[int, Abbrev]] = {}

    # -- primitives -------------------------------------------------------------------

    def _int(self, data: bytes, pos: int, size: int) -> int:
        if size == 1:
            return data[pos]
        if pos + size > len(data):
            raise IndexError("read past the end of a DWARF section")
        return int.from_bytes(data[pos : pos + size], "little" if self.e == "<" else "big")

    def _cstr(self, data: bytes, pos: int) -> str:
        end = data.index(b"\0", pos)
        return data[pos:end].decode("utf-8", "replace")

    def _abbrev_table(self, offset: int) -> dict[int, Abbrev]:
        cached = self._abbrev_cache.get(offset)
        if cached is not None:
            return cached
        data = self.s["abbrev"]
        table: dict[int, Abbrev] = {}
        pos = offset
        while True:
            code, pos = _uleb(data, pos)
            if code == 0:
                break
            tag, pos = _uleb(data, pos)
            children = data[pos] == 1
            pos += 1
            specs: list[tuple[int, int, int]] = []
            while True:
                attr, pos = _uleb(data, pos)
                form, pos = _uleb(data, pos)
                if attr == 0 and form == 0:
                    break
                const = 0
                if form == _FORM_IMPLICIT_CONST:
                    const, pos = _sleb(data, pos)
                specs.append((attr, form, const))
            table[code] = (tag, children, tuple(specs))
        self._abbrev_cache[offset] = table
        return table

    # -- units ------------------------------------------------------------------------

    def scan_units(self) -> tuple[list[CompileUnit], list[tuple[int, int, int]]]:
        data = self.s["info"]
        units: list[CompileUnit] = []
        ranges: list[tuple[int, int, int]] = []
        pos = 0
        while pos + 11 <= len(data):
            unit_offset = pos
            length = self._int(data, pos, 4)
            offset_size = 4
            pos += 4
            if length == 0xFFFFFFFF:
                length = self._int(data, pos, 8)
                offset_size = 8
                pos += 8
            end = pos + length
            if length == 0 or end > len(data):
                raise ValueError(f"unit at {unit_offset:#x} runs past .debug_info")
            version = self._int(data, pos, 2)
            pos += 2
            if version >= 5:
                unit_type = data[pos]
                addr_size = data[pos + 1]
                abbrev_offset = self._int(data, pos + 2, offset_size)
                pos += 2 + offset_size
                if unit_type in (4, 5):  # skeleton, split_compile: dwo_id
                    pos += 8
                elif unit_type in (2, 6):  # type, split_type: signature + type offset
                    pos += 8 + offset_size
            elif version >= 2:
                abbrev_offset = self._int(data, pos, offset_size)
                addr_size = data[pos + offset_size]
                pos += offset_size + 1
            else:
                raise ValueError(f"unsupported DWARF version {version}")
            if addr_size not in (2, 4, 8):
                raise ValueError(f"address size {addr_size} in unit at {unit_offset:#x}")
            unit = _Unit(
                unit_offset, end, version, addr_size, offset_size, self._abbrev_table(abbrev_offset)
            )
            index = len(units)
            path, unit_ranges = self._scan_unit(unit, pos, index)
            units.append(CompileUnit(offset=unit_offset, path=path))
            ranges.extend((lo, hi, index) for lo, hi in unit_ranges)
            pos = end
        return units, ranges

    def _scan_unit(self, unit: _Unit, pos: int, index: int) -> tuple[str, list[tuple[int, int]]]:
        data = self.s["info"]
        code, pos = _uleb(data, pos)
        if code == 0:
            return "", []
        tag, children, specs = unit.abbrevs[code]
        top, pos = self._read_attrs(unit, data, pos, specs)
        if tag not in _UNIT_TAGS:
            return "", []
        base = {
            "str": top.get(_AT_STR_OFFSETS_BASE, (0, 0))[1],
            "addr": top.get(_AT_ADDR_BASE, (0, 0))[1],
            "rng": top.get(_AT_RNGLISTS_BASE, (0, 0))[1],
        }
        if _AT_STR_OFFSETS_BASE not in top and unit.version >= 5:
            base["str"] = 2 * unit.offset_size  # DWARF 5 default: first table, past its header
        name = self._string(unit, top.get(_AT_NAME), base) or ""
        comp_dir = self._string(unit, top.get(_AT_COMP_DIR), base) or ""
        path = name.replace("\\", "/")
        if path and not posixpath.isabs(path) and not _is_windows_abs(path) and comp_dir:
            path = posixpath.join(comp_dir.replace("\\", "/"), path)
        path = posixpath.normpath(path) if path else ""
        ranges = self._unit_ranges(unit, top, base)
        if children:
            self._scan_children(unit, pos, index, base)
        return path, ranges

    def _read_attrs(
        self, unit: _Unit, data: bytes, pos: int, specs: tuple[tuple[int, int, int], ...]
    ) -> tuple[dict[int, tuple[int, Any]], int]:
        """Decode the wanted attributes of one DIE as {attr: (form, value)}; skip the rest."""
        found: dict[int, tuple[int, Any]] = {}
        for attr, form, const in specs:
            while form == _FORM_INDIRECT:
                form, pos = _uleb(data, pos)
            fixed = _FIXED.get(form)
            if fixed is not None:
                if attr in _WANTED:
                    value: Any = (
                        const if form == _FORM_IMPLICIT_CONST else self._int(data, pos, fixed)
                    )
                    found[attr] = (form, value)
                pos += fixed
            elif form == _FORM_ADDR:
                if attr in _WANTED:
                    found[attr] = (form, self._int(data, pos, unit.addr_size))
                pos += unit.addr_size
            elif form in _OFFSET_FORMS:
                if attr in _WANTED:
                    found[attr] = (form, self._int(data, pos, unit.offset_size))
                pos += unit.offset_size
            elif form in _ULEB_FORMS:
                value, pos = _uleb(data, pos)
                if attr in _WANTED:
                    found[attr] = (form, value)
            elif form == 0x0D:  # sdata
                value, pos = _sleb(data, pos)
                if attr in _WANTED:
                    found[attr] = (form, value)
            elif form == _FORM_STRING:
                end = data.index(b"\0", pos)
                if attr in _WANTED:
                    found[attr] = (form, data[pos:end].decode("utf-8", "replace"))
                pos = end + 1
            elif form == 0x18 or form == 0x09:  # exprloc, block
                length, pos = _uleb(data, pos)
                if attr in _WANTED:
                    found[attr] = (form, data[pos : pos + length])
                pos += length
            elif form in _BLOCK_FORMS:
                size = _BLOCK_FORMS[form]
                length = self._int(data, pos, size)
                pos += size
                if attr in _WANTED:
                    found[attr] = (form, data[pos : pos + length])
                pos += length
            elif form == _REF_ADDR:
                size = unit.addr_size if unit.version == 2 else unit.offset_size
                if attr in _WANTED:
                    found[attr] = (form, self._int(data, pos, size))
                pos += size
            else:
                raise ValueError(f"unknown DWARF form {form:#x}")
        return found, pos

    def _scan_children(self, unit: _Unit, pos: int, index: int, base: dict[str, int]) -> None:
        """Record variables and functions at unit and namespace level; jump over the rest."""
        data = self.s["info"]
        # One flag per open parent: are its children worth decoding?
        stack = [True]
        end = unit.end
        while stack and pos < end:
            code, pos = _uleb(data, pos)
            if code == 0:
                stack.pop()
                continue
            tag, children, specs = unit.abbrevs[code]
            start = pos
            attrs, pos = self._read_attrs(unit, data, pos, specs)
            if stack[-1] and tag in (_TAG_VARIABLE, _TAG_SUBPROGRAM):
                self._record(unit, tag, attrs, index, base)
            if not children:
                continue
            if stack[-1] and tag == _TAG_NAMESPACE:
                stack.append(True)
                continue
            sibling = attrs.get(_AT_SIBLING)
            if sibling is not None:
                form, value = sibling
                target = value + unit.offset if form in _REF_CU_FORMS else value
                if start < target <= end:
                    pos = target
                    continue
            stack.append(False)

    def _record(
        self,
        unit: _Unit,
        tag: int,
        attrs: dict[int, tuple[int, Any]],
        index: int,
        base: dict[str, int],
    ) -> None:
        address: int | None = None
        if tag == _TAG_VARIABLE:
            loc = attrs.get(_AT_LOCATION)
            if loc is None or not isinstance(loc[1], bytes):
                return
            expr = loc[1]
            if len(expr) == 1 + unit.addr_size and expr[0] == _OP_ADDR:
                address = self._int(expr, 1, unit.addr_size)
            elif expr and expr[0] in (_OP_ADDRX, _OP_GNU_ADDR_INDEX):
                slot, _ = _uleb(expr, 1)
                address = self._addrx(unit, slot, base)
        else:
            low = attrs.get(_AT_LOW_PC)
            if low is None:
                return
            address = self._address(unit, low, base)
        if address is None:
            return
        name_attr = (
            attrs.get(_AT_LINKAGE_NAME) or attrs.get(_AT_MIPS_LINKAGE_NAME) or attrs.get(_AT_NAME)
        )
        name = self._string(unit, name_attr, base)
        self.entities.setdefault(address, []).append((name, index))

    # -- values -----------------------------------------------------------------------

    def _string(
        self, unit: _Unit, attr: tuple[int, Any] | None, base: dict[str, int]
    ) -> str | None:
        if attr is None:
            return None
        form, value = attr
        if form == _FORM_STRING:
            return str(value)
        try:
            if form == _FORM_STRP:
                return self._cstr(self.s["str"], value)
            if form == _FORM_LINE_STRP:
                return self._cstr(self.s["line_str"], value)
            if form in _STRX_FORMS:
                table = self.s["str_offsets"]
                where = base["str"] + value * unit.offset_size
                return self._cstr(self.s["str"], self._int(table, where, unit.offset_size))
        except (ValueError, IndexError):
            return None  # a bad name must not lose the unit's addresses
        return None  # supplementary-file strings: not followed

    def _addrx(self, unit: _Unit, slot: int, base: dict[str, int]) -> int | None:
        table = self.s["addr"]
        where = base["addr"] + slot * unit.addr_size
        if not table or where + unit.addr_size > len(table):
            return None
        return self._int(table, where, unit.addr_size)

    def _address(self, unit: _Unit, attr: tuple[int, Any], base: dict[str, int]) -> int | None:
        form, value = attr
        if form == _FORM_ADDR:
            return int(value)
        if form in _ADDRX_FORMS:
            return self._addrx(unit, int(value), base)
        return None

    def _unit_ranges(
        self, unit: _Unit, top: dict[int, tuple[int, Any]], base: dict[str, int]
    ) -> list[tuple[int, int]]:
        low_attr = top.get(_AT_LOW_PC)
        low = self._address(unit, low_attr, base) if low_attr else None
        ranges_attr = top.get(_AT_RANGES)
        if ranges_attr is not None:
            form, value = ranges_attr
            if unit.version >= 5:
                offset = value
                if form == _FORM_RNGLISTX:
                    table = self.s["rnglists"]
                    offset = base["rng"] + self._int(
                        table, base["rng"] + value * unit.offset_size, unit.offset_size
                    )
                return self._rnglist(unit, offset, low or 0, base)
            return self._ranges_v4(unit, value, low or 0)
        high_attr = top.get(_AT_HIGH_PC)
        if low is None or high_attr is None:
            return []
        form, value = high_attr
        high = low + value if form in _DATA_FORMS else self._address(unit, high_attr, base)
        return [(low, high)] if high is not None and high > low else []

    def _ranges_v4(self, unit: _Unit, offset: int, base_addr: int) -> list[tuple[int, int]]:
        data, size = self.s["ranges"], unit.addr_size
        top = (1 << (8 * size)) - 1
        out: list[tuple[int, int]] = []
        pos = offset
        while pos + 2 * size <= len(data):
            begin, end = self._int(data, pos, size), self._int(data, pos + size, size)
            pos += 2 * size
            if begin == 0 and end == 0:
                break
            if begin == top:
                base_addr = end
                continue
            out.append((base_addr + begin, base_addr + end))
        return out

    def _rnglist(
        self, unit: _Unit, offset: int, base_addr: int, base: dict[str, int]
    ) -> list[tuple[int, int]]:
        data, size = self.s["rnglists"], unit.addr_size
        out: list[tuple[int, int]] = []
        pos = offset
        read_addr: Callable[[int], int] = lambda p: self._int(data, p, size)  # noqa: E731
        while pos < len(data):
            kind = data[pos]
            pos += 1
            if kind == 0:  # end_of_list
                break
            if kind == 1:  # base_addressx
                slot, pos = _uleb(data, pos)
                base_addr = self._addrx(unit, slot, base) or 0
            elif kind in (2, 3):  # startx_endx, startx_length
                first, pos = _uleb(data, pos)
                second, pos = _uleb(data, pos)
                start = self._addrx(unit, first, base) or 0
                if kind == 2:
                    out.append((start, self._addrx(unit, second, base) or 0))
                else:
                    out.append((start, start + second))
            elif kind == 4:  # offset_pair
                first, pos = _uleb(data, pos)
                second, pos = _uleb(data, pos)
                out.append((base_addr + first, base_addr + second))
            elif kind == 5:  # base_address
                base_addr = read_addr(pos)
                pos += size
            elif kind == 6:  # start_end
                out.append((read_addr(pos), read_addr(pos + size)))
                pos += 2 * size
            elif kind == 7:  # start_length
                start = read_addr(pos)
                length, pos = _uleb(data, pos + size)
                out.append((start, start + length))
            else:
                raise ValueError(f"unknown range list entry {kind}")
        return out

    # -- .debug_aranges ---------------------------------------------------------------

    def aranges(self, unit_index: dict[int, int]) -> list[tuple[int, int, int]]:
        data = self.s["aranges"]
        out: list[tuple[int, int, int]] = []
        pos = 0
        while pos + 12 <= len(data):
            set_start = pos
            length = self._int(data, pos, 4)
            offset_size = 4
            pos += 4
            if length == 0xFFFFFFFF:
                length = self._int(data, pos, 8)
                offset_size = 8
                pos += 8
            end = pos + length
            pos += 2  # version
            info_offset = self._int(data, pos, offset_size)
            pos += offset_size
            addr_size, seg_size = data[pos], data[pos + 1]
            pos += 2
            if addr_size not in (2, 4, 8) or end > len(data):
                raise ValueError(f"bad .debug_aranges set at {set_start:#x}")
            tuple_size = 2 * addr_size + seg_size
            pos = set_start + -(-(pos - set_start) // tuple_size) * tuple_size
            unit = unit_index.get(info_offset)
            while pos + tuple_size <= end:
                pos += seg_size
                start = self._int(data, pos, addr_size)
                size = self._int(data, pos + addr_size, addr_size)
                pos += 2 * addr_size
                if start == 0 and size == 0:
                    break
                if unit is not None and size:
                    out.append((start, start + size, unit))
            pos = end
        return out


def _is_windows_abs(path: str) -> bool:
    return len(path) > 2 and path[1] == ":" and path[2] == "/"
