"""``invoke memmap``: the report, budgets check, diff and output files in one call."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console

from vmon.errors import VmonError
from vmon.memmap import budgets as budgets_mod
from vmon.memmap import groups, html, report
from vmon.memmap.analysis import Report, analyze, zephyr_build_dir
from vmon.memmap.budgets import DEFAULT_BUDGETS
from vmon.memmap.diff import compare
from vmon.paths import REPO_ROOT, atomic_output


def default_elf(board: str) -> Path:
    """``build/<board with / as _>/zephyr/zephyr.elf`` under the repository."""
    return REPO_ROOT / "build" / board.replace("/", "_") / "zephyr" / "zephyr.elf"


def run(
    elf: str | None = None,
    board: str = "qemu_cortex_m3",
    check: bool = False,
    budgets: str | None = None,
    diff: str | None = None,
    json_path: str | None = None,
    html_path: str | None = None,
    depth: int = 15,
    build_dir: str | None = None,
    console: Console | None = None,
) -> Report:
    """Analyse an ELF, print the tables, write the requested files; VmonError on bad input.

    With ``check``, a budget that is exceeded (or no budgets for ``board``) ends in a
    VmonError after the tables and files are written, so CI keeps its artefacts.
    """
    if depth < 1:
        raise VmonError(f"--depth must be at least 1 (got {depth})")
    if console is None:
        # Off a terminal rich would wrap at 80 columns, too narrow for the tables.
        console = Console(width=None if sys.stdout.isatty() else 160)

    if elf is None:
        elf_path = default_elf(board)
        if not elf_path.is_file():
            raise VmonError(
                f"no firmware ELF for board {board} at {elf_path}; "
                f"run `invoke build --board {board}` first, or pass --elf PATH"
            )
    else:
        elf_path = Path(elf).expanduser()

    grouping = groups.load()
    budget_path = Path(budgets).expanduser() if budgets else DEFAULT_BUDGETS
    budget_set = None
    if budgets or budget_path.is_file():
        # Checked before the (slower) ELF analysis so a typo fails fast.
        budget_set = budgets_mod.load_for_board(budget_path, board, grouping)
    if check and budget_set is None:
        where = budget_path if budget_path.is_file() else f"{budget_path} (missing)"
        key = budgets_mod.board_names(board)[0]
        raise VmonError(f"--check: no budgets for board {board} in {where}; add boards.{key}")

    build = Path(build_dir).expanduser() if build_dir else zephyr_build_dir(elf_path)
    if build_dir and not (build and build.is_dir()):
        raise VmonError(f"build folder {build} does not exist")
    result = analyze(elf_path, grouping, build_dir=build)
    lines = budgets_mod.evaluate(budget_set, result) if budget_set is not None else None

    changes = None
    if diff:
        old = analyze(Path(diff).expanduser(), grouping)
        changes = compare(old, result)

    report.render(result, console, depth, board, budget_set, lines, changes)

    if json_path:
        doc = report.to_json(result, board, budget_set, lines, changes)
        with atomic_output(Path(json_path).expanduser()) as tmp:
            tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        console.print(f"wrote {json_path}")
    if html_path:
        html.write(Path(html_path).expanduser(), result, board, budget_set, lines)
        console.print(f"wrote {html_path}")

    if check and budget_set is not None and lines is not None:
        over = [ln for ln in lines if not ln.ok]
        if over:
            console.print(report.budget_table(budget_set, lines, only_over=True))
            summary = ", ".join(f"{ln.budget.label} by {ln.over:,} B" for ln in over)
            raise VmonError(f"{len(over)} memory budget(s) exceeded for {board}: {summary}")
        console.print(f"[green]all {len(lines)} budgets for {board} met[/]")
    return result
