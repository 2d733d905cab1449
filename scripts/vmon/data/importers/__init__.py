"""Importers: turn recordings from a specific source into the vmon dataset format.

Each importer module holds every constant of its source (file tables, rates,
speeds); the rest of vmon only sees :class:`vmon.data.format.Dataset`.

* :mod:`vmon.data.importers.cwru`: CWRU Bearing Data Center MATLAB files.
"""

from __future__ import annotations

from typing import Any

from vmon.data import Dataset


def known_bearing(ds: Dataset) -> dict[str, Any] | None:
    """``meta["bearing"]`` of a dataset an importer recognizes but wrote without one."""
    from vmon.data.importers import cwru

    return cwru.known_bearing(ds)
