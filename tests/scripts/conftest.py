"""Shared test setup: make ``vmon`` importable from a checkout, small dataset fixtures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# Tests run from a checkout without `pip install -e .`: put scripts/ on the path.
if importlib.util.find_spec("vmon") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from vmon import data, synth


@pytest.fixture
def small_dataset() -> data.Dataset:
    """Eight short synthetic recordings: every label at loads 0 and 1 hp, 12 kHz."""
    return synth.generate_dataset(fs=12_000.0, seconds=0.25, loads=(0.0, 1.0), seed=7)


@pytest.fixture
def saved_dataset(tmp_path: Path, small_dataset: data.Dataset) -> Path:
    """``small_dataset`` written as ``tmp_path/ds/small.npz`` plus its index CSV."""
    return data.save_dataset(small_dataset, tmp_path / "ds" / "small.npz")
