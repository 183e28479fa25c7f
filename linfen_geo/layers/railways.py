"""铁路 - the real VMAP0 railways and the modelled 中南 (瓦日) railway.

Real lines
    ``railways_vmap0``: VMAP0 railroads (NGA, ~1:1M, 1990s, public domain) in the Linfen bounding
    box: the 南同蒲 line in the Fen valley, the 侯月 line via 翼城 and the 侯西 line west of 侯马. The
    source carries no line names; the pieces the plan's ``[railways] lines`` list by ``fid`` get that
    name (assigned by position), the others ``unnamed_zh / unnamed_en``. ``status = "real"``.
Modelled lines (``[[railways.modelled]]``)
    The 中南 (瓦日) railway opened in 2014 and is in no line data here. OpenStreetMap stations that
    lie on no older line mark its course (ODbL). Each stop of the plan's ``route`` is either a real
    station - the plan's approximate lon/lat snapped to the nearest station of ``railway_stations``
    within ``station_snap_m`` (an error if there is none) - or a county seat (``county``). The line is
    the least-cost route over the DEM through the stops in order, with the cost surface of the
    corridor roads (:func:`linfen_geo.layers.corridors.cost_surface`, plan ``[routing]``), pinned
    exactly to each stop. ``status = "illustrative"``; ``real_points`` names the stops that are real
    OSM stations, ``modelled_between`` the rest. Stations of the layer within ``on_line_m`` of the
    modelled line that lie more than ``on_line_m`` from every VMAP0 line are listed in
    ``stations_on_line`` (position only: the extract has no names for them).

Columns: ``railway_id`` (``VM<fid>`` or the plan id), ``name_zh``, ``name_en``, ``status``
(real / illustrative), ``source``, ``accuracy``, ``length_km`` (EPSG:4546), ``length_in_city_km``,
``illustrative``, plus for modelled lines ``stops``, ``real_points`` and ``stations_on_line``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.layers._common import select_counties
from linfen_geo.layers.corridors import cost_surface, least_cost_route

__all__ = ["build", "modelled_railway", "name_vmap0", "snap_stops", "stop_split"]

SOURCE_VMAP0 = "VMAP0 (NGA, ~1:1M, public domain) via DIVA-GIS CHN_rails"
ACCURACY_VMAP0 = "~1:1M, +-0.5 km (1990s source)"
SOURCE_MODEL = (
    "least-cost route over the 1 km DEM (corridor-road cost) through real OpenStreetMap stations "
    "(© OpenStreetMap contributors, ODbL 1.0) and county seats"
)


def name_vmap0(lines: gpd.GeoDataFrame, rules: Mapping[str, Any], city_w: Any) -> gpd.GeoDataFrame:
    """VMAP0 pieces with the plan's line names (by ``fid``), in EPSG:4546.

    Examples
    --------
    >>> lines = gpd.GeoDataFrame({"fid": [1, 2]}, geometry=[LineString([(0, 0), (1000, 0)])] * 2, crs=4546)
    >>> rules = {"lines": [{"name_zh": "南同蒲铁路", "name_en": "Nan-Tongpu", "fids": [1]}],
    ...          "unnamed_zh": "未命名", "unnamed_en": "unnamed"}
    >>> name_vmap0(lines, rules, None)[["railway_id", "name_zh"]].values.tolist()
    [['VM1', '南同蒲铁路'], ['VM2', '未命名']]
    """
    w = lines.to_crs(WORK_CRS)
    zh = {int(f): line["name_zh"] for line in rules.get("lines", []) for f in line["fids"]}
    en = {int(f): line["name_en"] for line in rules.get("lines", []) for f in line["fids"]}
    fids = w["fid"].astype(int).to_numpy()
    geoms = np.asarray(w.geometry.values)
    df = pd.DataFrame(
        {
            "railway_id": [f"VM{f}" for f in fids],
            "name_zh": [zh.get(f, rules["unnamed_zh"]) for f in fids],
            "name_en": [en.get(f, rules["unnamed_en"]) for f in fids],
            "status": "real",
            "source": SOURCE_VMAP0,
            "accuracy": ACCURACY_VMAP0,
            "existence": w.get("existence", pd.Series([""] * len(w))).astype(str).to_numpy(),
            "length_km": shapely.length(geoms) / 1000,
            "length_in_city_km": (shapely.length(shapely.intersection(geoms, city_w)) if city_w is not None else 0.0)
            / 1000,
            "illustrative": False,
        }
    )
    return gpd.GeoDataFrame(df, geometry=geoms, crs=WORK_CRS)


def snap_stops(
    route: Sequence[Mapping[str, Any]], stations_w: gpd.GeoDataFrame, seats_w: gpd.GeoDataFrame, snap_m: float
) -> tuple[np.ndarray, list[str]]:
    """(N x 2 EPSG:4546 coordinates, kind per stop): stations snapped to the station layer, seats by adcode."""
    st_xy = shapely.get_coordinates(np.asarray(stations_w.geometry.values))
    pts, kinds = [], []
    for stop in route:
        if stop.get("station"):
            lon, lat = stop["station"]
            xy = shapely.get_coordinates(gpd.GeoSeries.from_xy([lon], [lat], crs=STORAGE_CRS).to_crs(WORK_CRS).values)[
                0
            ]
            d = np.hypot(*(st_xy - xy).T) if len(st_xy) else np.array([np.inf])
            i = int(np.argmin(d))
            if not d[i] <= snap_m:
                raise InputError(
                    f"railway stop {stop['label']!r}: no station of the railway_stations layer within {snap_m:g} m "
                    f"of ({lon}, {lat}) (nearest {d[i]:.0f} m)"
                )
            pts.append(st_xy[i])
            kinds.append("station")
        else:
            seat = select_counties(seats_w, [stop["county"]], f"railway stop {stop['label']!r}")
            pts.append(shapely.get_coordinates(seat.geometry.values)[0])
            kinds.append("seat")
    return np.asarray(pts, dtype=float), kinds


def stop_split(line: LineString, stops: np.ndarray, start: int, end: int) -> LineString:
    """The part of ``line`` between stops ``start`` and ``end`` (indices; the line passes through them in order).

    Examples
    --------
    >>> stop_split(LineString([(0, 0), (5, 0), (10, 0)]), np.array([[0, 0], [5, 0], [10, 0]]), 1, 2).wkt
    'LINESTRING (5 0, 10 0)'
    """
    a, b = sorted((start, end))
    d = shapely.line_locate_point(line, shapely.points(stops[[a, b]]))
    return substring(line, float(d[0]), float(d[1]))


def modelled_railway(
    spec: Mapping[str, Any],
    cost: np.ndarray,
    transform: Any,
    stations_w: gpd.GeoDataFrame,
    seats_w: gpd.GeoDataFrame,
    vmap0_w: gpd.GeoDataFrame,
    city_w: Any,
    rules: Mapping[str, Any],
    simplify_m: float,
) -> tuple[dict[str, Any], np.ndarray]:
    """One modelled railway as a row dict (geometry in EPSG:4546) and its stop coordinates."""
    route = list(spec["route"])
    pts, kinds = snap_stops(route, stations_w, seats_w, float(rules["station_snap_m"]))
    line = least_cost_route(cost, transform, pts, simplify_m)
    near = float(rules["on_line_m"])
    st = np.asarray(stations_w.geometry.values)
    old = shapely.union_all(np.asarray(vmap0_w.geometry.values))
    on = (shapely.distance(st, line) <= near) & (shapely.distance(st, old) > near)
    is_stop = np.isin(np.arange(len(st)), [int(np.argmin(shapely.distance(st, shapely.points(p)))) for p in pts])
    extra = stations_w[on & ~is_stop]
    extra_ll = extra.to_crs(STORAGE_CRS)
    on_line = "; ".join(
        f"({p.x:.3f}E {p.y:.3f}N, {d:.0f} m)" for p, d in zip(extra_ll.geometry, extra.distance(line), strict=True)
    )
    real = [s["label"] for s, k in zip(route, kinds, strict=True) if k == "station"]
    seats = [s["label"] for s, k in zip(route, kinds, strict=True) if k == "seat"]
    row = {
        "railway_id": str(spec["id"]),
        "name_zh": spec["name_zh"],
        "name_en": spec["name_en"],
        "status": "illustrative",
        "source": SOURCE_MODEL,
        "accuracy": "passes exactly through its real stations; schematic between them (kilometres off)",
        "existence": f"opened {spec.get('opened', '')}",
        "length_km": line.length / 1000,
        "length_in_city_km": shapely.length(shapely.intersection(line, city_w)) / 1000,
        "illustrative": True,
        "stops": "-".join(s["label"] for s in route),
        "real_points": "real OSM stations: " + ", ".join(real) + "; county seats (modelled stops): " + ", ".join(seats),
        "stations_on_line": on_line,
        "geometry": line,
    }
    return row, pts


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``railways``: named VMAP0 pieces plus the plan's modelled railways."""
    plan = ctx.plan
    rules = plan["railways"]
    counties = ctx.load("counties")
    city_w = shapely.union_all(np.asarray(counties.to_crs(WORK_CRS).geometry.values))
    vmap0 = name_vmap0(ctx.load("railways_vmap0"), rules, city_w)
    modelled = list(rules.get("modelled", []))
    rows = []
    if modelled:
        stations_w = ctx.load("railway_stations").to_crs(WORK_CRS)
        seats_w = ctx.load("county_seats").to_crs(WORK_CRS)
        dem_work = to_work_grid(ctx.load("dem"), plan["terrain"]["resolution_m"], snap=False)
        cost = cost_surface(dem_work, plan["routing"])
        for spec in modelled:  # one per modelled railway (1)
            row, _ = modelled_railway(
                spec, cost, dem_work.rio.transform(), stations_w, seats_w, vmap0, city_w, rules,
                float(plan["routing"]["simplify_m"]),
            )  # fmt: skip
            rows.append(row)
    parts = [vmap0]
    if rows:
        parts.append(gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORK_CRS))
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WORK_CRS)
    for col in ("stops", "real_points", "stations_on_line"):
        if col in out.columns:
            out[col] = out[col].fillna("")
    return to_storage_crs(out)
