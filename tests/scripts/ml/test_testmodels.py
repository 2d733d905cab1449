"""The firmware's unsupported-op test model: committed header is current, model is valid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vmon.dsp import spec
from vmon.ml import testmodels

ROOT = Path(__file__).resolve().parents[3]
HEADER = ROOT / testmodels.HEADER_PATH


def test_header_round_trip() -> None:
    data = bytes(range(30))
    assert testmodels.parse_c_header(testmodels.c_header(data)) == data


@pytest.mark.slow
def test_header_is_current() -> None:
    """Regenerating gives the committed text byte for byte (conversion is deterministic)."""
    pytest.importorskip("tensorflow")
    assert HEADER.read_text() == testmodels.c_header(testmodels.unsupported_op_model()), (
        f"{HEADER.relative_to(ROOT)} is stale: run `PYTHONPATH=scripts python -m vmon.testmodels`"
    )


@pytest.mark.slow
def test_committed_model_is_valid_and_uses_the_op() -> None:
    """The committed bytes parse, use only the unsupported op, and run on the TFLM interpreter."""
    pytest.importorskip("tflite_micro")
    from vmon.ml.model import _import_runtime, model_facts

    data = testmodels.parse_c_header(HEADER.read_text())
    facts = model_facts(data)
    assert facts["ops"] == [testmodels.UNSUPPORTED_OP]
    assert testmodels.UNSUPPORTED_OP not in spec.SUPPORTED_OPS
    assert facts["inputs"][0]["dtype"] == "int8" and facts["outputs"][0]["dtype"] == "int8"
    assert facts["inputs"][0]["shape"] == list(testmodels.SHAPE)
    interp = _import_runtime().Interpreter.from_bytes(data, arena_size=16 * 1024)
    interp.set_input(np.array([[-128, -1, 0, 127]], dtype=np.int8), 0)
    interp.invoke()
    y = np.asarray(interp.get_output(0)).reshape(-1)
    assert y[0] < 0 < y[3]  # tanh is odd and increasing
