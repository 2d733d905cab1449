"""`invoke evaluate`: evaluate a dataset (:mod:`vmon.ml.evaluate`), print the table, write
evaluate.html and the JSON summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from vmon.bearing import parse_bearing
from vmon.data import load_dataset, resolve_dataset
from vmon.data.machine import operating_points
from vmon.errors import VmonError
from vmon.ml import evaluate as ev
from vmon.ml import evaluate_report, report
from vmon.ml.model import load_model_dir
from vmon.paths import REPO_ROOT, atomic_output


def run(
    data: str | None = None,
    dataset: str | None = None,
    commission_s: float = 30.0,
    bearing: str | None = None,
    json_path: str | None = None,
    html_path: str | None = None,
    model: str | None = None,
    card: bool = False,
    no_speed: bool = False,
) -> ev.Evaluation:
    """`invoke evaluate`: evaluate, print the table, write evaluate.html and the JSON; with
    ``card``, record the result in the model card's per-dataset detection table."""
    if card and no_speed:
        raise VmonError(
            "--card records the evaluation with the dataset's shaft speeds; "
            "run --no-speed without --card"
        )
    geometry = parse_bearing(bearing) if bearing else None
    ds = load_dataset(resolve_dataset(data, dataset))
    md = load_model_dir(Path(model) if model else REPO_ROOT / "models" / ev.DEFAULT_MODEL)
    console = Console()
    n_points = len(operating_points(ds))
    with Progress(
        TextColumn("evaluate {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(ds.name, total=n_points)
        result = ev.evaluate(
            ds, md, commission_s, geometry, lambda: bar.advance(task), speed_given=not no_speed
        )
    s = result.summary()
    table = Table(
        title=f"evaluate {ds.name} (bearing: {result.bearing}; shaft speed: {result.speed})"
    )
    cols = ev.SUMMARY_COLUMNS
    table.add_column("point")
    for c in cols:
        table.add_column(c.replace("_", " "), justify="right")
    for name, m in [("overall", s["overall"]), *s["points"].items()]:
        table.add_row(name, *("n/a" if m[c] is None else f"{m[c]:.3f}" for c in cols))
    console.print(table)
    for name, why in s["skipped"].items():
        console.print(f"not evaluated: {name}: {why}", highlight=False)
    out_dir = REPO_ROOT / "build" / "evaluate" / ds.name
    html_file = Path(html_path) if html_path else out_dir / "evaluate.html"
    json_file = Path(json_path) if json_path else out_dir / "evaluate.json"
    ev.write_json(result, json_file)
    with atomic_output(html_file) as tmp:
        evaluate_report.write(result, tmp)
    console.print(f"wrote {html_file} and {json_file}", highlight=False, soft_wrap=True)
    if card:
        path = report.update_card(md.path, md.meta, s)
        console.print(f"updated {path}", highlight=False, soft_wrap=True)
    return result
