"""vmon tasks. Thin wrappers: all logic lives in the `vmon` package under scripts/.

Run `invoke --list` for the tasks and `invoke --help TASK` for their options.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from invoke import Context, Exit, task

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))

from vmon.errors import VmonError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Report VmonError as one line and a non-zero exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VmonError as err:
            raise Exit(f"error: {err}", code=err.code) from None
        except KeyboardInterrupt:
            raise Exit("interrupted", code=130) from None

    return wrapper  # type: ignore[return-value]


@task(
    help={
        "data": "dataset folder (default: $VMON_DATA, else ../shared/data, else synthetic)",
        "retrain": "retrain the model first instead of using the shipped one",
    }
)
@user_errors
def demo(c: Context, data: str | None = None, retrain: bool = False) -> None:
    """Run the product end to end on the embedded default data (and firmware on QEMU)."""
    from vmon.workflows import demo as demo_mod

    demo_mod.run(data_dir=data, retrain=retrain)


@task
@user_errors
def codegen(c: Context) -> None:
    """Rewrite the committed codecs from app/schema/payload.yaml (Python, JavaScript)."""
    from vmon.codegen import payload
    from vmon.paths import REPO_ROOT

    for path in payload.write_committed(REPO_ROOT):
        print(f"wrote {path.relative_to(REPO_ROOT)}")


@task(
    help={
        "data": "dataset folder (default: $VMON_DATA, else ../shared/data)",
        "dataset": "dataset name inside the folder (default: all)",
    }
)
@user_errors
def dataset_info(c: Context, data: str | None = None, dataset: str | None = None) -> None:
    """Summarize the datasets in the shared format: recordings, labels, loads, durations."""
    from vmon.data import summary

    summary.print_summary(data_dir=data, name=dataset)


@task(
    help={
        "src": "folder with raw CWRU .mat files (searched recursively)",
        "out": "output .npz (an .index.csv is written beside it)",
        "rate": "sampling rate to import: 12k or 48k",
    }
)
@user_errors
def dataset_import(c: Context, src: str, out: str, rate: str = "12k") -> None:
    """Import raw CWRU .mat files into the vmon dataset format (npz + index.csv)."""
    from vmon.data.importers import cwru

    cwru.import_to_file(Path(src), Path(out), rate=rate)


@task(
    help={
        "out": "output .npz (an .index.csv is written beside it)",
        "fs": "sampling rate in Hz",
        "seconds": "duration of each recording in seconds",
        "seed": "random seed",
    }
)
@user_errors
def synth(c: Context, out: str, fs: float = 12_000.0, seconds: float = 2.0, seed: int = 0) -> None:
    """Generate a synthetic bearing-vibration dataset (normal and three faults at four loads)."""
    from vmon.data import synth as synth_mod

    synth_mod.write_default_set(Path(out), fs=fs, seconds=seconds, seed=seed)


@task(
    help={
        "board": "Zephyr board, e.g. qemu_cortex_m3 or nrf52840dk/nrf52840",
        "pristine": "clean build",
        "debug": "development build with app/debug.conf (full shell, stack use; not budgeted)",
    }
)
@user_errors
def build(
    c: Context, board: str = "qemu_cortex_m3", pristine: bool = False, debug: bool = False
) -> None:
    """Build the firmware (app/) for a board with the pinned Zephyr workspace."""
    from vmon.firmware import build as firmware

    firmware.build(board=board, pristine=pristine, debug=debug)


@task(
    help={
        "board": "board of the build to run in QEMU",
        "seconds": "stop after this many seconds",
        "debug": "run the 'invoke build --debug' image",
    }
)
@user_errors
def run(
    c: Context, board: str = "qemu_cortex_m3", seconds: float = 5.0, debug: bool = False
) -> None:
    """Run the firmware built for a QEMU board and print its console."""
    from vmon.firmware import build as firmware

    firmware.run_qemu(board=board, seconds=seconds, debug=debug)


@task(help={"board": "board of the build to flash"})
@user_errors
def flash(c: Context, board: str = "nrf52840dk/nrf52840") -> None:
    """Flash the firmware built for a hardware board (west flash)."""
    from vmon.firmware import build as firmware

    firmware.flash(board=board)


@task(
    help={
        "target": "fuzz target (config: downlink/BLE configuration decoder; "
        "baseline: the commissioning baseline's settings record; "
        "replay: the replay source's frame parser; "
        "container: the signed model container's verifier)",
        "seconds": "how long to fuzz",
    }
)
@user_errors
def fuzz(c: Context, target: str = "config", seconds: int = 600) -> None:
    """Fuzz a parser with libFuzzer on native_sim (clang, ASan, UBSan); report runs, coverage."""
    from vmon.firmware import fuzz as fuzz_mod
    from vmon.paths import REPO_ROOT

    work = REPO_ROOT / "build" / f"fuzz-{target}-run"
    result = fuzz_mod.run(target, seconds, work)
    print(
        f"fuzz {target}: {result.runs:,} runs in {result.seconds:.0f} s, "
        f"coverage {result.coverage} edges, {result.features} features, "
        f"corpus {result.corpus} inputs (in {work.relative_to(REPO_ROOT)})"
    )
    if result.crashes:
        raise VmonError(f"fuzz {target} found {len(result.crashes)} input(s): {result.crashes[0]}")


@task(help={"out": "folder for vmon-model-signing.pem (private, 0600) and its .pub.pem"})
@user_errors
def keygen(c: Context, out: str = "keys") -> None:
    """Make a model signing key pair (ECDSA P-256); keep the private key out of any repository."""
    from vmon.ml import sign

    folder = Path(out)
    private, public = folder / "vmon-model-signing.pem", folder / "vmon-model-signing.pub.pem"
    sign.write_keypair(private, public)
    print(f"wrote {private} (private: keep it safe) and {public} (the node's build input)")


@task(
    help={
        "model": "model directory (default: models/bearing-fault-12k)",
        "key": "private key PEM (invoke keygen)",
        "version": "model version (increase it with every release)",
        "out": "container file (default: build/<model name>-v<version>.vmdl)",
    }
)
@user_errors
def sign_model(
    c: Context, key: str, version: str, model: str | None = None, out: str | None = None
) -> None:
    """Write the signed model container a node accepts (header, ECDSA P-256 signature, model)."""
    from vmon.ml import sign
    from vmon.paths import REPO_ROOT

    # invoke passes an option without a default as a string.
    if not version.isdigit():
        raise Exit(f"error: --version must be a whole number, not {version!r}", code=2)

    model_dir = Path(model) if model else REPO_ROOT / "models" / "bearing-fault-12k"
    path = sign.write_container(model_dir, Path(key), int(version), Path(out) if out else None)
    print(f"wrote {path} ({path.stat().st_size:,} B, model version {version})")


@task(
    help={
        "out": "dataset file to write (.npz, the shared format)",
        "label": "what the machine is doing: normal, inner_race, ball or outer_race",
        "machine": "name of the machine (part of each recording's id)",
        "seconds": "how long to record (default 10)",
        "port": "serial console of a running node (its shell UART or USB CDC ACM)",
        "baud": "baud rate of --port (default 115200)",
        "qemu": "capture from the application on QEMU instead (build it first: invoke build)",
        "board": "QEMU board for --qemu (default qemu_cortex_m3)",
        "rpm": "shaft speed during the capture, if known",
        "load_hp": "machine load during the capture (hp), if known",
        "axis": "axis to keep from a multi-axis node (default: the one the node analyses)",
        "append": "add the recordings to an existing --out",
        "allow_gaps": "keep each unbroken run as its own recording when blocks were lost",
    }
)
@user_errors
def capture(
    c: Context,
    out: str,
    label: str,
    machine: str,
    seconds: float = 10.0,
    port: str | None = None,
    baud: int = 115200,
    qemu: bool = False,
    board: str = "qemu_cortex_m3",
    rpm: float | None = None,
    load_hp: float | None = None,
    axis: int | None = None,
    append: bool = False,
    allow_gaps: bool = False,
) -> None:
    """Record raw samples from a running node into a dataset of your own machine."""
    import math

    from vmon.firmware import capture as cap_mod

    labels = cap_mod.Labels(
        label,
        machine,
        math.nan if rpm is None else float(rpm),
        math.nan if load_hp is None else float(load_hp),
        None if axis is None else int(axis),
    )
    ds, recs, cap = cap_mod.run(
        out=Path(out),
        labels=labels,
        seconds=float(seconds),
        port=port,
        baud=int(baud),
        qemu_board=board if qemu else None,
        append=append,
        allow_gaps=allow_gaps,
    )
    for r in recs:
        print(f"{r.recording_id}: {r.duration_s:.2f} s at {r.fs_hz:g} Hz, {r.label}")
    print(f"wrote {out} ({len(ds)} recordings; {cap.bad_lines} bad line(s) dropped)")


@task(
    help={
        "port": "serial port of the node's SMP transport (its shell UART or USB CDC ACM)",
        "model": "signed model container (invoke sign-model)",
    }
)
@user_errors
def model_update(c: Context, port: str, model: str) -> None:
    """Send a signed model to a running node over SMP (mcumgr); it verifies it and switches."""
    from vmon.firmware import update

    update.update_port(port, Path(model))


@task(
    help={
        "board": "radio board: nrf52840dk/nrf52840, rak4631/nrf52840 or vmon_node/nrf52840",
        "image_key": "the fleet's firmware signing key (ECDSA P-256 PEM, imgtool keygen)",
        "model_key": "the fleet's model signing key (invoke keygen)",
        "model_version": "version of the signed model (increase it with every release)",
        "model": "model directory (default: the one the board's configuration embeds)",
        "out": "folder for the artifacts (default: dist/<board>)",
    }
)
@user_errors
def release(
    c: Context,
    image_key: str,
    model_key: str,
    model_version: str,
    board: str = "nrf52840dk/nrf52840",
    model: str | None = None,
    out: str | None = None,
) -> None:
    """Build a board's release behind MCUboot: signed firmware and model, checked, with hashes."""
    from vmon.firmware import release as release_mod
    from vmon.paths import REPO_ROOT

    # invoke passes an option without a default as a string.
    if not model_version.isdigit():
        raise Exit(f"error: --model-version must be a whole number, not {model_version!r}", code=2)
    folder = Path(out) if out else REPO_ROOT / "dist" / board.replace("/", "_")
    manifest = release_mod.release(
        board=board,
        image_key_path=Path(image_key),
        model_key_path=Path(model_key),
        model_version=int(model_version),
        out=folder,
        model_dir=Path(model) if model else None,
    )
    print(f"wrote {manifest.parent}: manifest.json, SHA256SUMS and the signed artifacts")


@task(
    help={
        "python": "run only the Python tests",
        "firmware": "run only the firmware tests (twister)",
        "platform": "twister platform (repeatable; default: QEMU boards and the nRF52840 boards)",
        "hw": "twister hardware map: run only the hardware tests (tests/hw) on its boards",
        "hw-long": "with --hw: also run the 1 h sample-loss test",
    },
    iterable=["platform"],
    # No short flags: --hw would take -h, which everyone reads as help.
    auto_shortflags=False,
)
@user_errors
def test(
    c: Context,
    python: bool = False,
    firmware: bool = False,
    platform: list[str] | None = None,
    hw: str | None = None,
    hw_long: bool = False,
) -> None:
    """Run every test: pytest for the tooling, twister for the firmware on both QEMU boards."""
    from vmon.workflows import testing

    # --hw runs the hardware tests alone; add --python / --firmware for those too.
    alone = not (python or firmware or hw)
    testing.run_all(
        python=python or alone,
        firmware=firmware or alone,
        platforms=platform or None,
        hardware_map=hw,
        hw_long=hw_long,
    )


@task(
    help={
        "elf": "ELF to analyse (default: build/<board>/zephyr/zephyr.elf)",
        "board": "board whose build and budgets to use",
        "check": "exit non-zero when a budget is exceeded",
        "budgets": "budgets YAML (default: app/budgets.yaml)",
        "diff": "OLD.elf: show growth from OLD to ELF per area and the top changed symbols",
        "json": "also write the report as JSON to this file",
        "html": "also write an offline HTML treemap to this file",
        "depth": "rows per table",
    }
)
@user_errors
def memmap(
    c: Context,
    elf: str | None = None,
    board: str = "qemu_cortex_m3",
    check: bool = False,
    budgets: str | None = None,
    diff: str | None = None,
    json: str | None = None,
    html: str | None = None,
    depth: int = 15,
) -> None:
    """Where every byte of flash and RAM goes: regions, sections, files, product areas, budgets."""
    from vmon.memmap import cli

    cli.run(
        elf=elf,
        board=board,
        check=check,
        budgets=budgets,
        diff=diff,
        json_path=json,
        html_path=html,
        depth=depth,
    )


@task(
    help={
        "data": "dataset folder or .npz (default: $VMON_DATA, else ../shared/data)",
        "dataset": "dataset name inside the folder (default: cwru_12k_de)",
        "out": "model directory to write (default: models/<name>)",
        "name": "model name",
        "seed": "random seed (same seed, same machine: same model.tflite)",
        "epochs": "training epochs per fold",
        "split": "load (leave-one-load-out, default) or recording",
        "fs-hz": "deployment sampling rate in Hz (default 12000); the data is resampled to it "
        "and the band plan follows (docs/models.md)",
    }
)
@user_errors
def retrain(
    c: Context,
    data: str | None = None,
    dataset: str | None = None,
    out: str | None = None,
    name: str | None = None,
    seed: str | None = None,
    epochs: str | None = None,
    split: str | None = None,
    fs_hz: str | None = None,
) -> None:
    """Train the int8 fault classifier and novelty baseline; write models/<name>/."""
    from vmon.ml import train

    tc = train.config_from_options(name=name, seed=seed, epochs=epochs, split=split, fs_hz=fs_hz)
    train.retrain(data=data, dataset=dataset, out=out, tc=tc)


@task(help={"model": "model directory (default: models/bearing-fault-12k)"})
@user_errors
def embed(c: Context, model: str | None = None) -> None:
    """Check a model directory against the firmware and generate its C build input."""
    from vmon.ml import embed as embed_mod
    from vmon.ml import golden
    from vmon.ml.train import DEFAULT_MODEL_NAME
    from vmon.paths import REPO_ROOT

    model_dir = Path(model) if model else REPO_ROOT / "models" / DEFAULT_MODEL_NAME
    embed_mod.embed(model_dir, REPO_ROOT / "build" / "vmon_generated", REPO_ROOT / golden.C_HEADER)


@task(
    help={
        "data": "dataset folder or .npz (default: $VMON_DATA, else ../shared/data)",
        "dataset": "dataset name inside the folder",
        "commission_s": "seconds of normal running to commission each operating point on",
        "bearing": "DESIGNATION (e.g. 6205-2RS) or N,BALL_MM,PITCH_MM[,ANGLE_DEG] "
        "(default: the dataset's)",
        "json": "JSON summary to write (default: build/evaluate/<dataset>/evaluate.json)",
        "html": "report to write (default: build/evaluate/<dataset>/evaluate.html)",
        "model": "model directory (default: models/bearing-fault-12k)",
        "card": "record the result in the model card's per-dataset detection table",
        "no-speed": "keep the dataset's shaft speeds from the node: it estimates them",
    }
)
@user_errors
def evaluate(
    c: Context,
    data: str | None = None,
    dataset: str | None = None,
    commission_s: float = 30.0,
    bearing: str | None = None,
    json: str | None = None,
    html: str | None = None,
    model: str | None = None,
    card: bool = False,
    no_speed: bool = False,
) -> None:
    """Commission on normal running, then decide every window as the device does; score it."""
    from vmon.workflows import evaluate as evaluate_mod

    evaluate_mod.run(data, dataset, commission_s, bearing, json, html, model, card, no_speed)


@task(
    help={
        "suite": "ml, memmap, fw, app, replay, detect or energy (repeatable; default: all)",
        "data": "dataset for the ml benchmark (default: the shared CWRU 12 kHz set)",
        "write-docs": "write the measured replay figures into docs/replay.md",
    },
    iterable=["suite"],
)
@user_errors
def bench(
    c: Context, suite: list[str] | None = None, data: str | None = None, write_docs: bool = False
) -> None:
    """Measure the targets: retrain, model size, memmap speed, the app's memory and replay."""
    from vmon.workflows import bench as bench_mod

    bench_mod.run(suites=suite or None, data=data, write_docs=write_docs)
