"""Memory budgets per board: limits on regions, areas and figures.

The file (default ``app/budgets.yaml``)::

    version: 1
    boards:
      qemu_cortex_m3:
        regions: {flash: 96 KB, ram: 32 KB}
        areas:
          zephyr kernel: {flash: 16 KB, ram: 4 KB}
        figures:
          tensor_arena: 12 KB

Sizes are plain byte counts or a number with a unit: B, KB or KiB (1024 B),
MB or MiB (1024 KiB); units are case-insensitive. Unknown keys, areas, figures
and units are errors that name the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vmon.errors import VmonError
from vmon.memmap.analysis import Report
from vmon.memmap.groups import Grouping
from vmon.paths import REPO_ROOT

#: The budgets every application build is checked against (post-build, app/CMakeLists.txt).
DEFAULT_BUDGETS = REPO_ROOT / "app" / "budgets.yaml"

_UNITS = {"": 1, "b": 1, "kb": 1024, "kib": 1024, "mb": 1024**2, "mib": 1024**2}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_BOARD_KEYS = {"regions", "areas", "figures"}


@dataclass(frozen=True)
class Budget:
    kind: str  # "region", "area" or "figure"
    name: str
    #: Region an area budget applies to; None for region and figure budgets.
    region: str | None
    limit: int
    key: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.region})" if self.region else self.name


@dataclass(frozen=True)
class BudgetSet:
    source: Path
    board: str
    items: list[Budget]


@dataclass(frozen=True)
class BudgetLine:
    budget: Budget
    used: int

    @property
    def over(self) -> int:
        return self.used - self.budget.limit

    @property
    def ok(self) -> bool:
        return self.used <= self.budget.limit


def parse_size(value: Any, key: str) -> int:
    """Bytes of ``96 KB``, ``1.5 MiB``, ``2048`` or ``"512 B"``; VmonError naming ``key``."""
    if isinstance(value, bool) or value is None:
        raise VmonError(f"{key}: expected a size such as 96 KB, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise VmonError(f"{key}: size {value} is negative")
        return value
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        raise VmonError(f"{key}: expected a size such as 96 KB, got {type(value).__name__}")
    match = _SIZE.match(value)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise VmonError(f"{key}: bad size {value!r} (use a number of bytes or B, KB, KiB, MB, MiB)")
    number = float(match.group(1)) * _UNITS[unit]
    if not number.is_integer():
        raise VmonError(f"{key}: {value!r} is not a whole number of bytes")
    return int(number)


def board_names(board: str) -> list[str]:
    """Budget keys for a board target, most specific first.

    ``mps2/an521/cpu1`` -> mps2_an521_cpu1, mps2_an521, mps2; CMake's
    ``qemu_cortex_m3/ti_lm3s6965`` (board + default SoC qualifier) -> ..., qemu_cortex_m3.
    """
    parts = [p for p in board.split("/") if p]
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


def load_for_board(path: Path, board: str, grouping: Grouping) -> BudgetSet | None:
    """Budgets of a board target (``rak4631/nrf52840``): its most specific key in ``path``."""
    for name in board_names(board):
        budget_set = load(path, name, grouping)
        if budget_set is not None:
            return budget_set
    return None


def load(path: Path, board: str, grouping: Grouping) -> BudgetSet | None:
    """Budgets of ``board`` in ``path`` (None when the file has none for it).

    The whole file is checked, so a typo for another board is caught too.
    """
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise VmonError(f"budgets file {path} does not exist") from None
    except OSError as err:
        raise VmonError(f"cannot read budgets file {path}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise VmonError(f"{path}: not valid YAML{where}") from None
    prefix = f"{path}: "
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise VmonError(f"{prefix}expected a mapping with 'version' and 'boards'")
    for key in doc:
        if key not in ("version", "boards"):
            raise VmonError(f"{prefix}{key}: unknown key (expected version, boards)")
    if doc.get("version", 1) != 1:
        raise VmonError(f"{prefix}version: unsupported version {doc['version']!r} (expected 1)")
    boards = doc.get("boards") or {}
    if not isinstance(boards, dict):
        raise VmonError(f"{prefix}boards: expected a mapping of board name to budgets")
    parsed = {
        str(name): _parse_board(entry, f"{prefix}boards.{name}", grouping)
        for name, entry in boards.items()
    }
    if board not in parsed:
        return None
    return BudgetSet(source=path, board=board, items=parsed[board])


def _parse_board(entry: Any, key: str, grouping: Grouping) -> list[Budget]:
    if entry is None:
        return []
    if not isinstance(entry, dict):
        raise VmonError(f"{key}: expected a mapping with regions, areas and/or figures")
    items: list[Budget] = []
    for section, body in entry.items():
        if section not in _BOARD_KEYS:
            raise VmonError(
                f"{key}.{section}: unknown key (expected {', '.join(sorted(_BOARD_KEYS))})"
            )
        if body is None:
            continue
        if not isinstance(body, dict):
            raise VmonError(f"{key}.{section}: expected a mapping")
        for name, value in body.items():
            where = f"{key}.{section}.{name}"
            name = str(name)
            if section == "regions":
                _check_region_name(name, where)
                items.append(Budget("region", name, None, parse_size(value, where), where))
            elif section == "figures":
                if name not in grouping.figure_ids():
                    raise VmonError(
                        f"{where}: unknown figure (known: {', '.join(grouping.figure_ids())})"
                    )
                items.append(Budget("figure", name, None, parse_size(value, where), where))
            else:
                if not grouping.is_known_area(name):
                    known = ", ".join(grouping.area_names())
                    raise VmonError(f"{where}: unknown area (areas.yaml defines: {known})")
                if not isinstance(value, dict) or not value:
                    raise VmonError(
                        f"{where}: expected a mapping of region to size, e.g. {{flash: 8 KB}}"
                    )
                for region, size in value.items():
                    rwhere = f"{where}.{region}"
                    _check_region_name(str(region), rwhere)
                    items.append(
                        Budget("area", name, str(region), parse_size(size, rwhere), rwhere)
                    )
    return items


def _check_region_name(name: str, where: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*(@0x[0-9a-f]+)?", name):
        raise VmonError(f"{where}: bad region name (regions are lower case, e.g. flash, ram)")


def evaluate(budgets: BudgetSet, report: Report) -> list[BudgetLine]:
    """Used bytes against every budget; VmonError for a region the ELF does not have."""
    known = set(report.region_names()) | {"flash", "ram"}
    for item in budgets.items:
        region = (
            item.region if item.kind == "area" else item.name if item.kind == "region" else None
        )
        if region is not None and region not in known:
            raise VmonError(
                f"{budgets.source}: {item.key}: unknown region {region!r} "
                f"(this ELF has: {', '.join(sorted(known))})"
            )
    used_regions = report.region_used()
    areas = report.areas()
    figures = {f.id: f.total for f in report.figures}
    lines = []
    for item in budgets.items:
        if item.kind == "region":
            used = used_regions.get(item.name, 0)
        elif item.kind == "area":
            used = areas.get(item.name, {}).get(item.region or "", 0)
        else:
            used = figures.get(item.name, 0)
        lines.append(BudgetLine(item, used))
    return lines
