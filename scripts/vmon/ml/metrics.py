"""Classification and novelty metrics (numpy only, so they are the same everywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt


def confusion(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
    """Rows: true class, columns: predicted class."""
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def classification(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Sequence[str]
) -> dict[str, Any]:
    """Macro-F1 over the classes present in ``y_true``, per-class recall, confusion matrix."""
    cm = confusion(y_true, y_pred, len(labels))
    present = cm.sum(axis=1) > 0
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "accuracy": float(tp.sum() / max(cm.sum(), 1)),
        "recall": {labels[i]: float(recall[i]) for i in range(len(labels)) if present[i]},
        "f1": {labels[i]: float(f1[i]) for i in range(len(labels)) if present[i]},
        "confusion": cm.tolist(),
    }


def auroc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tie correction); None without both classes."""
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def novelty(scores: npt.ArrayLike, is_fault: npt.ArrayLike, threshold: float) -> dict[str, Any]:
    s = np.asarray(scores, dtype=np.float64)
    fault = np.asarray(is_fault, dtype=bool)
    normal = ~fault
    return {
        "auroc": auroc(s, fault),
        "false_alarm_rate": float((s[normal] > threshold).mean()) if normal.any() else None,
        "detection_rate": float((s[fault] > threshold).mean()) if fault.any() else None,
        "threshold": float(threshold),
    }


def summarize(folds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    f_float = [f["float"]["macro_f1"] for f in folds]
    f_int8 = [f["int8"]["macro_f1"] for f in folds]
    aurocs = [f["novelty"]["auroc"] for f in folds if f["novelty"]["auroc"] is not None]
    fars = [
        f["novelty"]["false_alarm_rate"]
        for f in folds
        if f["novelty"]["false_alarm_rate"] is not None
    ]
    return {
        "float_macro_f1_mean": float(np.mean(f_float)),
        "int8_macro_f1_mean": float(np.mean(f_int8)),
        "int8_macro_f1_min": float(np.min(f_int8)),
        "ptq_loss_points": float(100 * (np.mean(f_float) - np.mean(f_int8))),
        "novelty_auroc_mean": float(np.mean(aurocs)) if aurocs else None,
        "novelty_auroc_min": float(np.min(aurocs)) if aurocs else None,
        "false_alarm_rate_mean": float(np.mean(fars)) if fars else None,
        "folds": len(folds),
    }
