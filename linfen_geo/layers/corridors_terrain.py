"""四条生态廊道至第一重山脊线 - the four corridors by the plan's full rule (line 436, mode ``terrain``).

The plan puts the corridors on "both sides of national roads, expressways and railways, to the
first ridge line, or within 1 km in plain areas" (两侧至第一重山脊线或平原区1千米范围内).
The ``corridors`` layer is the design card's 1 km buffer (mode ``buffer``); this layer
(``corridors_terrain``) implements the rule itself, with the parameters of the plan file's
``[corridor_terrain]`` section:

1. **Plain or mountain.** The DEM (any CRS) is cropped to the roads' neighbourhood and
   reprojected to EPSG:4546 at ``resolution_m`` (``"native"``: the DEM's own cell size), and
   each road is sampled every half cell. A sample is *mountain* where the local relief (max - min
   elevation in a ``relief_window_m`` square) reaches ``mountain_min_relief_m``, or where the
   ground lies above the plan's basin cue ``terrain.basin_max_elevation_m`` (600 m) with a mean
   slope over the same window of at least ``mountain_min_slope_deg``; otherwise (and off the
   DEM) it is *plain*. Runs of equal samples form stretches; the shortest stretch under
   ``min_stretch_m`` flips to its neighbours' kind, repeatedly, until none is left
   (:func:`road_stretches`).
2. **Plain stretches** get ``plain_width_m`` (1 km) each side, a vector buffer exactly as in
   buffer mode.
3. **Mountain stretches** reach to the first drainage divide: the DEM is conditioned (pits and
   depressions filled) and D8 flow directions computed (:mod:`linfen_geo.hydrology`); the
   cells the road passes through are outlets, labelled by their stretch's kind; a cell belongs
   to the corridor when the first road cell on its D8 flow path is a mountain cell - it drains
   to the road's valley before crossing a ridge. That area is vectorised and cut by the
   ``max_distance_m`` cap (a vector buffer of the mountain stretches), and always holds the
   road's own cells (at least half a cell each side). Optional ``outlet_width_m`` (default 0)
   widens the outlets to the valley floor around the road, for fine DEMs where road and
   river run side by side.
4. The pieces are dissolved per corridor and clipped to the city.

Attributes per corridor: ``plain_km`` and ``mountain_km`` (they add up to ``length_km``, the
road length), ``mean_width_m`` = corridor area (before clipping to the city) / (2 x road length),
a one-sided mean width that counts the round ends of the plain buffers;
``max_width_m`` = the largest distance from the road of any vertex of the corridor's
boundary (before clipping), ``cap_m``, the ``dem`` used with its native cell size
``dem_resolution_m`` and the ``routing_resolution_m``; ``coarse_warning`` says so when the DEM
is coarser than 100 m - with the shipped 1 km DEM ridges and widths are only indicative; drop in
a 30 m DEM with ``lg.use("dem", path)`` (any CRS: it is reprojected first).

This module only builds the layer; the queries - the corridor layer of a mode, the stretches of
the catalog's roads - are :mod:`linfen_geo.analysis.corridors` (``lg.corridor_layer``,
``lg.corridor_stretches``). The DEM is brought to the work grid by
:func:`linfen_geo.grid.to_work_grid`.

Examples
--------
>>> import linfen_geo as lg
>>> terrain = lg.load("corridors_terrain")  # doctest: +SKIP
>>> terrain[["corridor_id", "plain_km", "mountain_km", "mean_width_m", "max_width_m"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
import xarray as xr
from shapely.geometry.base import BaseGeometry

from linfen_geo.crs import AREA_CRS, WORK_CRS, require_projected, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import cell_size_m, to_work_grid
from linfen_geo.layers._common import corridor_identity, frame
from linfen_geo.layers.corridors import corridor_polygons
from linfen_geo.terrain import local_relief, mask_to_polygons, slope_deg

__all__ = [
    "COARSE_DEM_M",
    "build",
    "road_stretches",
    "stretch_fields",
    "terrain_corridors",
    "terrain_rules",
    "work_bounds",
]


#: a DEM with cells coarser than this (m) gives a coarse terrain corridor, and the layer says so
COARSE_DEM_M = 100.0


@contextmanager
def _timed(timings: dict[str, float] | None, stage: str) -> Any:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t0


# ------------------------------------------------------------------------------------ rules
def terrain_rules(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The terrain-corridor parameters: ``[corridor_terrain]`` plus the basin cue of ``[terrain]``.

    Examples
    --------
    >>> from linfen_geo.plan.loader import load_plan
    >>> rules = terrain_rules(load_plan())
    >>> rules["plain_width_m"], rules["basin_max_elevation_m"]
    (1000, 600)
    """
    rules = dict(plan["corridor_terrain"])
    rules.setdefault("basin_max_elevation_m", plan["terrain"]["basin_max_elevation_m"])
    return rules


# ------------------------------------------------------------------------------------ plain / mountain
def _window_cells(dem_work: xr.DataArray, window_m: float) -> int:
    dx = abs(float(dem_work.rio.resolution()[0]))
    return max(3, round(window_m / dx) | 1)  # as linfen_geo.terrain's windows


def _fields_block(dem: xr.DataArray, window_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Relief and window-mean slope of one block (the whole grid or a tile with its halo)."""
    from scipy.ndimage import uniform_filter

    relief = local_relief(dem, window_m).values.astype("float32")
    slope = slope_deg(dem).values.astype("float32")
    size = _window_cells(dem, window_m)
    ok = np.isfinite(slope)
    total = uniform_filter(np.where(ok, slope, np.float32(0)), size=size, mode="nearest")
    count = uniform_filter(ok.astype("float32"), size=size, mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_slope = np.where(count > 1e-6, total / count, np.float32(np.nan)).astype("float32")
    return relief, mean_slope


def stretch_fields(
    dem_work: xr.DataArray, rules: Mapping[str, Any], *, near: Any = None, tile_cells: int = 512
) -> xr.Dataset:
    """The grids the plain/mountain rule reads: elevation, local relief and window-mean slope.

    Parameters
    ----------
    dem_work
        DEM on a projected grid (see :func:`linfen_geo.grid.to_work_grid`).
    rules
        Needs ``relief_window_m``.
    near
        Geometry (in the DEM's CRS, e.g. the roads): compute only the tiles of ``tile_cells``
        cells within half a window of it, each with a halo of half a window, so the values there
        equal the whole-grid computation; NaN elsewhere. None computes the whole grid.
    tile_cells
        Tile side in cells when ``near`` is given.

    Returns
    -------
    xarray.Dataset
        ``elevation_m``, ``relief_m`` (max - min in the window) and ``slope_deg`` (mean slope
        of the finite cells in the same window).
    """
    from affine import Affine

    require_projected(dem_work, "terrain stretches")
    window = float(rules["relief_window_m"])
    if near is None:
        relief, mean_slope = _fields_block(dem_work, window)
    else:
        h, w = dem_work.shape
        halo = _window_cells(dem_work, window) // 2 + 2
        dx = abs(float(dem_work.rio.resolution()[0]))
        nt = (-(-h // tile_cells), -(-w // tile_cells))
        # the tiles within half a window of ``near``: one vectorised distance test of the tile boxes
        # (a 2 km buffer of the 6,000-vertex roads took 1.7 s of the first build)
        t = dem_work.rio.transform() * Affine.scale(tile_cells)
        ti, tj = np.divmod(np.arange(nt[0] * nt[1]), nt[1])
        xa, ya = t * (tj, ti)
        xb, yb = t * (tj + 1, ti + 1)
        boxes = shapely.box(np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb))
        shapely.prepare(near)
        wanted = shapely.dwithin(near, boxes, window / 2 + 2 * dx).reshape(nt)
        relief = np.full(dem_work.shape, np.nan, dtype="float32")
        mean_slope = np.full(dem_work.shape, np.nan, dtype="float32")
        for ti, tj in np.argwhere(wanted):  # tiles along the roads, each filtered as a block
            r0, c0 = ti * tile_cells, tj * tile_cells
            r1, c1 = min(r0 + tile_cells, h), min(c0 + tile_cells, w)
            rr0, cc0 = max(r0 - halo, 0), max(c0 - halo, 0)
            block = dem_work.isel(y=slice(rr0, min(r1 + halo, h)), x=slice(cc0, min(c1 + halo, w)))
            rel, slo = _fields_block(block, window)
            inner = (slice(r0 - rr0, r1 - rr0), slice(c0 - cc0, c1 - cc0))
            relief[r0:r1, c0:c1] = rel[inner]
            mean_slope[r0:r1, c0:c1] = slo[inner]
    return xr.Dataset(
        {
            "elevation_m": dem_work,
            "relief_m": dem_work.copy(data=relief),
            "slope_deg": dem_work.copy(data=mean_slope),
        }
    )


def _as_lines(road: Any, crs: Any) -> np.ndarray:
    """Road geometry (shapely, GeoSeries or GeoDataFrame) as an array of merged LineStrings in ``crs``."""
    if isinstance(road, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geom = road.to_crs(crs).union_all() if road.crs is not None else road.union_all()
    elif isinstance(road, BaseGeometry):
        geom = road
    else:
        raise InputError(f"road must be a shapely line or a GeoSeries/GeoDataFrame, not {type(road).__name__}")
    parts = shapely.get_parts(shapely.line_merge(shapely.union_all(shapely.get_parts(geom))))
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings
    return parts[shapely.length(parts) > 0]


def _merge_short(starts: np.ndarray, ends: np.ndarray, kinds: np.ndarray, min_m: float) -> tuple[np.ndarray, ...]:
    """Flip the shortest stretch under ``min_m`` into its neighbours' kind until none is left."""
    while len(kinds) > 1:
        lengths = ends - starts
        i = int(np.argmin(lengths))
        if lengths[i] >= min_m:
            break
        kinds = kinds.copy()
        kinds[i] = not kinds[i]
        first = np.r_[True, kinds[1:] != kinds[:-1]]
        at = np.flatnonzero(first)
        starts, ends, kinds = starts[first], np.maximum.reduceat(ends, at), kinds[first]
    return starts, ends, kinds


def road_stretches(
    road_line: Any,
    dem_work: xr.DataArray,
    rules: Mapping[str, Any],
    *,
    fields: xr.Dataset | None = None,
) -> gpd.GeoDataFrame:
    """Segment a road into plain and mountain stretches by the plan's rule (module doc, step 1).

    Parameters
    ----------
    road_line
        The road: a shapely (Multi)LineString in the DEM's CRS, or a GeoSeries/GeoDataFrame
        (reprojected to the DEM's CRS and merged).
    dem_work
        DEM on a projected grid, e.g. ``to_work_grid(lg.load("dem"), 250)``.
    rules
        ``relief_window_m``, ``mountain_min_relief_m``, ``mountain_min_slope_deg``,
        ``min_stretch_m`` and ``basin_max_elevation_m`` (:func:`terrain_rules` of the plan).
    fields
        Precomputed :func:`stretch_fields` of ``dem_work`` (saves time for many roads).

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per stretch, in road order: ``part`` (connected piece of the road),
        ``kind`` (``plain``/``mountain``), ``start_m``, ``end_m``, ``length_m``, and over the
        stretch's samples the largest ``relief_m``, the mean window ``slope_deg`` and the mean
        ``elevation_m``. The lengths add up to the road's length.

    Examples
    --------
    A road running from a flat plain (400 m) into hills with 300 m of relief:

    >>> import numpy as np, xarray as xr
    >>> from shapely.geometry import LineString
    >>> x = np.arange(100) * 100.0 + 50; y = np.arange(60)[::-1] * 100.0 + 50
    >>> hills = 300 * np.abs(np.sin(y / 800.0))[:, None] * (x > 5000)[None, :]
    >>> dem = xr.DataArray(400 + hills, dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(4546)
    >>> rules = {"relief_window_m": 1500, "mountain_min_relief_m": 150, "mountain_min_slope_deg": 3.0,
    ...          "min_stretch_m": 1000, "basin_max_elevation_m": 600}
    >>> s = road_stretches(LineString([(0, 3000), (10000, 3000)]), dem, rules)
    >>> s[["kind", "start_m", "end_m"]].round(-2).values.tolist()
    [['plain', 0.0, 4300.0], ['mountain', 4300.0, 10000.0]]
    """
    require_projected(dem_work, "road stretches")
    lines = _as_lines(road_line, dem_work.rio.crs)
    columns = ["part", "kind", "start_m", "end_m", "length_m", "relief_m", "slope_deg", "elevation_m"]
    if lines.size == 0:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=dem_work.rio.crs)
    fields = fields if fields is not None else stretch_fields(dem_work, rules, near=shapely.union_all(lines))
    dx = abs(float(dem_work.rio.resolution()[0]))
    step = dx / 2
    # samples every half cell along each part, both ends included
    lengths = shapely.length(lines)
    n = np.ceil(lengths / step).astype(int) + 1
    part = np.repeat(np.arange(lines.size), n)
    first = np.r_[0, np.cumsum(n)[:-1]]
    k = np.arange(part.size) - np.repeat(first, n)
    dist = np.minimum(k * np.repeat(lengths / (n - 1), n), np.repeat(lengths, n))
    pts = shapely.line_interpolate_point(lines[part], dist)
    xy = shapely.get_coordinates(pts)
    inv = ~dem_work.rio.transform()
    col, row = inv * (xy[:, 0], xy[:, 1])
    row, col = np.floor(row).astype(int), np.floor(col).astype(int)
    h, w = dem_work.shape
    inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
    r, c = np.clip(row, 0, h - 1), np.clip(col, 0, w - 1)
    sample = {
        name: np.where(inside, fields[name].values[r, c], np.nan) for name in ("elevation_m", "relief_m", "slope_deg")
    }
    with np.errstate(invalid="ignore"):
        mountain = (sample["relief_m"] >= rules["mountain_min_relief_m"]) | (
            (sample["elevation_m"] > rules["basin_max_elevation_m"])
            & (sample["slope_deg"] >= rules["mountain_min_slope_deg"])
        )
    # each sample stands for the road between the midpoints to its neighbours
    rows = []
    for p in range(lines.size):  # connected pieces of one road (a handful)
        sel = part == p
        d, m = dist[sel], mountain[sel]
        edges = np.r_[0.0, (d[1:] + d[:-1]) / 2, lengths[p]]
        change = np.flatnonzero(m[1:] != m[:-1]) + 1
        starts = np.r_[0.0, edges[change]]
        ends = np.r_[edges[change], lengths[p]]
        starts, ends, kinds = _merge_short(starts, ends, m[np.r_[0, change]], float(rules["min_stretch_m"]))
        which = np.clip(np.searchsorted(ends, d, side="left"), 0, len(kinds) - 1)
        stats = pd.DataFrame({"s": which, **{k_: v[sel] for k_, v in sample.items()}}).groupby("s")
        relief = stats["relief_m"].max().reindex(range(len(kinds))).to_numpy()
        slope = stats["slope_deg"].mean().reindex(range(len(kinds))).to_numpy()
        elev = stats["elevation_m"].mean().reindex(range(len(kinds))).to_numpy()
        for i in range(len(kinds)):  # stretches of one piece (a few)
            rows.append(
                {
                    "part": p,
                    "kind": "mountain" if kinds[i] else "plain",
                    "start_m": float(starts[i]),
                    "end_m": float(ends[i]),
                    "length_m": float(ends[i] - starts[i]),
                    "relief_m": float(relief[i]),
                    "slope_deg": float(slope[i]),
                    "elevation_m": float(elev[i]),
                    "geometry": shapely.ops.substring(lines[p], starts[i], ends[i]),
                }
            )
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*columns, "geometry"]), geometry="geometry", crs=dem_work.rio.crs
    )


# ------------------------------------------------------------------------------------ terrain corridors
def _max_distance(polygon: BaseGeometry, road: BaseGeometry) -> float:
    """Largest distance from ``road`` of any boundary vertex of ``polygon`` (nearest segment via STRtree)."""
    pts = shapely.points(shapely.get_coordinates(shapely.boundary(polygon)))
    if pts.size == 0:
        return 0.0
    coords = [shapely.get_coordinates(p) for p in shapely.get_parts(shapely.line_merge(road))]  # a few lines
    segs = shapely.linestrings(np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in coords if len(c) > 1]))
    _, dist = shapely.STRtree(segs).query_nearest(pts, return_distance=True, all_matches=False)
    return float(dist.max())


def _mountain_zone(
    flow: Any,
    dem_work: xr.DataArray,
    plain: np.ndarray,
    mountain: np.ndarray,
    rules: Mapping[str, Any],
    timings: dict[str, float] | None,
) -> BaseGeometry:
    """Cells draining to the mountain road cells first, vectorised, capped, plus the road's own width."""
    import rasterio.features
    import rasterio.windows
    from rasterio.windows import Window, from_bounds

    transform = dem_work.rio.transform()
    dx = abs(float(dem_work.rio.resolution()[0]))
    cap = float(rules["max_distance_m"])
    widen = float(rules.get("outlet_width_m", 0.0) or 0.0)
    mountain_geom = shapely.union_all(mountain)
    with _timed(timings, "catchment"):
        outlets = [(shapely.buffer(g, widen) if widen > 0 else g, 2) for g in plain]
        outlets += [(shapely.buffer(g, widen) if widen > 0 else g, 1) for g in mountain]  # mountain wins ties
        labels = rasterio.features.rasterize(
            outlets, out_shape=dem_work.shape, transform=transform, fill=0, all_touched=True, dtype="uint8"
        )
        reached = flow.drains_to(labels).values
    with _timed(timings, "vectorise"):
        cap_poly = shapely.buffer(mountain_geom, cap, quad_segs=16)
        h, w = dem_work.shape
        win = from_bounds(*shapely.bounds(cap_poly), transform=transform)
        r0, c0 = max(int(np.floor(win.row_off)) - 1, 0), max(int(np.floor(win.col_off)) - 1, 0)
        r1 = min(int(np.ceil(win.row_off + win.height)) + 1, h)
        c1 = min(int(np.ceil(win.col_off + win.width)) + 1, w)
        sub = dem_work.isel(y=slice(r0, r1), x=slice(c0, c1))
        sub_transform = rasterio.windows.transform(Window(c0, r0, c1 - c0, r1 - r0), transform)
        near = rasterio.features.rasterize(
            [(shapely.buffer(cap_poly, dx), 1)], out_shape=sub.shape, transform=sub_transform, fill=0, dtype="uint8"
        ).astype(bool)
        mask = (reached[r0:r1, c0:c1] == 1) & near
        zone = shapely.union_all(mask_to_polygons(mask, like=sub).values) if mask.any() else shapely.Polygon()
        zone = shapely.intersection(zone, cap_poly)
        own = shapely.buffer(mountain_geom, dx / 2, quad_segs=8)
        return shapely.union_all([zone, own])


def terrain_corridors(
    roads_work: gpd.GeoDataFrame,
    dem_work: xr.DataArray,
    rules: Mapping[str, Any],
    *,
    city: BaseGeometry | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Terrain-mode corridors of roads on a DEM: the pure computation behind :func:`build`.

    Parameters
    ----------
    roads_work
        Road lines with a ``corridor_id`` column (several rows per corridor allowed), in a
        projected CRS (reprojected to the DEM's CRS).
    dem_work
        DEM on a projected grid (see :func:`linfen_geo.grid.to_work_grid`).
    rules
        :func:`terrain_rules` of the plan: ``plain_width_m``, ``max_distance_m`` and the
        plain/mountain parameters (optional ``outlet_width_m``).
    city
        Clip the corridors to this polygon (in the DEM's CRS); None keeps them whole.
    timings
        A dict that receives seconds per stage: ``stretches``, ``fill`` (pits and depressions,
        with D8 directions), ``flowdir`` (downstream-to-upstream order), ``catchment`` (drainage
        to the road cells), ``vectorise`` (polygons, cap, dissolve, clip, widths).

    Returns
    -------
    corridors, stretches
        ``corridors``: one row per corridor (first-seen order) with ``corridor_id``,
        ``length_km``, ``plain_km``, ``mountain_km``, ``mean_width_m``, ``max_width_m``,
        ``cap_m``, ``plain_width_m`` and the polygon. ``stretches``: :func:`road_stretches` of
        every corridor, with ``corridor_id``. Both in the DEM's CRS.
    """
    from linfen_geo.hydrology import route

    crs = dem_work.rio.crs
    require_projected(dem_work, "terrain corridors")
    if "corridor_id" not in roads_work.columns:
        raise InputError("roads need a corridor_id column")
    roads = roads_work.to_crs(crs)
    order = list(dict.fromkeys(roads["corridor_id"]))
    with _timed(timings, "stretches"):
        fields = stretch_fields(dem_work, rules, near=shapely.union_all(roads.geometry.values))
        parts = []
        for cid in order:  # four corridors
            s = road_stretches(roads[roads["corridor_id"] == cid], dem_work, rules, fields=fields)
            parts.append(s.assign(corridor_id=cid))
        stretches = pd.concat(parts, ignore_index=True)
        stretches = gpd.GeoDataFrame(
            stretches[["corridor_id", *[c for c in stretches.columns if c != "corridor_id"]]],
            geometry="geometry",
            crs=crs,
        )
    flow = None
    if (stretches["kind"] == "mountain").any():
        flow = route(dem_work)
        flow.network  # noqa: B018  (builds the flow network once, timed as "flowdir")
        if timings is not None:
            for k, v in flow.timings.items():
                timings[k] = timings.get(k, 0.0) + v
    plain_width = float(rules["plain_width_m"])
    cap = float(rules["max_distance_m"])
    with _timed(timings, "vectorise"):
        plain_rows = stretches[stretches["kind"] == "plain"]
        plain_polys = corridor_polygons(plain_rows, plain_width) if len(plain_rows) else None
    rows = []
    for cid in order:  # four corridors
        s = stretches[stretches["corridor_id"] == cid]
        mtn = s.loc[s["kind"] == "mountain", "geometry"].to_numpy()
        pieces = []
        if plain_polys is not None and (plain_polys["corridor_id"] == cid).any():
            pieces.append(plain_polys.loc[plain_polys["corridor_id"] == cid, "geometry"].iloc[0])
        if mtn.size:
            pln = s.loc[s["kind"] == "plain", "geometry"].to_numpy()
            pieces.append(_mountain_zone(flow, dem_work, pln, mtn, rules, timings))
        with _timed(timings, "vectorise"):
            whole = shapely.make_valid(shapely.union_all(pieces)) if pieces else shapely.Polygon()
            road = shapely.union_all(s.geometry.to_numpy())
            length = float(s["length_m"].sum())
            mean_w = float(whole.area / (2 * length)) if length > 0 else 0.0
            max_w = _max_distance(whole, road) if not whole.is_empty else 0.0
            geom = whole
            if city is not None:
                geom = shapely.make_valid(shapely.intersection(whole, city), method="structure", keep_collapsed=False)
        rows.append(
            {
                "corridor_id": cid,
                "length_km": length / 1000,
                "plain_km": float(s.loc[s["kind"] == "plain", "length_m"].sum()) / 1000,
                "mountain_km": float(s.loc[s["kind"] == "mountain", "length_m"].sum()) / 1000,
                "mean_width_m": mean_w,
                "max_width_m": max_w,
                "cap_m": cap,
                "plain_width_m": plain_width,
                "geometry": geom,
            }
        )
    return frame(rows, crs), stretches


# ------------------------------------------------------------------------------------ the catalog layer
def _dem_label(ctx: Any, dem: xr.DataArray) -> str:
    """The DEM's title: the catalog's, or the user's source when the DEM was replaced."""
    provenance = getattr(ctx, "provenance", None)  # BuildContext.provenance, where the catalog offers it
    if callable(provenance):
        info = provenance("dem")
        if info.get("replaced"):
            return f"user DEM: {info.get('source')}"
    status = ctx.status_of("dem")
    title = dem.attrs.get("title_en") or "DEM"
    return title if status == "real" else f"user DEM ({status})"


def work_bounds(roads_work: gpd.GeoDataFrame, rules: Mapping[str, Any]) -> tuple[float, ...]:
    """Bounds of the DEM window a build needs: the roads, the cap twice over and the relief window.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)])], crs=4546)
    >>> [float(v) for v in work_bounds(road, {"max_distance_m": 3000, "relief_window_m": 1500})]
    [-9500.0, -9500.0, 10500.0, 9500.0]
    """
    margin = 2 * float(rules["max_distance_m"]) + float(rules["relief_window_m"]) + 2000
    return tuple(roads_work.total_bounds + np.array([-margin, -margin, margin, margin]))


def _coarse_warning(native_m: float, routing_m: float) -> str:
    """The ``coarse_warning`` text: empty when both the DEM and the routing grid are <= 100 m."""
    if native_m > COARSE_DEM_M:
        return (
            f"coarse: the DEM's cells are ~{native_m:.0f} m (routed at {routing_m:.0f} m); with the shipped 1 km DEM "
            "the result is coarse - ridge lines and widths are indicative only; drop in a 30 m DEM with "
            'lg.use("dem", path) and set corridor_terrain.resolution_m to its cell size'
        )
    if routing_m > COARSE_DEM_M:
        return (
            f"coarse: routed at {routing_m:.0f} m although the DEM's cells are ~{native_m:.0f} m; set "
            'corridor_terrain.resolution_m in the plan file to the DEM\'s cell size (or "native")'
        )
    return ""


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Build ``corridors_terrain``: the corridors to the first ridge line (see the module doc)."""
    plan = ctx.plan
    rules = terrain_rules(plan)
    corridor_rules = plan["corridor_rules"]
    roads = ctx.load("corridor_roads").to_crs(WORK_CRS)
    by_id = {c["id"]: c for c in plan["corridors"]}
    unknown = sorted(set(roads["corridor_id"]) - set(by_id))
    if unknown:
        raise InputError(f"corridor_roads has corridor_id(s) {unknown} that the plan file does not define")
    dem = ctx.load("dem")
    native = max(cell_size_m(dem))
    dem_work = to_work_grid(dem, rules["resolution_m"], bounds=work_bounds(roads, rules))
    routing_res = abs(float(dem_work.rio.resolution()[0]))
    counties = ctx.load("counties")
    city = counties.to_crs(WORK_CRS).union_all() if corridor_rules.get("clip_to_city", True) else None
    polys, stretches = terrain_corridors(roads, dem_work, rules, city=city)
    illus = roads.groupby("corridor_id")["illustrative"].any() | (ctx.status_of("corridor_roads") == "illustrative")
    warning = _coarse_warning(native, routing_res)
    dem_title = _dem_label(ctx, dem)
    summary = stretches.groupby("corridor_id").apply(
        lambda g: "; ".join(
            f"{k} {a / 1000:.1f}-{b / 1000:.1f} km" for k, a, b in zip(g["kind"], g["start_m"], g["end_m"], strict=True)
        ),
        include_groups=False,
    )
    rows = []
    for _, p in polys.iterrows():  # four corridors
        c = by_id[p["corridor_id"]]
        rows.append(
            {
                **corridor_identity(c),
                "mode": "terrain",
                "width_rule_zh": rules.get("width_rule_zh", "两侧至第一重山脊线或平原区1千米范围内"),
                "width_rule_en": rules.get(
                    "width_rule_en",
                    f"mountain stretches to the first drainage divide (D8, pit-filled DEM), capped at "
                    f"{p['cap_m']:.0f} m; plain stretches {p['plain_width_m']:.0f} m each side",
                ),
                "length_km": p["length_km"],
                "plain_km": p["plain_km"],
                "mountain_km": p["mountain_km"],
                "stretches": summary.get(c["id"], ""),
                "mean_width_m": p["mean_width_m"],
                "max_width_m": p["max_width_m"],
                "plain_width_m": p["plain_width_m"],
                "cap_m": p["cap_m"],
                "dem": f"{dem_title} (~{native:.0f} m cells; routed at {routing_res:.0f} m)",
                "dem_resolution_m": native,
                "routing_resolution_m": routing_res,
                "coarse_warning": warning,
                "illustrative": bool(illus[c["id"]]),
                "geometry": p.geometry,
            }
        )
    out = frame(rows, WORK_CRS)
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return to_storage_crs(out)
