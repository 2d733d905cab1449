"""Build, run and flash the firmware with west, using the pinned Zephyr workspace."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from queue import Empty, Queue

from rich.console import Console

from vmon.errors import VmonError
from vmon.firmware import workspace
from vmon.paths import REPO_ROOT

console = Console()

APP_DIR = REPO_ROOT / "app"


def _variant_dir(board: str, replay: bool = False, debug: bool = False) -> Path:
    """build/<board>[-replay][-debug]: each configuration keeps its own build folder."""
    bdir = workspace.build_dir(board)
    suffix = ("-replay" if replay else "") + ("-debug" if debug else "")
    return bdir.with_name(bdir.name + suffix)


def _require_build(board: str, debug: bool = False) -> Path:
    bdir = _variant_dir(board, debug=debug)
    if not (bdir / "zephyr" / "zephyr.elf").is_file():
        flag = " --debug" if debug else ""
        raise VmonError(f"no build for {board}; run 'invoke build --board {board}{flag}' first")
    return bdir


# Colour codes and the shell's prompt redraws, which the shell interleaves with log lines.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PROMPT = re.compile(r"^(uart:~\$ )+")


def clean_console_line(line: str) -> str:
    """A console line as a person reads it: no colour codes, no echoed shell prompt."""
    return _PROMPT.sub("", _ANSI.sub("", line).replace("\r", "")).rstrip()


def _west(*args: str) -> list[str]:
    # The venv's west, whatever `west` on PATH is.
    return [sys.executable, "-m", "west", *args]


def _run_logged(cmd: list[str], env: dict[str, str], log: Path, what: str) -> None:
    """Run a long command with a spinner; log all output, show the tail on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=25)
    with console.status(f"{what} (log: {log.relative_to(REPO_ROOT)})"), log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            tail.append(line.rstrip())
        code = proc.wait()
    if code != 0:
        for line in tail:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        raise VmonError(f"{what} failed (exit {code}); full log in {log.relative_to(REPO_ROOT)}")


def build(
    board: str = "qemu_cortex_m3",
    pristine: bool = False,
    replay: bool = False,
    model_dir: Path | None = None,
    source: Path | None = None,
    build_dir: Path | None = None,
    debug: bool = False,
    cmake_args: Sequence[str] = (),
) -> Path:
    """Build app/ for ``board``; return the ELF.

    ``replay``: sample from the replay UART (app/replay.conf) into ``build/<board>-replay``.
    ``debug``: add app/debug.conf (deferred logging, full shell, stack use; no memory
    budget) into ``build/<board>[-replay]-debug``.
    ``model_dir``: embed this model directory instead of the default (models/...).
    ``source``/``build_dir``: another application (a benchmark image) and where to build it.
    ``cmake_args``: more CMake arguments (``-DCONFIG_...=n``).
    """
    ws = workspace.require_workspace()
    workspace.require_tools()
    workspace.check_board(ws, board)
    env = workspace.build_env(ws)
    bdir = build_dir or _variant_dir(board, replay=replay, debug=debug)
    cmd = _west("build", "-b", board, "-d", str(bdir), str(source or APP_DIR))
    if pristine:
        cmd += ["-p", "always"]
    cmd += ["--", *workspace.cmake_args(env)]
    extra = [name for name, on in (("replay.conf", replay), ("debug.conf", debug)) if on]
    if extra:
        cmd.append(f"-DEXTRA_CONF_FILE={';'.join(extra)}")
    if model_dir is not None:
        cmd.append(f"-DVMON_MODEL_DIR={Path(model_dir).resolve()}")
    cmd += list(cmake_args)
    started = time.monotonic()
    _run_logged(cmd, env, bdir.parent / f"{bdir.name}.build.log", f"building app for {board}")
    elf = bdir / "zephyr" / "zephyr.elf"
    if not elf.is_file():
        raise VmonError(f"build for {board} finished but {elf.relative_to(REPO_ROOT)} is missing")
    console.print(f"built {elf.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s")
    return elf


def run_qemu(
    board: str = "qemu_cortex_m3",
    seconds: float = 5.0,
    until: str | None = None,
    echo: bool = True,
    build_dir: Path | None = None,
    debug: bool = False,
) -> list[str]:
    """Run the built firmware in QEMU; stop after ``seconds`` or once a line matches ``until``.

    Returns the console lines. QEMU never exits by itself, so the whole process group is
    stopped at the end.
    """
    if board not in workspace.QEMU_BOARDS:
        raise VmonError(
            f"'{board}' is not a QEMU board; use one of {', '.join(workspace.QEMU_BOARDS)}"
        )
    ws = workspace.require_workspace()
    bdir = build_dir or _require_build(board, debug=debug)
    if workspace.missing_tools():
        workspace.require_tools()
    env = workspace.build_env(ws)
    return run_console(
        _west("build", "-d", str(bdir), "-t", "run"), env, seconds, until=until, echo=echo
    )


def run_console(
    argv: list[str],
    env: dict[str, str] | None,
    seconds: float,
    until: str | None = None,
    echo: bool = True,
    cwd: Path = REPO_ROOT,
) -> list[str]:
    """Run a program that never exits by itself (QEMU) and collect its console lines.

    Stops after ``seconds`` or once a line matches ``until``; the whole process group is
    stopped at the end.
    """
    pattern = re.compile(until) if until else None
    lines: list[str] = []
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    # A reader thread, so the deadline holds even while QEMU prints nothing.
    queue: Queue[str | None] = Queue()
    stdout = proc.stdout

    def reader() -> None:
        for line in stdout:
            queue.put(clean_console_line(line))
        queue.put(None)

    threading.Thread(target=reader, daemon=True).start()
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = queue.get(timeout=left)
            except Empty:
                break
            if line is None:
                break
            lines.append(line)
            if echo:
                console.print(line, markup=False, highlight=False, soft_wrap=True)
            if pattern and pattern.search(line):
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    return lines


def flash(board: str = "nrf52840dk/nrf52840") -> None:
    if board in workspace.QEMU_BOARDS:
        raise VmonError(
            f"{board} is a QEMU board and is not flashed; use 'invoke run --board {board}'"
        )
    ws = workspace.require_workspace()
    bdir = _require_build(board)
    env = workspace.build_env(ws)
    code = subprocess.call(_west("flash", "-d", str(bdir)), cwd=REPO_ROOT, env=env)
    if code != 0:
        raise VmonError(f"west flash for {board} failed (exit {code}); is the board connected?")
