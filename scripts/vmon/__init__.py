"""vmon tooling: datasets, features, models, ELF memory maps, firmware builds and tests."""

from vmon.errors import VmonError

__version__ = "0.1.0"
__all__ = ["VmonError", "__version__"]
