"""The decision module's ztest vectors and constants stay in step with vmon.dsp.policy."""

from __future__ import annotations

import importlib.util
import re

import pytest

from vmon.dsp import features as feat
from vmon.dsp import policy as pol
from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

HEADER = REPO_ROOT / "app" / "src" / "modules" / "decision" / "decision.h"
TEST_DIR = REPO_ROOT / "tests" / "app" / "modules" / "decision"
GENERATOR = TEST_DIR / "scripts" / "gen_decision_vectors.py"
VECTORS = TEST_DIR / "src" / "reference.h"


def _commission_min() -> int:
    """The fewest windows Policy.commission accepts."""
    p = pol.Policy(feat.FeatureConfig(), pol.Machine(), ["normal"])
    for n in range(1, 64):
        try:
            p.commission(n)
        except VmonError:
            continue
        return n
    pytest.fail("Policy.commission accepts no window count below 64")


def test_reference_vectors_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_decision_vectors", GENERATOR)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert VECTORS.read_text() == gen.text(), (
        "tests/app/modules/decision/src/reference.h is stale: run "
        "tests/app/modules/decision/scripts/gen_decision_vectors.py"
    )


def test_c_constants_are_the_python_ones() -> None:
    defines = dict(re.findall(r"#define (VMON_DECISION_\w+)\s+(\w+)", HEADER.read_text()))
    want = {
        "VMON_DECISION_VAR_FLOOR": pol.VAR_FLOOR,
        "VMON_DECISION_Z2_CAP_Q8": pol.Z2_CAP_Q8,
        "VMON_DECISION_THRESHOLD_MARGIN_Q8": pol.THRESHOLD_MARGIN_Q8,
        "VMON_DECISION_MIN_THRESHOLD_Q8": pol.MIN_THRESHOLD_Q8,
        "VMON_DECISION_ALARM_FACTOR": pol.ALARM_FACTOR,
        "VMON_DECISION_NOVELTY_AVG": pol.NOVELTY_AVG,
        "VMON_DECISION_CLASSIFIER_AGREE_PERMILLE": pol.CLASSIFIER_AGREE_PERMILLE,
        "VMON_DECISION_CLASSIFIER_CONFIDENCE_PERMILLE": pol.CLASSIFIER_CONFIDENCE_PERMILLE,
        "VMON_DECISION_COMMISSION_MIN": _commission_min(),
    }
    assert {k: int(defines[k]) for k in want} == want
    typing = dict(
        re.findall(r"#define (VMON_TYPING_\w+)\s+(\w+)", (HEADER.parent / "typing.h").read_text())
    )
    assert {k: int(v) for k, v in typing.items()} == {
        "VMON_TYPING_BANDS_TRIED": pol.BANDS_TRIED,
        "VMON_TYPING_VERDICTS_KEPT": pol.VERDICTS_KEPT,
        "VMON_TYPING_VERDICTS_AGREE": pol.VERDICTS_AGREE,
        "VMON_TYPING_N_TYPES": len(pol.env.TYPES),
    }
