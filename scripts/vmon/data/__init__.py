"""Datasets, knowing no features and no model.

The package's face is the shared format (:mod:`vmon.data.format`, re-exported here); beside
it, importers of raw recordings (:mod:`vmon.data.importers`), synthetic rigs
(:mod:`vmon.data.synth`) and ``invoke dataset-info`` (:mod:`vmon.data.summary`).
"""

from vmon.data.format import (
    FORMAT_VERSION,
    LABELS,
    Dataset,
    Recording,
    check_rate,
    find_datasets,
    index_path,
    load_dataset,
    resolve_dataset,
    save_dataset,
)

__all__ = [
    "FORMAT_VERSION",
    "LABELS",
    "Dataset",
    "Recording",
    "check_rate",
    "find_datasets",
    "index_path",
    "load_dataset",
    "resolve_dataset",
    "save_dataset",
]
