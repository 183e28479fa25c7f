"""What every part of :mod:`linfen_geo.io.sites` shares: the raw-source record, message helpers, WKT patterns.

Examples
--------
>>> _list(["a", "b", "c"], limit=2)
'a, b (+1 more)'
>>> bool(_WKT_START.match("SRID=4546;POINT (500000 3995000)"))
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from linfen_geo.io.vectors import _list as _list  # re-exported: shared with linfen_geo.io.vectors
from linfen_geo.io.vectors import _pick_layer as _pick_layer

__all__: list[str] = []  # internal to linfen_geo.io.sites

_FIX_CRS = "pass crs=..., e.g. --crs 4546 for GK metres, --crs gcj02 for AMap coordinates"
_WKT_START = re.compile(
    r"^\s*(?:SRID=\d+\s*;\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|"
    r"LINEARRING)\b",
    re.IGNORECASE,
)
_SRID = re.compile(r"^\s*SRID=(\d+)\s*;\s*", re.IGNORECASE)


@dataclass
class _Raw:
    """A source as read, before CRS handling."""

    gdf: gpd.GeoDataFrame
    where: str  # names the input in messages
    source: str  # attrs["source"]
    fmt: str
    lonlat_columns: bool = False  # coordinates came from columns named lon/lat
    attrs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _one_line(text: Any, limit: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _pyogrio_reason(exc: BaseException) -> str:
    return _one_line(str(exc) or type(exc).__name__)
