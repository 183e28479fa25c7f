"""Small helpers shared by the layer builders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from linfen_geo.errors import InputError

__all__ = ["county_names", "select_counties", "city_geometry", "corridor_identity", "frame", "pieces_by_county"]


def select_counties(counties: gpd.GeoDataFrame, adcodes: Iterable[int], what: str) -> gpd.GeoDataFrame:
    """Rows of ``counties`` with the given adcodes, in that order; error naming any unknown code."""
    adcodes = [int(a) for a in adcodes]
    found = counties.set_index("adcode")
    missing = [a for a in adcodes if a not in found.index]
    if missing:
        raise InputError(f"{what}: adcode(s) {missing} not in the counties layer (plan file out of date?)")
    return found.loc[adcodes].reset_index()


def county_names(counties: gpd.GeoDataFrame, adcodes: Iterable[int], sep: str = "、", column: str = "name") -> str:
    """Joined county names for adcodes, in the given order."""
    lookup = dict(zip(counties["adcode"].astype(int), counties[column], strict=True))
    return sep.join(str(lookup.get(int(a), a)) for a in adcodes)


def city_geometry(counties: gpd.GeoDataFrame, crs: Any) -> Any:
    """The union of all counties, in ``crs``."""
    return counties.to_crs(crs).union_all()


def pieces_by_county(
    counties: gpd.GeoDataFrame, geom: Any, min_km2: float, columns: Iterable[str] = ("adcode", "name")
) -> gpd.GeoDataFrame:
    """``geom`` split by county into polygons of at least ``min_km2`` (Albers), numbered ``n`` per county.

    ``counties`` and ``geom`` share a projected CRS; rows are sorted by ``adcode`` (stable), ``n`` counts 1, 2, ...
    within a county.
    """
    from linfen_geo.crs import AREA_CRS

    pieces = gpd.GeoDataFrame(
        counties[list(columns)], geometry=shapely.intersection(counties.geometry.values, geom), crs=counties.crs
    ).explode(index_parts=False)
    pieces = pieces[pieces.geom_type == "Polygon"]
    pieces = pieces[pieces.to_crs(AREA_CRS).area >= min_km2 * 1e6]
    pieces = pieces.sort_values("adcode", kind="stable").reset_index(drop=True)
    pieces["n"] = pieces.groupby("adcode").cumcount() + 1
    return pieces


def frame(rows: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    """GeoDataFrame from row dicts with a ``geometry`` key."""
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)


def corridor_identity(corridor: dict[str, Any]) -> dict[str, str]:
    """The plan's naming of a corridor (id, names, roads), shared by every corridor layer."""
    return {
        "corridor_id": corridor["id"],
        "name_zh": corridor["name_zh"],
        "name_en": corridor["name_en"],
        "roads_zh": "、".join(corridor["roads_zh"]),
        "roads_en": "; ".join(corridor["roads_en"]),
    }
