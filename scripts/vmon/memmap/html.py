"""A single-file, offline HTML page: one squarified treemap per memory region.

The layout is computed here (Bruls, Huizing and van Wijk's squarified treemap)
and written as inline SVG rectangles; a few lines of inline JS show the hovered
item. Nothing is loaded from the network.
"""

from __future__ import annotations

import colorsys
import posixpath
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from vmon.memmap.analysis import Report
from vmon.memmap.budgets import BudgetLine, BudgetSet
from vmon.memmap.groups import UNATTRIBUTED
from vmon.memmap.report import fmt_bytes, fmt_kib, short_path
from vmon.paths import atomic_output

WIDTH, HEIGHT = 1160, 560
#: Items smaller than this many square pixels are merged into one "(N smaller)" box.
MIN_AREA_PX = 36.0
HEADER_PX = 15.0


@dataclass
class Node:
    name: str
    value: int = 0
    children: dict[str, Node] = field(default_factory=dict)

    def child(self, name: str) -> Node:
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = Node(name)
        return node


Rect = tuple[float, float, float, float]


def squarify(values: list[float], rect: Rect) -> list[Rect]:
    """Rectangles for ``values`` (sorted largest first) tiling ``rect``, aspect ratios near 1."""
    x, y, w, h = rect
    total = sum(values)
    if total <= 0 or w <= 0 or h <= 0:
        return [(x, y, 0.0, 0.0) for _ in values]
    scale = w * h / total
    areas = [v * scale for v in values]
    out: list[Rect] = []
    i = 0
    while i < len(areas):
        short = min(w, h)
        row = [areas[i]]
        j = i + 1
        while j < len(areas) and _worst([*row, areas[j]], short) <= _worst(row, short):
            row.append(areas[j])
            j += 1
        strip = sum(row)
        if w >= h:  # a column along the left edge
            col = strip / h if h else 0.0
            yy = y
            for a in row:
                rh = a / col if col else 0.0
                out.append((x, yy, col, rh))
                yy += rh
            x, w = x + col, max(0.0, w - col)
        else:  # a row along the top edge
            rowh = strip / w if w else 0.0
            xx = x
            for a in row:
                rw = a / rowh if rowh else 0.0
                out.append((xx, y, rw, rowh))
                xx += rw
            y, h = y + rowh, max(0.0, h - rowh)
        i = j
    return out


def _worst(row: list[float], short: float) -> float:
    total = sum(row)
    if total <= 0 or short <= 0:
        return float("inf")
    return max(
        short * short * max(row) / (total * total), total * total / (short * short * min(row))
    )


def region_tree(report: Report, region: str) -> Node:
    """area -> file -> symbol, with padding and fill under (unattributed)."""
    root = Node(region)
    for sym in report.symbols:
        n = sym.bytes.get(region, 0)
        if not n:
            continue
        path = [sym.area, short_path(sym.file) if sym.file else "(no source file)", sym.name]
        _add(root, path, n)
    for (reg, section), n in report.fill.items():
        if reg == region and n:
            _add(root, [UNATTRIBUTED, "(padding and fill)", section], n)
    return root


def _add(root: Node, path: list[str], n: int) -> None:
    node = root
    node.value += n
    for name in path:
        node = node.child(name)
        node.value += n


def _palette(i: int, lighten: float = 0.0) -> str:
    """A distinct colour per area (golden-angle hues), lighter for nested levels."""
    red, green, blue = colorsys.hls_to_rgb((i * 0.381966) % 1.0, 0.62, 0.55)
    mix = [c + (1.0 - c) * lighten for c in (red, green, blue)]
    return "#" + "".join(f"{round(255 * c):02x}" for c in mix)


def _svg(root: Node, total_label: str) -> str:
    parts: list[str] = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">'
    ]
    areas = sorted(root.children.values(), key=lambda n: (-n.value, n.name))
    rects = squarify([float(a.value) for a in areas], (0.0, 0.0, float(WIDTH), float(HEIGHT)))
    for index, (area, rect) in enumerate(zip(areas, rects, strict=True)):
        _draw(parts, area, rect, [area.name], root.value, index, 0, total_label)
    parts.append("</svg>")
    return "".join(parts)


def _draw(
    parts: list[str],
    node: Node,
    rect: Rect,
    trail: list[str],
    total: int,
    color: int,
    level: int,
    region: str,
) -> None:
    x, y, w, h = rect
    if w < 0.5 or h < 0.5:
        return
    share = 100 * node.value / total if total else 0.0
    tip = f"{' / '.join(trail)}: {node.value:,} B ({share:.1f}% of {region})"
    lighten = (0.0, 0.35, 0.6)[min(level, 2)]
    fill = "#c8c8c8" if trail[0] == UNATTRIBUTED else _palette(color, lighten)
    parts.append(
        f'<g class="l{level}" data-t="{escape(tip)}"><rect x="{x:.1f}" y="{y:.1f}" '
        f'width="{w:.1f}" height="{h:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>'
    )
    if w > 36 and h > 12:
        chars = max(1, int((w - 6) / 6.2))
        # Files are labelled by base name; the tooltip has the whole path.
        name = posixpath.basename(node.name) if level == 1 and "/" in node.name else node.name
        label = name if len(name) <= chars else name[: max(1, chars - 1)] + "\u2026"
        parts.append(
            f'<text x="{x + 3:.1f}" y="{y + 11:.1f}" class="t{level}">{escape(label)}</text>'
        )
    parts.append("</g>")
    if not node.children or level >= 2:
        return
    pad = 2.0
    top = HEADER_PX if h > HEADER_PX * 2 + 4 and w > 30 else pad
    inner = (x + pad, y + top, w - 2 * pad, h - top - pad)
    if inner[2] < 2 or inner[3] < 2:
        return
    kids = sorted(node.children.values(), key=lambda n: (-n.value, n.name))
    kids = _merge_small(kids, node.value, inner[2] * inner[3])
    rects = squarify([float(k.value) for k in kids], inner)
    for kid, sub in zip(kids, rects, strict=True):
        _draw(parts, kid, sub, [*trail, kid.name], total, color, level + 1, region)


def _merge_small(kids: list[Node], value: int, pixels: float) -> list[Node]:
    """Keep the page small: boxes too small to see become one "(N smaller)" box."""
    if value <= 0:
        return kids
    # Kids come largest first, so the visible ones are a prefix.
    keep = [k for k in kids if k.value / value * pixels >= MIN_AREA_PX]
    small = kids[len(keep) :]
    if len(small) <= 1:
        return kids
    return [*keep, Node(f"({len(small)} smaller)", sum(k.value for k in small))]


_CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px}
table{border-collapse:collapse;margin:4px 0 8px}td,th{padding:2px 8px;border-bottom:1px solid #ddd}
th{text-align:left;background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#8a5a00}.over{color:#b00;font-weight:bold}.ok{color:#070}
svg{display:block;background:#fff;border:1px solid #ccc}
svg rect{stroke:#fff;stroke-width:1}svg g.l0>rect{stroke:#555}
svg text{font-size:11px;pointer-events:none;fill:#111}svg text.t0{font-weight:bold}
#info{position:sticky;top:0;background:#fffbe6;border:1px solid #e6d9a8;padding:4px 8px;
min-height:18px;margin:8px 0}
"""

_JS = """
document.querySelectorAll('svg g[data-t]').forEach(function(g){
  g.addEventListener('mouseover',function(e){
    document.getElementById('info').textContent=g.getAttribute('data-t');e.stopPropagation();});
});
"""


def render(
    report: Report,
    board: str | None = None,
    budgets: BudgetSet | None = None,
    lines: list[BudgetLine] | None = None,
) -> str:
    """The whole page as text."""
    out: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>memmap {escape(report.elf.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Memory map of {escape(str(report.elf))}</h1>",
    ]
    if board:
        out.append(f"<div>board {escape(board)}</div>")
    for note in report.notes:
        out.append(f"<div class='note'>note: {escape(note)}</div>")
    b = report.berkeley
    out.append(
        f"<p>size (Berkeley): text {b.text:,} &middot; data {b.data:,} &middot; "
        f"bss {b.bss:,} &middot; dec {b.dec:,}</p>"
    )
    out.append(
        "<h2>Regions</h2><table><tr><th>region</th><th>used</th><th></th><th>capacity</th>"
        "<th>used %</th></tr>"
    )
    for use in report.regions:
        cap = use.region.length
        pct = f"{100 * use.used / cap:.1f}%" if cap else "-"
        out.append(
            f"<tr><td>{escape(use.region.name)}</td><td class='n'>{fmt_bytes(use.used)}</td>"
            f"<td class='n'>{fmt_kib(use.used)}</td>"
            f"<td class='n'>{fmt_kib(cap) if cap else '?'}</td>"
            f"<td class='n'>{pct}</td></tr>"
        )
    out.append("</table>")
    if budgets is not None and lines:
        out.append(
            f"<h2>Budgets ({escape(budgets.board)})</h2><table><tr><th>budget</th>"
            "<th>limit</th><th>used</th><th>status</th></tr>"
        )
        for line in lines:
            status = "ok" if line.ok else f"OVER by {line.over:,} B"
            css = "ok" if line.ok else "over"
            out.append(
                f"<tr><td>{escape(line.budget.label)}</td><td class='n'>{line.budget.limit:,}</td>"
                f"<td class='n'>{line.used:,}</td><td class='{css}'>{status}</td></tr>"
            )
        out.append("</table>")
    figures = [f for f in report.figures if f.total]
    if figures:
        out.append(
            "<h2>Special figures</h2><table><tr><th>figure</th><th>bytes</th><th>symbols</th></tr>"
        )
        for fig in figures:
            names = ", ".join(escape(n) for n, _, _ in fig.symbols[:6])
            out.append(
                f"<tr><td>{escape(fig.label)}</td><td class='n'>{fig.total:,}</td>"
                f"<td>{names}</td></tr>"
            )
        out.append("</table>")
    out.append("<div id='info'>hover a box for its area, file, symbol and size</div>")
    areas = report.areas()
    for use in report.regions:
        region = use.region.name
        out.append(f"<h2>{escape(region)}: {use.used:,} B ({fmt_kib(use.used)})</h2>")
        rows = sorted(
            ((a, per.get(region, 0)) for a, per in areas.items() if per.get(region)),
            key=lambda kv: (-kv[1], kv[0]),
        )
        out.append("<table><tr><th>area</th><th>bytes</th><th>%</th></tr>")
        for area, n in rows:
            out.append(
                f"<tr><td>{escape(area)}</td><td class='n'>{n:,}</td>"
                f"<td class='n'>{100 * n / use.used:.1f}</td></tr>"
            )
        out.append("</table>")
        out.append(_svg(region_tree(report, region), region))
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out)


def write(
    path: Path,
    report: Report,
    board: str | None = None,
    budgets: BudgetSet | None = None,
    lines: list[BudgetLine] | None = None,
) -> None:
    text = render(report, board, budgets, lines)
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
