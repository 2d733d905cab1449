"""The package's architecture: import contracts (import-linter), module size, and the
build-time entry points running with nothing but what a plain Zephyr environment has."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vmon.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "scripts" / "vmon"
MODEL = REPO_ROOT / "models" / "bearing-fault-12k"
MAX_MODULE_LINES = 700
ZephyrPython = Callable[..., subprocess.CompletedProcess[str]]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with ``root``'s pyproject.toml on ``root/scripts/vmon``."""
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={"PATH": str(exe.parent), "PYTHONPATH": str(root / "scripts")},
        capture_output=True,
        text=True,
        check=False,
    )


def contract_results(stdout: str) -> list[tuple[str, str]]:
    """(contract name, KEPT or BROKEN) from lint-imports' summary."""
    # The summary wraps long names over lines: fold the white space first.
    folded = " ".join(stdout.split())
    body = folded.split(" dependencies. ", 1)[1].split(" Contracts: ", 1)[0].lstrip("- ")
    return re.findall(r"(.+?) (KEPT|BROKEN)(?: |$)", body)


def verdict(stdout: str, prefix: str) -> list[str]:
    return [v for name, v in contract_results(stdout) if name.startswith(prefix)]


def test_import_contracts_hold() -> None:
    run = lint_imports(REPO_ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-1000:]
    results = contract_results(run.stdout)
    assert len(results) == 7 and {v for _, v in results} == {"KEPT"}, run.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("dsp/features.py", "from vmon.ml import train", "The device contract (vmon.dsp)"),
        ("dsp/spec.py", "from vmon.firmware import workspace", "The device contract (vmon.dsp)"),
        ("data/format.py", "from vmon.dsp import features", "Data knows no features"),
        ("data/synth.py", "import tflite_micro", "Data knows no features"),
        ("codegen/model.py", "import rich", "Build-time steps"),
        ("memmap/budgets.py", "import numpy", "Build-time steps"),
        ("ml/model.py", "from vmon.workflows import demo", "Layers"),
        ("ml/model.py", "from vmon.ml import train", "No import cycles"),
        ("paths.py", "import tasks", "Nothing in vmon imports tasks.py"),
        ("codec/__init__.py", "import yaml", "The payload codec is what back ends import"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    """The contracts can fail: one forbidden import in a copy of the package is caught."""
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    copy = tmp_path / "scripts" / "vmon"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    run = lint_imports(tmp_path)
    assert run.returncode == 1, run.stdout[-3000:]
    assert verdict(run.stdout, contract) == ["BROKEN"], run.stdout[-3000:]


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")
    }
    assert sizes, "no modules found"
    over = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {over}"


def test_zephyr_python_has_no_vmon_dependencies(zephyr_python: ZephyrPython) -> None:
    """The stand-in environment really lacks vmon's own dependencies."""
    for name in ("rich", "numpy", "invoke"):
        run = zephyr_python("-c", f"import {name}")
        assert run.returncode == 1 and "ModuleNotFoundError" in run.stderr, name
    assert zephyr_python("-c", "import elftools, yaml, vmon").returncode == 0


def test_model_codegen_runs_with_zephyrs_python(
    zephyr_python: ZephyrPython, tmp_path: Path
) -> None:
    """What vmon_model.cmake runs at configure time, in a plain Zephyr environment."""
    from vmon.codegen import model as codegen

    out = tmp_path / "gen"
    run = zephyr_python("-m", "vmon.codegen.model", "--model", str(MODEL), "--out", str(out))
    assert run.returncode == 0, run.stderr
    expected = codegen.generate(*codegen.read(MODEL), src=f"models/{MODEL.name}")
    assert {p.name: p.read_text() for p in out.iterdir()} == expected
