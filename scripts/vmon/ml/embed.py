"""`invoke embed`: every check the ML stack allows, then the build's generated C.

The generation itself is :mod:`vmon.codegen.model` (standard library only, run by the firmware
build); this adds what needs numpy, cmsisdsp and the TFLM interpreter.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from vmon.codegen.model import META_FILE, check_supported, write_generated
from vmon.dsp import spec
from vmon.errors import VmonError
from vmon.ml import golden
from vmon.ml.model import load_model_dir, model_facts


def embed(model_dir: Path, out_dir: Path, golden_header: Path | None = None) -> list[Path]:
    """`invoke embed`: every check the ML stack allows, then the generated C.

    Beyond :func:`read`: ops, shapes and quantization read from the flatbuffer itself, the
    feature tables recomputed from the feature parameters, the size budgets, and the golden
    vectors recomputed stage by stage (features with CMSIS-DSP, outputs with TFLM).
    """
    md = load_model_dir(model_dir)
    facts = model_facts(md.model)
    cfg = md.feature_config  # recomputes the tables and the hash from the parameters
    check_supported(md.meta, str(model_dir / META_FILE))
    if facts["per_channel"]:
        raise VmonError(f"{model_dir}: per-channel quantization; the firmware's TFLM rejects it")
    if len(md.model) > spec.MODEL_BUDGET:
        raise VmonError(
            f"{model_dir}: model is {len(md.model)} B, over the {spec.MODEL_BUDGET} B budget"
        )
    arena = md.meta["tensor_arena_bytes"]
    if arena > spec.ARENA_BUDGET:
        raise VmonError(
            f"{model_dir}: tensor arena {arena} B is over the {spec.ARENA_BUDGET} B budget"
        )
    n_golden = golden.verify(model_dir)
    written = write_generated(model_dir, out_dir)
    if golden_header is not None:
        golden.write_c_header(model_dir, golden_header)
    table = Table(title=f"embedded {md.meta['name']}", show_header=False)
    for key, value in (
        ("model", f"{len(md.model)} B, sha256 {md.meta['model_sha256'][:16]}"),
        ("ops", ", ".join(facts["ops"])),
        ("input", f"{facts['inputs'][0]['shape']} int8, {cfg.n_features} features"),
        ("output", f"{facts['outputs'][0]['shape']} int8: {', '.join(md.labels)}"),
        ("tensor arena", f"{arena} B (TFLM interpreter)"),
        ("features", f"{cfg.window} @ {cfg.fs_hz:g} Hz, hash {cfg.hash[:16]}"),
        ("golden vectors", f"{n_golden} windows recomputed, identical"),
        ("generated", f"{len(written)} file(s) updated in {out_dir}"),
    ):
        table.add_row(key, value)
    Console().print(table)
    return written
