"""A Node.js process running the generated JavaScript formatters, shared by the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vmon.paths import REPO_ROOT

FORMATTERS = REPO_ROOT / "scripts" / "vmon" / "codec" / "formatters"
HARNESS = Path(__file__).with_name("js_harness.js")


class Node:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            # Not a skip: the JavaScript formatters are a deliverable; setup.sh installs Node.js.
            pytest.fail("Node.js is not installed (bash scripts/setup.sh installs it)")
        self.proc = subprocess.Popen(
            [node, str(HARNESS), str(FORMATTERS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the Node.js harness died"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def node() -> Iterator[Node]:
    n = Node()
    yield n
    n.close()
