"""Where every byte of flash and RAM goes: ``invoke memmap``.

Public API:

* :func:`analyze` -- read an ELF into a :class:`Report` (regions, sections,
  symbols, files, areas, special figures);
* :func:`vmon.memmap.cli.run` -- the task: tables, budgets check, diff, JSON, HTML;
* :mod:`vmon.memmap.budgets`, :mod:`vmon.memmap.diff` -- budgets and growth.

The grouping rules live in ``areas.yaml`` next to this file.
"""

from vmon.memmap.analysis import Report, SymbolUse, analyze
from vmon.memmap.groups import UNATTRIBUTED

__all__ = ["UNATTRIBUTED", "Report", "SymbolUse", "analyze"]
