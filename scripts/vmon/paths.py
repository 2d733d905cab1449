"""Where things are: the repository, the datasets, the outputs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vmon.errors import VmonError

#: Root of the vmon repository (scripts/vmon/paths.py -> repo root).
REPO_ROOT = Path(__file__).resolve().parents[2]

DATA_ENV = "VMON_DATA"


def default_data_dir() -> Path | None:
    """The dataset folder: ``$VMON_DATA``, else ``../shared/data`` beside the repo, else None."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    shared = REPO_ROOT.parent / "shared" / "data"
    return shared if shared.is_dir() else None


def resolve_data_dir(data: str | os.PathLike[str] | None) -> Path | None:
    """``--data`` wins over ``$VMON_DATA`` and the shared default; a given path must exist."""
    if data is None:
        return default_data_dir()
    path = Path(data).expanduser()
    if not path.exists():
        raise VmonError(
            f"dataset location {path} does not exist; pass --data DIR or set {DATA_ENV}"
        )
    return path


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it into place only on success.

    A failure (exception, Ctrl-C) removes the temporary file or folder, so a
    half-written output never replaces a good one or lingers.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
