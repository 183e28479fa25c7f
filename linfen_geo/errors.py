"""Exception hierarchy of linfen_geo.

Every error the library raises on purpose derives from :class:`LinfenGeoError`,
so callers (and the CLI) can catch one class and print one readable line.

Examples
--------
>>> from linfen_geo.errors import CRSMismatchError, LinfenGeoError
>>> issubclass(CRSMismatchError, LinfenGeoError)
True
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "CRSMismatchError",
    "DataMissingError",
    "GeographicCRSError",
    "InputError",
    "LayerNotFoundError",
    "LinfenGeoError",
    "LinfenGeoWarning",
    "PlanError",
    "SchemaError",
]


class LinfenGeoError(Exception):
    """Base class of every error linfen_geo raises on purpose."""


class CRSError(LinfenGeoError, ValueError):
    """A coordinate reference system is missing, unknown or unusable."""


class GeographicCRSError(CRSError):
    """A metric operation (area, length, buffer, distance) was asked in degrees."""


class CRSMismatchError(CRSError):
    """Two inputs carry different CRSs and the caller did not ask to reproject."""


class SchemaError(LinfenGeoError, ValueError):
    """A layer does not match the schema its catalog entry declares."""


class LayerNotFoundError(LinfenGeoError, KeyError):
    """No layer of that name is registered in the catalog."""

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else ""


class DataMissingError(LinfenGeoError, FileNotFoundError):
    """A data file the catalog points to does not exist."""


class InputError(LinfenGeoError, ValueError):
    """A user's input (file, geometry, argument) cannot be used as given."""


class PlanError(InputError, KeyError):
    """The plan file lacks a key the code needs, or holds a value of the wrong type; names the key path."""

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else ""


class LinfenGeoWarning(UserWarning):
    """Something was repaired or assumed; the data were not lost."""
