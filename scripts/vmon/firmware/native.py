"""Zephyr images for the host (native_sim): fuzz targets (clang) and the BLE node (gcc)."""

from __future__ import annotations

from pathlib import Path

from vmon.errors import VmonError
from vmon.firmware import build as firmware
from vmon.firmware import workspace
from vmon.paths import REPO_ROOT


def build(source: Path, name: str, board: str, toolchain: str = "host") -> Path:
    """Build ``source`` for ``board`` into build/<name> with the host's ``toolchain``
    (Zephyr's ZEPHYR_TOOLCHAIN_VARIANT: host = gcc, llvm = clang); return zephyr.exe."""
    ws = workspace.require_workspace()
    env = workspace.build_env(ws)
    # The host's compiler, not the cross toolchain the app builds use.
    env["ZEPHYR_TOOLCHAIN_VARIANT"] = toolchain
    for key in ("GNUARMEMB_TOOLCHAIN_PATH", "ZEPHYR_TOOLCHAIN_SUPPORTS_THREAD_LOCAL_STORAGE"):
        env.pop(key, None)
    bdir = REPO_ROOT / "build" / name
    cmd = firmware._west("build", "-b", board, "-d", str(bdir), str(source))
    firmware._run_logged(cmd, env, bdir.parent / f"{bdir.name}.build.log", f"building {name}")
    exe = bdir / "zephyr" / "zephyr.exe"
    if not exe.is_file():
        raise VmonError(f"build of {name} finished but {exe.relative_to(REPO_ROOT)} is missing")
    return exe
