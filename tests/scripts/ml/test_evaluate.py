"""`invoke evaluate` on a small synthetic rig: the summary's shape and honesty, bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from vmon.data import Dataset, rigs, save_dataset
from vmon.errors import VmonError
from vmon.ml import evaluate as ev
from vmon.ml.model import ModelDir, load_model_dir
from vmon.paths import REPO_ROOT

FRACTIONS = ("normal_raised", "fault_raised", "type_right", "type_unknown", "type_wrong")


@pytest.fixture(scope="module")
def model() -> ModelDir:
    return load_model_dir(REPO_ROOT / "models" / ev.DEFAULT_MODEL)


@pytest.fixture(scope="module")
def pump() -> Dataset:
    rig = rigs.RIGS["pump"]
    short = rigs.Rig(**{**rig.__dict__, "speeds_rpm": rig.speeds_rpm[:1]})
    return rigs.generate_dataset(short, seed=5, normal_s=12.0, fault_s=4.0)


@pytest.fixture(scope="module")
def result(pump: Dataset, model: ModelDir) -> ev.Evaluation:
    return ev.evaluate(pump, model, commission_s=5.0)


def test_summary_has_every_fraction_per_point_and_overall(result: ev.Evaluation) -> None:
    s = result.summary()
    assert set(s["points"]) == {"2970 rpm"} and s["skipped"] == {}
    for part in (s["overall"], s["points"]["2970 rpm"]):
        for key in (*FRACTIONS, "alarms_per_hour_normal"):
            assert part[key] is not None and part[key] >= 0, key
        for key in FRACTIONS:
            assert part[key] <= 1, key
        assert part["type_right"] + part["type_unknown"] + part["type_wrong"] == pytest.approx(1)
    point = result.points[0]
    assert point.commission_s == pytest.approx(5.0, abs=0.05)
    assert s["bearing"] == "6306"
    json.dumps(s, allow_nan=False)


def test_a_clear_fault_is_raised_and_typed_and_normal_is_quiet(result: ev.Evaluation) -> None:
    o = result.summary()["overall"]
    # Normal running after commissioning stays normal; the rig's faults are clear ones.
    assert o["normal_raised"] == 0 and o["alarm_events_normal"] == 0
    assert o["fault_raised"] > 0.95
    assert o["type_wrong"] == 0 and o["type_right_physics"] > 0.5
    faults = [t for t in result.points[0].traces if t.role == "fault"]
    assert {t.label for t in faults} == {"inner_race", "ball", "outer_race"}
    for t in faults:
        assert t.defect_in_band and t.envelope is not None
        assert abs(t.speed_rpm - 2970 * (1 + rigs.RIGS["pump"].speed_offset)) < 0.02 * 2970


def test_without_the_speed_the_node_estimates_it(pump: Dataset, model: ModelDir) -> None:
    # Nobody typed in the pump's speed: the node finds its shaft rate in the spectrum and
    # still names no wrong type.
    res = ev.evaluate(pump, model, commission_s=5.0, speed_given=False)
    s = res.summary()
    assert s["shaft_speed"] == "estimated by the node"
    assert s["overall"]["type_wrong"] == 0 and s["overall"]["type_right"] > 0
    actual = 2970 * (1 + rigs.RIGS["pump"].speed_offset)
    for t in (t for t in res.points[0].traces if t.role == "fault"):
        assert abs(t.speed_rpm - actual) < 0.02 * actual


def test_points_without_normal_running_are_reported_not_scored(
    pump: Dataset, model: ModelDir
) -> None:
    other = rigs.generate(rigs.RIGS["pump"], "ball", 2000.0, 2.0, [9])
    ds = Dataset(pump.name, [*pump.recordings, other], pump.meta)
    s = ev.evaluate(ds, model, commission_s=2.0).summary()
    assert s["skipped"] == {"2000 rpm": "no normal recording to commission on"}


def test_bad_input_is_one_line(pump: Dataset, model: ModelDir) -> None:
    faults = Dataset("faults", [r for r in pump.recordings if r.label != "normal"], pump.meta)
    with pytest.raises(VmonError, match="has no normal recordings"):
        ev.evaluate(faults, model)
    for bad in (0.0, -3.0, math.nan):
        with pytest.raises(VmonError, match="commission-s"):
            ev.evaluate(pump, model, commission_s=bad)


def test_task_writes_json_and_html_and_refuses_bad_bearing(pump: Dataset, tmp_path: Path) -> None:
    data = save_dataset(pump, tmp_path / "data" / "pump.npz")

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "invoke", "evaluate", "--data", str(data), *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    out = invoke(
        "--commission-s",
        "5",
        "--json",
        str(tmp_path / "e.json"),
        "--html",
        str(tmp_path / "e.html"),
        "--bearing",
        "8,12.7,52.5",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "e.json").read_text())
    assert set(doc) >= {"overall", "points", "skipped", "dataset", "bearing"}
    page = (tmp_path / "e.html").read_text()
    assert page.count('<img src="data:image/png;base64,') >= 3
    bad = invoke("--bearing", "9,40,38.5")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "error: bearing geometry: pitch diameter 38.5 must exceed the ball diameter 40.0"
    ]


def test_the_model_card_records_detection_per_dataset(
    result: ev.Evaluation, model: ModelDir, tmp_path: Path
) -> None:
    from vmon.ml import report

    mdir = tmp_path / "m"
    mdir.mkdir()
    s = result.summary()
    card = report.update_card(mdir, model.meta, s)
    text = card.read_text()
    o = s["overall"]
    row = next(ln for ln in text.splitlines() if ln.startswith(f"| {s['dataset']} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:4] == ["6306", "1", "5"]
    assert cells[4] == f"{o['normal_raised']:.3f}" and cells[6] == f"{o['fault_raised']:.3f}"
    # A second dataset adds a row; an entry of another model is stale and not shown.
    other = {**s, "dataset": "other-rig"}
    report.update_card(mdir, model.meta, other)
    detection = json.loads((mdir / report.DETECTION_FILE).read_text())
    detection["stale"] = {**detection["other-rig"], "model_sha256": "0" * 64}
    (mdir / report.DETECTION_FILE).write_text(json.dumps(detection))
    report.update_card(mdir, model.meta, s)
    rows = [ln for ln in card.read_text().splitlines() if ln.startswith("| ")]
    assert any(r.startswith("| other-rig |") for r in rows)
    assert not any(r.startswith("| stale |") for r in rows)
    # A damaged file is a one-line error, and the card is left as it was.
    before = card.read_text()
    (mdir / report.DETECTION_FILE).write_text("{not json")
    with pytest.raises(VmonError, match="unreadable"):
        report.update_card(mdir, model.meta, s)
    assert card.read_text() == before


@pytest.mark.parametrize(
    "model_dir",
    sorted(p.parent for p in (REPO_ROOT / "models").glob("*/model.json")),
    ids=lambda p: p.name,
)
def test_the_shipped_model_card_is_current(model_dir: Path, tmp_path: Path) -> None:
    from vmon.ml import report

    model = load_model_dir(model_dir)
    path = model.path / report.DETECTION_FILE
    detection = json.loads(path.read_text()) if path.exists() else None
    report.write_card(tmp_path / "README.md", model.meta, detection)
    assert (model.path / "README.md").read_text() == (tmp_path / "README.md").read_text(), (
        f"{model.path.name}/README.md is stale: run `invoke retrain` or `invoke evaluate --card`"
    )
