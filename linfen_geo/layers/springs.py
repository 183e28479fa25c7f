"""泉域重点保护区 - illustrative key protection zones of the three spring domains (plan 专栏 5).

The plan names the 龙子祠泉 (尧都), 郭庄泉 (霍州) and 霍泉 (洪洞) spring domains, whose key
protection zones mining rights must exit, but no boundary is available here. Each zone is
modelled (parameters in ``plan.toml`` ``[[spring_zones]]``) as:

1. the approximate spring outlet (``outlet_lon``, ``outlet_lat``; +-2 km) projected to
   EPSG:4546 (Gauss-Kruger CM 111E);
2. a disc of ``radius_km`` around it (``buffer`` with 32 segments per quarter circle, so its
   area is pi r^2 to 0.04 %);
3. clipped to the city (union of the counties).

Areas (``area_ha``) are computed in the Albers equal-area CRS. Columns: ``zone_id``,
``name_zh``, ``name_en``, ``spring_zh`` (``spring_zh`` of the plan entry, else the spring's name
taken from ``name_zh``, e.g. 龙子祠泉), ``outlet_lon``, ``outlet_lat``, ``radius_km``, ``area_ha``,
``counties`` (the counties the zone covers, largest share first), ``illustrative`` (always
True) and ``method``. The real key protection zones follow hydrogeology, not circles: use the
official boundaries (``linfen_geo.use("spring_zones", ...)``) whenever available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, buffer_m, to_area_crs, to_storage_crs
from linfen_geo.errors import InputError

__all__ = ["build", "spring_name", "spring_zones"]


QUAD_SEGS = 32

METHOD = "illustrative: disc of radius_km around the approximate spring outlet (+-2 km), clipped to the city"


def spring_name(zone: Mapping[str, Any]) -> str:
    """The spring's Chinese name: ``spring_zh`` if given, else ``name_zh`` up to 泉域 (ending in 泉).

    Examples
    --------
    >>> spring_name({"name_zh": "龙子祠泉域重点保护区"}), spring_name({"name_zh": "霍泉泉域重点保护区"})
    ('龙子祠泉', '霍泉')
    """
    if zone.get("spring_zh"):
        return str(zone["spring_zh"])
    stem = str(zone["name_zh"]).split("泉域")[0]
    return stem if stem.endswith("泉") else stem + "泉"


def spring_zones(counties: gpd.GeoDataFrame, zones: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Discs around the spring outlets, clipped to the city (see the module docstring).

    Parameters
    ----------
    counties
        County polygons with ``name`` (any CRS); their union is the city.
    zones
        ``[[spring_zones]]`` entries: ``id``, ``name_zh``, ``name_en``, ``outlet_lon``,
        ``outlet_lat``, ``radius_km`` (optional ``spring_zh``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone with a part inside the city, in EPSG:4326.
    """
    if not zones:
        raise InputError("plan has no [[spring_zones]]")
    df = pd.DataFrame(
        {
            "zone_id": [str(z["id"]) for z in zones],
            "name_zh": [str(z["name_zh"]) for z in zones],
            "name_en": [str(z["name_en"]) for z in zones],
            "spring_zh": [spring_name(z) for z in zones],
            "outlet_lon": [float(z["outlet_lon"]) for z in zones],
            "outlet_lat": [float(z["outlet_lat"]) for z in zones],
            "radius_km": [float(z["radius_km"]) for z in zones],
        }
    )
    outlets = gpd.GeoSeries.from_xy(df["outlet_lon"], df["outlet_lat"], crs=STORAGE_CRS).to_crs(WORK_CRS)
    discs = buffer_m(outlets, df["radius_km"].to_numpy() * 1000.0, quad_segs=QUAD_SEGS)
    counties_w = counties.to_crs(WORK_CRS)
    county_geoms = np.asarray(counties_w.geometry.values)
    clipped = shapely.intersection(np.asarray(discs.values), shapely.union_all(county_geoms))
    mixed = ~np.isin(shapely.get_type_id(clipped), (3, 6)) & ~shapely.is_empty(clipped)
    clipped[mixed] = shapely.buffer(clipped[mixed], 0)  # drop lines where boundaries touch
    overlap = shapely.area(shapely.intersection(clipped[:, None], county_geoms[None, :]))
    names = counties_w["name"].astype(str).to_numpy()
    df["counties"] = [",".join(names[np.argsort(-ov, kind="stable")][: int((ov > 1e4).sum())]) for ov in overlap]
    df["illustrative"] = True
    df["method"] = METHOD
    out = gpd.GeoDataFrame(df, geometry=clipped, crs=WORK_CRS)
    out = out[~out.geometry.is_empty].reset_index(drop=True)
    if out.empty:
        raise InputError("no spring zone has any part inside the city")
    out.insert(out.columns.get_loc("radius_km") + 1, "area_ha", to_area_crs(out.geometry).area.to_numpy() / 1e4)
    return to_storage_crs(out)


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``spring_zones``: :func:`spring_zones` on the counties and the plan."""
    return spring_zones(ctx.load("counties"), ctx.plan["spring_zones"])
