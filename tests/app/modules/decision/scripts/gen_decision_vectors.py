#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reference vectors of the decision module's ztests, every value from vmon.dsp.policy.

A deterministic stream of windows (an LCG, repeated by ref_window() in the ztest's
common.c) is commissioned by vmon.dsp.policy.Policy, windows flagged in the stream being
unclean (not learned); the header holds the baseline's integer sums, its threshold, the
classifier's validation for two label sequences, the novelty and vote of probe windows,
a small commissioning whose threshold is the minimum (strict comparisons), squared
z-scores at the extremes (Baseline.z2_q8) and a hysteresis sequence.

Run from the repository root with the project venv (a pytest fails when the header is stale):
    .venv/bin/python tests/app/modules/decision/scripts/gen_decision_vectors.py
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(ROOT / "scripts"))

from vmon.dsp import features as feat  # noqa: E402
from vmon.dsp import policy as pol  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "src" / "reference.h"
LABELS = ["normal", "inner_race", "ball", "outer_race"]
N_FEATURES = 37
N_WINDOWS = 50
SEED = 12345
ABS_MAX = 32768
# Stream windows the ztest spoils (by kind, see reference.h): skipped, not learned.
SKIP = {3: "SATURATED", 17: "STUCK", 18: "BEYOND", 33: "NO_FEATURES"}
N_STREAM = N_WINDOWS + len(SKIP)
# Windows the classifier calls a fault: 1 of 50 learned (980 permille, validated) plus a
# skipped one (not counted); 2 of 50 learned is 960 permille (not validated).
OTHER_LABEL_VALIDATED = {17: 2, 29: 3}
OTHER_LABEL_NOT_VALIDATED = {17: 2, 29: 3, 41: 1}
N_PROBES = 8
STRICT_WINDOW = 64  # the small commissioning: every feature +-64, four windows
STRICT_PROBES = (0, -128, 128, 129, -256, 256, 257, 1023, 1024, 2000)
# An odd commissioning (its second half starts at window 5 // 2 = 2) whose highest novelty
# is that first window of the second half: every feature at these values.
HALF_WINDOWS = (64, -64, 300, 0, 10)
HYST_LEN = 96


class Lcg:
    """The ztest's ref_window() (common.c), window by window."""

    def __init__(self) -> None:
        self.state = SEED

    def rnd(self) -> int:
        self.state = (self.state * 1103515245 + 12345) & 0xFFFFFFFF
        return (self.state >> 16) & 0x7FFF

    def window(self) -> list[int]:
        f = []
        for i in range(N_FEATURES):
            r = self.rnd()
            if i == 0:
                f.append(4096)  # constant: the variance floor
            elif i == 1:
                f.append(-ABS_MAX + r % 1001)  # at the lower bound
            elif i == 2:
                f.append(ABS_MAX - r % 101)  # at the upper bound, steadier than the floor
            else:
                span = 40 + 13 * i
                jump = 3 * span if r % 16 == 0 else 0  # a heavy tail: the threshold's margin
                f.append(2000 + 150 * i + r % span - span // 2 + jump)
        return f


def scores(label: int) -> np.ndarray:
    """int8 softmax outputs with ``label`` on top (common.c t_scores())."""
    s = np.full(4, -128, dtype=np.int8)
    s[label] = 127
    return s


def policy() -> pol.Policy:
    return pol.Policy(feat.FeatureConfig(), pol.Machine(), LABELS)


def commission(
    windows: list[list[int]], clean: list[bool], labels: list[int]
) -> tuple[pol.Policy, list[pol.WindowOut]]:
    p = policy()
    p.commission(sum(clean))
    outs = []
    for f, ok, lab in zip(windows, clean, labels, strict=True):
        feats = np.asarray(f, dtype=np.int32)
        outs.append(p.update(feats, np.zeros(p.cfg.window, np.int32), pol.NORMAL, scores(lab), ok))
    assert not p.commissioning and p.baseline is not None
    return p, outs


def probe(p: pol.Policy, f: list[int], alone: bool = True) -> pol.WindowOut:
    """One window; ``alone``: after a reset, so the vote's mean novelty is its own (the
    ztest calls vmon_decision_reset() before it)."""
    if alone:
        p.reset_run()
    feats = np.asarray(f, dtype=np.int32)
    return p.update(feats, np.zeros(p.cfg.window, np.int32), pol.NORMAL, scores(0))


def probes(p: pol.Policy, lcg: Lcg) -> list[list[int]]:
    """Plain windows, windows shifted until they vote warning and alarm, and glitches."""
    assert p.baseline is not None
    out = [lcg.window() for _ in range(3)]
    base = lcg.window()
    want = [pol.WARNING, pol.ALARM]
    for shift in range(0, 4000, 4):
        f = [v if i < 3 else v + shift for i, v in enumerate(base)]
        if want and probe(p, f).vote == want[0]:
            out.append(f)
            want.pop(0)
    assert not want
    glitch = list(base)
    glitch[20] = ABS_MAX  # one feature far out: its z^2 capped
    out.append(glitch)
    out.append([-ABS_MAX if i % 2 else ABS_MAX for i in range(N_FEATURES)])
    out.append([*base[:1], 0, *base[2:]])  # feature 1 off by 32768: capped
    assert len(out) == N_PROBES
    return out


def z2_cases(b: pol.Baseline) -> list[tuple[int, int, int, int]]:
    """(n, s, d, f): the cap and the 64-bit division at the extremes, then the baseline's."""
    n_max, f_max = 32767, ABS_MAX
    s_max = n_max * f_max
    return [
        (4, 0, 0, 0),
        (4, 0, 0, 64),  # d below the floor: z^2 = 1
        (4, 0, 65536, 1024),  # exactly the cap
        (4, 0, 65537, 1024),  # just below it
        (4, 0, 65536, 1023),
        (4, 0, 65536, -1024),
        (4, 4 * f_max, 0, -f_max),
        (n_max, 0, 0, 0),
        (n_max, -s_max, 0, f_max),  # (2 N f)^2: capped
        (n_max, -s_max, s_max * s_max, f_max),  # the largest d: e^2 = 4 d
        (n_max, -s_max + 12345, s_max * s_max - 999, f_max),
        (n_max, s_max, s_max * s_max, -f_max),
        (n_max, s_max, s_max * s_max, f_max),
        (n_max, s_max - 1, 0, f_max),
        (n_max, 123456789, 987654321987654321, -f_max),
        (n_max, -s_max, 4 * s_max * s_max // 256, f_max),  # e^2 = 256 d: the cap
        (n_max, -s_max, 4 * s_max * s_max // 256 + 1, f_max),
        (b.n, b.s[1], b.d[1], -f_max),
        (b.n, b.s[2], b.d[2], f_max),
        (b.n, b.s[0], b.d[0], 4096),
        (b.n, b.s[0], b.d[0], 4097),
    ]


def z2(n: int, s: int, d: int, f: int) -> int:
    return abs(pol.Baseline(n, [s], [d]).z2_q8(np.asarray([f], dtype=np.int32))[0])


def hysteresis_votes() -> list[int]:
    """Runs of votes (a level held a few windows) with single strays."""
    state, votes, level = 0x2468ACE, [], 0
    for k in range(HYST_LEN):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        if k % 6 == 0:
            level = (state >> 24) % 3
        votes.append((state >> 16) % 3 if (state >> 8) % 4 == 0 else level)
    return votes


def c_list(v: Iterable[int], per_line: int = 8, suffix: str = "") -> str:
    s = [f"{int(x)}{suffix}" for x in v]
    return ",\n".join("\t" + ", ".join(s[i : i + per_line]) for i in range(0, len(s), per_line))


def text() -> str:
    lcg = Lcg()
    stream = [lcg.window() for _ in range(N_STREAM)]
    clean = [i not in SKIP for i in range(N_STREAM)]
    labels_v = [OTHER_LABEL_VALIDATED.get(i, 0) for i in range(N_STREAM)]
    labels_n = [OTHER_LABEL_NOT_VALIDATED.get(i, 0) for i in range(N_STREAM)]
    p, outs = commission(stream, clean, labels_v)
    p_n, _ = commission(stream, clean, labels_n)
    b = p.baseline
    assert b is not None and p_n.baseline is not None and b.n == N_WINDOWS
    assert p_n.baseline == b and p.classifier_validated and not p_n.classifier_validated
    probe_f = probes(p, lcg)
    probe_out = [probe(p, f) for f in probe_f]
    p.reset_run()
    run_out = [probe(p, f, alone=False) for f in probe_f]
    assert [o.novelty_q8 for o in run_out] == [o.novelty_q8 for o in probe_out]

    flat = [[STRICT_WINDOW * (1 - 2 * (w % 2))] * N_FEATURES for w in range(4)]
    ps, _ = commission(flat, [True] * 4, [0] * 4)
    assert ps.baseline is not None
    strict_out = [probe(ps, [v] * N_FEATURES) for v in STRICT_PROBES]
    ph, _ = commission([[v] * N_FEATURES for v in HALF_WINDOWS], [True] * 5, [0] * 5)
    assert ph.baseline is not None

    cases = z2_cases(b)
    hp = policy()
    votes = hysteresis_votes()
    states = []
    for v in votes:
        hp._hysteresis(v)
        states.append(hp.state)

    n_other_v = sum(x != 0 for x, c in zip(labels_v, clean, strict=True) if c)
    n_other_n = sum(x != 0 for x, c in zip(labels_n, clean, strict=True) if c)
    kinds = {"SATURATED": 1, "STUCK": 2, "BEYOND": 3, "NO_FEATURES": 4}
    skip = [kinds[SKIP[i]] if i in SKIP else 0 for i in range(N_STREAM)]
    probe_rows = ",\n".join(f"\t{{\n{c_list(f, 8)}\n\t}}" for f in probe_f)
    z2_rows = "\n".join(f"\t{{{n}, {s}, {d}LL, {f}, {z2(n, s, d, f)}}}," for n, s, d, f in cases)
    return f"""/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Generated by tests/app/modules/decision/scripts/gen_decision_vectors.py from
 * vmon.dsp.policy (Python): never edit by hand. To regenerate, from the repository root:
 *     .venv/bin/python tests/app/modules/decision/scripts/gen_decision_vectors.py
 * (tests/scripts/dsp/test_decision_vectors.py fails while this file is stale).
 *
 * ref_window() (common.c) repeats the script's generator: REF_N_STREAM windows, of which
 * the ones in ref_stream_skip are spoilt by the ztest and skipped by the commissioning;
 * Policy commissions the other REF_N_WINDOWS. Then REF_N_PROBES probe windows.
 */

#ifndef VMON_TEST_DECISION_REFERENCE_H_
#define VMON_TEST_DECISION_REFERENCE_H_

#include <stdint.h>

#define REF_N_FEATURES {N_FEATURES}
#define REF_N_WINDOWS  {N_WINDOWS}
#define REF_N_STREAM   {N_STREAM}
#define REF_SEED       {SEED}U

/* How the ztest spoils a stream window (0: clean). */
#define REF_SKIP_SATURATED   1 /* VMON_DECISION_FB_INPUT_SATURATED */
#define REF_SKIP_STUCK       2 /* VMON_DECISION_FB_INPUT_STUCK */
#define REF_SKIP_BEYOND      3 /* one feature beyond VMON_DECISION_FEATURE_ABS_MAX */
#define REF_SKIP_NO_FEATURES 4 /* features NULL */
#define REF_N_SKIPPED        {len(SKIP)}
static const uint8_t ref_stream_skip[REF_N_STREAM] = {{
{c_list(skip, 16)}
}};

/* Top label of each stream window (t_scores()): the classifier is validated with the
 * first sequence ({n_other_v} learned window not normal), not with the second
 * ({n_other_n}). */
static const uint8_t ref_labels_validated[REF_N_STREAM] = {{
{c_list(labels_v, 16)}
}};
static const uint8_t ref_labels_not_validated[REF_N_STREAM] = {{
{c_list(labels_n, 16)}
}};

/* The first window and the last stream window: the C generator must produce them. */
static const int32_t ref_first_window[REF_N_FEATURES] = {{
{c_list(stream[0])}
}};
static const int32_t ref_last_window[REF_N_FEATURES] = {{
{c_list(stream[-1])}
}};

/* novelty_q8 output for each stream window: -1 until the last learned window is in. */
static const int32_t ref_stream_novelty_q8[REF_N_STREAM] = {{
{c_list((o.novelty_q8 for o in outs), 16)}
}};

/* The commissioned baseline: S_i, D_i = N Q_i - S_i^2, threshold, classifier. */
static const int32_t ref_s[REF_N_FEATURES] = {{
{c_list(b.s)}
}};
static const int64_t ref_d[REF_N_FEATURES] = {{
{c_list(b.d, 4, "LL")}
}};
#define REF_THRESHOLD_Q8 {b.threshold_q8}U
#define REF_VALIDATED     {int(p.classifier_validated)}
#define REF_NOT_VALIDATED {int(p_n.classifier_validated)}

/* vmon_decision_baseline_get(): floor(S / N) and floor(D / N^2). */
static const int32_t ref_mean_q8[REF_N_FEATURES] = {{
{c_list(s // b.n for s in b.s)}
}};
static const uint32_t ref_var[REF_N_FEATURES] = {{
{c_list(d // (b.n * b.n) for d in b.d)}
}};

/* Probe windows after commissioning: plain, shifted to vote warning and alarm, one
 * feature glitching, every feature at a bound, one feature off by 32768. */
#define REF_N_PROBES {N_PROBES}
static const int32_t ref_probe[REF_N_PROBES][REF_N_FEATURES] = {{
{probe_rows}
}};
static const int32_t ref_probe_novelty_q8[REF_N_PROBES] = {{
{c_list(o.novelty_q8 for o in probe_out)}
}};
/* Their vote in zone A (0 normal, 1 warning, 2 alarm), each alone after a reset. */
static const uint8_t ref_probe_vote[REF_N_PROBES] = {{
{c_list(o.vote for o in probe_out)}
}};
/* The probes in a row after one reset: the vote compares the mean novelty of the last
 * {pol.NOVELTY_AVG} windows (novelty_avg_q8), then the state after hysteresis. */
static const int32_t ref_run_novelty_avg_q8[REF_N_PROBES] = {{
{c_list(o.novelty_avg_q8 for o in run_out)}
}};
static const uint8_t ref_run_vote[REF_N_PROBES] = {{
{c_list(o.vote for o in run_out)}
}};
static const uint8_t ref_run_state[REF_N_PROBES] = {{
{c_list(o.state for o in run_out)}
}};

/* A commissioning of four windows, every feature +{STRICT_WINDOW}, -{STRICT_WINDOW}, ...:
 * S = 0, D = the floor, so a window with every feature at v has novelty floor(v^2 / 16). */
#define REF_STRICT_WINDOW       {STRICT_WINDOW}
#define REF_STRICT_THRESHOLD_Q8 {ps.baseline.threshold_q8}U
#define REF_STRICT_D            {ps.baseline.d[0]}LL
#define REF_N_STRICT            {len(STRICT_PROBES)}
static const int32_t ref_strict_value[REF_N_STRICT] = {{
{c_list(STRICT_PROBES, 10)}
}};
static const int32_t ref_strict_novelty_q8[REF_N_STRICT] = {{
{c_list((o.novelty_q8 for o in strict_out), 10)}
}};
static const uint8_t ref_strict_vote[REF_N_STRICT] = {{
{c_list((o.vote for o in strict_out), 10)}
}};

/* A commissioning of REF_N_HALF windows, each with every feature at one value: its
 * threshold comes from the first window of the second half. */
#define REF_N_HALF            {len(HALF_WINDOWS)}
#define REF_HALF_THRESHOLD_Q8 {ph.baseline.threshold_q8}U
static const int32_t ref_half_window[REF_N_HALF] = {{
{c_list(HALF_WINDOWS)}
}};

/* Squared z-scores (Q8, capped) of one feature: Baseline(n, [s], [d]).z2_q8([f]). */
struct ref_z2 {{
	uint32_t n;
	int32_t s;
	int64_t d;
	int32_t f;
	uint32_t z2_q8;
}};

static const struct ref_z2 ref_z2[] = {{
{z2_rows}
}};

/* Policy._hysteresis (3 of 5): votes and the state after each. */
#define REF_HYST_N   {pol.HYST_N}
#define REF_HYST_M   {pol.HYST_M}
#define REF_HYST_LEN {HYST_LEN}
static const uint8_t ref_hyst_votes[REF_HYST_LEN] = {{
{c_list(votes, 16)}
}};
static const uint8_t ref_hyst_states[REF_HYST_LEN] = {{
{c_list(states, 16)}
}};

#endif /* VMON_TEST_DECISION_REFERENCE_H_ */
"""


def main() -> int:
    OUT.write_text(text())
    print(f"{OUT.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
