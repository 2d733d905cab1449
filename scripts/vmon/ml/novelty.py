"""The novelty baseline: per-feature mean and variance of normal windows and the mean squared
z-score against them (what the device learns when it is commissioned)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from vmon.errors import VmonError

#: Target false-alarm rate of the novelty threshold on normal windows.
NOVELTY_FALSE_ALARM_RATE = 0.01


def novelty_fit(normal: npt.NDArray[np.int32]) -> dict[str, Any]:
    """Per-feature mean/variance of normal windows (what the device learns when commissioned)."""
    if len(normal) < 2:
        raise VmonError("fewer than 2 normal training windows; cannot learn a novelty baseline")
    x = normal.astype(np.float64)
    mean = x.mean(axis=0)
    var = np.maximum(x.var(axis=0), 1.0)
    base = {"mean": mean.tolist(), "var": var.tolist()}
    scores = novelty_score(base, normal)
    base["threshold"] = float(np.quantile(scores, 1 - NOVELTY_FALSE_ALARM_RATE))
    base["target_false_alarm_rate"] = NOVELTY_FALSE_ALARM_RATE
    return base


def novelty_score(base: dict[str, Any], x: npt.NDArray[np.int32]) -> npt.NDArray[np.float64]:
    """Mean squared z-score against the normal baseline (diagonal Mahalanobis / n_features)."""
    z2 = (x.astype(np.float64) - np.asarray(base["mean"])) ** 2 / np.asarray(base["var"])
    return z2.mean(axis=1)
