"""Hardware-in-the-loop tests (`invoke test --hw MAP.yaml`, docs/hil.md).

The boards on the bench are described by a twister hardware map (``twister
--generate-hardware-map``): a YAML list with one entry per board. This module checks that
map before twister sees it, so a typo is one line instead of twister's traceback, and builds
the twister command that flashes and runs the scenarios under ``tests/hw`` on the boards
that are connected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

#: The hardware scenarios; the normal `invoke test` run leaves them out by their tag.
HW_TESTS = REPO_ROOT / "tests" / "hw"
#: Tag of every scenario under tests/hw.
HW_TAG = "hw"
#: Tag of the long scenarios (1 h): run only with `invoke test --hw MAP --hw-long`.
HW_LONG_TAG = "hw_long"
#: twister's folder for the hardware runs, beside the QEMU run's build/twister.
OUTDIR = REPO_ROOT / "build" / "twister-hw"


# twister v3.7's hardware map schema (scripts/schemas/twister/hwmap-schema.yaml).
_REQUIRED: dict[str, type] = {
    "connected": bool,
    "id": str,
    "platform": str,
    "product": str,
    "runner": str,
}
_OPTIONAL: dict[str, type] = {
    "available": bool,
    "notes": str,
    "probe_id": str,
    "runner_params": list,
    "serial_pty": str,
    "serial": str,
    "baud": int,
    "post_script": str,
    "post_flash_script": str,
    "pre_script": str,
    "fixtures": list,
    "flash_timeout": int,
    "flash_with_test": bool,
    "flash_before": bool,
}


@dataclass(frozen=True)
class Dut:
    """One board of the hardware map."""

    platform: str
    id: str
    runner: str
    connected: bool
    serial: str | None = None
    fixtures: tuple[str, ...] = field(default_factory=tuple)


def _type_name(kind: type) -> str:
    return {bool: "true or false", str: "a string", int: "a number", list: "a list"}[kind]


def _check_entry(where: str, entry: object) -> Dut:
    if not isinstance(entry, dict):
        raise VmonError(f"{where}: an entry must be a mapping (platform, id, serial, ...)")
    unknown = sorted(str(key) for key in entry if key not in _REQUIRED and key not in _OPTIONAL)
    if unknown:
        raise VmonError(f"{where}: unknown field {unknown[0]!r} (twister rejects it)")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise VmonError(f"{where}: missing {', '.join(missing)}")
    for key, value in entry.items():
        kind = {**_REQUIRED, **_OPTIONAL}[key]
        # bool is an int in Python; YAML's `true` is no baud rate.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            hint = " (quote it)" if kind is str and isinstance(value, int | float) else ""
            raise VmonError(f"{where}: {key} must be {_type_name(kind)}{hint}, not {value!r}")
    for key in ("fixtures", "runner_params"):
        items = entry.get(key, [])
        if not all(isinstance(item, str) for item in items):
            raise VmonError(f"{where}: every item of {key} must be a string")
    serial = entry.get("serial") or entry.get("serial_pty")
    if entry["connected"] and not serial:
        raise VmonError(f"{where}: a connected board needs serial (or serial_pty)")
    return Dut(
        platform=entry["platform"],
        id=entry["id"],
        runner=entry["runner"],
        connected=entry["connected"],
        serial=serial,
        fixtures=tuple(entry.get("fixtures", [])),
    )


def load_map(path: Path) -> list[Dut]:
    """The boards of a twister hardware map; VmonError (one line) when it is not one."""
    if not path.is_file():
        raise VmonError(
            f"hardware map {path} not found; write one with 'twister --generate-hardware-map "
            f"{path.name}' (docs/hil.md)"
        )
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as err:
        line = f" at line {err.problem_mark.line + 1}" if err.problem_mark else ""
        raise VmonError(f"hardware map {path} is not YAML: {err.problem}{line}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise VmonError(f"hardware map {path} is not YAML ({type(err).__name__})") from None
    if not isinstance(doc, list) or not doc:
        raise VmonError(
            f"hardware map {path} must be a YAML list of boards (platform, id, serial, "
            "connected, runner, product), as 'twister --generate-hardware-map' writes it"
        )
    return [_check_entry(f"hardware map {path}, entry {i + 1}", e) for i, e in enumerate(doc)]


def _merged(common: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """A scenario's settings as twister merges them: lists and strings add up, others win."""
    out = dict(common)
    for key, value in own.items():
        before = out.get(key)
        if isinstance(before, list | str) and isinstance(value, list | str):
            as_list = [v.split() if isinstance(v, str) else list(v) for v in (before, value)]
            out[key] = as_list[0] + as_list[1]
        else:
            out[key] = value
    return out


def hw_scenarios(root: Path = HW_TESTS) -> dict[str, dict[str, Any]]:
    """Every hardware scenario by name, with its `common` settings merged in."""
    scenarios: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("testcase.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        common = doc.get("common") or {}
        for name, own in (doc.get("tests") or {}).items():
            scenarios[name] = _merged(common, own or {})
    return scenarios


def hw_platforms(root: Path = HW_TESTS) -> list[str]:
    """The boards the hardware scenarios run on (their platform_allow)."""
    boards: set[str] = set()
    for scenario in hw_scenarios(root).values():
        boards.update(scenario.get("platform_allow") or [])
    return sorted(boards)


def skipped_line(root: Path = HW_TESTS) -> str:
    """What `invoke test` says, once, when it runs without a hardware map."""
    return (
        f"hardware tests skipped: no hardware map; {len(hw_scenarios(root))} scenarios in "
        "tests/hw not run; run them with 'invoke test --hw MAP.yaml' (docs/hil.md)"
    )


def platforms_to_test(duts: Sequence[Dut], supported: Sequence[str], path: Path) -> list[str]:
    """The connected boards of the map that the hardware tests run on, in map order."""
    connected = [d.platform for d in duts if d.connected]
    if not connected:
        raise VmonError(f"hardware map {path}: no board is connected (connected: true)")
    chosen = [p for i, p in enumerate(connected) if p in supported and p not in connected[:i]]
    if not chosen:
        # --generate-hardware-map writes "unknown" for a board it cannot name.
        hint = "; name the 'unknown' boards" if "unknown" in connected else ""
        raise VmonError(
            f"hardware map {path}: no connected board the hardware tests run on "
            f"(connected: {', '.join(sorted(set(connected)))}; "
            f"supported: {', '.join(supported)}){hint}"
        )
    return chosen


def fixtures_needed(root: Path = HW_TESTS) -> list[str]:
    """The twister fixtures the hardware scenarios ask of a board (harness_config.fixture)."""
    return sorted(
        {
            str(s["harness_config"]["fixture"])
            for s in hw_scenarios(root).values()
            if (s.get("harness_config") or {}).get("fixture")
        }
    )


def missing_fixtures(
    duts: Sequence[Dut], platforms: Sequence[str], path: Path, root: Path = HW_TESTS
) -> list[str]:
    """One warning per connected board that lacks a fixture the scenarios need.

    With --device-testing twister filters the scenarios out on such a board ("not runnable
    on device"). When no board has them all nothing would run: a one-line error instead.
    """
    needed = fixtures_needed(root)
    warnings: list[str] = []
    ready = 0
    for dut in duts:
        if not dut.connected or dut.platform not in platforms:
            continue
        have = {f.split(":")[0] for f in dut.fixtures}
        lacking = [f for f in needed if f not in have]
        if lacking:
            warnings.append(
                f"{dut.platform} {dut.id} lacks fixture {', '.join(lacking)}: "
                "twister skips the hardware tests on it"
            )
        else:
            ready += 1
    if needed and ready == 0:
        raise VmonError(
            f"hardware map {path}: no connected board lists the fixture {', '.join(needed)}; "
            f"add 'fixtures: [{', '.join(needed)}]' to the entry of each board with the "
            "ICM-42688-P attached (docs/hil.md)"
        )
    return warnings


def twister_command(
    twister: Path,
    hardware_map: Path,
    platforms: Sequence[str],
    cmake_args: Sequence[str],
    long: bool = False,
    outdir: Path = OUTDIR,
) -> list[str]:
    """The twister command that flashes and runs tests/hw on the map's boards."""
    cmd = [
        str(twister),
        "--device-testing",
        "--hardware-map",
        str(hardware_map),
        "-T",
        str(HW_TESTS),
        # vmon's own boards (vmon_node): twister knows only the board roots of west's modules.
        "--board-root",
        str(REPO_ROOT / "boards"),
        "--outdir",
        str(outdir),
        "--inline-logs",
        "--clobber-output",
    ]
    for platform in platforms:
        cmd += ["-p", platform]
    for arg in cmake_args:
        cmd += ["-x", arg.removeprefix("-D")]
    # The 1 h scenario is also `slow: true`, so a plain twister run builds it only.
    cmd += ["--enable-slow"] if long else ["-e", HW_LONG_TAG]
    return cmd


def device_runs(report: Path) -> int:
    """Configurations of a twister.json that ran on a board (not filtered, not build-only)."""
    return sum(
        1
        for suite in json.loads(report.read_text()).get("testsuites", [])
        if suite.get("status") != "filtered" and suite.get("runnable", True)
    )
