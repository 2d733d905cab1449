"""Per-function stack usage from GCC's ``-fstack-usage`` files (``*.su``).

Zephyr writes them next to the objects when built with CONFIG_STACK_USAGE=y.
Each line is ``<file>:<line>:<column>:<function>\\t<bytes>\\t<qualifiers>``,
where qualifiers is ``static``, ``dynamic`` or ``dynamic,bounded``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+):(?P<func>.+)$")


@dataclass(frozen=True)
class StackFrame:
    function: str
    file: str
    line: int
    bytes: int
    qualifier: str


@dataclass
class StackUsage:
    build_dir: Path
    files: int
    frames: list[StackFrame]
    #: Lines that did not parse (kept as a count: a report is still useful without them).
    skipped: int

    def largest(self, n: int) -> list[StackFrame]:
        return self.frames[:n]


def load(build_dir: Path) -> StackUsage | None:
    """Frames of every ``*.su`` under ``build_dir``, largest first; None when there are none."""
    if not build_dir.is_dir():
        return None
    paths = sorted(build_dir.rglob("*.su"))
    if not paths:
        return None
    frames: list[StackFrame] = []
    skipped = 0
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            skipped += 1
            continue
        for raw in text.splitlines():
            if not raw.strip():
                continue
            parts = raw.split("\t")
            match = _LINE.match(parts[0])
            if len(parts) < 2 or not match or not parts[1].strip().isdigit():
                skipped += 1
                continue
            frames.append(
                StackFrame(
                    function=match["func"],
                    file=match["file"],
                    line=int(match["line"]),
                    bytes=int(parts[1]),
                    qualifier=parts[2].strip() if len(parts) > 2 else "",
                )
            )
    frames.sort(key=lambda f: (-f.bytes, f.function, f.file))
    return StackUsage(build_dir=build_dir, files=len(paths), frames=frames, skipped=skipped)
