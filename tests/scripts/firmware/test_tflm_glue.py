"""modules/tflm builds the TFLM runtime with the kernels of the ops a vmon model may use.

The op list lives twice: vmon.dsp.spec.SUPPORTED_OPS (the embed step refuses any other op)
and VMON_TFLM_OP_KERNELS in modules/tflm/CMakeLists.txt (the kernel sources compiled). A
model op without its kernel would fail only at the firmware's link; these keep them equal.
"""

from __future__ import annotations

import re

import pytest

from vmon.dsp import spec
from vmon.firmware import workspace
from vmon.paths import REPO_ROOT

GLUE = REPO_ROOT / "modules" / "tflm" / "CMakeLists.txt"


def glue_table() -> dict[str, list[str]]:
    """VMON_TFLM_OP_KERNELS: op -> kernel sources (relative to micro/kernels/)."""
    text = GLUE.read_text()
    block = re.search(r"set\(VMON_TFLM_OP_KERNELS\n(.*?)\n\)", text, re.S)
    assert block, "VMON_TFLM_OP_KERNELS not found in modules/tflm/CMakeLists.txt"
    table: dict[str, list[str]] = {}
    for line in block.group(1).split():
        op, _, files = line.partition("=")
        table[op] = files.split(",")
    return table


def cmsis_nn_ops() -> list[str]:
    m = re.search(r"set\(VMON_TFLM_CMSIS_NN_OPS ([a-z_ ]+)\)", GLUE.read_text())
    assert m, "VMON_TFLM_CMSIS_NN_OPS not found"
    return m.group(1).split()


def test_glue_compiles_a_kernel_for_every_supported_op() -> None:
    table = glue_table()
    assert sorted(table) == sorted(spec.SUPPORTED_OPS)
    assert all(files and all(f.endswith(".cc") for f in files) for files in table.values())


def test_kernel_sources_exist_in_the_workspace() -> None:
    ws = workspace.find_workspace()
    if ws is None:
        pytest.skip(f"kernel sources not checked: {workspace.NO_WORKSPACE}")
    # Where Zephyr's manifest puts the module (group "optional"), or a plain modules/lib.
    found = [
        ws.topdir / d / "tensorflow/lite/micro/kernels"
        for d in ("optional/modules/lib/tflite-micro", "modules/lib/tflite-micro")
    ]
    kernels = next((k for k in found if k.is_dir()), None)
    if kernels is None:
        pytest.fail("the workspace has no tflite-micro module (west.yml names it)")
    names = [f for files in glue_table().values() for f in files]
    names += [f"{op}.cc" for op in cmsis_nn_ops()]
    names += [f"cmsis_nn/{op}.cc" for op in cmsis_nn_ops()]
    missing = [n for n in names if not (kernels / n).is_file()]
    assert not missing, f"kernel sources missing from {kernels}: {missing}"
