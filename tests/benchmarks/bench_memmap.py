"""Benchmark: memmap on a large ELF with DWARF (target: a 5 MB image in 5 s or less).

Generates C sources with many functions, objects and types, builds them with
arm-none-eabi-gcc -g into one image (5-6 MB with the defaults) and times
``vmon.memmap.analyze`` on it, best of ``--runs``, with the phases broken down.

    python3 tests/benchmarks/bench_memmap.py                 # build in a temp dir
    python3 tests/benchmarks/bench_memmap.py --keep /tmp/mm  # reuse the image next time

Not collected by pytest (the default testpaths is tests/scripts). Exits 1 when
the best time exceeds ``--limit`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from vmon.memmap import analyze, dwarf, elf

CFLAGS = ["-mcpu=cortex-m3", "-mthumb", "-O1", "-g", "-ffunction-sections", "-fdata-sections"]


def source(index: int, functions: int) -> str:
    """One compilation unit: a struct type, data in .data/.bss/.rodata, many functions."""
    lines = [
        "#include <stdint.h>",
        f"struct rec{index} {{ int32_t a; int32_t b[4]; uint8_t c; const char *name; }};",
        f"int32_t g_var_{index}[{index % 64 + 4}] = {{1}};",
        f"static int32_t s_bss_{index}[{index % 32 + 8}];",
        f'const struct rec{index} k_const_{index} = {{1, {{2}}, 3, "rec{index}"}};',
    ]
    for i in range(functions):
        lines.append(
            f"int fn_{index}_{i}(int x, struct rec{index} *p) {{ int y = x * {i + 3}; "
            f"if (p) {{ p->a += y; p->b[x & 3] = {i}; }} s_bss_{index}[x & 7] += y; "
            f"g_var_{index}[x & 3] ^= y; return y ^ {i}; }}"
        )
    return "\n".join(lines) + "\n"


def table(files: int, functions: int) -> str:
    """Every function in one table that main reads, so the link keeps them all (a main that
    calls each one takes minutes to compile)."""
    decls = [f"extern int fn_{f}_{i}();" for f in range(files) for i in range(functions)]
    refs = ",".join(f"(void*)fn_{f}_{i}" for f in range(files) for i in range(functions))
    body = "int main(void) { return fn_table[1] != fn_table[0]; }"
    return "\n".join([*decls, f"void *const fn_table[] = {{{refs}}};", body])


def build(workdir: Path, files: int, functions: int, jobs: int) -> Path:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        sys.exit("arm-none-eabi-gcc not found: install gcc-arm-none-eabi")
    target = workdir / "big.elf"
    if target.is_file():
        return target
    sources = []
    for f in range(files):
        path = workdir / f"unit{f}.c"
        path.write_text(source(f, functions))
        sources.append(path)
    main = workdir / "main.c"
    main.write_text(table(files, functions))
    sources.append(main)

    def compile_one(path: Path) -> Path:
        obj = path.with_suffix(".o")
        subprocess.run([gcc, *CFLAGS, "-c", str(path), "-o", str(obj)], check=True)
        return obj

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        objects = list(pool.map(compile_one, sources))
    link = [gcc, *CFLAGS, "--specs=nano.specs", "--specs=nosys.specs"]
    subprocess.run([*link, *map(str, objects), "-o", str(target)], check=True)
    print(f"built {target} in {time.perf_counter() - start:.1f} s")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100, help="compilation units")
    parser.add_argument("--functions", type=int, default=120, help="functions per unit")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds allowed")
    parser.add_argument("--keep", type=Path, help="build in (and reuse) this folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", action="store_true", help="end with one JSON result line")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = build(workdir, args.files, args.functions, args.jobs)
        size = path.stat().st_size

        best = float("inf")
        phases: dict[str, float] = {}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            image = elf.load(path)
            t1 = time.perf_counter()
            info = dwarf.load(image.elffile)
            t2 = time.perf_counter()
            report = analyze(path)
            t3 = time.perf_counter()
            if t3 - t2 < best:
                best = t3 - t2
                phases = {"elf + symbols": t1 - t0, "dwarf": t2 - t1}
        units = len(info.units) if info else 0
        print(
            f"ELF {size / 1e6:.1f} MB, {len(image.symbols or [])} symbols, {units} DWARF units, "
            f"{len(report.symbols)} sized symbols attributed"
        )
        print(
            f"analyze: {best:.2f} s (best of {args.runs}); phases: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items())
        )
        if size < 5e6:
            print(f"warning: image is {size / 1e6:.1f} MB, under the 5 MB target; raise --files")
        ok = best <= args.limit
        print(
            f"OK: within {args.limit:.1f} s" if ok else f"FAIL: {best:.2f} s > {args.limit:.1f} s"
        )
        if args.json:
            print(json.dumps({"elf_mb": size / 1e6, "best_s": best, "limit_s": args.limit}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
