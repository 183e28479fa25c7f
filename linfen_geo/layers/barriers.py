"""三大生态屏障 - the three ecological barriers (plan line 432).

Method (parameters in ``plan.toml`` ``[[barriers]]``):

``rule = "counties"`` (B1 吕梁山生态脆弱区, B2 太行山水源涵养区)
    The union of the member counties the plan names. Exact, given the county layer.
``rule = "valley"`` (B3 百里汾河经济带湿地植被恢复区)
    The plan names a river-valley zone, not whole counties, and gives no boundary. The
    zone is modelled from the real DEM and river lines: DEM cells (reprojected to EPSG:4546
    at ``terrain.resolution_m``) below ``max_elevation_m`` (the plan's own 600 m cue for the
    basin) that belong to a low-lying area connected to one of the named rivers, within
    ``max_distance_m`` of them, inside the member counties; patches under ``min_patch_km2``
    are dropped. The feature is flagged ``illustrative``: a modelled boundary, not an official one.

Barriers overlap (霍州 and 翼城 belong to two): the overlap is kept, not clipped away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy import ndimage

from linfen_geo.crs import AREA_CRS, WORK_CRS, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.layers._common import county_names, frame, select_counties
from linfen_geo.terrain import mask_to_polygons, rasterize_like

__all__ = ["build", "status", "valley_zone"]


def valley_zone(
    dem_work: Any,
    rivers_work: gpd.GeoSeries,
    within: Any,
    *,
    max_elevation_m: float,
    max_distance_m: float,
    min_patch_km2: float,
) -> Any:
    """Valley-floor polygon: low cells connected to the rivers, near them, inside ``within``.

    Parameters
    ----------
    dem_work
        DEM DataArray on a projected grid (metres).
    rivers_work
        River lines in the DEM's CRS.
    within
        Polygon (same CRS) the zone is clipped to.
    max_elevation_m, max_distance_m, min_patch_km2
        The rule's thresholds.

    Returns
    -------
    shapely geometry (Polygon/MultiPolygon), possibly empty.
    """
    z = dem_work.values
    low = np.isfinite(z) & (z < max_elevation_m)
    river = rasterize_like(rivers_work, dem_work, all_touched=True)
    labels, _ = ndimage.label(low)
    touching = np.unique(labels[river & low])
    connected = np.isin(labels, touching[touching > 0])
    dx = abs(dem_work.rio.resolution()[0])
    dist = ndimage.distance_transform_edt(~river) * dx
    inside = rasterize_like(gpd.GeoSeries([within], crs=dem_work.rio.crs), dem_work, all_touched=True)
    mask = connected & (dist <= max_distance_m) & inside
    patches = mask_to_polygons(mask, like=dem_work)
    if patches.empty:
        return shapely.Polygon()
    patches = patches[patches.area >= min_patch_km2 * 1e6]
    zone = shapely.union_all(patches.values)
    # the cell staircase is smoothed by half a cell and clipped exactly to the member counties
    half = dx / 2
    zone = zone.buffer(half, quad_segs=4).buffer(-half, quad_segs=4)
    return shapely.intersection(zone, within)


def status(plan: Mapping[str, Any]) -> str | None:
    """``"illustrative"`` when some barrier of the plan is modelled (rule ``valley``), else None.

    Features built by a modelled rule carry ``illustrative = True``; the catalog reads this hook so
    the layer's status follows its features without building it.
    """
    return "illustrative" if any(b.get("rule", "counties") != "counties" for b in plan.get("barriers", [])) else None


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Build the ``barriers`` layer (one row per barrier) from the plan, counties, DEM and rivers."""
    plan = ctx.plan
    counties = ctx.load("counties")
    counties_work = counties.to_crs(WORK_CRS)
    rows = []
    dem_work = None
    for b in plan["barriers"]:  # three barriers
        members = select_counties(counties_work, b["counties"], f"barrier {b['id']}")
        union = shapely.union_all(members.geometry.values)
        rule = b.get("rule", "counties")
        illustrative = False
        if rule == "counties":
            geom = union
            method = "union of the member counties named by the plan"
        elif rule == "valley":
            if dem_work is None:
                dem_work = to_work_grid(ctx.load("dem"), plan["terrain"]["resolution_m"], snap=False)
            rivers = ctx.load("rivers")
            named = rivers[rivers["name"].isin(b["rivers"])].to_crs(WORK_CRS)
            if named.empty:
                raise InputError(f"barrier {b['id']}: no river named {b['rivers']} in the rivers layer")
            geom = valley_zone(
                dem_work,
                named.geometry,
                union,
                max_elevation_m=b["max_elevation_m"],
                max_distance_m=b["max_distance_m"],
                min_patch_km2=b["min_patch_km2"],
            )
            illustrative = True
            method = (
                f"DEM < {b['max_elevation_m']} m, connected to {'/'.join(b['rivers'])}, within "
                f"{b['max_distance_m'] / 1000:g} km of it, inside the member counties; patches < "
                f"{b['min_patch_km2']:g} km2 dropped (modelled boundary)"
            )
        else:
            raise InputError(f"barrier {b['id']}: unknown rule {rule!r} (use 'counties' or 'valley')")
        rows.append(
            {
                "barrier_id": b["id"],
                "name_zh": b["name_zh"],
                "name_en": b["name_en"],
                "rule": rule,
                "counties": county_names(counties, b["counties"]),
                "counties_en": county_names(counties, b["counties"], sep=", ", column="name_en"),
                "measures": b.get("measures", ""),
                "method": method,
                "illustrative": illustrative,
                "geometry": geom,
            }
        )
    out = frame(rows, WORK_CRS)
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return to_storage_crs(out)
