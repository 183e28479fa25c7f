"""Area units planners use: m2, 公顷 (ha), 亩 (mu), 万亩 and km2.

1 亩 = 10000/15 m2 (666.67 m2), 1 公顷 = 15 亩, 1 km2 = 1500 亩.

Examples
--------
>>> convert_area(666.6666666666666, "m2", "mu")
1.0
>>> convert_area(1, "km2", "wanmu")
0.15
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AREA_UNITS", "M2_PER_MU", "UNIT_LABELS", "add_area_columns", "convert_area"]

M2_PER_MU = 10000.0 / 15.0

#: square metres per unit
AREA_UNITS: dict[str, float] = {
    "m2": 1.0,
    "ha": 10_000.0,
    "km2": 1_000_000.0,
    "mu": M2_PER_MU,
    "wanmu": M2_PER_MU * 10_000.0,
}

#: Chinese / English column labels for tables
UNIT_LABELS: dict[str, str] = {
    "m2": "平方米 m²",
    "ha": "公顷 ha",
    "km2": "平方千米 km²",
    "mu": "亩 mu",
    "wanmu": "万亩 10k mu",
}


def convert_area(value, from_unit: str = "m2", to_unit: str = "mu"):
    """Convert an area (scalar, array or Series) between units in :data:`AREA_UNITS`."""
    try:
        factor = AREA_UNITS[from_unit] / AREA_UNITS[to_unit]
    except KeyError as exc:
        raise ValueError(f"unknown area unit {exc.args[0]!r}; use one of {sorted(AREA_UNITS)}") from None
    return value * factor


def add_area_columns(
    df: pd.DataFrame,
    column: str = "area_m2",
    units: Iterable[str] = ("km2", "ha", "mu"),
) -> pd.DataFrame:
    """Add ``<prefix>_<unit>`` columns derived from an ``<prefix>_m2`` column.

    Parameters
    ----------
    df
        Table holding ``column`` in square metres.
    column
        Name ending in ``_m2``; the prefix names the new columns.
    units
        Units to add (keys of :data:`AREA_UNITS`).

    Examples
    --------
    >>> import pandas as pd
    >>> add_area_columns(pd.DataFrame({"area_m2": [1e6]}))
       area_m2  area_km2  area_ha  area_mu
    0  1000000.0       1.0    100.0   1500.0
    """
    if not column.endswith("_m2"):
        raise ValueError(f"column {column!r} must end in '_m2'")
    prefix = column[: -len("_m2")]
    out = df.copy()
    for unit in units:
        out[f"{prefix}_{unit}"] = convert_area(out[column].astype(float), "m2", unit)
    return out
