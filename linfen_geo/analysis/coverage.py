"""Coverage: how much of each zone a layer covers.

Overlapping features inside the layer are dissolved first (no double counting); every area
is computed in :data:`~linfen_geo.crs.AREA_CRS` (equal-area, ellipsoidal areas), named in
the result's ``attrs["area_crs"]``.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> zones = gpd.GeoDataFrame({"zone": ["a", "b"]}, geometry=[box(500000, 4e6, 501000, 4.001e6),
...                           box(501000, 4e6, 502000, 4.001e6)], crs=4546)
>>> layer = gpd.GeoDataFrame(geometry=[box(500500, 4e6, 501500, 4.001e6)] * 2, crs=4546)
>>> coverage(layer, zones, zone_id="zone")["share"].round(3).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis._prep import as_layer, check_same_crs, city_zone, dissolved, layer_status, zone_names
from linfen_geo.crs import AREA_CRS, AREA_CRS_NAME
from linfen_geo.units import add_area_columns

__all__ = ["coverage", "with_total"]


def coverage(
    layer: Any, zones: Any = "counties", *, zone_id: str | None = None, catalog: Any = None, reproject: bool = False
) -> pd.DataFrame:
    """Area of each zone covered by a layer.

    Parameters
    ----------
    layer
        Catalog layer name or GeoDataFrame (polygons; dissolved before measuring).
    zones
        Catalog layer name or GeoDataFrame of polygon zones (counties, barriers, corridors, ...),
        or ``"city"`` for the whole city as one zone.
    zone_id
        Column identifying zones (default: the catalog's id column, else the index).
    catalog
        Catalog to load named layers from (default: the session's).
    reproject
        Accept a ``layer`` and ``zones`` given in different CRSs (else :class:`CRSMismatchError`).

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``zone_id, name_zh, name_en, zone_area_m2, covered_m2, share`` plus
        km2/ha/亩 columns. ``attrs``: area CRS, layer name and status.
    """
    lyr = as_layer(layer, catalog, what="layer")
    if isinstance(zones, str) and zones == "city":
        z = city_zone(catalog)
        zone_id = "zone_id"
    else:
        z = as_layer(zones, catalog, what="zones")
        check_same_crs([(layer, lyr, "layer"), (zones, z, "zones")], reproject)
    if zone_id is None:
        zone_id = next(
            (c for c in ("adcode", "barrier_id", "corridor_id", "redline_id", "zone_id", "id") if c in z.columns), None
        )
    zh, en = zone_names(z)
    ids = z[zone_id].astype(str).to_numpy() if zone_id else z.index.astype(str).to_numpy()
    zgeoms = z.to_crs(AREA_CRS).geometry.values
    union = dissolved(lyr)
    shapely.prepare(union)
    covered = shapely.area(shapely.intersection(zgeoms, union))
    zone_area = shapely.area(zgeoms)
    out = pd.DataFrame(
        {
            "zone_id": ids,
            "name_zh": z[zh].astype(str).to_numpy() if zh else ids,
            "name_en": z[en].astype(str).to_numpy() if en else ids,
            "zone_area_m2": zone_area,
            "covered_m2": covered,
            "share": np.divide(covered, zone_area, out=np.zeros_like(covered), where=zone_area > 0),
        }
    )
    out = add_area_columns(add_area_columns(out, "zone_area_m2"), "covered_m2")
    out.attrs.update(
        {
            "area_crs": AREA_CRS_NAME,
            "layer": lyr.attrs.get("layer", "user layer"),
            "status": layer_status(lyr),
            "definitions": [
                "the layer is dissolved first: overlaps between its own features are counted once",
                "covered area = area of (dissolved layer intersection zone); share = covered area / zone area",
            ],
        }
    )
    return out


def with_total(df: pd.DataFrame, label_zh: str = "合计", label_en: str = "Total") -> pd.DataFrame:
    """Append a total row (areas summed, share recomputed) to a coverage table."""
    total = {c: df[c].sum() for c in df.columns if c.endswith(("_m2", "_km2", "_ha", "_mu"))}
    total.update({"zone_id": "total", "name_zh": label_zh, "name_en": label_en})
    total["share"] = total["covered_m2"] / total["zone_area_m2"] if total.get("zone_area_m2") else 0.0
    out = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    out.attrs = dict(df.attrs)
    return out
