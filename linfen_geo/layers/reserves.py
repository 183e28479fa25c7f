"""自然保护区 - illustrative footprints of the nature reserves, with their three zones.

No reserve boundary is available here, only each reserve's documented total area and the
approximate location of its summit. The footprint is grown over the real DEM so that it
follows the massif (parameters in ``plan.toml`` ``[reserve_rules]``, ``[[reserves]]`` and
``[terrain]``):

1. **Grid.** The DEM is reprojected to EPSG:4546 at ``terrain.resolution_m`` (500 m cells).
2. **Seed.** The highest DEM cell whose centre lies within ``seed_search_km`` of
   (``summit_lon``, ``summit_lat``).
3. **Cost distance.** Least-cost distance from the seed with
   :class:`skimage.graph.MCP_Geometric` (8-connected, metres), the cost of crossing a cell
   being ``1 + max(0, z_seed - z) / descent_ref_m`` per metre (plan ``[reserve_rules]``, 100 m):
   every ``descent_ref_m`` below the summit doubles the
   cost of travel, so the reserve spreads along ridges and high ground before it goes down
   into valleys. Cells without elevation are impassable.
4. **Growth.** Cells are taken in increasing cost distance (ties in grid order). The footprint
   of the first *n* cells is vectorised, dissolved and smoothed by a closing of half a cell
   (``buffer(+r).buffer(-r)``, r = resolution / 2); *n* is the smallest count whose smoothed
   footprint reaches ``documented_area_ha`` (areas in the Albers equal-area CRS; the closing
   is monotone in *n*, so a bisection finds it), or the count before it when that one is
   closer. The DEM covers a rectangle beyond the city, so the footprint may leave Linfen
   (Lishan mostly does: the real reserve also spans 沁水, 垣曲 and 阳城).
5. **Zones.** By cost-distance quantiles of the footprint's cells: the innermost ``core_share``
   of the cells is the core zone (核心区), the next ``buffer_share`` the buffer zone (缓冲区),
   the rest the experimental zone (实验区). Each zone boundary is the smoothed footprint of the
   cells up to that quantile, so the zones are nested rings that do not overlap and together
   make the whole footprint.
6. **Clip.** Each zone is clipped to the city (union of the counties); a zone with nothing
   inside the city is dropped.

Columns: ``reserve_id`` (``NR1-core`` ...), ``reserve``, ``name_zh``, ``name_en``, ``zone``
(core/buffer/experimental), ``zone_zh``, ``level``, ``documented_area_ha``, ``area_total_ha``
(the whole grown footprint, inside and outside the city), ``zone_area_total_ha`` (the zone,
inside and outside), ``area_in_city_ha`` (this row's geometry), ``counties`` (the counties the
zone covers, largest share first, comma-joined), ``seed_lon``, ``seed_lat``, ``seed_elev_m``,
``illustrative`` (always True) and ``method``.

Position is approximate (+-5 km); only the total area is documented, the zoning shares are
assumed. Replace the layer with the official boundaries (``linfen_geo.use("reserves", ...)``)
whenever they are available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from skimage.graph import MCP_Geometric

from linfen_geo.crs import STORAGE_CRS, to_area_crs, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.layers._common import frame
from linfen_geo.terrain import mask_to_polygons

__all__ = ["ZONES", "build", "grow_reserves"]


#: (zone, zone_zh) from the summit outwards
ZONES: tuple[tuple[str, str], ...] = (("core", "核心区"), ("buffer", "缓冲区"), ("experimental", "实验区"))

METHOD = (
    "illustrative: grown over the {res:g} m DEM from the highest cell near the documented summit, "
    "in order of least-cost distance (cost 1 + descent/{descent:g} m), to the documented area; "
    "zones by cost-distance quantiles (core {core:.0%}, buffer {buf:.0%}); clipped to the city"
)


def _seed_cell(dem: xr.DataArray, x: float, y: float, radius_m: float) -> tuple[int, int]:
    """(row, col) of the highest finite cell whose centre lies within ``radius_m`` of (x, y)."""
    xs = np.asarray(dem["x"].values, dtype=float)
    ys = np.asarray(dem["y"].values, dtype=float)
    d2 = (xs[None, :] - x) ** 2 + (ys[:, None] - y) ** 2
    z = np.asarray(dem.values, dtype=float)
    eligible = (d2 <= radius_m**2) & np.isfinite(z)
    if not eligible.any():
        raise InputError(f"no DEM cell with elevation within {radius_m / 1000:g} km of ({x:.0f}, {y:.0f})")
    flat = np.where(eligible, z, -np.inf).argmax()
    return divmod(int(flat), z.shape[1])


def cost_distance(dem: xr.DataArray, seed: tuple[int, int], descent_ref_m: float = 100.0) -> np.ndarray:
    """Least-cost distance (metre-weighted) from ``seed`` over a projected DEM.

    Parameters
    ----------
    dem
        DEM on a projected grid (metres); NaN cells are impassable.
    seed
        (row, col) of the start cell.
    descent_ref_m
        The descent below the seed that doubles the cost of crossing a cell.

    Returns
    -------
    numpy.ndarray
        Accumulated cost per cell, ``inf`` where unreachable. Crossing a cell costs
        ``1 + max(0, z_seed - z) / descent_ref_m`` per metre.
    """
    z = np.asarray(dem.values, dtype=float)
    dx, dy = (abs(float(r)) for r in dem.rio.resolution())
    cost = 1.0 + np.maximum(0.0, z[seed] - z) / float(descent_ref_m)
    cost[~np.isfinite(z)] = np.inf
    mcp = MCP_Geometric(cost, fully_connected=True, sampling=(dy, dx))
    cum, _ = mcp.find_costs([seed])
    cum = np.asarray(cum, dtype=float)
    cum[~np.isfinite(cost)] = np.inf
    return cum


def _footprint(order: np.ndarray, n: int, dem: xr.DataArray, r: float) -> Any:
    """Smoothed (closed by ``r``) polygon of the first ``n`` cells of ``order`` (flat indices)."""
    mask = np.zeros(dem.shape, dtype=bool)
    mask.flat[order[:n]] = True
    patches = mask_to_polygons(mask, like=dem)
    geom = shapely.union_all(patches.values)
    return shapely.buffer(shapely.buffer(geom, r, quad_segs=8), -r, quad_segs=8)


def _area_m2(geom: Any, crs: Any) -> float:
    return float(to_area_crs(gpd.GeoSeries([geom], crs=crs)).area.iloc[0])


def _grow(order: np.ndarray, target_m2: float, dem: xr.DataArray, r: float) -> tuple[int, Any, float]:
    """Smallest cell count whose smoothed footprint reaches ``target_m2`` (or the closer neighbour)."""
    crs = dem.rio.crs
    # the closing only adds area, so enough raw cells (true area of the first cell, 1 % margin) bound n
    first = _area_m2(_footprint(order, 1, dem, r), crs)
    lo, hi = 1, min(len(order), int(np.ceil(1.01 * target_m2 / first)) + 1)
    if _area_m2(_footprint(order, hi, dem, r), crs) < target_m2:
        hi = len(order)
        if _area_m2(_footprint(order, hi, dem, r), crs) < target_m2:
            raise InputError(f"the reachable DEM area is smaller than the documented {target_m2 / 1e4:.0f} ha")
    while lo < hi:  # closing is increasing in the cell set: the footprint area is monotone in n
        mid = (lo + hi) // 2
        if _area_m2(_footprint(order, mid, dem, r), crs) >= target_m2:
            hi = mid
        else:
            lo = mid + 1
    n = lo
    geom = _footprint(order, n, dem, r)
    area = _area_m2(geom, crs)
    if n > 1:
        prev = _footprint(order, n - 1, dem, r)
        prev_area = _area_m2(prev, crs)
        if target_m2 - prev_area < area - target_m2:
            return n - 1, prev, prev_area
    return n, geom, area


def grow_reserves(
    dem: xr.DataArray,
    counties: gpd.GeoDataFrame,
    reserves: Sequence[Mapping[str, Any]],
    rules: Mapping[str, Any],
    *,
    resolution_m: float,
) -> gpd.GeoDataFrame:
    """Grow each reserve over the DEM and split it into zones (see the module docstring).

    Parameters
    ----------
    dem
        DEM in any CRS (reprojected to EPSG:4546 at ``resolution_m``); NaN is nodata.
    counties
        County polygons with ``name`` (any CRS); their union is the city the zones are clipped to.
    reserves
        ``[[reserves]]`` entries of the plan: ``id``, ``name_zh``, ``name_en``, ``level``,
        ``documented_area_ha``, ``summit_lon``, ``summit_lat``, ``seed_search_km``.
    rules
        ``[reserve_rules]``: ``core_share`` and ``buffer_share`` (fractions of the area) and
        ``descent_ref_m`` (the descent that doubles the cost of crossing a cell).
    resolution_m
        Cell size of the working grid in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per reserve zone with part of it inside the city, in EPSG:4326.
    """
    core_share = float(rules["core_share"])
    buffer_share = float(rules["buffer_share"])
    if min(core_share, buffer_share) <= 0 or core_share + buffer_share >= 1:
        raise InputError(
            f"reserve_rules: core_share {core_share} and buffer_share {buffer_share} must be > 0 and add up to < 1"
        )
    grid = to_work_grid(dem, resolution_m, snap=False)
    crs = grid.rio.crs
    half = abs(float(grid.rio.resolution()[0])) / 2
    counties_w = counties.to_crs(crs)
    county_geoms = np.asarray(counties_w.geometry.values)
    city = shapely.union_all(county_geoms)
    descent_ref_m = float(rules["descent_ref_m"])
    method = METHOD.format(res=resolution_m, core=core_share, buf=buffer_share, descent=descent_ref_m)
    rows: list[dict[str, Any]] = []
    for spec in reserves:
        target = float(spec["documented_area_ha"]) * 1e4
        summit = gpd.GeoSeries.from_xy([spec["summit_lon"]], [spec["summit_lat"]], crs=STORAGE_CRS).to_crs(crs)
        seed = _seed_cell(grid, summit.x.iloc[0], summit.y.iloc[0], float(spec["seed_search_km"]) * 1000)
        cum = cost_distance(grid, seed, descent_ref_m)
        reachable = np.flatnonzero(np.isfinite(cum.ravel()))
        order = reachable[np.argsort(cum.ravel()[reachable], kind="stable")]
        n, whole, _ = _grow(order, target, grid, half)
        cuts = np.round(np.array([core_share, core_share + buffer_share]) * n).astype(int)
        nested = [_footprint(order, max(1, k), grid, half) for k in cuts] + [whole]
        for i in range(1, len(nested)):  # enforce nesting against rounding of the closings
            nested[i] = shapely.union(nested[i], nested[i - 1])
        zones = [nested[0]] + [shapely.difference(nested[i], nested[i - 1]) for i in range(1, len(nested))]
        zone_areas = to_area_crs(gpd.GeoSeries(zones, crs=crs)).area.to_numpy()
        clipped = shapely.intersection(np.asarray(zones, dtype=object), city)
        mixed = ~np.isin(shapely.get_type_id(clipped), (3, 6)) & ~shapely.is_empty(clipped)
        clipped[mixed] = shapely.buffer(clipped[mixed], 0)  # drop lines where boundaries touch
        # counties each zone covers (> 1 ha), largest overlap first
        overlap = shapely.area(shapely.intersection(clipped[:, None], county_geoms[None, :]))
        seed_pt = gpd.GeoSeries.from_xy([grid["x"].values[seed[1]]], [grid["y"].values[seed[0]]], crs=crs)
        seed_ll = seed_pt.to_crs(STORAGE_CRS).iloc[0]
        for (zone, zone_zh), geom, zone_area, ov in zip(ZONES, clipped, zone_areas, overlap, strict=True):
            if shapely.is_empty(geom) or shapely.area(geom) <= 0:
                continue
            touched = np.argsort(-ov, kind="stable")[: int((ov > 1e4).sum())]
            rows.append(
                {
                    "reserve_id": f"{spec['id']}-{zone}",
                    "reserve": str(spec["id"]),
                    "name_zh": spec["name_zh"],
                    "name_en": spec["name_en"],
                    "zone": zone,
                    "zone_zh": zone_zh,
                    "level": str(spec.get("level", "")),
                    "documented_area_ha": float(spec["documented_area_ha"]),
                    "area_total_ha": float(zone_areas.sum()) / 1e4,
                    "zone_area_total_ha": float(zone_area) / 1e4,
                    "counties": ",".join(counties_w["name"].iloc[touched].astype(str)),
                    "n_cells": int(n),
                    "seed_lon": float(seed_ll.x),
                    "seed_lat": float(seed_ll.y),
                    "seed_elev_m": float(grid.values[seed]),
                    "illustrative": True,
                    "method": method,
                    "geometry": geom,
                }
            )
    if not rows:
        raise InputError("no reserve has any part inside the city")
    out = frame(rows, crs)
    out.insert(out.columns.get_loc("zone_area_total_ha") + 1, "area_in_city_ha", to_area_crs(out.geometry).area / 1e4)
    return to_storage_crs(out)


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``reserves``: :func:`grow_reserves` on the catalog's DEM, counties and plan."""
    plan = ctx.plan
    return grow_reserves(
        ctx.load("dem"),
        ctx.load("counties"),
        plan["reserves"],
        plan["reserve_rules"],
        resolution_m=float(plan["terrain"]["resolution_m"]),
    )
