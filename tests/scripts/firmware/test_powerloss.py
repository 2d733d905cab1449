"""The store-and-forward queue under power loss: native_sim, the flash simulator in a file.

tests/app/modules/reporting_powerloss publishes an event every 25 ms for 400 ms after each
boot through the reporting module (queue on NVS) to a transport that takes 4 ms per record
and prints each before it reports it delivered. The test kills the process (SIGKILL: no
shutdown, the flash file as it was) at random points, restarts it on the same flash file,
and after the last kill lets it drain. Every record the node reported stored must be
delivered, the first deliveries in sequence order, duplicates (delivered, then killed before
the removal) byte for byte the same record, and nothing delivered that does not decode.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import time
from pathlib import Path

import pytest
from test_replay import firmware_or_skip

from vmon import codec
from vmon.firmware import native
from vmon.paths import REPO_ROOT

NODE = REPO_ROOT / "tests" / "app" / "modules" / "reporting_powerloss"
BOARD = "native_sim/native/64"
KILLS = int(os.environ.get("VMON_POWERLOSS_KILLS", "200"))
STORED = re.compile(r"queue: stored (\d+)")
UP = re.compile(r'^@vmon up \{"seq":(\d+),"hex":"([0-9a-f]+)"\}$')
DRAINED = re.compile(r"@vmon test drained \(boots (\d+), dropped (\d+), corrupt (\d+)")


def run_once(exe: Path, flash: Path, kill_after: float | None) -> list[str]:
    """One boot: killed after ``kill_after`` s, or (None) run until the queue drained."""
    proc = subprocess.Popen(
        [str(exe), f"--flash={flash}"],
        cwd=flash.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    if kill_after is not None:
        time.sleep(kill_after)
        proc.kill()
        out = proc.stdout.read()
        proc.wait()
        lines = out.split("\n")
        return lines[:-1]  # the last one may be cut by the kill
    lines = []
    deadline = time.monotonic() + 30
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if DRAINED.search(line) or time.monotonic() > deadline:
                break
    finally:
        proc.kill()
        proc.wait()
    return lines


@pytest.mark.firmware
@pytest.mark.slow
def test_no_record_lost_or_corrupted_over_power_kills(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    firmware_or_skip("power-loss test")
    exe = native.build(NODE, "reporting-powerloss", BOARD)
    flash = tmp_path / "flash.bin"
    rng = random.Random(20261206)
    stored: set[int] = set()
    delivered: dict[int, str] = {}
    order: list[int] = []
    duplicates = 0
    started = time.monotonic()
    for k in range(KILLS + 1):
        final = k == KILLS
        lines = run_once(exe, flash, None if final else rng.uniform(0.005, 0.45))
        for line in lines:
            if m := STORED.search(line):
                stored.add(int(m.group(1)))
            elif m := UP.match(line):
                seq, hexa = int(m.group(1)), m.group(2)
                rec = codec.decode(bytes.fromhex(hexa))  # a corrupt record raises here
                assert rec["seq"] == seq & 0xFFFF, line
                if seq in delivered:
                    assert delivered[seq] == hexa, f"record {seq} delivered twice, differently"
                    duplicates += 1
                else:
                    delivered[seq] = hexa
                    order.append(seq)
        if final:
            drained = [m for ln in lines if (m := DRAINED.search(ln))]
            assert drained, "the queue never drained:\n" + "\n".join(lines[-40:])
            boots, dropped, corrupt = (int(g) for g in drained[0].groups())
    missing = sorted(stored - delivered.keys())
    assert not missing, f"{len(missing)} stored records never delivered: {missing[:20]}"
    assert order == sorted(order), "records delivered out of order"
    # The final boot's own counters: nothing dropped or found corrupt while draining.
    assert (dropped, corrupt) == (0, 0), (dropped, corrupt)
    # One flash file throughout: the boot count grew with (nearly) every kill; a kill in the
    # first milliseconds comes before the queue's mount counts the boot.
    assert boots >= KILLS // 2, boots
    assert len(stored) >= 5 * KILLS  # the kills fell while records were produced
    for key, value in {
        "kills": KILLS,
        "stored": len(stored),
        "delivered": len(delivered),
        "duplicates_dropped": duplicates,
        "seconds": round(time.monotonic() - started, 1),
    }.items():
        record_property(key, value)
    print(
        f"power loss: {KILLS} kills, {len(stored)} records stored, {len(delivered)} delivered "
        f"({duplicates} duplicates dropped), 0 lost, 0 corrupt"
    )
