"""Importers: turn recordings from a specific source into the vmon dataset format.

Each importer module holds every constant of its source (file tables, rates,
speeds); the rest of vmon only sees :class:`vmon.data.format.Dataset`.

* :mod:`vmon.data.importers.cwru`: CWRU Bearing Data Center MATLAB files.
"""
