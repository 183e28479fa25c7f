"""自然保护区 - nature reserves: real outlines where they exist, modelled zones inside every outline.

Per reserve of the plan's ``[[reserves]]`` (parameters in ``plan.toml`` ``[reserve_rules]``,
``[[reserves]]`` and ``[terrain]``):

1. **Registry.** ``registry_code`` names the reserve in the ``reserve_registry`` layer (the Shanxi
   forestry registry: official total area, official core/buffer/experimental areas, centre point).
2. **Outline.** The feature of ``reserve_outlines`` whose ``name`` equals ``name_zh``
   (``outline_status = "real"``: OpenStreetMap for 五鹿山 and 历山; official outlines drop in through
   ``lg.use("reserve_outlines", ...)``). A reserve without one gets an *illustrative* outline grown
   over the DEM (``outline_status = "illustrative"``):

   a. **Grid.** The DEM is reprojected to EPSG:4546 at ``terrain.resolution_m`` (500 m cells) and
      cut to a window of 40 km around the seed.
   b. **Seed.** The highest cell within ``seed_search_km`` of (``summit_lon``, ``summit_lat``), or of
      the registry centre when the plan gives no summit.
   c. **Cost distance** from the seed with :class:`skimage.graph.MCP_Geometric` (8-connected,
      metres); crossing a cell costs ``1 + max(0, z_seed - z) / descent_ref_m`` per metre, so the
      reserve spreads along ridges and high ground before it goes down into valleys. Cells without
      elevation, and cells of reserves placed before (real outlines first), are impassable.
   d. **Growth.** Cells are taken in increasing cost distance; the outline is the smallest set
      whose footprint, closed by half a cell (``buffer(+r).buffer(-r)``), reaches the registry's
      total area (Albers equal-area; the closing is monotone in the cell count, so a bisection
      finds it), or the set one cell smaller when that is closer. Earlier reserves are cut out.
3. **Zones** (always modelled: ``illustrative = True``). Inside the outline, cells are ordered by
   the same least-cost distance from the seed (the highest cell of the outline near the summit);
   the core zone (核心区) is the outline's part within the closed footprint of the first cells whose
   area reaches ``core share x outline area``, the buffer zone (缓冲区) the next ``buffer share``,
   the experimental zone (实验区) the rest of the outline. The shares are the registry's official
   zone areas over its total (``[reserve_rules]`` core_share / buffer_share without a registry
   entry). The zones are cut from the outline itself (its own vertices, in lon/lat), so they
   never overlap and together make exactly the outline.
4. **Clip.** Each zone is clipped to the city (union of the counties); a zone with nothing inside
   the city is dropped. The 历山 OSM outline covers only part of the reserve (123.6 of 241.4 km2):
   its zones are sized to the official shares of the part it covers.

Columns: ``reserve_id`` (``NR1-core`` ...), ``reserve``, ``registry_code``, ``name_zh``, ``name_en``,
``zone``, ``zone_zh``, ``level``, ``documented_area_ha`` (registry total), ``zone_official_ha``
(registry zone area of the whole reserve), ``outline_status`` (real / illustrative),
``outline_source``, ``outline_area_ha`` (the whole outline, inside and outside the city),
``zone_area_total_ha`` (this zone, inside and outside), ``area_in_city_ha`` (this row's geometry),
``counties`` (largest share first), ``seed_lon``, ``seed_lat``, ``seed_elev_m``, ``illustrative``
(True: every zone boundary is modelled), ``zone_status`` and ``method``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from skimage.graph import MCP_Geometric

from linfen_geo.crs import MAX_STORED_SEGMENT_M, STORAGE_CRS, as_crs, to_area_crs, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.geometry import make_valid_structure
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
    closed = shapely.buffer(shapely.buffer(geom, r, quad_segs=8), -r, quad_segs=8)
    # widen points where cells touch only at a corner into 2 cm necks: such a pinch is valid here but
    # could cross itself once reprojected (and would break every overlay with the layer)
    return shapely.buffer(closed, 0.01, quad_segs=1, join_style="mitre")


def _area_m2(geom: Any, crs: Any) -> float:
    return float(to_area_crs(gpd.GeoSeries([geom], crs=crs)).area.iloc[0])


def _grow(order: np.ndarray, target_m2: float, dem: xr.DataArray, r: float) -> tuple[int, Any, float]:
    """Smallest cell count whose smoothed footprint reaches ``target_m2`` (or the closer neighbour)."""
    crs = as_crs(dem.rio.crs)  # one pyproj CRS, not one per GeoSeries
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


#: precision grid (m, EPSG:4546) of the zone cuts
PRECISION_M = 0.0001


def _window(grid: xr.DataArray, x: float, y: float, half_m: float) -> xr.DataArray:
    """The part of ``grid`` within ``half_m`` of (x, y) (a square window)."""
    xs, ys = grid["x"].values, grid["y"].values
    cols = np.flatnonzero(np.abs(xs - x) <= half_m)
    rows = np.flatnonzero(np.abs(ys - y) <= half_m)
    if not len(cols) or not len(rows):
        raise InputError(f"the point ({x:.0f}, {y:.0f}) lies outside the DEM")
    return grid.isel(x=slice(cols[0], cols[-1] + 1), y=slice(rows[0], rows[-1] + 1))


def _cells_in(geom: Any, grid: xr.DataArray, *, all_touched: bool) -> np.ndarray:
    """Boolean grid of the cells of ``grid`` that ``geom`` (in the grid's CRS) covers or touches."""
    import rasterio.features

    if geom is None or shapely.is_empty(geom):
        return np.zeros(grid.shape, dtype=bool)
    return rasterio.features.geometry_mask(
        [geom], out_shape=grid.shape, transform=grid.rio.transform(), invert=True, all_touched=all_touched
    )


def _order(grid: xr.DataArray, seed: tuple[int, int], descent_ref_m: float, passable: np.ndarray) -> np.ndarray:
    """Flat indices of the passable cells reachable from ``seed``, by increasing cost distance."""
    g = grid.copy(data=np.where(passable, grid.values, np.nan))
    cum = cost_distance(g, seed, descent_ref_m).ravel()
    reachable = np.flatnonzero(np.isfinite(cum))
    return reachable[np.argsort(cum[reachable], kind="stable")]


def _cut(order: np.ndarray, grid: xr.DataArray, r: float, outline_w: Any, target_m2: float) -> Any:
    """Closed footprint of the fewest first cells whose part inside ``outline_w`` reaches ``target_m2``."""
    crs = as_crs(grid.rio.crs)  # one pyproj CRS, not one per GeoSeries

    def area(n: int) -> float:
        return _area_m2(shapely.intersection(_footprint(order, n, grid, r), outline_w), crs)

    lo, hi = 1, len(order)
    if area(hi) < target_m2:
        return _footprint(order, hi, grid, r)
    while lo < hi:  # the closed footprint grows with n, so its part inside the outline does too
        mid = (lo + hi) // 2
        if area(mid) >= target_m2:
            hi = mid
        else:
            lo = mid + 1
    if lo > 1 and target_m2 - area(lo - 1) < area(lo) - target_m2:
        lo -= 1
    return _footprint(order, lo, grid, r)


def _seed_in(grid: xr.DataArray, x: float, y: float, radius_m: float, inside: np.ndarray) -> tuple[int, int]:
    """Highest cell of ``inside`` within ``radius_m`` of (x, y), else the ``inside`` cell nearest to it."""
    g = grid.copy(data=np.where(inside, grid.values, np.nan))
    try:
        return _seed_cell(g, x, y, radius_m)
    except InputError:
        xs, ys = grid["x"].values, grid["y"].values
        d2 = np.where(inside & np.isfinite(grid.values), (xs[None, :] - x) ** 2 + (ys[:, None] - y) ** 2, np.inf)
        if not np.isfinite(d2).any():
            raise InputError("the reserve outline covers no DEM cell with elevation") from None
        return divmod(int(d2.argmin()), grid.shape[1])


def _registry_row(registry: gpd.GeoDataFrame | None, spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    code = str(spec.get("registry_code") or "")
    if not code:
        return None
    if registry is None or code not in set(registry["code"]):
        raise InputError(f"reserve {spec['id']}: registry_code {code!r} is not in the reserve_registry layer")
    return registry[registry["code"] == code].iloc[0]


def _facts(spec: Mapping[str, Any], reg: Mapping[str, Any] | None, rules: Mapping[str, Any]) -> dict[str, Any]:
    """Documented area, zone shares and summit of a reserve: registry first, the plan's values otherwise."""
    if reg is not None:
        zone_ha = [float(reg["core_official_ha"]), float(reg["buffer_official_ha"]), float(reg["exp_official_ha"])]
        total = float(sum(zone_ha))
        shares = [zone_ha[0] / total, zone_ha[1] / total]
        lon = spec.get("summit_lon", float(reg.geometry.x))
        lat = spec.get("summit_lat", float(reg.geometry.y))
    else:
        total = float(spec["documented_area_ha"])
        shares = [float(rules["core_share"]), float(rules["buffer_share"])]
        zone_ha = [total * shares[0], total * shares[1], total * (1 - sum(shares))]
        lon, lat = spec["summit_lon"], spec["summit_lat"]
    if min(shares) <= 0 or sum(shares) >= 1:
        raise InputError(f"reserve {spec['id']}: zone shares {shares} must be > 0 and add up to < 1")
    return {"total_ha": total, "zone_ha": zone_ha, "shares": shares, "lon": float(lon), "lat": float(lat)}


def grow_reserves(
    dem: xr.DataArray,
    counties: gpd.GeoDataFrame,
    reserves: Sequence[Mapping[str, Any]],
    rules: Mapping[str, Any],
    *,
    resolution_m: float,
    outlines: gpd.GeoDataFrame | None = None,
    registry: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Outline and zone each reserve (see the module docstring).

    Parameters
    ----------
    dem
        DEM in any CRS (reprojected to EPSG:4546 at ``resolution_m``); NaN is nodata.
    counties
        County polygons with ``name`` (any CRS); their union is the city the zones are clipped to.
    reserves
        ``[[reserves]]`` entries of the plan: ``id``, ``name_zh``, ``name_en``, ``level``, and
        ``registry_code`` or ``documented_area_ha``/``summit_lon``/``summit_lat``; ``seed_search_km``.
    rules
        ``[reserve_rules]``: ``core_share`` and ``buffer_share`` (used without a registry entry) and
        ``descent_ref_m`` (the descent that doubles the cost of crossing a cell).
    resolution_m
        Cell size of the working grid in metres.
    outlines
        Reserve outlines with ``name`` (matched to ``name_zh``); reserves without one are grown.
    registry
        Registry points with ``code``, ``core_official_ha``, ``buffer_official_ha``, ``exp_official_ha``.

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
    full = to_work_grid(dem, resolution_m, snap=False)
    crs = as_crs(full.rio.crs)  # one pyproj CRS, not one per GeoSeries
    half = abs(float(full.rio.resolution()[0])) / 2
    counties_ll = to_storage_crs(counties)
    county_geoms = np.asarray(counties_ll.geometry.values)
    city_work = shapely.union_all(np.asarray(counties_ll.to_crs(crs).geometry.values))
    descent_ref_m = float(rules["descent_ref_m"])
    by_name: dict[str, Any] = {}
    if outlines is not None and len(outlines):
        ol = to_storage_crs(outlines)
        by_name = {str(n): g for n, g in zip(ol["name"], ol.geometry.values, strict=True)}
    # real outlines first: grown outlines must not enter them
    specs = sorted(reserves, key=lambda sp: 0 if str(sp["name_zh"]) in by_name else 1)
    taken: list[Any] = []  # outlines placed so far (EPSG:4326)
    rows: list[dict[str, Any]] = []
    for spec in specs:  # one per reserve (7)
        facts = _facts(spec, _registry_row(registry, spec), rules)
        summit = gpd.GeoSeries.from_xy([facts["lon"]], [facts["lat"]], crs=STORAGE_CRS).to_crs(crs)
        sx, sy = float(summit.x.iloc[0]), float(summit.y.iloc[0])
        radius = float(spec.get("seed_search_km", 5.0)) * 1000
        taken_u = shapely.union_all(taken) if taken else None
        outline = by_name.get(str(spec["name_zh"]))
        if outline is not None:
            status, source = "real", "OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0)"
            outline_w = to_work_grid_geom(outline, crs)
            x0, y0, x1, y1 = shapely.bounds(outline_w)
            grid = _window(full, (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2 + 5 * half)
        else:
            status, source = "illustrative", "grown over the DEM from the registry centre to the registry area"
            grid = _window(full, sx, sy, 40_000.0)
            blocked = _cells_in(to_work_grid_geom(taken_u, crs), grid, all_touched=False) if taken_u else None
            passable = np.isfinite(grid.values) if blocked is None else np.isfinite(grid.values) & ~blocked
            seed0 = _seed_in(grid, sx, sy, radius, passable)
            order0 = _order(grid, seed0, descent_ref_m, passable)
            _, grown, _ = _grow(order0, facts["total_ha"] * 1e4, grid, half)
            outline = to_storage_crs(gpd.GeoSeries([grown], crs=crs)).iloc[0]
            if taken_u is not None:
                outline = shapely.difference(outline, taken_u)
            outline_w = to_work_grid_geom(outline, crs)
            outline = gpd.GeoSeries([outline_w], crs=crs).to_crs(STORAGE_CRS).iloc[0]
        inside = _cells_in(outline_w, grid, all_touched=True) & np.isfinite(grid.values)
        centre_in = _cells_in(outline_w, grid, all_touched=False) & np.isfinite(grid.values)
        seed = _seed_in(grid, sx, sy, radius, centre_in if centre_in.any() else inside)  # a cell centred inside
        order = _order(grid, seed, descent_ref_m, inside)
        outline_m2 = _area_m2(outline_w, crs)
        fp_core = _cut(order, grid, half, outline_w, facts["shares"][0] * outline_m2)
        fp_mid = shapely.union(_cut(order, grid, half, outline_w, sum(facts["shares"]) * outline_m2), fp_core)
        # zones are cut in the grid's CRS, where the footprints are exact: the ring from the core (so
        # they share their boundary), both snapped to the outline where they nearly run along it
        # (within 5 m: no slivers), the experimental zone the rest. Footprint edges are split to
        # <= 100 m first, so the plain reprojection back to lon/lat moves them by millimetres only;
        # the outline's own vertices go there and back unchanged (to 1e-14).
        # a 0.1 mm precision grid keeps every zone valid in any CRS (no near-coincident edges survive)
        outline_w = shapely.set_precision(outline_w, PRECISION_M)
        outline_m2 = _area_m2(outline_w, crs)
        ring = shapely.difference(fp_mid, fp_core)
        core_w, ring_w = (shapely.snap(shapely.segmentize(g, 100.0), outline_w, 5.0) for g in (fp_core, ring))
        core_w, ring_w = (shapely.set_precision(g, PRECISION_M) for g in (core_w, ring_w))
        two = _polygonal(np.asarray([shapely.intersection(outline_w, core_w), shapely.intersection(outline_w, ring_w)]))
        rest = shapely.difference(outline_w, shapely.union(two[0], two[1]))
        zones_w = shapely.set_precision(
            np.asarray([two[0], two[1], _polygonal(np.asarray([rest]))[0]], dtype=object), PRECISION_M
        )
        zone_areas = to_area_crs(gpd.GeoSeries(zones_w, crs=crs)).area.to_numpy()
        two_c = _polygonal(shapely.intersection(zones_w[:2], city_work))
        rest_c = shapely.difference(shapely.intersection(outline_w, city_work), shapely.union(two_c[0], two_c[1]))
        clipped_w = shapely.set_precision(
            np.asarray([two_c[0], two_c[1], _polygonal(np.asarray([rest_c]))[0]], dtype=object), PRECISION_M
        )
        if status != "real":  # modelled edges: <= 100 m, as every stored layer (a real outline keeps its own)
            clipped_w = shapely.segmentize(clipped_w, MAX_STORED_SEGMENT_M)
        clipped = np.asarray(gpd.GeoSeries(clipped_w, crs=crs).to_crs(STORAGE_CRS).values, dtype=object)
        overlap = (
            to_area_crs(
                gpd.GeoSeries(shapely.intersection(clipped[:, None], county_geoms[None, :]).ravel(), crs=STORAGE_CRS)
            )
            .area.to_numpy()
            .reshape(len(clipped), len(county_geoms))
        )
        seed_ll = to_storage_crs(
            gpd.GeoSeries.from_xy([grid["x"].values[seed[1]]], [grid["y"].values[seed[0]]], crs=crs)
        ).iloc[0]
        taken.append(outline)
        method = (
            f"outline {status} ({source}); zones illustrative: least-cost distance from the seed "
            f"(cost 1 + descent/{descent_ref_m:g} m, {resolution_m:g} m cells) inside the outline, "
            f"sized to the official zone shares (core {facts['shares'][0]:.1%}, buffer {facts['shares'][1]:.1%}); "
            "clipped to the city"
        )
        for k, ((zone, zone_zh), geom, zone_area, ov) in enumerate(
            zip(ZONES, clipped, zone_areas, overlap, strict=True)
        ):
            if shapely.is_empty(geom) or shapely.area(geom) <= 0:
                continue
            touched = np.argsort(-ov, kind="stable")[: int((ov > 1e4).sum())]
            rows.append(
                {
                    "reserve_id": f"{spec['id']}-{zone}",
                    "reserve": str(spec["id"]),
                    "registry_code": str(spec.get("registry_code") or ""),
                    "name_zh": spec["name_zh"],
                    "name_en": spec["name_en"],
                    "zone": zone,
                    "zone_zh": zone_zh,
                    "level": str(spec.get("level", "")),
                    "documented_area_ha": facts["total_ha"],
                    "zone_official_ha": facts["zone_ha"][k],
                    "outline_status": status,
                    "outline_source": source,
                    "outline_area_ha": outline_m2 / 1e4,
                    "zone_area_total_ha": float(zone_area) / 1e4,
                    "counties": ",".join(counties_ll["name"].iloc[touched].astype(str)),
                    "seed_lon": float(seed_ll.x),
                    "seed_lat": float(seed_ll.y),
                    "seed_elev_m": float(grid.values[seed]),
                    "illustrative": True,
                    "zone_status": "illustrative",
                    "method": method,
                    "geometry": geom,
                }
            )
    if not rows:
        raise InputError("no reserve has any part inside the city")
    order_ids = {str(sp["id"]): i for i, sp in enumerate(reserves)}
    out = frame(rows, STORAGE_CRS)
    out = out.iloc[np.argsort([order_ids[r] for r in out["reserve"]], kind="stable")].reset_index(drop=True)
    out.insert(out.columns.get_loc("zone_area_total_ha") + 1, "area_in_city_ha", to_area_crs(out.geometry).area / 1e4)
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of overlay results (lines and points where boundaries touch go); repair if invalid."""
    out = np.asarray(geoms, dtype=object).copy()
    bad = ~shapely.is_valid(out)
    if bad.any():
        out[bad] = make_valid_structure(out[bad])
    mixed = shapely.get_type_id(out) == 7  # GeometryCollection
    for i in np.flatnonzero(mixed):  # rare: a zone touching another along a line (a few of 21 zones)
        parts = [p for p in shapely.get_parts(out[i]) if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


def to_work_grid_geom(geom: Any, crs: Any) -> Any:
    """A lon/lat geometry in the grid's CRS (``None`` stays ``None``)."""
    if geom is None:
        return None
    return gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(crs).iloc[0]


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``reserves``: :func:`grow_reserves` on the catalog's DEM, counties, outlines and registry."""
    plan = ctx.plan
    return grow_reserves(
        ctx.load("dem"),
        ctx.load("counties"),
        plan["reserves"],
        plan["reserve_rules"],
        resolution_m=float(plan["terrain"]["resolution_m"]),
        outlines=ctx.load("reserve_outlines"),
        registry=ctx.load("reserve_registry"),
    )
