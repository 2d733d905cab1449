"""The model directory (model.tflite + model.json) and the runtime the device runs.

Every int8 figure vmon reports comes from the TensorFlow Lite Micro interpreter (the
``tflite-micro`` package built from the same TFLM export as the firmware's module), never
from the TFLite converter's interpreter.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.codegen.model import META_FILE, read
from vmon.dsp.features import FeatureConfig
from vmon.dsp.spec import INPUT_SHIFT
from vmon.errors import VmonError

SCHEMA_VERSION = 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- input quantization


@dataclass(frozen=True)
class InputQuant:
    """Integer features -> int8 model input, as the device computes it.

    ``q_i = clamp(zero_point + ((f_i - mean_i) * mult_i + 2^(S-1)) >> S, -128, 127)`` with
    ``mult_i = round(2^S / (std_i * scale))``: standardization and the model's input
    quantization folded into one integer multiply-shift per feature.
    """

    mean: tuple[int, ...]
    mult: tuple[int, ...]
    zero_point: int
    shift: int = INPUT_SHIFT

    @classmethod
    def from_stats(
        cls, mean: npt.NDArray[Any], std: npt.NDArray[Any], scale: float, zero_point: int
    ) -> InputQuant:
        std = np.maximum(np.asarray(std, dtype=np.float64), 1.0)  # constant features
        mult = np.round((1 << INPUT_SHIFT) / (std * scale)).astype(np.int64)
        if (mult <= 0).any() or (mult >= 1 << 31).any():
            raise VmonError("input quantization multiplier out of int32 range")
        return cls(
            mean=tuple(int(m) for m in np.round(mean)),
            mult=tuple(int(m) for m in mult),
            zero_point=int(zero_point),
        )

    def apply(self, features: npt.NDArray[np.int32]) -> npt.NDArray[np.int8]:
        f = np.asarray(features, dtype=np.int64)
        acc = (f - np.asarray(self.mean, dtype=np.int64)) * np.asarray(self.mult, dtype=np.int64)
        q = ((acc + (1 << (self.shift - 1))) >> self.shift) + self.zero_point
        return np.clip(q, -128, 127).astype(np.int8)

    def to_json(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "mult": list(self.mult), "shift": self.shift}


# --------------------------------------------------------------------------- flatbuffer facts


def _schema() -> Any:
    _import_runtime()  # the schema module lives in the same (TensorFlow-importing) package
    from tflite_micro.tensorflow.lite.python import schema_py_generated as schema_fb

    return schema_fb


def model_facts(model: bytes) -> dict[str, Any]:
    """Ops, input/output shapes, dtypes and quantization read from the flatbuffer."""
    schema_fb = _schema()
    try:
        m = schema_fb.ModelT.InitFromObj(schema_fb.Model.GetRootAs(model, 0))
    except Exception as err:  # a corrupt flatbuffer raises anything from struct to index errors
        raise VmonError(f"model.tflite is not a valid TFLite flatbuffer ({err})") from None
    names = {v: k for k, v in vars(schema_fb.BuiltinOperator).items() if not k.startswith("_")}
    ops = sorted(
        {names.get(max(c.builtinCode, c.deprecatedBuiltinCode), "?") for c in m.operatorCodes}
    )
    if len(m.subgraphs) != 1:
        raise VmonError(f"model has {len(m.subgraphs)} subgraphs; vmon supports one")
    sg = m.subgraphs[0]
    types = {v: k for k, v in vars(schema_fb.TensorType).items() if not k.startswith("_")}

    def tensor(i: int) -> dict[str, Any]:
        t = sg.tensors[i]
        q = t.quantization
        scales = list(q.scale) if q is not None and q.scale is not None else []
        zps = list(q.zeroPoint) if q is not None and q.zeroPoint is not None else []
        return {
            "shape": [int(s) for s in t.shape],
            "dtype": types.get(t.type, "?").lower(),
            "scale": [float(s) for s in scales],
            "zero_point": [int(z) for z in zps],
        }

    per_channel = any(
        t.quantization is not None
        and t.quantization.scale is not None
        and len(t.quantization.scale) > 1
        for t in sg.tensors
    )
    return {
        "ops": ops,
        "inputs": [tensor(i) for i in sg.inputs],
        "outputs": [tensor(i) for i in sg.outputs],
        "per_channel": per_channel,
    }


# --------------------------------------------------------------------------- TFLM interpreter


class MicroInterpreter:
    """The TFLM Python interpreter around one int8 model (single input, single output)."""

    def __init__(self, model: bytes, arena_size: int | None = None) -> None:
        try:
            runtime = _import_runtime()
        except ImportError:
            raise VmonError(
                "the TFLM interpreter (tflite-micro) is not installed; run scripts/setup.sh"
            ) from None
        try:
            # The wrapper prints from Python and from C++: silence both.
            with contextlib.redirect_stdout(io.StringIO()), _quiet_fd1():
                self._interp = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
        except (RuntimeError, ValueError) as err:
            raise VmonError(f"TFLM cannot load the model ({err})") from None

    def run(self, x: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
        """Outputs for a batch of int8 inputs, one invoke per row (as on the device)."""
        rows = []
        for row in np.asarray(x, dtype=np.int8):
            self._interp.set_input(row[None, :], 0)
            self._interp.invoke()
            rows.append(np.array(self._interp.get_output(0), dtype=np.int8).reshape(-1))
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.int8)


def _import_runtime() -> Any:
    """The TFLM runtime, imported without TensorFlow's start-up chatter."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with capture_fd(1), capture_fd(2):
        from tflite_micro.python.tflite_micro import runtime
    return runtime


@contextlib.contextmanager
def capture_fd(fd: int) -> Any:
    """Capture what the C++ runtime writes to ``fd`` directly; yields a list filled on exit."""
    import sys
    import tempfile

    sys.stdout.flush()
    sys.stderr.flush()
    captured: list[str] = []
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield captured
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode(errors="replace"))


def _quiet_fd1() -> Any:
    return capture_fd(1)


#: Arena for measuring: ample for any model vmon ships (the budget is 8 KB).
MEASURE_ARENA = 256 * 1024


def measure_arena(model: bytes, probe: npt.NDArray[np.int8]) -> int:
    """Tensor arena bytes TFLM allocates for the model (its RecordingMicroAllocator's total).

    Measured on the host (64-bit pointers), so it bounds the 32-bit device's need from above.
    """
    import re

    interp = MicroInterpreter(model, arena_size=MEASURE_ARENA)
    interp.run(probe[:1])
    with capture_fd(2) as out:
        interp._interp.print_allocations()
    match = re.search(r"Arena allocation total (\d+) bytes", "".join(out))
    if not match:
        raise VmonError("TFLM did not report its arena allocation")
    return int(match.group(1))


# --------------------------------------------------------------------------- model directory


@dataclass
class ModelDir:
    path: Path
    model: bytes
    meta: dict[str, Any]

    @property
    def feature_config(self) -> FeatureConfig:
        return FeatureConfig.from_json(self.meta["feature_config"])

    @property
    def input_quant(self) -> InputQuant:
        q = self.meta["input"]
        std = q["standardization"]
        return InputQuant(
            mean=tuple(std["mean"]),
            mult=tuple(std["mult"]),
            zero_point=int(q["zero_point"]),
            shift=int(std["shift"]),
        )

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])


REQUIRED_META = (
    "schema",
    "name",
    "labels",
    "feature_config",
    "input",
    "output",
    "ops",
    "tensor_arena_bytes",
    "model_sha256",
    "novelty",
)


def load_model_dir(path: str | os.PathLike[str]) -> ModelDir:
    """Read and cross-check model.tflite and model.json; any mismatch is a one-line error."""
    path = Path(path)
    meta_path = path / META_FILE
    # The checks the firmware build also runs: files present, JSON valid, sha256 matching,
    # everything supported. Below: what needs the flatbuffer parsed.
    model, meta = read(path)
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise VmonError(f"{meta_path} lacks field(s) {', '.join(missing)}")
    if meta["schema"] != SCHEMA_VERSION:
        raise VmonError(
            f"{meta_path} has schema {meta['schema']}; this vmon reads {SCHEMA_VERSION}"
        )
    md = ModelDir(path=path, model=model, meta=meta)
    facts = model_facts(model)
    if sorted(meta["ops"]) != facts["ops"]:
        raise VmonError(
            f"{meta_path} field ops {meta['ops']} does not match the model {facts['ops']}"
        )
    cfg = md.feature_config
    shape = facts["inputs"][0]["shape"]
    if shape[-1] != cfg.n_features:
        raise VmonError(
            f"model input has {shape[-1]} features but field feature_config defines "
            f"{cfg.n_features}"
        )
    if len(meta["labels"]) != facts["outputs"][0]["shape"][-1]:
        raise VmonError(
            f"{meta_path} field labels has {len(meta['labels'])} entries but the "
            f"model outputs {facts['outputs'][0]['shape'][-1]}"
        )
    return md
