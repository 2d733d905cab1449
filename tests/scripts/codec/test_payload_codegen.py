"""The payload schema's generated codecs: current, buildable, and the schema's own checks."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from vmon import cli, codec
from vmon.codegen import payload
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

VECTORS_GEN = REPO_ROOT / "tests" / "modules" / "payload" / "scripts" / "gen_payload_vectors.py"


def test_committed_codecs_are_current() -> None:
    assert payload.stale(REPO_ROOT) == [], "stale generated codecs: run `invoke codegen`"


def test_python_codec_is_the_schema() -> None:
    assert payload.load() == codec.SCHEMA


def test_ztest_vectors_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_payload_vectors", VECTORS_GEN)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.OUT.read_text() == gen.text(), (
        "tests/modules/payload/src/vectors.h is stale: run "
        "tests/modules/payload/scripts/gen_payload_vectors.py"
    )


def test_generated_c_compiles_without_warnings(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is not installed (bash scripts/setup.sh installs the toolchain)")
    payload.write_c(tmp_path)
    run = subprocess.run(
        [
            gcc,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Wconversion",
            "-Wsign-conversion",
            "-Werror",
            "-c",
            str(tmp_path / "vmon_payload.c"),
            "-o",
            str(tmp_path / "p.o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_codegen_runs_with_zephyrs_python(
    zephyr_python: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    run = zephyr_python("-m", "vmon.codegen.payload", "--c-out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "vmon_payload.h").is_file() and (tmp_path / "vmon_payload.c").is_file()


def _schema_with(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    raw = yaml.safe_load(payload.SCHEMA.read_text())
    edit(raw)
    path = tmp_path / "payload.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: s["uplinks"]["event"]["fields"].append({"name": "extra", "bits": 8}),
            "12 bytes exceed max_bytes 11",
        ),
        (lambda s: s["uplinks"]["status"].update(type=1), "type must be a unique"),
        (lambda s: s["uplinks"]["event"]["fields"][0].update(bits=33), "bits must be 1..32"),
        (lambda s: s["uplinks"]["event"]["fields"][1].update(enum="colour"), "unknown enum"),
        (lambda s: s["uplinks"]["event"]["fields"][0].update(max=70000), "does not fit"),
        (lambda s: s["uplinks"]["event"]["fields"][0].update(colour=1), "unknown keys"),
        (lambda s: s.update(version=16), "version"),
        (lambda s: s["downlinks"]["config"].update(fport=0), "fport"),
    ],
)
def test_a_bad_schema_is_one_clear_error(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(VmonError, match=message):
        payload.load(_schema_with(tmp_path, edit))


def test_cli_decodes_and_encodes(capsys: pytest.CaptureFixture[str]) -> None:
    rec = {"type": "config", "seq": 4, "speed": {"nominal_mhz": 24_650}}
    assert cli.main(["encode", json.dumps(rec)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fport"] == 10
    assert cli.main(["decode", "--downlink", out["hex"]]) == 0
    assert json.loads(capsys.readouterr().out) == rec
    assert cli.main(["decode", "--fport", "2", "11" + "00" * 10]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vmon: error: ENOMSG") and err.count("\n") == 1
    assert cli.main(["encode", "{not json"]) == 1
    assert capsys.readouterr().err.startswith("vmon: error: not JSON")
