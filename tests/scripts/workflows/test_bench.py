"""The fw benchmark's QEMU set-up: cpu0 parked so that -icount counts cpu1 alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vmon.errors import VmonError
from vmon.workflows import bench

# The shape of `west build -t run` for mps2/an521/cpu1 in Zephyr v3.7 (board.cmake).
AN521_RUN = [
    "/usr/bin/qemu-system-arm", "-cpu", "cortex-m33", "-machine", "mps2-an521", "-nographic",
    "-m", "16", "-vga", "none", "-net", "none", "-pidfile", "qemu.pid",
    "-chardev", "stdio,id=con,mux=on", "-serial", "chardev:con",
    "-mon", "chardev=con,mode=readline",
    "-icount", "shift=7,align=off,sleep=off", "-rtc", "clock=vm",
    "-chardev", "pty,id=hostS0", "-serial", "chardev:hostS0",
    "-device", "loader,file=build/zephyr/zephyr.elf",
    "-device", "loader,file=build/zephyr/boards/arm/mps2/empty_cpu0-prefix/src/"
    "empty_cpu0-build/zephyr/zephyr.elf",
]  # fmt: skip


def test_icount_command_swaps_cpu0_for_the_park_image() -> None:
    argv, shift = bench.icount_command(AN521_RUN, Path("b/cpu0_park.elf"))
    assert shift == 7
    assert "-device" in argv and "loader,file=b/cpu0_park.elf" in argv
    assert not any("empty_cpu0" in a for a in argv)
    assert "loader,file=build/zephyr/zephyr.elf" in argv
    # Console kept; the pty port and the pidfile gone.
    assert argv[argv.index("-serial") + 1] == "chardev:con"
    assert "-pidfile" not in argv and not any(a.startswith("pty,") for a in argv)
    assert argv.count("-serial") == 1 and not any("hostS0" in a for a in argv)
    assert argv[argv.index("-icount") + 1] == "shift=7,align=off,sleep=off"


def test_icount_command_needs_icount_and_one_cpu0_image() -> None:
    i = AN521_RUN.index("-icount")
    without_icount = AN521_RUN[:i] + AN521_RUN[i + 2 :]
    with pytest.raises(VmonError, match="needs -icount"):
        bench.icount_command(without_icount, Path("p.elf"))
    with pytest.raises(VmonError, match="no \\(single\\) empty_cpu0"):
        bench.icount_command(AN521_RUN[:-2], Path("p.elf"))


@pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None, reason="no arm-none-eabi-gcc to assemble with"
)
def test_park_image_wakes_cpu1_at_its_vectors_then_sleeps(tmp_path: Path) -> None:
    # A stand-in cpu1 image: any ELF with a _vector_start symbol.
    cpu1 = tmp_path / "cpu1.elf"
    src = tmp_path / "v.S"
    src.write_text(".globl _vector_start\n.text\n_vector_start: .word 0\n")
    gcc = shutil.which("arm-none-eabi-gcc")
    assert gcc is not None
    subprocess.run(
        [gcc, "-nostdlib", "-Wl,-Ttext=0x38b000", "-Wl,--entry=0", "-o", str(cpu1), str(src)],
        check=True,
    )
    (tmp_path / "CMakeCache.txt").write_text(f"CMAKE_C_COMPILER:FILEPATH={gcc}\n")
    park = bench.cpu0_park_image(tmp_path, cpu1)
    dump = subprocess.run(
        ["arm-none-eabi-objdump", "-d", "-j", ".text", str(park)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    words = subprocess.run(
        ["arm-none-eabi-objdump", "-s", "-j", ".vectors", str(park)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # Vector table at cpu0's boot address; reset handler = park + 1 (Thumb).
    assert " 10000000 00040030 09000010" in words
    assert "50021114" in dump and "0038b000" in dump  # INITSVTOR1 and cpu1's vectors
    assert "wfi" in dump and "str\tr1, [r0, #4]" in dump  # CPU_WAIT = 0, then sleep


# -- figures in docs are written by the benchmark, never typed in -------------------------


def test_replay_docs_figures_are_the_benchmarks_own() -> None:
    # The section holds the raw measurements; the table must be exactly their rendering,
    # so a figure typed in by hand (or a table left without data) fails here.
    block, rows, date, host = bench.parse_docs_block(bench.DOCS_REPLAY.read_text())
    assert rows, "docs/replay.md: run `invoke bench --suite replay --write-docs`"
    assert block == bench.replay_docs_block(rows, date, host)
    boards = {r.board for r in rows}
    assert boards == {"qemu_cortex_m3", "mps2/an521/cpu1"}


def test_write_docs_replaces_only_its_section(tmp_path: Path) -> None:
    doc = tmp_path / "replay.md"
    doc.write_text(f"# title\n\nbefore\n\n{bench.DOCS_BEGIN}\n{bench.DOCS_END}\n\nafter\n")
    rows = [bench.ReplayRow("qemu_cortex_m3", 12_800, 1, 250, 250, 14.3, 0)]
    bench.write_replay_docs(rows, path=doc)
    text = doc.read_text()
    assert text.startswith("# title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "| qemu_cortex_m3 | 12.8 kHz x 1 | 250 / 250 | 14.3 | 17.5 (25) | 0 |" in text
    block, parsed, date, host = bench.parse_docs_block(text)
    assert parsed == rows and block == bench.replay_docs_block(rows, date, host)
    # Written again: still one section.
    bench.write_replay_docs(rows, path=doc)
    assert doc.read_text().count(bench.DOCS_BEGIN) == 1


def test_docs_without_the_section_is_one_line_error(tmp_path: Path) -> None:
    doc = tmp_path / "replay.md"
    doc.write_text("# nothing here\n")
    with pytest.raises(VmonError, match="has no section between"):
        bench.write_replay_docs([], path=doc)
