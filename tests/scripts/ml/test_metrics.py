"""Metrics against hand-computed values and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vmon.ml import metrics


def test_classification_known_values() -> None:
    y = [0, 0, 1, 1, 2, 2]
    p = [0, 1, 1, 1, 2, 0]
    m = metrics.classification(y, p, ("a", "b", "c"))
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # F1: a = 0.5, b = 0.8, c = 2/3
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert m["recall"] == {"a": 0.5, "b": 1.0, "c": 0.5}


def test_macro_f1_ignores_absent_classes() -> None:
    m = metrics.classification([0, 0, 1], [0, 0, 1], ("a", "b", "c"))
    assert m["macro_f1"] == 1.0 and "c" not in m["recall"]


def test_auroc_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, 40).astype(float)
    pos = rng.random(40) > 0.6
    pairs = list(itertools.product(s[pos], s[~pos]))
    brute = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert metrics.auroc(s, pos) == pytest.approx(brute)
    assert metrics.auroc(s, np.ones(40, dtype=bool)) is None


def test_novelty_rates() -> None:
    m = metrics.novelty([0.1, 0.2, 5.0, 6.0, 0.3], [False, False, True, True, False], 1.0)
    assert m["auroc"] == 1.0 and m["false_alarm_rate"] == 0.0 and m["detection_rate"] == 1.0
