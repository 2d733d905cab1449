"""The firmware's envelope kernel and its golden vectors stay in step with vmon.dsp.envelope."""

from __future__ import annotations

import importlib.util
import re

from vmon.bearing import PRESETS
from vmon.dsp import envelope as env
from vmon.dsp import features as feat
from vmon.paths import REPO_ROOT

HEADER = REPO_ROOT / "include" / "vmon" / "envelope.h"
SOURCE = REPO_ROOT / "modules" / "features" / "vmon_envelope.c"
GENERATOR = REPO_ROOT / "tests" / "modules" / "envelope" / "scripts" / "gen_envelope_vectors.py"
VECTORS = REPO_ROOT / "tests" / "modules" / "envelope" / "src" / "envelope_vectors.h"


def test_golden_vectors_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_envelope_vectors", GENERATOR)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert VECTORS.read_text() == gen.text(), (
        "tests/modules/envelope/src/envelope_vectors.h is stale: run "
        "tests/modules/envelope/scripts/gen_envelope_vectors.py"
    )


def test_c_constants_are_the_python_ones() -> None:
    defines = dict(re.findall(r"#define (VMON_ENV_\w+)\s+(\w+)", HEADER.read_text()))
    tc = env.TypingConfig.for_features(feat.FeatureConfig())
    want = {
        "VMON_ENV_DECIM": tc.decim,
        "VMON_ENV_BAND": tc.band,
        "VMON_ENV_SPEED_DECIM": tc.speed_decim,
        "VMON_ENV_SPEED_BAND": tc.speed_band,
        "VMON_ENV_SPEED_RING": tc.speed_ring,
        "VMON_ENV_RING_BITS": env.RING_BITS,
        "VMON_ENV_HARMONICS": tc.harmonics,
        "VMON_ENV_PRE_SHIFT": env.PRE_SHIFT,
        "VMON_ENV_LINE_FLOOR_Q8": env.LINE_FLOOR_Q8,
        "VMON_ENV_LINE_CAP_Q8": env.LINE_CAP_Q8,
        "VMON_ENV_MIN_SCORE_Q8": env.MIN_SCORE_Q8,
        "VMON_ENV_MARGIN_Q8": env.MARGIN_Q8,
        "VMON_ENV_TOL_PERMILLE": env.TOLERANCE_PERMILLE,
        "VMON_ENV_BG_SPAN": env.BACKGROUND_SPAN,
        "VMON_ENV_SPEED_HARMONICS": env.SPEED_HARMONICS,
        "VMON_ENV_SPEED_GUARD": env.SPEED_GUARD,
        "VMON_ENV_SPEED_SIDE": env.SPEED_SIDE,
        "VMON_ENV_SPEED_PROMINENCE_Q8": env.SPEED_PROMINENCE_Q8,
        "VMON_ENV_SPEED_LEVEL_BITS": env.SPEED_LEVEL_BITS,
        "VMON_ENV_SPEED_SEARCH_PERMILLE": env.SPEED_SEARCH_PERMILLE,
        "VMON_ENV_SPEED_MIN_MHZ": env.SPEED_RANGE_MHZ[0],
        "VMON_ENV_SPEED_MAX_MHZ": env.SPEED_RANGE_MHZ[1],
    }
    assert {k: int(defines[k]) for k in want} == want
    # Both spectra have the feature window's length (the kernel reuses its FFT).
    assert defines["VMON_ENV_LEN"] == defines["VMON_ENV_SPEED_LEN"] == "VMON_FEAT_WINDOW"
    assert tc.env_len == tc.speed_len == feat.FeatureConfig().window


def test_c_cosine_table_is_the_python_one() -> None:
    body = re.search(r"cos_q15_table\[91\] = \{(.*?)\};", SOURCE.read_text(), re.S)
    assert body is not None
    assert tuple(int(v) for v in re.findall(r"\d+", body.group(1))) == env.COS_Q15


def test_c_bearing_presets_are_the_python_ones() -> None:
    source = (REPO_ROOT / "app/src/modules/machine/machine.c").read_text()
    rows = re.findall(
        r'\{"([^"]+)", \{\.n_balls = (\d+), \.ball_um = (\d+), \.pitch_um = (\d+), '
        r"\.angle_cdeg = (\d+)\}\}",
        source,
    )
    got = {name: tuple(int(v) for v in vals) for name, *vals in rows}
    want = {
        name: (d.n_balls, d.ball_um, d.pitch_um, d.angle_cdeg)
        for name, d in ((n, env.DeviceBearing.from_geometry(g)) for n, g in PRESETS.items())
    }
    assert got == want
