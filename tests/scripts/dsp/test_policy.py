"""The commissioning-first decision policy: integer baseline, threshold, votes, hysteresis."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from vmon.dsp import envelope as env
from vmon.dsp import features as feat
from vmon.dsp import policy as pol
from vmon.errors import VmonError

CFG = feat.FeatureConfig()
LABELS = ["normal", "inner_race", "ball", "outer_race"]
SPECTRUM = np.zeros(CFG.window, dtype=np.int32)
N_F = CFG.n_features


def _scores(top: int, p: int = 250) -> npt.NDArray[np.int8]:
    """int8 softmax outputs (zero point -128, scale 1/256) with ``top`` at probability p/256."""
    s = np.full(4, -128 + (256 - p) // 3, dtype=np.int8)
    s[top] = -128 + p
    return s


def _features(rng: np.random.Generator, n: int, shift: int = 0) -> npt.NDArray[np.int32]:
    return (rng.normal(2000, 200, (n, N_F)) + shift).astype(np.int32)


def test_integer_novelty_is_the_capped_mean_squared_z_score() -> None:
    rng = np.random.default_rng(0)
    x = _features(rng, 300).astype(np.int64)
    base = pol.Baseline.from_sums(len(x), x.sum(0).tolist(), (x**2).sum(0).tolist())
    probe = (x[0] + np.arange(N_F) * 37 - 500).astype(np.int32)
    var = np.maximum(x.astype(np.float64).var(axis=0), pol.VAR_FLOOR)
    z2 = np.minimum((probe - x.mean(axis=0)) ** 2 / var, pol.Z2_CAP_Q8 / 256)
    assert base.novelty_q8(probe) / 256 == pytest.approx(z2.mean(), abs=2 / 256)
    signs = np.sign(np.asarray(base.z2_q8(probe)))
    assert (signs[probe > x.mean(axis=0) + 1] >= 0).all()


def test_one_glitching_feature_cannot_make_a_window_novel() -> None:
    rng = np.random.default_rng(1)
    x = _features(rng, 300).astype(np.int64)
    base = pol.Baseline.from_sums(len(x), x.sum(0).tolist(), (x**2).sum(0).tolist())
    probe = x[0].astype(np.int32).copy()
    probe[5] += 1_000_000
    assert base.novelty_q8(probe) <= (pol.Z2_CAP_Q8 + N_F * 16 * 256) // N_F


def _machine() -> pol.Policy:
    return pol.Policy(CFG, pol.Machine(), LABELS)


def test_uncommissioned_node_votes_by_zone_only() -> None:
    p = _machine()
    rng = np.random.default_rng(2)
    f = _features(rng, 10, shift=5000)
    outs = [p.update(row, SPECTRUM, pol.NORMAL, _scores(3)) for row in f]
    assert all(o.state == pol.NORMAL and o.novelty_q8 == -1 and not o.commissioned for o in outs)
    # A zone alarm still raises the node, with no type to name.
    outs = [p.update(row, SPECTRUM, pol.ALARM) for row in f[:3]]
    assert outs[-1].state == pol.ALARM and outs[-1].fault == env.UNKNOWN


def test_commissioning_sets_baseline_threshold_and_classifier_trust() -> None:
    rng = np.random.default_rng(3)
    p = _machine()
    with pytest.raises(VmonError, match="at least 4 windows"):
        p.commission(3)
    p.commission(200)
    f = _features(rng, 260)
    for i, row in enumerate(f[:200]):
        # A flagged window is not learned; commissioning takes the next clean one.
        p.update(row, SPECTRUM, pol.NORMAL, _scores(0), clean=i != 10)
    assert p.commissioning
    p.update(f[200], SPECTRUM, pol.NORMAL, _scores(0))
    assert not p.commissioning and p.baseline is not None and p.baseline.n == 200
    assert p.classifier_validated
    assert p.baseline.threshold_q8 >= pol.MIN_THRESHOLD_Q8
    outs = [p.update(row, SPECTRUM, pol.NORMAL, _scores(0)) for row in f[201:]]
    assert all(o.state == pol.NORMAL and o.commissioned for o in outs)


def test_novel_windows_raise_and_the_classifier_names_only_unopposed() -> None:
    for agree in (True, False):
        rng = np.random.default_rng(4)
        p = _machine()
        p.commission(100)
        for row in _features(rng, 100):
            p.update(row, SPECTRUM, pol.NORMAL, _scores(0 if agree else 2))
        assert p.classifier_validated is agree
        far = _features(rng, 7, shift=4000)
        outs = [p.update(row, SPECTRUM, pol.NORMAL, _scores(3)) for row in far[:6]]
        assert [o.state for o in outs[:2]] == [pol.NORMAL, pol.NORMAL]
        assert outs[2].state == pol.ALARM and outs[2].vote == pol.ALARM
        # No envelope verdict yet: nothing speaks against a validated classifier.
        assert outs[-1].fault == ("outer_race" if agree else env.UNKNOWN)
        assert outs[-1].source == ("classifier" if agree else "")
        # Envelope scores that lean to its class (too weakly for the physics to name it).
        p.verdict = env.Verdict(env.UNKNOWN, 0, {"inner_race": 0, "ball": 90, "outer_race": 200})
        out = p.update(far[6], SPECTRUM, pol.NORMAL, _scores(3))
        assert out.fault == ("outer_race" if agree else env.UNKNOWN)
        assert out.source == ("classifier" if agree else "")
        p.verdict = env.Verdict(env.UNKNOWN, 0, {"inner_race": 0, "ball": 200, "outer_race": 90})
        assert p.update(far[6], SPECTRUM, pol.NORMAL, _scores(3)).fault == env.UNKNOWN
        # A verdict without any line (no bearing known): no support either.
        p.verdict = env.Verdict(env.UNKNOWN, 0, dict.fromkeys(env.TYPES, 0))
        assert p.update(far[6], SPECTRUM, pol.NORMAL, _scores(3)).fault == env.UNKNOWN


def test_hysteresis_enters_and_leaves_with_n_of_m() -> None:
    p = _machine()
    seq = [1, 0, 1, 0, 1, 1, 0, 0, 0, 2, 2, 2, 0, 1, 0, 0, 0]
    states = [p.update(np.zeros(N_F, np.int32), SPECTRUM, v).state for v in seq]
    # As decision.h: a level is entered when 3 of the last 5 votes are at or above it and
    # left when 3 are below it; alarm steps down to warning while 3 votes are not below
    # warning.
    assert states == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 1, 0, 0]


def test_verdicts_need_two_of_three_periods() -> None:
    s = dict.fromkeys(env.TYPES, 0)

    def v(t: str) -> env.Verdict:
        return env.Verdict(t, 600, s)

    assert pol.vote_verdicts([v("ball")]).type == env.UNKNOWN
    assert pol.vote_verdicts([v("ball"), v(env.UNKNOWN), v("ball")]).type == "ball"
    assert pol.vote_verdicts([v("ball"), v("outer_race"), v(env.UNKNOWN)]).type == env.UNKNOWN


def test_a_gap_restarts_the_demodulation_not_the_episode() -> None:
    """Lost or unusable samples between windows: the overlap-add and the rings would stitch
    two stretches of signal into one, so they restart (as the firmware's typing_gap()); the
    raised state, the band, the verdicts and the speed estimate stay."""
    rng = np.random.default_rng(7)
    p = _machine()
    p.commission(40)
    for row in _features(rng, 40):
        p.update(row, SPECTRUM, pol.NORMAL, _scores(0))
    spectra = rng.integers(-(2**20), 2**20, (14, CFG.window)).astype(np.int32)
    far = _features(rng, 14, shift=4000)
    for row, s in zip(far[:8], spectra[:8], strict=True):
        p.update(row, s, pol.NORMAL, _scores(3))
    assert p.state == pol.ALARM and p._spd.primed and p._spd_ring.count > 0
    kept = (p.band_k1, p.speed_mhz, list(p._verdicts), p._zsum.copy())

    def restarted() -> bool:
        return (
            not p._spd.primed
            and not p._env.primed
            and p._spd_ring.count == 0
            and p._env_ring.count == 0
            and (p.band_k1, p.speed_mhz, list(p._verdicts)) == kept[:3]
            and p.state == pol.ALARM
        )

    p.update(far[8], spectra[8], pol.NORMAL, _scores(3), clean=False)
    assert restarted()
    # A clean window after a gap: the restart comes first, then the window is demodulated
    # as the first of a new stretch (it primes the overlap and delivers nothing).
    p.update(far[9], spectra[9], pol.NORMAL, _scores(3), contiguous=False)
    assert p._spd.primed and p._spd_ring.count == 0 and p.state == pol.ALARM
    assert (p._zsum >= kept[3]).all()  # the band's evidence keeps accumulating
    p.update(far[10], spectra[10], pol.NORMAL, _scores(3))
    assert p._spd_ring.count == p._spd_ring.block
