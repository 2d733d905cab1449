"""Result types shared by training, golden vectors and the report (so neither reaches back
into ``vmon.ml.train``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.ml.model import InputQuant
from vmon.ml.splits import Fold


@dataclass
class RecordingFeatures:
    recording_id: str
    label: str
    load_hp: float
    starts: npt.NDArray[np.int64]
    features: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int16]  # the resampled recording as int16 counts


@dataclass
class FoldResult:
    fold: Fold
    metrics: dict[str, Any]
    model: bytes | None = None
    input_quant: InputQuant | None = None
    std: npt.NDArray[np.float64] | None = None
    novelty: dict[str, Any] | None = None
    history: dict[str, list[float]] | None = None
    test_where: list[tuple[str, int]] | None = None
