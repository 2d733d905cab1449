"""Find the Zephyr workspace and the toolchain, and say what to do when they are missing.

The workspace lives outside the repository (docs/workspace.md): ``$ZEPHYR_BASE`` when set,
else the west workspace at ``~/zephyrproject``.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from vmon.errors import VmonError
from vmon.paths import REPO_ROOT

DEFAULT_TOPDIR = Path("~/zephyrproject")
NO_WORKSPACE = "no Zephyr workspace (ZEPHYR_BASE or ~/zephyrproject)"

#: The boards CI runs on: Cortex-M3 without DSP, and the Cortex-M33 with FPU and DSP
#: extension that stands in for the nRF52840's Cortex-M4F.
QEMU_BOARDS = ("qemu_cortex_m3", "mps2/an521/cpu1")

#: Hardware boards CI builds without running (their scenarios are build_only): the product
#: radio builds, held to app/budgets.yaml; vmon_node is vmon's own board (boards/vmon).
BUILD_ONLY_BOARDS = ("nrf52840dk/nrf52840", "rak4631/nrf52840", "vmon_node/nrf52840")

#: Debian packages that provide the cross toolchain and QEMU (scripts/setup.sh installs them).
TOOLCHAIN_PACKAGES = "gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm"


@dataclass(frozen=True)
class Workspace:
    zephyr_base: Path

    @property
    def topdir(self) -> Path:
        return self.zephyr_base.parent

    @property
    def twister(self) -> Path:
        return self.zephyr_base / "scripts" / "twister"

    def version(self) -> str:
        fields: dict[str, str] = {}
        for line in (self.zephyr_base / "VERSION").read_text().splitlines():
            key, _, value = line.partition("=")
            fields[key.strip()] = value.strip()
        parts = (fields.get(key, "?") for key in ("VERSION_MAJOR", "VERSION_MINOR", "PATCHLEVEL"))
        return ".".join(parts)


def _is_zephyr(path: Path) -> bool:
    return (path / "VERSION").is_file() and (
        path / "cmake" / "modules" / "zephyr_default.cmake"
    ).is_file()


def find_workspace() -> Workspace | None:
    """The workspace from ``$ZEPHYR_BASE`` or ``~/zephyrproject``; None when there is none."""
    env = os.environ.get("ZEPHYR_BASE")
    if env:
        base = Path(env).expanduser()
        if not _is_zephyr(base):
            raise VmonError(
                f"ZEPHYR_BASE={env} is not a Zephyr tree; "
                "unset it or point it at <workspace>/zephyr"
            )
        return Workspace(base.resolve())
    base = DEFAULT_TOPDIR.expanduser() / "zephyr"
    return Workspace(base.resolve()) if _is_zephyr(base) else None


def require_workspace() -> Workspace:
    ws = find_workspace()
    if ws is None:
        raise VmonError(
            f"{NO_WORKSPACE}: set up the workspace as in docs/workspace.md or export ZEPHYR_BASE"
        )
    return ws


def missing_tools() -> list[str]:
    """Host tools a firmware build and a QEMU run need that are not on PATH."""
    tools = ("arm-none-eabi-gcc", "cmake", "ninja", "dtc", "qemu-system-arm")
    return [tool for tool in tools if shutil.which(tool) is None]


def require_tools() -> None:
    missing = missing_tools()
    if missing:
        raise VmonError(
            f"missing build tools: {', '.join(missing)}; run scripts/setup.sh (or apt-get install "
            f"{TOOLCHAIN_PACKAGES} cmake ninja-build device-tree-compiler)"
        )


def build_env(ws: Workspace) -> dict[str, str]:
    """Environment for west/CMake/twister with Debian's toolchain (docs/workspace.md)."""
    env = dict(os.environ)
    env["ZEPHYR_BASE"] = str(ws.zephyr_base)
    # CMake and twister find Python through PATH: make it this interpreter (the venv's), which
    # has Zephyr's build-time packages.
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "")])
    if "ZEPHYR_TOOLCHAIN_VARIANT" not in env:
        gcc = shutil.which("arm-none-eabi-gcc")
        if gcc:
            env["ZEPHYR_TOOLCHAIN_VARIANT"] = "gnuarmemb"
            env["GNUARMEMB_TOOLCHAIN_PATH"] = str(Path(gcc).resolve().parent.parent)
    # picolibc's errno is thread-local; without this, links on mps2/an521 fail with an
    # orphan .tbss section.
    env.setdefault("ZEPHYR_TOOLCHAIN_SUPPORTS_THREAD_LOCAL_STORAGE", "y")
    return env


def cmake_args(env: dict[str, str]) -> list[str]:
    """CMake cache entries the toolchain needs: Debian's toolchain ships picolibc."""
    if env.get("ZEPHYR_TOOLCHAIN_VARIANT") == "gnuarmemb":
        return ["-DTOOLCHAIN_HAS_PICOLIBC=ON"]
    return []


def known_boards(ws: Workspace) -> set[str]:
    """Board names (without qualifiers) from Zephyr's and vmon's board roots."""
    names: set[str] = set()
    for root in (ws.zephyr_base / "boards", REPO_ROOT / "boards"):
        for board_yml in root.rglob("board.yml"):
            try:
                doc = yaml.safe_load(board_yml.read_text()) or {}
            except yaml.YAMLError:
                continue
            entries = doc.get("boards") or [doc.get("board")]
            names.update(str(b["name"]) for b in entries if isinstance(b, dict) and "name" in b)
    return names


def check_board(ws: Workspace, board: str) -> None:
    name = board.split("/", 1)[0]
    if not name or name not in known_boards(ws):
        raise VmonError(
            f"unknown board '{board}'; list boards with 'west boards' "
            f"(CI uses {', '.join(QEMU_BOARDS)})"
        )


def build_dir(board: str) -> Path:
    """Per-board build folder, so builds for several boards coexist."""
    return REPO_ROOT / "build" / board.replace("/", "_")
