"""The feature ztest's edge-case windows stay in step with vmon.dsp.features."""

from __future__ import annotations

import importlib.util

from vmon.paths import REPO_ROOT

GENERATOR = REPO_ROOT / "tests" / "modules" / "features" / "scripts" / "gen_edge_vectors.py"
VECTORS = REPO_ROOT / "tests" / "modules" / "features" / "src" / "edge_vectors.h"


def test_edge_vectors_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_edge_vectors", GENERATOR)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert VECTORS.read_text() == gen.text(), (
        "tests/modules/features/src/edge_vectors.h is stale: run "
        "tests/modules/features/scripts/gen_edge_vectors.py"
    )
