"""User-facing errors.

Every error a user can cause (a bad path, a corrupt file, an unknown board, a
missing toolchain) is raised as :class:`VmonError` with a one-line message that
names the fix. ``tasks.py`` turns it into ``invoke.Exit`` so the user sees that
line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class VmonError(Exception):
    """An error caused by input or environment, reported as one line."""

    def __init__(self, message: str, code: int = 1) -> None:
        # Keep messages on one line: they are printed as-is by the task runner.
        super().__init__(" ".join(message.split()))
        self.code = code


def run_module(prog: str, body: Callable[[], object]) -> int:
    """Exit code of a ``python -m`` entry point: 0, or 1 with ``prog: error: <line>``."""
    try:
        body()
    except VmonError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 1
    return 0
