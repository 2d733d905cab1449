"""`invoke retrain --fs-hz`: the band plan a deployment rate gives, and the one-line refusals."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from vmon import data
from vmon.data import synth
from vmon.data.importers import cwru
from vmon.dsp import features as feat
from vmon.errors import VmonError
from vmon.ml import deployment, train
from vmon.paths import REPO_ROOT


def rig(fs: float = 12_000.0, meta: dict[str, object] | None = None) -> data.Dataset:
    ds = synth.generate_dataset(fs=fs, seconds=0.5, loads=(0.0, 1.0), seed=3)
    return data.Dataset("rig", ds.recordings, meta=meta or {})


def cwru_like() -> data.Dataset:
    return rig(meta={"source_repo": cwru.SOURCE_REPO, "channel": "DE_time (drive-end)"})


def test_without_a_rate_the_default_plan_stays_and_gains_its_path() -> None:
    cfg = deployment.features_for(rig(), feat.FeatureConfig())
    assert cfg.hash == feat.FeatureConfig().hash
    assert [p.path for p in cfg.sensors] == ["replay"]
    assert cfg.sensors[0].bandwidth_hz == 4800.0
    deployment.check_paths(cfg)
    # The explicit default rate gives the same features.
    assert deployment.features_for(rig(), feat.FeatureConfig(), 12_000.0).hash == cfg.hash


def test_8k_plan_ends_at_the_lowest_usable_bandwidth() -> None:
    cfg = deployment.features_for(cwru_like(), feat.FeatureConfig(), 8000.0)
    paths = {p.path: p for p in cfg.sensors}
    assert set(paths) == {"replay", "icm42688"}
    assert paths["replay"].bandwidth_hz == 3200.0
    # The ICM-42688-P as the FIFO source leaves it: anti-alias filter at 1163 Hz.
    assert cfg.f_max_hz == 930.0 == int(paths["icm42688"].bandwidth_hz)
    assert cfg.fs_hz == 8000.0 and cfg.n_bands == 32 and cfg.band_edges[-1] == 120
    deployment.check_paths(cfg)
    assert "usable to 4800 Hz" in paths["replay"].anti_aliasing  # the importer's word


def test_the_analog_path_is_recorded_only_where_the_plan_fits_it() -> None:
    # 12 kHz: the plan reaches 4800 Hz, the vmon node's 5 kHz RC filter carries 4000 Hz.
    assert "saadc" not in [
        p.path for p in deployment.features_for(rig(), feat.FeatureConfig()).sensors
    ]
    # 10 kHz: the replay rule gives 4000 Hz, which the analog path carries; it does not set
    # the plan.
    cfg = deployment.features_for(cwru_like(), feat.FeatureConfig(), 10_000.0)
    paths = {p.path: p for p in cfg.sensors}
    assert set(paths) == {"replay", "saadc"}
    assert cfg.f_max_hz == 4000.0 == paths["saadc"].bandwidth_hz
    deployment.check_paths(cfg)
    # 8 kHz: below twice the filter's 5 kHz the firmware refuses the analog path.
    cfg8 = deployment.features_for(cwru_like(), feat.FeatureConfig(), 8000.0)
    assert "saadc" not in [p.path for p in cfg8.sensors]


def test_cwru_12k_recordings_are_usable_to_4800_hz() -> None:
    note = cwru.recordings_note(cwru_like())
    assert note is not None and note["usable_hz"] == 4800.0 and note["verified"]
    assert cwru.recordings_note(rig()) is None
    assert deployment.data_bandwidth(rig(meta={"usable_bandwidth_hz": 3000.0})) == 3000.0


def test_upsampling_beyond_the_recordings_is_refused() -> None:
    with pytest.raises(VmonError) as err:
        deployment.features_for(rig(), feat.FeatureConfig(), 16_000.0)
    msg = str(err.value)
    assert "usable signal only up to 4800 Hz; a 16000 Hz model needs it up to 6400 Hz" in msg
    assert "choose --fs-hz 12000 or lower" in msg and "\n" not in msg


def test_a_rate_that_leaves_no_band_is_refused() -> None:
    # ICM at 32 kHz behind its 1163 Hz filter: 930 Hz is 29 bins of 31.25 Hz, not 32 bands.
    with pytest.raises(VmonError, match=r"at 32000 Hz the band plan ends at 930 Hz .*32 bands"):
        deployment.features_for(rig(48_000.0), feat.FeatureConfig(), 32_000.0)
    with pytest.raises(VmonError, match="leaves no feature plan: velocity band"):
        deployment.features_for(rig(), feat.FeatureConfig(), 1000.0)


@pytest.mark.parametrize("value", ["abc", "0", "-8000", "7999.5", "nan", "inf"])
def test_bad_rates_are_one_line(value: str) -> None:
    with pytest.raises(VmonError, match="--fs-hz must be a whole, positive number of Hz"):
        deployment.parse_rate(value)


def test_a_plan_above_a_path_is_refused() -> None:
    cfg = deployment.features_for(cwru_like(), feat.FeatureConfig(), 8000.0)
    wide = replace(cfg, f_max_hz=3200.0, band_edges=())
    with pytest.raises(VmonError, match=r"icm42688 path .* usable only up to 930\.4 Hz"):
        deployment.check_paths(wide)


def test_task_options_are_parsed() -> None:
    tc = train.config_from_options(name="m", seed="7", epochs="3", split="load", fs_hz="8000")
    assert (tc.name, tc.seed, tc.epochs, tc.split, tc.fs_hz) == ("m", 7, 3, "load", 8000.0)
    with pytest.raises(VmonError, match="--epochs must be a whole number of at least 1"):
        train.config_from_options(epochs="0")
    with pytest.raises(VmonError, match="--seed must be a whole number of at least 0"):
        train.config_from_options(seed="x")


def test_retrain_task_refuses_a_rate_in_one_line(tmp_path: Path) -> None:
    path = data.save_dataset(rig(), tmp_path / "rig.npz")
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("invoke")),
            "retrain",
            "--data",
            str(path),
            "--fs-hz",
            "16000",
            "--out",
            str(tmp_path / "m"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "a 16000 Hz model needs it up to 6400 Hz" in lines[0], run.stderr
    assert not (tmp_path / "m").exists()
