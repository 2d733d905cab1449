"""Shared test setup: make ``vmon`` importable from a checkout, small dataset fixtures."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Tests run from a checkout without `pip install -e .`: put scripts/ on the path.
if importlib.util.find_spec("vmon") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from vmon import data
from vmon.data import synth


@pytest.fixture
def small_dataset() -> data.Dataset:
    """Eight short synthetic recordings: every label at loads 0 and 1 hp, 12 kHz."""
    return synth.generate_dataset(fs=12_000.0, seconds=0.25, loads=(0.0, 1.0), seed=7)


@pytest.fixture
def saved_dataset(tmp_path: Path, small_dataset: data.Dataset) -> Path:
    """``small_dataset`` written as ``tmp_path/ds/small.npz`` plus its index CSV."""
    return data.save_dataset(small_dataset, tmp_path / "ds" / "small.npz")


@pytest.fixture(scope="session")
def zephyr_python(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python ARGS`` as ``west build`` does in a plain Zephyr environment.

    The firmware build runs vmon's build-time steps with the Zephyr environment's Python,
    which has Zephyr's requirements (pyelftools, PyYAML, ...) but not vmon's. Here: no
    site-packages at all (``-S``), only vmon's sources and those two packages on the path.
    """
    deps = tmp_path_factory.mktemp("zephyr-site-packages")
    for name in ("elftools", "yaml"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, f"{name} is not installed"
        (deps / name).symlink_to(Path(spec.origin).parent, target_is_directory=True)
    path = os.pathsep.join([str(Path(__file__).resolve().parents[2] / "scripts"), str(deps)])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": path}
        return subprocess.run(
            [sys.executable, "-S", *args], env=env, capture_output=True, text=True, check=False
        )

    return run
