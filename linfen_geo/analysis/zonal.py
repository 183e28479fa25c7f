"""Raster-by-zone tabulation with exact partial-pixel coverage (exactextract).

Class areas are never counted from pixel centres: exactextract computes the exact fraction
of every cell that each zone covers. Cell fractions are weighted by the cells' (spherical)
area, which matters on a lon/lat grid, and the resulting class fractions are scaled to the
zone's ellipsoidal area in :data:`~linfen_geo.crs.AREA_CRS`, so the classes of a zone sum
exactly to the zone's area as every vector table reports it.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)

from linfen_geo.crs import AREA_CRS, require_crs
from linfen_geo.errors import CRSError, InputError

__all__ = ["tabulate_classes"]

NODATA_CLASS = -1


def tabulate_classes(raster: Any, zones: gpd.GeoDataFrame, *, zone_id: str) -> pd.DataFrame:
    """Area of each raster class in each zone (long table).

    Parameters
    ----------
    raster
        Categorical single-band DataArray (rioxarray) with a CRS and nodata value.
    zones
        Polygon zones with a CRS.
    zone_id
        Column identifying the zones.

    Returns
    -------
    pandas.DataFrame
        ``zone_id, class, frac, area_m2`` - nodata cells appear as class -1; the classes of a
        zone sum to its area in AREA_CRS.

    Examples
    --------
    >>> import numpy as np, xarray as xr, geopandas as gpd
    >>> from shapely.geometry import box
    >>> x0, y0 = 500_000.0, 4_000_000.0
    >>> da = xr.DataArray(np.array([[1, 2], [1, 1]], dtype="uint8"), dims=("y", "x"),
    ...                   coords={"y": [y0 + 1500, y0 + 500], "x": [x0 + 500, x0 + 1500]}).rio.write_crs(4546)
    >>> da = da.rio.write_nodata(255)
    >>> z = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(x0, y0, x0 + 1500, y0 + 2000)], crs=4546)
    >>> t = tabulate_classes(da, z, zone_id="id")
    >>> t["class"].tolist(), (t["frac"] * 6).round(6).tolist()
    ([1, 2], [5.0, 1.0])
    """
    from exactextract import exact_extract

    rcrs = raster.rio.crs
    if rcrs is None:
        raise CRSError("the raster has no CRS")
    require_crs(zones, "the zones")
    if zones[zone_id].duplicated().any():
        raise InputError(f"zone ids in {zone_id!r} are not unique")
    key = "_lg_zone"
    zones_r = gpd.GeoDataFrame(
        {key: zones[zone_id].to_numpy()}, geometry=zones.geometry.to_numpy(), crs=zones.crs
    ).to_crs(rcrs)
    minx, miny, maxx, maxy = zones_r.total_bounds
    rb = raster.rio.bounds()
    tol = 1e-9 * max(abs(v) for v in rb)
    if minx < rb[0] - tol or miny < rb[1] - tol or maxx > rb[2] + tol or maxy > rb[3] + tol:
        raise InputError("the zones reach beyond the raster's extent: use a raster that covers them")
    nodata = raster.rio.nodata
    da = raster
    if nodata is None:
        da = raster.rio.write_nodata(255 if raster.dtype == np.uint8 else -1)
    weight = "area_spherical_m2" if rcrs.is_geographic else "area_cartesian"
    dv = int(da.rio.nodata)
    ops = [f"unique(default_value={dv})", f"frac(default_value={dv},coverage_weight={weight})"]
    res = exact_extract(da, zones_r, ops, output="pandas", include_cols=[key]).rename(columns={key: zone_id})
    area = zones[[zone_id]].assign(_a=zones.to_crs(AREA_CRS).area.to_numpy()).set_index(zone_id)["_a"]
    long = res.explode(["unique", "frac"]).dropna(subset=["unique"])
    long = long.rename(columns={"unique": "class"})
    long["class"] = long["class"].astype(int)
    long.loc[long["class"] == dv, "class"] = NODATA_CLASS
    long["frac"] = long["frac"].astype(float)
    long["area_m2"] = long["frac"] * long[zone_id].map(area).to_numpy()
    long = long.groupby([zone_id, "class"], as_index=False, sort=True)[["frac", "area_m2"]].sum()
    return long.reset_index(drop=True)
