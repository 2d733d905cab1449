"""What a dataset says about its machine: the bearing (``meta["bearing"]``) and the operating
points its recordings were taken at."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from vmon.bearing import BearingGeometry
from vmon.data import Dataset, Recording
from vmon.data.importers import known_bearing

#: Recordings whose rpm lie within this fraction of each other form one operating point.
RPM_GROUP_TOLERANCE = 0.02


def bearing_of(ds: Dataset) -> tuple[str, BearingGeometry] | None:
    """(designation, geometry) from the dataset's meta, or from its importer; None if unknown."""
    doc = ds.meta.get("bearing") or known_bearing(ds)
    if doc is None:
        return None
    geometry = BearingGeometry.from_json(doc, f"dataset {ds.name} meta bearing")
    return str(doc.get("designation", "")), geometry


@dataclass
class OperatingPoint:
    name: str
    #: Nameplate speed: the median rpm of the point's recordings; NaN when none has one.
    rpm: float
    recordings: list[Recording]


def operating_points(ds: Dataset) -> list[OperatingPoint]:
    """Recordings grouped by rpm (within RPM_GROUP_TOLERANCE) when every recording has
    one, else by load; in the order first seen."""
    recs = ds.recordings
    groups: list[tuple[str, list[Recording]]] = []
    if all(math.isfinite(r.rpm) for r in recs):
        for r in sorted(recs, key=lambda r: -r.rpm):
            for _name, members in groups:
                ref = members[0].rpm
                if abs(r.rpm - ref) <= RPM_GROUP_TOLERANCE * ref:
                    members.append(r)
                    break
            else:
                groups.append((f"{r.rpm:g} rpm", [r]))
    else:
        by_load: dict[float, list[Recording]] = {}
        for r in recs:
            by_load.setdefault(r.load_hp, []).append(r)
        groups = [(f"{load:g} hp", by_load[load]) for load in sorted(by_load)]
    points = []
    for name, members in groups:
        rpms = [r.rpm for r in members if math.isfinite(r.rpm)]
        points.append(OperatingPoint(name, median(rpms) if rpms else math.nan, members))
    return points
