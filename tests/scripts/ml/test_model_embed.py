"""The committed model directory, its checks, and the C the firmware build generates from it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vmon.codegen import model as codegen
from vmon.dsp import container, spec
from vmon.errors import VmonError
from vmon.ml import golden
from vmon.ml.model import InputQuant, load_model_dir, model_facts
from vmon.ml.train import DEFAULT_MODEL_NAME
from vmon.paths import REPO_ROOT

MODEL = REPO_ROOT / "models" / DEFAULT_MODEL_NAME
#: Every committed model directory (the default and, e.g., bearing-fault-8k for 8 kHz nodes).
MODELS = sorted(p.parent for p in (REPO_ROOT / "models").glob("*/model.json"))
each_model = pytest.mark.parametrize("model_dir", MODELS, ids=[m.name for m in MODELS])


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "m"
    shutil.copytree(MODEL, dst)
    return dst


def edit_meta(model_dir: Path, **changes: object) -> None:
    path = model_dir / "model.json"
    meta = json.loads(path.read_text())
    meta.update(changes)
    path.write_text(json.dumps(meta))


@each_model
def test_committed_model_is_consistent_and_within_budget(model_dir: Path) -> None:
    md = load_model_dir(model_dir)
    facts = model_facts(md.model)
    assert facts["ops"] == sorted(md.meta["ops"])
    assert set(facts["ops"]) <= set(spec.SUPPORTED_OPS)
    assert not facts["per_channel"]
    assert len(md.model) <= spec.MODEL_BUDGET
    assert md.meta["tensor_arena_bytes"] <= spec.ARENA_BUDGET
    assert md.meta["name"] == model_dir.name
    summary = md.meta["metrics"]["summary"]
    if model_dir == MODEL:  # the quality floor of the default build's model
        assert summary["int8_macro_f1_min"] >= 0.95
    assert abs(summary["ptq_loss_points"]) <= 0.5


@each_model
def test_golden_vectors_are_current(model_dir: Path) -> None:
    # Recomputes features (CMSIS-DSP), int8 inputs and TFLM outputs from the raw windows.
    assert golden.verify(model_dir) >= 10


@each_model
def test_recorded_sensor_paths_hold_the_band_plan(model_dir: Path) -> None:
    cfg = load_model_dir(model_dir).feature_config
    for path in cfg.sensors:
        assert path.rate_hz == cfg.fs_hz
        assert cfg.f_max_hz <= path.bandwidth_hz, path.path


def test_golden_c_header_is_not_stale() -> None:
    committed = (REPO_ROOT / golden.C_HEADER).read_text()
    assert committed == golden.c_header(MODEL), "run `invoke embed` to refresh the golden header"


def test_sha_mismatch_names_the_field(model_copy: Path) -> None:
    edit_meta(model_copy, model_sha256="0" * 64)
    with pytest.raises(VmonError, match="model_sha256"):
        load_model_dir(model_copy)
    with pytest.raises(VmonError, match="model_sha256"):
        codegen.read(model_copy)


def test_missing_and_corrupt_files(model_copy: Path) -> None:
    (model_copy / "model.json").write_text("{not json")
    with pytest.raises(VmonError, match="not valid JSON"):
        load_model_dir(model_copy)
    (model_copy / "model.tflite").unlink()
    with pytest.raises(VmonError, match=r"model\.tflite is missing"):
        codegen.read(model_copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ops": ["FULLY_CONNECTED", "CONV_2D"]}, "CONV_2D not in the firmware's op resolver"),
        ({"input": {"shape": [1, 12], "dtype": "int8"}}, "input shape"),
        ({"tensor_arena_bytes": -1}, "tensor_arena_bytes"),
    ],
)
def test_unsupported_model_is_refused_before_generation(
    model_copy: Path, change: dict[str, object], message: str
) -> None:
    edit_meta(model_copy, **change)
    meta = json.loads((model_copy / "model.json").read_text())
    with pytest.raises(VmonError, match=message):
        codegen.check_supported(meta, "model.json")


def test_pipeline_version_mismatch_is_refused(model_copy: Path) -> None:
    meta = json.loads((model_copy / "model.json").read_text())
    meta["feature_config"]["pipeline_version"] = 99
    with pytest.raises(VmonError, match="pipeline version 99"):
        codegen.check_supported(meta, "model.json")


def test_missing_velocity_calibration_is_refused(model_copy: Path) -> None:
    meta = json.loads((model_copy / "model.json").read_text())
    del meta["feature_config"]["calibration"]
    with pytest.raises(VmonError, match=r"calibration\.velocity_mm_s is missing"):
        codegen.generate(b"\0" * 8, meta, "model.json")


def test_ops_in_json_must_match_flatbuffer(model_copy: Path) -> None:
    edit_meta(model_copy, ops=["FULLY_CONNECTED"])
    with pytest.raises(VmonError, match="does not match the model"):
        load_model_dir(model_copy)


@each_model
def test_generated_c_compiles(model_dir: Path, tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no host C compiler")
    written = codegen.write_generated(model_dir, tmp_path / "gen")
    assert {p.name for p in written} == set(codegen.GENERATED)
    # Stand-in for Zephyr's toolchain.h: only __aligned is used.
    stub = tmp_path / "stub" / "zephyr"
    stub.mkdir(parents=True)
    (stub / "toolchain.h").write_text("#define __aligned(x) __attribute__((aligned(x)))\n")
    main = tmp_path / "main.c"
    main.write_text(
        '#include "vmon_model_config.h"\n#include "vmon_feature_config.h"\n'
        "static const int32_t mean[] = VMON_MODEL_INPUT_MEAN;\n"
        "static const int32_t mult[] = VMON_MODEL_INPUT_MULT;\n"
        "static const char *labels[] = VMON_MODEL_LABELS;\n"
        "#define COUNT(op, add) +1\n"
        '_Static_assert(0 VMON_MODEL_OPS(COUNT) == VMON_MODEL_N_OPS, "ops");\n'
        '_Static_assert(sizeof(mean) / sizeof(mean[0]) == VMON_MODEL_N_INPUTS, "n");\n'
        '_Static_assert(sizeof(mult) / sizeof(mult[0]) == VMON_MODEL_N_INPUTS, "m");\n'
        "extern const unsigned int vmon_model_data_len;\n"
        "int main(void) { return (int)(vmon_model_data_len + vmon_feat_window_q15[0]"
        " + vmon_feat_band_edges[0] + vmon_feat_vel_weights[0]) + (int)mult[0]"
        " + (int)sizeof(labels) + (int)mean[0]; }\n"
    )
    srcs = [
        main,
        tmp_path / "gen" / "vmon_model_data.c",
        tmp_path / "gen" / "vmon_feature_tables.c",
    ]
    result = subprocess.run(
        [
            gcc,
            "-std=c11",
            "-Wall",
            "-Werror",
            "-I",
            str(tmp_path / "gen"),
            "-I",
            str(tmp_path / "stub"),
            "-o",
            str(tmp_path / "a.out"),
            *map(str, srcs),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # A second run with unchanged input rewrites nothing (no needless firmware rebuilds).
    assert codegen.write_generated(model_dir, tmp_path / "gen") == []
    # What a signed model container must match: the Python container format's own values.
    config = (tmp_path / "gen" / "vmon_model_config.h").read_text()
    meta = load_model_dir(model_dir).meta
    features = (tmp_path / "gen" / "vmon_feature_config.h").read_text()
    assert f"#define VMON_FEAT_FS_HZ {int(meta['feature_config']['fs_hz'])}\n" in features
    assert f'"{container.interface_hash(meta).hex()}"' in config
    assert f"#define VMON_MODEL_OPS_MASK 0x{container.ops_mask(meta['ops']):x}U" in config


def test_embed_cli_reports_one_line(model_copy: Path, tmp_path: Path) -> None:
    edit_meta(model_copy, model_sha256="1" * 64)
    code = codegen.main(["--model", str(model_copy), "--out", str(tmp_path / "gen")])
    assert code == 1
    assert not (tmp_path / "gen").exists()


def test_input_quantization_rounds_and_saturates() -> None:
    iq = InputQuant(mean=(100, 0), mult=(1 << 15, 1 << 16), zero_point=-10)
    f = np.array([[100, 0], [103, 200], [97, -200], [101, 1]], dtype=np.int32)
    # (f - mean) * mult / 2^16, rounded half up, plus zero point, clamped to int8.
    assert iq.apply(f).tolist() == [[-10, -10], [-8, 127], [-11, -128], [-9, -9]]
