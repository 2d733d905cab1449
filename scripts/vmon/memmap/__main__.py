"""The budget check every application build runs (app/CMakeLists.txt, post-build).

It runs with the Python of the Zephyr environment: standard library, pyelftools and PyYAML
only (no rich), like :mod:`vmon.codegen`.

``python -m vmon.memmap ELF --board BOARD [--budgets FILE]`` prints one line per budget
region and every budget that is exceeded, and exits 1 when one is; the full report is
``invoke memmap``. A board with no budgets gets one loud line and passes: budgets are
per board, and a new board starts without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vmon.errors import VmonError, run_module
from vmon.memmap import budgets as budgets_mod
from vmon.memmap import groups
from vmon.memmap.analysis import analyze, zephyr_build_dir
from vmon.memmap.budgets import DEFAULT_BUDGETS


def check(elf: Path, board: str, budget_path: Path) -> list[str]:
    """Lines to print; VmonError (message names every exceeded budget) when over."""
    grouping = groups.load()
    budget_set = None
    if budget_path.is_file():
        budget_set = budgets_mod.load_for_board(budget_path, board, grouping)
    if budget_set is None:
        return [
            f"vmon memory budgets: NOT CHECKED, no budgets for board {board} in "
            f"{budget_path.name} (add boards.{budgets_mod.board_names(board)[0]})"
        ]
    result = analyze(elf, grouping, build_dir=zephyr_build_dir(elf))
    lines = budgets_mod.evaluate(budget_set, result)
    out = [
        f"vmon memory {ln.budget.name}: {ln.used:,} B of {ln.budget.limit:,} B "
        f"({ln.budget.limit - ln.used:,} B left)"
        for ln in lines
        if ln.budget.kind == "region" and ln.ok
    ]
    over = [ln for ln in lines if not ln.ok]
    if over:
        summary = "; ".join(
            f"{ln.budget.label} {ln.used:,} B > {ln.budget.limit:,} B" for ln in over
        )
        raise VmonError(
            f"{len(over)} memory budget(s) exceeded for {board} ({budget_path.name}): {summary}"
            " -- `invoke memmap` shows where the bytes go"
        )
    out.append(f"vmon memory budgets: all {len(lines)} met for {board}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vmon.memmap", description="Check a firmware ELF against its budgets."
    )
    parser.add_argument("elf", type=Path, help="zephyr.elf of an application build")
    parser.add_argument("--board", required=True, help="board name as in the budgets file")
    parser.add_argument(
        "--budgets", type=Path, default=DEFAULT_BUDGETS, help="budgets YAML (app/budgets.yaml)"
    )
    args = parser.parse_args(argv)
    return run_module(
        "vmon.memmap", lambda: print(*check(args.elf, args.board, args.budgets), sep="\n")
    )


if __name__ == "__main__":
    sys.exit(main())
