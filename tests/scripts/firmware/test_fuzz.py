"""libFuzzer targets on native_sim (clang, ASan, UBSan), each for a bounded time.

The configuration decoder (LoRaWAN downlinks, BLE configuration writes) fuzzed through
vmon_reporting_config(): the target itself checks that a refused input changes nothing and
that an accepted one is applied as decoded and is its content's only encoding. The
commissioning baseline's settings record (baseline_decode()): refusals are the documented
ones, an accepted record is canonical and scoring against it is defined. The replay frame
parser: a stream fed whole and in random chunks gives the same blocks and counters, and every
block is a frame of the stream. A check that fails,
a sanitizer report or a crash leaves a crash input and fails this test.
``VMON_FUZZ_SECONDS`` sets the time (default 30 s; issue #17 caps it at 60 s in CI); longer
runs: ``invoke fuzz --seconds 600``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from test_replay import firmware_or_skip

from vmon import codec
from vmon.dsp import container
from vmon.firmware import fuzz

SECONDS = int(os.environ.get("VMON_FUZZ_SECONDS", "30"))


def test_config_seeds_cover_every_group() -> None:
    # Seeds the schema no longer accepts would start the fuzzer from refusals only.
    seeds = sorted((fuzz.target_dir("config") / "corpus").iterdir())
    assert len(seeds) >= 5
    groups: set[str] = set()
    for seed in seeds:
        record = codec.decode(seed.read_bytes(), direction="downlink")
        assert record["type"] == "config", seed.name
        groups |= set(record) - {"type", "seq", "version"}
    # Every group of the schema's config downlink, so the fuzzer starts from each.
    config = next(m for m in codec.SCHEMA["messages"] if m["name"] == "config")
    assert groups == {g["name"] for g in config["groups"]}


@pytest.mark.parametrize("name", ["baseline", "replay"])
def test_generated_seeds_are_current(name: str) -> None:
    # The committed seeds are what the target's generator writes (the record layout of
    # baseline.h, the replay frame of vmon.firmware.replay).
    path = fuzz.target_dir(name) / "scripts" / "gen_corpus.py"
    spec = importlib.util.spec_from_file_location(f"gen_corpus_{name}", path)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    corpus = fuzz.target_dir(name) / "corpus"
    want = gen.seeds()
    assert want and {p.name: p.read_bytes() for p in corpus.iterdir()} == want


def test_container_seeds_are_well_formed() -> None:
    # Signed with keys that were dropped: only their structure can be checked, and it must be
    # the current format's (a stale seed would stop at the first check).
    seeds = sorted((fuzz.target_dir("container") / "corpus").iterdir())
    assert len(seeds) >= 5
    for path in seeds:
        data = path.read_bytes()[1:]
        h = container.parse_header(data)
        assert data[:4] == container.MAGIC and h.header_len == container.HEADER_LEN, path.name
        assert len(data) == container.PREFIX_LEN + h.payload_len, path.name


@pytest.mark.firmware
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(fuzz.TARGETS))
def test_fuzz_target_finds_nothing(
    name: str, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    firmware_or_skip(f"fuzz target {name}")
    missing = fuzz.missing_tools()
    if missing:
        pytest.skip(f"fuzz target {name} skipped: missing {', '.join(missing)} (scripts/setup.sh)")
    result = fuzz.run(name, SECONDS, tmp_path)
    record_property("runs", result.runs)
    record_property("coverage", result.coverage)
    print(
        f"fuzz {name}: {result.runs:,} runs in {result.seconds:.0f} s, cov {result.coverage}, "
        f"ft {result.features}, corpus {result.corpus}"
    )
    assert not result.crashes, f"crash inputs: {result.crashes}; log {result.log}"
    # Thousands of runs a second are expected; a target that barely runs tests nothing.
    assert result.runs >= 100 * SECONDS, result.log.read_text()[-2000:]
    assert result.coverage > 0
