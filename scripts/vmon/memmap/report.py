"""Terminal tables (rich) and the JSON document of a memory report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmon.memmap.analysis import Report
from vmon.memmap.budgets import BudgetLine, BudgetSet
from vmon.memmap.diff import Diff
from vmon.memmap.groups import UNATTRIBUTED
from vmon.paths import REPO_ROOT

#: Name and version of the JSON document; bump the version on incompatible changes.
SCHEMA = "vmon.memmap"
SCHEMA_VERSION = 1


def fmt_bytes(n: int) -> str:
    return f"{n:,}"


def fmt_kib(n: int) -> str:
    return f"{n / 1024:,.1f} KiB"


def fmt_delta(n: int) -> str:
    return f"{n:+,}" if n else "0"


def fill_hint(section: str) -> str:
    """What bytes outside every symbol usually are, by the section they sit in."""
    name = section.lower()
    if "rodata" in name:
        return "string literals and constants without symbols, alignment"
    if "exidx" in name or "extab" in name or "eh_frame" in name:
        return "unwind tables"
    if "vector" in name or name == "rom_start":
        return "vector table entries past the table symbol, alignment"
    if "text" in name or name in (".init", ".fini"):
        return "alignment padding, literal pools, assembly without .size"
    return "alignment padding and linker fill"


def short_path(path: str | None) -> str:
    """A path relative to the repository or the Zephyr workspace when it is inside one."""
    if not path:
        return UNATTRIBUTED
    roots = [str(REPO_ROOT)]
    base = os.environ.get("ZEPHYR_BASE")
    if base:
        roots.append(str(Path(base).parent))
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


# -- terminal ----------------------------------------------------------------------------


def render(
    report: Report,
    console: Console,
    depth: int,
    board: str | None = None,
    budgets: BudgetSet | None = None,
    lines: list[BudgetLine] | None = None,
    diff: Diff | None = None,
) -> None:
    title = f"[bold]memmap[/] {report.elf}"
    if board:
        title += f"  (board {board})"
    console.print(title)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print()

    regions = report.region_names()
    limits = {ln.budget.name: ln for ln in lines or [] if ln.budget.kind == "region"}
    table = Table(title="Memory regions", title_justify="left")
    for col in ("region", "addresses", "used", "", "capacity", "used %", "budget", "status"):
        table.add_column(
            col, justify="left" if col in ("region", "addresses", "status") else "right"
        )
    for use in report.regions:
        region = use.region
        span = f"{use.start:#010x}-{use.end:#010x}" if use.start is not None else "-"
        cap = fmt_kib(region.length) if region.length else "?"
        pct = f"{100 * use.used / region.length:.1f}%" if region.length else "-"
        line = limits.get(region.name)
        table.add_row(
            region.name,
            span,
            fmt_bytes(use.used),
            fmt_kib(use.used),
            cap,
            pct,
            fmt_kib(line.budget.limit) if line else "-",
            _status(line),
        )
    console.print(table)
    b = report.berkeley
    console.print(
        f"size (Berkeley, as arm-none-eabi-size): text {b.text:,}  data {b.data:,}  "
        f"bss {b.bss:,}  dec {b.dec:,}  hex {b.dec:x}"
    )
    console.print()

    if report.sections:
        console.print(_sections_table(report))
    if report.has_symbols:
        console.print(_areas_table(report, regions, depth, lines))
        console.print(_files_table(report, regions, depth))
        console.print(_symbols_table(report, regions, depth))
    unattributed = sorted(report.fill.items(), key=lambda kv: -kv[1])
    if unattributed and report.has_symbols:
        table = Table(title=f"{UNATTRIBUTED}: bytes outside any symbol", title_justify="left")
        for col in ("region", "section", "bytes", "usually"):
            table.add_column(col, justify="right" if col == "bytes" else "left")
        for (where, section), n in unattributed[:depth]:
            table.add_row(where, section, fmt_bytes(n), Text(fill_hint(section), style="dim"))
        _more(table, len(unattributed) - depth, 4)
        console.print(table)
    if report.has_symbols:
        console.print(_figures_table(report, lines))
    if report.stack is not None:
        console.print(_stack_table(report, depth))
    if budgets is not None and lines is not None:
        console.print(budget_table(budgets, lines))
    if diff is not None:
        render_diff(diff, console, depth)


def _status(line: BudgetLine | None) -> Text:
    if line is None:
        return Text("")
    if line.ok:
        return Text("ok", style="green")
    return Text(f"OVER by {fmt_bytes(line.over)} B", style="bold red")


def _more(table: Table, hidden: int, columns: int) -> None:
    if hidden > 0:
        table.add_row(f"[dim]... {hidden} more[/]", *[""] * (columns - 1))


def _sections_table(report: Report) -> Table:
    table = Table(title="Sections", title_justify="left")
    for col in ("section", "class", "address", "load address", "size", "region", "unattributed"):
        table.add_column(col, justify="right" if col in ("size", "unattributed") else "left")
    for sec in sorted(report.sections, key=lambda s: (s.address, s.name)):
        region = sec.region or "-"
        if sec.load_region:
            region += f" (+{sec.load_region})"
        load = f"{sec.load_address:#010x}" if sec.load_address != sec.address else ""
        table.add_row(
            sec.name,
            sec.size_class,
            f"{sec.address:#010x}",
            load,
            fmt_bytes(sec.size),
            region,
            fmt_bytes(sec.unattributed),
        )
    return table


def _region_columns(table: Table, regions: list[str]) -> None:
    for region in regions:
        table.add_column(region, justify="right")


def _areas_table(
    report: Report, regions: list[str], depth: int, lines: list[BudgetLine] | None
) -> Table:
    areas = report.areas()
    used = report.region_used()
    over = {
        (ln.budget.name, ln.budget.region)
        for ln in lines or []
        if ln.budget.kind == "area" and not ln.ok
    }
    table = Table(title="Product areas", title_justify="left", show_footer=True)
    table.add_column("area", footer="total")
    for region in regions:
        table.add_column(region, justify="right", footer=fmt_bytes(used.get(region, 0)))
        table.add_column("%", justify="right", style="dim")
    rows = sorted(areas.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    for area, per in rows[:depth]:
        cells: list[str | Text] = [area]
        for region in regions:
            n = per.get(region, 0)
            style = "bold red" if (area, region) in over else ""
            cells.append(Text(fmt_bytes(n) if n else "", style=style))
            total = used.get(region, 0)
            cells.append(f"{100 * n / total:.1f}" if n and total else "")
        table.add_row(*cells)
    _more(table, len(rows) - depth, 1 + 2 * len(regions))
    return table


def _files_table(report: Report, regions: list[str], depth: int) -> Table:
    files = report.files()
    areas = report.area_of_file()
    title = "Source files" + (
        "" if report.file_source == "dwarf" else " (no DWARF: base names of static symbols only)"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("area")
    _region_columns(table, regions)
    rows = sorted(files.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    for path, per in rows[:depth]:
        name = path if path == UNATTRIBUTED else short_path(path)
        table.add_row(name, areas.get(path, ""), *[_cell(per.get(r, 0)) for r in regions])
    _more(table, len(rows) - depth, 2 + len(regions))
    return table


def _symbols_table(report: Report, regions: list[str], depth: int) -> Table:
    table = Table(title="Largest symbols", title_justify="left")
    for col in ("symbol", "kind", "section"):
        table.add_column(col, overflow="fold")
    _region_columns(table, regions)
    table.add_column("file", overflow="fold")
    table.add_column("area")
    for sym in report.symbols[:depth]:
        table.add_row(
            sym.name,
            sym.kind,
            sym.section,
            *[_cell(sym.bytes.get(r, 0)) for r in regions],
            short_path(sym.file) if sym.file else "-",
            sym.area,
        )
    _more(table, len(report.symbols) - depth, 5 + len(regions))
    return table


def _figures_table(report: Report, lines: list[BudgetLine] | None) -> Table:
    limits = {ln.budget.name: ln for ln in lines or [] if ln.budget.kind == "figure"}
    table = Table(title="Special figures", title_justify="left")
    for col in ("figure", "bytes", "", "region", "symbols", "budget", "status"):
        table.add_column(
            col, justify="right" if col in ("bytes", "", "budget") else "left", overflow="fold"
        )
    for fig in report.figures:
        where = ", ".join(sorted({r for _, _, r in fig.symbols if r}))
        names = ", ".join(f"{n} ({s:,})" for n, s, _ in fig.symbols[:4])
        if len(fig.symbols) > 4:
            names += f", ... {len(fig.symbols) - 4} more"
        line = limits.get(fig.id)
        table.add_row(
            fig.label,
            fmt_bytes(fig.total),
            fmt_kib(fig.total),
            where or "-",
            names or "[dim]none found[/]",
            fmt_kib(line.budget.limit) if line else "-",
            _status(line),
        )
    return table


def _stack_table(report: Report, depth: int) -> Table:
    stack = report.stack
    assert stack is not None
    table = Table(
        title=f"Stack usage per function ({stack.files} .su files in {stack.build_dir})",
        title_justify="left",
    )
    for col in ("function", "bytes", "qualifier", "file"):
        table.add_column(col, justify="right" if col == "bytes" else "left", overflow="fold")
    for frame in stack.largest(depth):
        style = "yellow" if frame.qualifier.startswith("dynamic") else ""
        table.add_row(
            frame.function,
            fmt_bytes(frame.bytes),
            Text(frame.qualifier, style=style),
            f"{short_path(frame.file)}:{frame.line}",
        )
    _more(table, len(stack.frames) - depth, 4)
    return table


def budget_table(budgets: BudgetSet, lines: list[BudgetLine], only_over: bool = False) -> Table:
    shown = [ln for ln in lines if not ln.ok] if only_over else lines
    title = f"Budgets for {budgets.board} ({budgets.source})"
    if only_over:
        title = f"Over budget for {budgets.board} ({budgets.source})"
    table = Table(title=title, title_justify="left")
    for col in ("budget", "kind", "limit", "used", "headroom", "status"):
        table.add_column(col, justify="right" if col in ("limit", "used", "headroom") else "left")
    for line in shown:
        table.add_row(
            line.budget.label,
            line.budget.kind,
            fmt_bytes(line.budget.limit),
            fmt_bytes(line.used),
            fmt_delta(-line.over) if line.ok else Text(fmt_delta(-line.over), style="bold red"),
            _status(line),
        )
    return table


def render_diff(diff: Diff, console: Console, depth: int) -> None:
    regions = diff.region_names()
    table = Table(title=f"Growth since {diff.old_elf}", title_justify="left")
    for col in ("region", "old", "new", "change"):
        table.add_column(col, justify="left" if col == "region" else "right")
    for name, old, new in diff.regions:
        table.add_row(name, fmt_bytes(old), fmt_bytes(new), _delta_text(new - old))
    (ot, od, ob), (nt, nd, nb) = diff.berkeley
    for label, old, new in (("text", ot, nt), ("data", od, nd), ("bss", ob, nb)):
        table.add_row(f"[dim]{label}[/]", fmt_bytes(old), fmt_bytes(new), _delta_text(new - old))
    console.print(table)

    table = Table(title="Growth per area", title_justify="left")
    table.add_column("area")
    for region in regions:
        table.add_column(f"{region} old", justify="right", style="dim")
        table.add_column(f"{region} new", justify="right")
        table.add_column("change", justify="right")
    rows = sorted(
        diff.areas.items(),
        key=lambda kv: (-sum(abs(b - a) for a, b in kv[1].values()), kv[0]),
    )
    for area, per in rows[:depth]:
        cells: list[str | Text] = [area]
        for region in regions:
            old, new = per.get(region, (0, 0))
            cells += [fmt_bytes(old), fmt_bytes(new), _delta_text(new - old)]
        table.add_row(*cells)
    if not rows:
        table.add_row("[dim]no change[/]", *[""] * (3 * len(regions)))
    _more(table, len(rows) - depth, 1 + 3 * len(regions))
    console.print(table)

    table = Table(title=f"Top {depth} changed symbols", title_justify="left")
    for col in ("change", "symbol", *regions, "total", "area", "file"):
        table.add_column(
            col, justify="right" if col in (*regions, "total") else "left", overflow="fold"
        )
    for change in diff.symbols[:depth]:
        table.add_row(
            change.status,
            change.name,
            *[_delta_text(change.region_delta(r)) for r in regions],
            _delta_text(change.delta),
            change.area,
            short_path(change.file) if change.file else "-",
        )
    if not diff.symbols:
        table.add_row("[dim]no change[/]", *[""] * (4 + len(regions)))
    _more(table, len(diff.symbols) - depth, 5 + len(regions))
    console.print(table)


def _delta_text(n: int) -> Text:
    return Text(fmt_delta(n), style="red" if n > 0 else "green" if n < 0 else "dim")


def _cell(n: int) -> str:
    return fmt_bytes(n) if n else ""


# -- JSON --------------------------------------------------------------------------------


def to_json(
    report: Report,
    board: str | None = None,
    budgets: BudgetSet | None = None,
    lines: list[BudgetLine] | None = None,
    diff: Diff | None = None,
) -> dict[str, Any]:
    """The report as plain data. Keys are stable; ``version`` changes when they do not stay so."""
    b = report.berkeley
    areas = report.areas()
    files = report.files()
    area_of_file = report.area_of_file()
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "elf": {
            "path": str(report.elf),
            "machine": report.machine,
            "entry": report.entry,
            "has_symbols": report.has_symbols,
            "file_source": report.file_source,
        },
        "board": board,
        "notes": list(report.notes),
        "totals": {"text": b.text, "data": b.data, "bss": b.bss, "dec": b.dec},
        "regions": [
            {
                "name": u.region.name,
                "origin": u.region.origin,
                "length": u.region.length,
                "used": u.used,
                "start": u.start,
                "end": u.end,
                "source": u.region.source,
            }
            for u in report.regions
        ],
        "sections": [
            {
                "name": s.name,
                "class": s.size_class,
                "address": s.address,
                "load_address": s.load_address,
                "size": s.size,
                "region": s.region,
                "load_region": s.load_region,
                "unattributed": s.unattributed,
            }
            for s in report.sections
        ],
        "areas": [
            {"name": name, "bytes": dict(sorted(per.items())), "total": sum(per.values())}
            for name, per in sorted(areas.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "files": [
            {
                "path": path,
                "area": area_of_file.get(path, UNATTRIBUTED),
                "bytes": dict(sorted(per.items())),
                "total": sum(per.values()),
            }
            for path, per in sorted(files.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "symbols": [
            {
                "name": s.name,
                "kind": s.kind,
                "local": s.local,
                "section": s.section,
                "address": s.address,
                "size": s.size,
                "file": s.file,
                "area": s.area,
                "bytes": dict(sorted(s.bytes.items())),
            }
            for s in report.symbols
        ],
        "unattributed": [
            {"region": region, "section": section, "bytes": n, "hint": fill_hint(section)}
            for (region, section), n in sorted(report.fill.items())
        ],
        "figures": [
            {
                "id": f.id,
                "label": f.label,
                "bytes": f.total,
                "symbols": [{"name": n, "size": s, "region": r} for n, s, r in f.symbols],
            }
            for f in report.figures
        ],
        "stack_usage": None,
        "budgets": None,
        "diff": None,
    }
    if report.stack is not None:
        doc["stack_usage"] = {
            "build_dir": str(report.stack.build_dir),
            "files": report.stack.files,
            "skipped_lines": report.stack.skipped,
            "functions": [
                {
                    "function": f.function,
                    "file": f.file,
                    "line": f.line,
                    "bytes": f.bytes,
                    "qualifier": f.qualifier,
                }
                for f in report.stack.frames
            ],
        }
    if budgets is not None and lines is not None:
        doc["budgets"] = {
            "file": str(budgets.source),
            "board": budgets.board,
            "ok": all(ln.ok for ln in lines),
            "items": [
                {
                    "kind": ln.budget.kind,
                    "name": ln.budget.name,
                    "region": ln.budget.region,
                    "limit": ln.budget.limit,
                    "used": ln.used,
                    "over": max(0, ln.over),
                    "ok": ln.ok,
                }
                for ln in lines
            ],
        }
    if diff is not None:
        (ot, od, ob), (nt, nd, nb) = diff.berkeley
        doc["diff"] = {
            "old_elf": str(diff.old_elf),
            "totals": {
                "old": {"text": ot, "data": od, "bss": ob},
                "new": {"text": nt, "data": nd, "bss": nb},
            },
            "regions": [
                {"name": n, "old": o, "new": w, "delta": w - o} for n, o, w in diff.regions
            ],
            "areas": [
                {
                    "name": area,
                    "old": {r: o for r, (o, _) in per.items()},
                    "new": {r: w for r, (_, w) in per.items()},
                }
                for area, per in diff.areas.items()
            ],
            "symbols": [
                {
                    "name": c.name,
                    "status": c.status,
                    "file": c.file,
                    "area": c.area,
                    "old": dict(sorted(c.old.items())),
                    "new": dict(sorted(c.new.items())),
                    "delta": c.delta,
                }
                for c in diff.symbols
            ],
        }
    return doc
