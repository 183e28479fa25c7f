"""三区三线 demonstration layers: 城镇开发边界 and 永久基本农田, *illustrative* models.

The official control lines (from the 国土空间规划 database) are not available here. So that the 三区三线
rule preset (``check-siting --rules sanqu``) can be shown on real land, two layers are modelled from
the shipped data, with parameters in ``plan.toml`` ``[sanqu_model]``; every feature is flagged
``illustrative``. The office's own layers replace them (``lg.use("basic_farmland", path)``).

``urban_boundary`` (城镇开发边界)
    Per county seat: a disc of ``urban_radius_km`` (``urban_radius_km_by_county`` for the larger
    towns) around the seat, plus the built-up cells of the land cover (``built`` class) within
    ``urban_search_km`` around it; closed by half a cell, clipped to the city.
``basic_farmland`` (永久基本农田)
    Cropland cells of the land cover (``cropland`` class, nearest-neighbour on the
    ``terrain.resolution_m`` DEM grid) with a slope of at most ``farmland_max_slope_deg``, outside the
    urban boundaries (plus ``farmland_town_clearance_m``) and outside the red lines (the three lines
    do not overlap by rule); patches under ``farmland_min_patch_km2`` are dropped; split by county.
    With the 5 km MODIS land cover this is very coarse: it shows how the check works, nothing more.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from linfen_geo.crs import AREA_CRS, WORK_CRS, to_storage_crs
from linfen_geo.grid import to_work_grid
from linfen_geo.landcover import common_classes
from linfen_geo.layers._common import pieces_by_county
from linfen_geo.terrain import mask_to_polygons, rasterize_like, slope_deg

__all__ = ["build_farmland", "build_urban"]


def _grid_and_cover(ctx: Any) -> tuple[Any, np.ndarray, list[str]]:
    plan = ctx.plan
    dem = to_work_grid(ctx.load("dem"), plan["terrain"]["resolution_m"], snap=False)
    classes = list(plan["greening"]["classes"])
    common = common_classes(ctx.load("landcover"), classes, plan["greening"]["class_maps"])
    cover = common.rio.reproject_match(dem, resampling=0).values
    return dem, cover, classes


def urban_boundaries(ctx: Any) -> gpd.GeoDataFrame:
    """The illustrative urban boundaries in EPSG:4546 (see the module docstring)."""
    model = ctx.plan["sanqu_model"]
    dem, cover, classes = _grid_and_cover(ctx)
    half = abs(float(dem.rio.resolution()[0])) / 2
    counties = ctx.load("counties").to_crs(WORK_CRS)
    city = shapely.union_all(np.asarray(counties.geometry.values))
    seats = ctx.load("county_seats").to_crs(WORK_CRS)
    built = cover == classes.index("built")
    built_geoms = np.asarray(mask_to_polygons(built, like=dem).values) if built.any() else np.empty(0, object)
    by_county = {int(k): float(v) for k, v in model.get("urban_radius_km_by_county", {}).items()}
    radius = np.array([by_county.get(int(a), float(model["urban_radius_km"])) * 1000 for a in seats["adcode"]])
    seat_pts = np.asarray(seats.geometry.values)
    discs = shapely.buffer(seat_pts, radius, quad_segs=16)
    geoms = []
    for i, pt in enumerate(seat_pts):  # 17 county seats
        reach = shapely.buffer(pt, float(model["urban_search_km"]) * 1000, quad_segs=16)
        near = shapely.intersection(built_geoms[shapely.intersects(built_geoms, reach)], reach)
        g = shapely.union_all([discs[i], *near])
        g = shapely.buffer(shapely.buffer(g, half, quad_segs=8), -half, quad_segs=8)
        geoms.append(shapely.intersection(g, city))
    out = gpd.GeoDataFrame(
        {
            "boundary_id": [f"UB-{a}" for a in seats["adcode"]],
            "name": [f"{n}城镇开发边界（示意）" for n in seats["name"]],
            "adcode": seats["adcode"].to_numpy(),
            "illustrative": True,
            "method": "illustrative: disc around the county seat plus nearby built-up land cover (NOT official)",
        },
        geometry=geoms,
        crs=WORK_CRS,
    )
    out = out[~out.geometry.is_empty].reset_index(drop=True)
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return out


def build_urban(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``urban_boundary``."""
    return to_storage_crs(urban_boundaries(ctx))


def build_farmland(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``basic_farmland`` (see the module docstring)."""
    model = ctx.plan["sanqu_model"]
    dem, cover, classes = _grid_and_cover(ctx)
    counties = ctx.load("counties").to_crs(WORK_CRS)
    city = shapely.union_all(np.asarray(counties.geometry.values))
    flat = slope_deg(dem).values <= float(model["farmland_max_slope_deg"])
    crop = (cover == classes.index("cropland")) & flat & np.isfinite(dem.values)
    crop &= rasterize_like(gpd.GeoSeries([city], crs=WORK_CRS), dem)
    if not crop.any():
        return to_storage_crs(
            gpd.GeoDataFrame({"farmland_id": [], "name": [], "illustrative": []}, geometry=[], crs=WORK_CRS)
        )
    fields = shapely.union_all(np.asarray(mask_to_polygons(crop, like=dem).values))
    towns = ctx.load("urban_boundary").to_crs(WORK_CRS)
    red = ctx.load("redlines").to_crs(WORK_CRS)
    keep_out = shapely.union_all(
        [*shapely.buffer(np.asarray(towns.geometry.values), float(model["farmland_town_clearance_m"])),
         *np.asarray(red.geometry.values)]
    )  # fmt: skip
    fields = shapely.intersection(shapely.difference(fields, keep_out), city)
    pieces = pieces_by_county(counties, fields, float(model["farmland_min_patch_km2"]))
    n = pieces["n"]
    out = gpd.GeoDataFrame(
        {
            "farmland_id": [f"JBNT-{a}-{k:03d}" for a, k in zip(pieces["adcode"], n, strict=True)],
            "name": [f"{c}永久基本农田{k:03d}（示意）" for c, k in zip(pieces["name"], n, strict=True)],
            "county": pieces["name"].to_numpy(),
            "adcode": pieces["adcode"].to_numpy(),
            "illustrative": True,
            "method": "illustrative: flat cropland of the 5 km land cover outside towns and red lines (NOT official)",
        },
        geometry=pieces.geometry.to_numpy(),
        crs=WORK_CRS,
    )
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return to_storage_crs(out)
