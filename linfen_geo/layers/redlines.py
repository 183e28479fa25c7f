"""生态保护红线 - ecological protection red lines: the illustrative model.

The official red lines are not available here. When the user supplies them
(``lg.use("redlines", path)``) this builder is not used. Otherwise the layer is an
**illustrative model** that mirrors the official delineation logic (生态功能重要性评价 +
生态环境敏感性评价, then 划定 by ranking), with parameters in ``plan.toml`` ``[redline_model]``:

1. On the DEM reprojected to EPSG:4546 at ``terrain.resolution_m``, every city cell gets
   ``score = w_elev * rank(elevation) + w_slope * rank(slope) + w_cover * cover_weight(IGBP class)``
   (ranks are percentiles among the city's cells; land cover sampled nearest-neighbour).
2. Nature reserves (all zones) and wetland strips along the named rivers (``width_m`` each
   side) are red line by rule.
3. The highest-scoring cells are added until, after step 4, red line covers ``target_share``
   of the city (+-0.5 percentage points; a few calibration passes).
4. The cell mask is vectorised, closed by ``smooth_m`` (merging near patches, smoothing the
   cell staircase), patches and holes under ``min_patch_km2`` are dropped/filled, the rule
   areas are added back exactly, and the result is split by county into polygons with ids
   ``HX-<adcode>-<nn>``; each carries its dominant function (``category``).

Every feature has ``illustrative = True``. Never present this layer as the official red lines.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import AREA_CRS, WORK_CRS, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.landcover import common_classes
from linfen_geo.layers._common import frame, pieces_by_county
from linfen_geo.terrain import mask_to_polygons, rasterize_like, slope_deg

__all__ = ["build", "importance_score", "select_top_share"]


def _rank(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Percentile rank (0..1) of each masked cell among the masked cells; NaN elsewhere."""
    out = np.full(values.shape, np.nan)
    v = values[mask]
    order = np.argsort(np.argsort(v, kind="stable"), kind="stable")
    out[mask] = order / max(len(v) - 1, 1)
    return out


def importance_score(
    z: np.ndarray, slope: np.ndarray, cover: np.ndarray, mask: np.ndarray, model: dict[str, Any]
) -> np.ndarray:
    """Ecological importance/sensitivity score of each masked cell (see the module docstring).

    ``cover`` holds common land-cover class codes (:func:`linfen_geo.landcover.common_classes`);
    ``model["cover_weights"]`` weights them by class name, ``model["classes"]`` names the codes.
    """
    names = list(model["classes"])
    unknown = sorted(set(model["cover_weights"]) - set(names))
    if unknown:
        raise InputError(f"[redline_model] cover_weights names unknown land-cover classes {unknown} (classes: {names})")
    lut = np.zeros(256)
    for cls, w in model["cover_weights"].items():
        lut[names.index(cls)] = float(w)
    cw = lut[np.clip(np.nan_to_num(cover, nan=255), 0, 255).astype(int)]
    return (
        model["weight_elevation"] * _rank(z, mask)
        + model["weight_slope"] * _rank(slope, mask)
        + model["weight_cover"] * cw
    )


def select_top_share(score: np.ndarray, mask: np.ndarray, forced: np.ndarray, share: float) -> np.ndarray:
    """Cells in ``forced`` plus the highest-scoring others until ``share`` of ``mask`` is selected."""
    forced = forced & mask
    target = round(share * float(mask.sum()))
    need = max(target - int(forced.sum()), 0)
    candidates = mask & ~forced
    idx = np.flatnonzero(candidates)
    if need and len(idx):
        top = idx[np.argsort(-score.ravel()[idx], kind="stable")[:need]]
        chosen = np.zeros(mask.size, dtype=bool)
        chosen[top] = True
        return forced | chosen.reshape(mask.shape)
    return forced.copy()


def _drop_small(geom: Any, min_area: float) -> Any:
    """Drop polygon parts smaller than ``min_area`` and fill holes smaller than it."""
    parts = shapely.get_parts(geom)
    parts = parts[shapely.area(parts) >= min_area]
    out = []
    for p in parts:  # patches: tens to a few hundred
        holes = [r for r in p.interiors if shapely.Polygon(r).area >= min_area]
        out.append(shapely.Polygon(p.exterior, holes))
    return shapely.union_all(out) if out else shapely.Polygon()


def _delineate(
    score: np.ndarray,
    in_city: np.ndarray,
    forced: np.ndarray,
    share: float,
    dem: Any,
    city: Any,
    rules_union: Any,
    model: dict[str, Any],
) -> Any:
    """Select cells, vectorise, smooth, drop small patches and holes, add the rule areas back exactly."""
    mask = select_top_share(score, in_city, forced, share)
    cells = shapely.union_all(mask_to_polygons(mask, like=dem).values)
    r = model["smooth_m"]
    zone = cells.buffer(r, quad_segs=4).buffer(-r, quad_segs=4)
    zone = _drop_small(shapely.intersection(zone, city), model["min_patch_km2"] * 1e6)
    return zone if rules_union is None else shapely.union(zone, rules_union)


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Build the illustrative ``redlines`` layer from DEM, land cover, reserves and rivers."""
    plan = ctx.plan
    model = plan["redline_model"]
    res = plan["terrain"]["resolution_m"]
    counties = ctx.load("counties").to_crs(WORK_CRS)
    city = counties.union_all()
    dem = to_work_grid(ctx.load("dem"), res, snap=False)
    common = common_classes(ctx.load("landcover"), plan["greening"]["classes"], plan["greening"]["class_maps"])
    cover = common.rio.reproject_match(dem, resampling=0).values.astype(float)
    model = {**model, "classes": plan["greening"]["classes"]}
    in_city = rasterize_like(gpd.GeoSeries([city], crs=WORK_CRS), dem) & np.isfinite(dem.values)

    rule_geoms = []
    reserves = ctx.load("reserves").to_crs(WORK_CRS) if model.get("include_reserves", True) else None
    if reserves is not None and len(reserves):
        rule_geoms.append(("reserve", shapely.union_all(reserves.geometry.values)))
    rivers = ctx.load("rivers").to_crs(WORK_CRS)
    for strip in model.get("wetland_strips", []):
        lines = rivers[rivers["name"] == strip["river"]]
        if len(lines):
            rule_geoms.append(("wetland", shapely.union_all(lines.buffer(strip["width_m"], quad_segs=8).values)))
    forced = np.zeros(dem.shape, dtype=bool)
    for _, g in rule_geoms:
        forced |= rasterize_like(gpd.GeoSeries([g], crs=WORK_CRS), dem)

    score = importance_score(dem.values, slope_deg(dem).values, cover, in_city, model)
    rules_union = shapely.intersection(shapely.union_all([g for _, g in rule_geoms]), city) if rule_geoms else None
    city_area = city.area
    target = model["target_share"]
    share_cells = target
    for _ in range(4):  # calibrate: smoothing changes the area, so adjust the cell share until the result hits target
        zone = _delineate(score, in_city, forced, share_cells, dem, city, rules_union, model)
        got = zone.area / city_area
        if abs(got - target) <= 0.005:
            break
        share_cells = float(np.clip(share_cells * target / got, 0.0, 1.0))

    # split by county into polygon pieces, one feature each
    pieces = pieces_by_county(counties, zone, 0.05, ("adcode", "name", "name_en"))  # drops county-split slivers
    # category: reserve / wetland overlap first, else by barrier of the county
    cat = pd.Series(model["category_default"], index=pieces.index)
    by_barrier = model.get("category_by_barrier", {})
    for b in plan["barriers"]:
        if b["id"] in by_barrier:
            cat[pieces["adcode"].isin(b["counties"])] = by_barrier[b["id"]]
    for kind, g in rule_geoms:
        share = shapely.area(shapely.intersection(pieces.geometry.values, g)) / pieces.area.to_numpy()
        cat[share > 0.5] = model["category_reserve"] if kind == "reserve" else model["category_wetland"]
    out = (
        frame([], WORK_CRS)
        if pieces.empty
        else gpd.GeoDataFrame(
            {
                "redline_id": [f"HX-{a}-{n:02d}" for a, n in zip(pieces["adcode"], pieces["n"], strict=True)],
                "name": [
                    f"{nm}生态保护红线区{n:02d}（示意）" for nm, n in zip(pieces["name"], pieces["n"], strict=True)
                ],
                "county": pieces["name"].to_numpy(),
                "adcode": pieces["adcode"].to_numpy(),
                "category": cat.to_numpy(),
                "illustrative": True,
                "method": "modelled from DEM + MODIS land cover + reserves + wetland strips (NOT official)",
            },
            geometry=pieces.geometry.to_numpy(),
            crs=WORK_CRS,
        )
    )
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return to_storage_crs(out)
