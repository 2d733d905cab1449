"""`invoke dataset-info`: a table per dataset (recordings and seconds per label, loads, rates)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vmon.data import synth
from vmon.data.format import Dataset, find_datasets, load_dataset, resolve_dataset
from vmon.errors import VmonError
from vmon.paths import DATA_ENV, resolve_data_dir


def _fmt_loads(values: Iterable[float]) -> str:
    return ", ".join(f"{v:g}" for v in values) or "n/a"


def _print_dataset(console: Console, ds: Dataset) -> None:
    title = ds.name
    description = ds.meta.get("dataset")
    if isinstance(description, str) and description != ds.name:
        title = f"{ds.name}: {description}"
    table = Table()
    table.add_column("label")
    table.add_column("recordings", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("loads (hp)")
    counts, seconds = ds.recordings_per_label(), ds.seconds_per_label()
    for lab in ds.labels():
        table.add_row(
            lab,
            str(counts[lab]),
            f"{seconds[lab]:.1f}",
            _fmt_loads(ds.select(labels=lab).loads()),
        )
    table.add_section()
    table.add_row("total", str(len(ds)), f"{ds.total_seconds():.1f}", _fmt_loads(ds.loads()))
    rates = ", ".join(f"{fs:g}" for fs in ds.sampling_rates())
    # Title and footer as plain lines: a table title would wrap at the table's width.
    console.print(f"[bold]{escape(title)}[/]", soft_wrap=True)
    console.print(table)
    where = f"; file {ds.path}" if ds.path else ""
    console.print(f"sampling rate(s): {rates} Hz{where}", soft_wrap=True, markup=False)


def print_summary(data_dir: str | None = None, name: str | None = None) -> None:
    """Print a table per dataset: recordings and seconds per label, loads, sampling rates.

    Without any dataset folder this says so and summarizes the synthetic default
    instead, so a fresh checkout still shows what the format holds.
    """
    console = Console()
    location = resolve_data_dir(data_dir)
    if location is None:
        console.print(
            f"no dataset folder (pass --data DIR or set {DATA_ENV}); "
            "summarizing the synthetic default instead",
            soft_wrap=True,
        )
        _print_dataset(console, synth.generate_dataset())
        return
    paths = [resolve_dataset(location, name)] if name else find_datasets(location)
    if not paths:
        raise VmonError(
            f"no .npz datasets in {location}; import one with `invoke dataset-import` "
            "or generate one with `invoke synth`"
        )
    for path in paths:
        _print_dataset(console, load_dataset(path))
