"""Workspace discovery and the build environment for Debian's toolchain."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmon.errors import VmonError
from vmon.firmware import workspace


def fake_zephyr(root: Path) -> Path:
    base = root / "zephyr"
    (base / "cmake" / "modules").mkdir(parents=True)
    (base / "cmake" / "modules" / "zephyr_default.cmake").write_text("")
    (base / "VERSION").write_text("VERSION_MAJOR = 3\nVERSION_MINOR = 7\nPATCHLEVEL = 1\n")
    board = base / "boards" / "qemu" / "cortex_m3"
    board.mkdir(parents=True)
    (board / "board.yml").write_text("board:\n  name: qemu_cortex_m3\n  vendor: qemu\n")
    return base


def test_zephyr_base_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = fake_zephyr(tmp_path / "ws")
    monkeypatch.setenv("ZEPHYR_BASE", str(base))
    ws = workspace.find_workspace()
    assert ws is not None
    assert ws.zephyr_base == base.resolve()
    assert ws.version() == "3.7.1"


def test_home_workspace_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert workspace.find_workspace() is None
    fake_zephyr(tmp_path / "zephyrproject")
    ws = workspace.find_workspace()
    assert ws is not None and ws.topdir == (tmp_path / "zephyrproject").resolve()


def test_unknown_board_is_rejected(tmp_path: Path) -> None:
    ws = workspace.Workspace(fake_zephyr(tmp_path))
    workspace.check_board(ws, "qemu_cortex_m3")
    with pytest.raises(VmonError, match="unknown board 'qemu_cortex_m9'"):
        workspace.check_board(ws, "qemu_cortex_m9")


def test_build_env_uses_debian_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = workspace.Workspace(fake_zephyr(tmp_path))
    monkeypatch.delenv("ZEPHYR_TOOLCHAIN_VARIANT", raising=False)
    gcc = tmp_path / "toolchain" / "bin" / "arm-none-eabi-gcc"
    gcc.parent.mkdir(parents=True)
    gcc.write_text("#!/bin/sh\n")
    gcc.chmod(0o755)
    monkeypatch.setenv("PATH", str(gcc.parent))
    env = workspace.build_env(ws)
    assert env["ZEPHYR_TOOLCHAIN_VARIANT"] == "gnuarmemb"
    assert env["GNUARMEMB_TOOLCHAIN_PATH"] == str((tmp_path / "toolchain").resolve())
    assert env["ZEPHYR_TOOLCHAIN_SUPPORTS_THREAD_LOCAL_STORAGE"] == "y"
    assert workspace.cmake_args(env) == ["-DTOOLCHAIN_HAS_PICOLIBC=ON"]


def test_missing_tools_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VmonError, match=r"arm-none-eabi-gcc.*scripts/setup.sh"):
        workspace.require_tools()


def test_console_lines_are_cleaned() -> None:
    from vmon.firmware.build import clean_console_line

    raw = (
        "\x1b[1;32muart:~$ \x1b[m\x1b[8D\x1b[J"
        "[00:00:00.000,000] \x1b[0m<inf> vmon_main: vmon: ready\x1b[0m\r\n"
    )
    assert clean_console_line(raw) == "[00:00:00.000,000] <inf> vmon_main: vmon: ready"


@pytest.mark.parametrize(
    ("replay", "debug", "folder", "extra"),
    [
        (False, False, "qemu_cortex_m3", None),
        (True, False, "qemu_cortex_m3-replay", "-DEXTRA_CONF_FILE=replay.conf"),
        (False, True, "qemu_cortex_m3-debug", "-DEXTRA_CONF_FILE=debug.conf"),
        (True, True, "qemu_cortex_m3-replay-debug", "-DEXTRA_CONF_FILE=replay.conf;debug.conf"),
    ],
)
def test_build_variants_have_their_own_folder_and_conf(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replay: bool,
    debug: bool,
    folder: str,
    extra: str | None,
) -> None:
    from vmon.firmware import build as firmware

    base = fake_zephyr(tmp_path / "ws")
    monkeypatch.setenv("ZEPHYR_BASE", str(base))
    monkeypatch.setattr(workspace, "require_tools", lambda: None)
    monkeypatch.setattr(workspace, "build_dir", lambda board: tmp_path / "build" / board)
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], env: dict[str, str], log: Path, what: str) -> None:
        calls.append(cmd)
        bdir = Path(cmd[cmd.index("-d") + 1])
        (bdir / "zephyr").mkdir(parents=True)
        (bdir / "zephyr" / "zephyr.elf").write_bytes(b"\x7fELF")

    monkeypatch.setattr(firmware, "_run_logged", fake_run)
    monkeypatch.setattr(firmware, "REPO_ROOT", tmp_path)
    elf = firmware.build("qemu_cortex_m3", replay=replay, debug=debug)
    assert elf == tmp_path / "build" / folder / "zephyr" / "zephyr.elf"
    (cmd,) = calls
    extras = [arg for arg in cmd if arg.startswith("-DEXTRA_CONF_FILE=")]
    assert extras == ([extra] if extra else [])


def test_run_without_debug_build_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vmon.firmware import build as firmware

    monkeypatch.setattr(workspace, "build_dir", lambda board: tmp_path / "build" / board)
    with pytest.raises(VmonError, match=r"'invoke build --board qemu_cortex_m3 --debug' first"):
        firmware._require_build("qemu_cortex_m3", debug=True)
