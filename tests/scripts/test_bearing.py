"""Bearing geometry: defect-frequency theory, presets, impossible geometry."""

from __future__ import annotations

import pytest

from vmon.bearing import BearingGeometry, parse_bearing
from vmon.errors import VmonError


def test_defect_frequencies_known_case() -> None:
    # SKF 6205-2RS JEM (9 balls, 0.3126 in, pitch 1.537 in): the published multiples of
    # shaft speed are BPFI 5.4152, BPFO 3.5848, FTF 0.39828 and 4.7135 for the ball,
    # which is 2 x BSF in our convention.
    g = BearingGeometry(n_balls=9, ball_diameter=0.3126, pitch_diameter=1.537)
    f = 1797 / 60
    assert g.bpfi(f) / f == pytest.approx(5.4152, rel=2e-4)
    assert g.bpfo(f) / f == pytest.approx(3.5848, rel=2e-4)
    assert g.ftf(f) / f == pytest.approx(0.39828, rel=2e-4)
    assert 2 * g.bsf(f) / f == pytest.approx(4.7135, rel=2e-4)
    # Identities that hold for any geometry.
    assert g.bpfo(f) + g.bpfi(f) == pytest.approx(g.n_balls * f)
    assert g.bpfo(f) == pytest.approx(g.n_balls * g.ftf(f))


def test_contact_angle_enters_through_cosine() -> None:
    flat = BearingGeometry(8, 10.0, 50.0, contact_angle_deg=0.0)
    angled = BearingGeometry(8, 10.0, 50.0, contact_angle_deg=60.0)  # cos 60 = 0.5
    same = BearingGeometry(8, 5.0, 50.0)  # half the ball ratio
    assert angled.bpfo(10.0) == pytest.approx(same.bpfo(10.0))
    assert angled.bpfi(10.0) == pytest.approx(8 * 10 / 2 * 1.1)
    # BSF scales with Pd/Bd of the actual ball, not of the projected one.
    assert angled.bsf(10.0) == pytest.approx(50 / 20 * 10 * (1 - 0.1**2))
    assert flat.bsf(10.0) == pytest.approx(50 / 20 * 10 * (1 - 0.2**2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((9, 40.0, 38.5), "pitch diameter 38.5 must exceed the ball diameter 40.0"),
        ((9, 7.94, 7.94), "pitch diameter 7.94 must exceed"),
        ((0, 7.94, 39.04), "0 balls; need at least 1"),
        ((9, 0.0, 39.04), "ball diameter 0.0 must be > 0"),
        ((9, 7.94, 39.04, 90.0), r"contact angle 90.0 deg must be in \[0, 90\)"),
        ((9, 7.94, 39.04, -5.0), "contact angle -5.0"),
        ((9, float("nan"), 39.04), "ball diameter nan"),
    ],
)
def test_impossible_geometry_is_one_line(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(VmonError, match=message) as err:
        BearingGeometry(*args)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_presets_and_explicit_specs() -> None:
    de = parse_bearing("6205-2RS")
    assert de == parse_bearing("6205") == parse_bearing(" 6205-2rs ")
    assert (de.n_balls, de.ball_diameter, de.pitch_diameter) == (9, 7.94, 39.04)
    # SKF 6203-2RS: the published multiples of shaft speed (BPFO 3.0530, BPFI 4.9469).
    fe = parse_bearing("6203")
    assert fe.bpfo(1.0) == pytest.approx(3.0530, rel=5e-4)
    assert fe.bpfi(1.0) == pytest.approx(4.9469, rel=5e-4)
    assert parse_bearing("9,7.94,39.04,0") == de
    assert parse_bearing("8, 10, 50") == BearingGeometry(8, 10.0, 50.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("6999", "give a designation"),
        ("9,7.94", "give a designation"),
        ("nine,7.94,39.04", "N must be an integer"),
        ("9,40,38.5", "must exceed the ball diameter"),
        ("9,7.94,39.04,95", "contact angle 95.0"),
    ],
)
def test_bad_bearing_spec_is_one_line(spec: str, message: str) -> None:
    with pytest.raises(VmonError, match=message):
        parse_bearing(spec)


def test_geometry_json_round_trip() -> None:
    g = BearingGeometry(8, 6.746, 28.5, 15.0)
    assert BearingGeometry.from_json(g.to_json()) == g
    with pytest.raises(VmonError, match="incomplete"):
        BearingGeometry.from_json({"n_balls": 9}, "meta bearing")
