"""四条生态廊道 - the four ecological corridors (plan line 436) and their roads.

``corridor_roads`` (illustrative unless replaced)
    No road or railway geometry is available here, so each corridor's road is an
    *illustrative alignment*: the least-cost route over the real DEM between the real county
    seats, in the plan file's waypoint order. The DEM is reprojected to EPSG:4546 at
    ``terrain.resolution_m``; crossing a cell costs, per metre::

        1 + slope_weight * (slope_deg / slope_ref_deg)**2 + relief_weight * (z - zmin_local) / relief_ref_m

    where ``zmin_local`` is the lowest elevation within ``relief_window_m`` - so routes keep to
    gentle gradients and valley floors, as roads do. Routes are found with scikit-image's
    ``MCP_Geometric`` (8-connected, diagonal steps weighted sqrt 2), simplified by
    ``simplify_m`` and pinned exactly to the seats. Real alignments differ by kilometres; any
    line file with a ``corridor_id`` column replaces them (``lg.use("corridor_roads", path)``).
``corridors``
    ``mode = "buffer"``: ``buffer_m`` (1 km) each side of the roads, dissolved per corridor and
    clipped to the city. The plan's full rule (to the first ridge line in the mountains) is
    the ``corridors_terrain`` layer.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from linfen_geo.crs import AREA_CRS, WORK_CRS, buffer_m, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.layers._common import corridor_identity, county_names, frame, select_counties
from linfen_geo.terrain import local_min, slope_deg

__all__ = ["cost_surface", "least_cost_route", "build_roads", "build_corridors", "corridor_polygons"]


def cost_surface(dem_work: Any, routing: dict[str, float]) -> np.ndarray:
    """Per-metre crossing cost of each cell (see the module docstring); NaN cells are impassable."""
    slope = slope_deg(dem_work).values
    rel = dem_work.values - local_min(dem_work, routing["relief_window_m"]).values
    cost = (
        1.0
        + routing["slope_weight"] * (slope / routing["slope_ref_deg"]) ** 2
        + routing["relief_weight"] * np.maximum(rel, 0) / routing["relief_ref_m"]
    )
    return np.where(np.isfinite(cost), cost, -1.0)  # MCP: negative = impassable


def least_cost_route(cost: np.ndarray, transform: Any, points: np.ndarray, simplify_m: float = 0.0) -> LineString:
    """Least-cost route through ``points`` (N x 2 projected x/y) in order, pinned to each point.

    Parameters
    ----------
    cost
        Per-cell crossing cost (negative = impassable), on the grid of ``transform``.
    transform
        The grid's affine transform.
    points
        Waypoints in the grid's CRS.
    simplify_m
        Douglas-Peucker tolerance applied to each leg (ends kept).
    """
    from rasterio.transform import rowcol, xy
    from skimage.graph import MCP_Geometric

    rows, cols = rowcol(transform, points[:, 0], points[:, 1])
    rows, cols = np.asarray(rows), np.asarray(cols)
    h, w = cost.shape
    if (rows < 0).any() or (cols < 0).any() or (rows >= h).any() or (cols >= w).any():
        raise InputError("a waypoint lies outside the DEM")
    mcp = MCP_Geometric(cost, fully_connected=True)
    coords: list[tuple[float, float]] = []
    for i in range(len(points) - 1):  # one leg per pair of waypoints (3-6 per corridor)
        start, end = (rows[i], cols[i]), (rows[i + 1], cols[i + 1])
        mcp.find_costs([start], [end])
        path = np.asarray(mcp.traceback(end))
        xs, ys = xy(transform, path[:, 0], path[:, 1])
        leg = np.column_stack([xs, ys])
        leg[0], leg[-1] = points[i], points[i + 1]
        line = LineString(leg)
        if simplify_m:
            line = line.simplify(simplify_m, preserve_topology=False)
        leg_coords = list(line.coords)
        coords.extend(leg_coords if not coords else leg_coords[1:])
    return LineString(coords)


def rail_stretch(ctx: Any, stretch: dict[str, Any]) -> LineString:
    """The stretch of a modelled railway (``railways`` layer) between two of its stops, in EPSG:4546."""
    from linfen_geo.layers.railways import snap_stops, stop_split

    rules = ctx.plan["railways"]
    spec = next(m for m in rules["modelled"] if m["id"] == stretch["railway"])
    rail = ctx.load("railways").to_crs(WORK_CRS)
    row = rail[rail["railway_id"] == stretch["railway"]]
    if row.empty:
        raise InputError(
            f"the railways layer has no railway {stretch['railway']!r} (a corridor's rail_stretch needs it)"
        )
    stations = ctx.load("railway_stations").to_crs(WORK_CRS)
    seats = ctx.load("county_seats").to_crs(WORK_CRS)
    pts, _ = snap_stops(spec["route"], stations, seats, float(rules["station_snap_m"]))
    labels = [s["label"] for s in spec["route"]]
    return stop_split(row.geometry.iloc[0], pts, labels.index(stretch["start"]), labels.index(stretch["end"]))


def build_roads(ctx: Any) -> gpd.GeoDataFrame:
    """Build ``corridor_roads``: one illustrative alignment per corridor of the plan.

    A corridor with a ``rail_stretch`` also gets that stretch of the modelled railway (a
    MultiLineString of road and railway; ``rail_km`` its railway length).
    """
    plan = ctx.plan
    seats = ctx.load("county_seats").to_crs(WORK_CRS)
    dem_work = to_work_grid(ctx.load("dem"), plan["terrain"]["resolution_m"], snap=False)
    cost = cost_surface(dem_work, plan["routing"])
    transform = dem_work.rio.transform()
    rows = []
    for c in plan["corridors"]:  # four corridors
        way = select_counties(seats, c["waypoints"], f"corridor {c['id']} waypoints")
        pts = shapely.get_coordinates(way.geometry.values)
        line = least_cost_route(cost, transform, pts, plan["routing"]["simplify_m"])
        method = "least-cost route over the 1 km DEM between county seats (illustrative alignment)"
        rail_km = 0.0
        if c.get("rail_stretch"):
            st = c["rail_stretch"]
            rail = rail_stretch(ctx, st)
            rail_km = rail.length / 1000
            line = shapely.MultiLineString([line, rail])
            method += f"; plus the {st['start']}-{st['end']} stretch of the modelled railway {st['railway']}"
        rows.append(
            {
                **corridor_identity(c),
                "waypoints_zh": "-".join(way["name"]),
                "length_km": line.length / 1000,
                "rail_km": rail_km,
                "illustrative": True,
                "method": method,
                "geometry": line,
            }
        )
    return to_storage_crs(frame(rows, WORK_CRS))


def corridor_polygons(roads_work: gpd.GeoDataFrame, width_m: float, city: Any | None = None) -> gpd.GeoDataFrame:
    """Buffer roads by ``width_m`` each side, dissolve per ``corridor_id``, clip to ``city``.

    Returns a GeoDataFrame (CRS of ``roads_work``) with corridor_id and geometry, in first-seen order.
    """
    polys = buffer_m(roads_work, width_m, quad_segs=16)
    df = gpd.GeoDataFrame(
        {"corridor_id": roads_work["corridor_id"].to_numpy()}, geometry=polys.values, crs=roads_work.crs
    )
    order = list(dict.fromkeys(df["corridor_id"]))
    out = df.dissolve(by="corridor_id").loc[order].reset_index()
    if city is not None:
        clipped = shapely.intersection(out.geometry.values, city)
        # GEOS can leave a self-touching ring after clipping; keep the result polygonal and valid
        out["geometry"] = shapely.make_valid(clipped, method="structure", keep_collapsed=False)
    return out


def build_corridors(ctx: Any) -> gpd.GeoDataFrame:
    """Build ``corridors`` (buffer mode): ``buffer_m`` each side of the corridor roads."""
    plan = ctx.plan
    rules = plan["corridor_rules"]
    roads = ctx.load("corridor_roads").to_crs(WORK_CRS)
    counties = ctx.load("counties")
    by_id = {c["id"]: c for c in plan["corridors"]}
    unknown = sorted(set(roads["corridor_id"]) - set(by_id))
    if unknown:
        raise InputError(f"corridor_roads has corridor_id(s) {unknown} that the plan file does not define")
    city = counties.to_crs(WORK_CRS).union_all() if rules.get("clip_to_city", True) else None
    polys = corridor_polygons(roads, rules["buffer_m"], city)
    road_len = roads.assign(_len=roads.length).groupby("corridor_id")["_len"].sum()
    road_in_city = (
        roads.assign(_len=roads.intersection(city).length if city is not None else roads.length)
        .groupby("corridor_id")["_len"]
        .sum()
    )
    illus = roads.groupby("corridor_id")["illustrative"].any()
    counties_work = counties.to_crs(WORK_CRS)
    rows = []
    for _, p in polys.iterrows():  # four corridors
        c = by_id[p["corridor_id"]]
        touched = counties_work[counties_work.intersects(p.geometry)]
        touched = touched.assign(_a=touched.intersection(p.geometry).area).query("_a > 1e5")
        rows.append(
            {
                **corridor_identity(c),
                "counties": county_names(counties, c["counties"]),
                "counties_touched": "、".join(touched["name"]),
                "mode": "buffer",
                "width_rule_zh": rules["width_rule_zh"],
                "width_rule_en": rules["width_rule_en"],
                "buffer_m": float(rules["buffer_m"]),
                "length_km": road_len[c["id"]] / 1000,
                "length_in_city_km": road_in_city[c["id"]] / 1000,
                "illustrative": bool(illus[c["id"]]),
                "geometry": p.geometry,
            }
        )
    out = frame(rows, WORK_CRS)
    out["area_km2"] = out.to_crs(AREA_CRS).area / 1e6
    return to_storage_crs(out)
