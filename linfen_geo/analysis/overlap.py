"""Overlaps between layers, by county, and at feature level.

Every layer is dissolved before areas are summed, so features that overlap inside one layer
count once. Areas are in :data:`~linfen_geo.crs.AREA_CRS`; lengths in
:data:`~linfen_geo.crs.WORK_CRS`. ``overlap_matrix`` is symmetric by construction.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> a = gpd.GeoDataFrame(geometry=[box(500000, 4e6, 502000, 4.002e6)], crs=4546)
>>> b = gpd.GeoDataFrame(geometry=[box(501000, 4e6, 503000, 4.002e6)], crs=4546)
>>> m = overlap_matrix({"a": a, "b": b})
>>> m.loc[m.layer_a.eq("a") & m.layer_b.eq("b"), "share_of_a"].round(3).item()
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis._prep import as_layer, check_same_crs, dissolved
from linfen_geo.crs import AREA_CRS, AREA_CRS_NAME, WORK_CRS, WORK_CRS_NAME
from linfen_geo.units import add_area_columns

__all__ = [
    "DEFAULT_LAYERS",
    "overlap_matrix",
    "overlap_by_county",
    "features_in_zones",
    "line_stretches_in",
    "pairwise_within",
]

DEFAULT_LAYERS = ("barriers", "corridors", "redlines", "reserves", "spring_zones", "mines")


def _resolve(
    layers: Mapping[str, Any] | Sequence[str] | None, catalog: Any, reproject: bool = False
) -> dict[str, gpd.GeoDataFrame]:
    if layers is None:
        layers = DEFAULT_LAYERS
    if isinstance(layers, Mapping):
        out = {k: as_layer(v, catalog, what=k) for k, v in layers.items()}
        check_same_crs([(layers[k], g, k) for k, g in out.items()], reproject)
        return out
    return {name: as_layer(name, catalog, what=name) for name in layers}


def overlap_matrix(
    layers: Mapping[str, Any] | Sequence[str] | None = None, *, catalog: Any = None, reproject: bool = False
) -> pd.DataFrame:
    """Pairwise intersection areas of dissolved layers (both orders, and each layer with itself).

    Returns
    -------
    pandas.DataFrame
        Long table ``layer_a, layer_b, area_a_m2, area_b_m2, overlap_m2, share_of_a, share_of_b``
        (+ km2/亩 columns). ``overlap(a, b) == overlap(b, a)``.
    """
    frames = _resolve(layers, catalog, reproject)
    unions = {k: dissolved(v) for k, v in frames.items()}
    names = list(unions)
    areas = {k: unions[k].area for k in names}
    inter: dict[tuple[str, str], float] = {}
    for a, b in combinations(names, 2):  # n(n-1)/2 pairs of whole layers
        inter[a, b] = inter[b, a] = shapely.intersection(unions[a], unions[b]).area
    rows = []
    for a in names:
        for b in names:
            ov = areas[a] if a == b else inter[a, b]
            rows.append(
                {
                    "layer_a": a,
                    "layer_b": b,
                    "area_a_m2": areas[a],
                    "area_b_m2": areas[b],
                    "overlap_m2": ov,
                    "share_of_a": ov / areas[a] if areas[a] else 0.0,
                    "share_of_b": ov / areas[b] if areas[b] else 0.0,
                }
            )
    out = add_area_columns(pd.DataFrame(rows), "overlap_m2", units=("km2", "mu"))
    out.attrs.update(
        {
            "area_crs": AREA_CRS_NAME,
            "status": {k: v.attrs.get("status", "user") for k, v in frames.items()},
            "definitions": [
                "each layer is dissolved first: overlaps between its own features are counted once",
                "cell (a, b) = area of (dissolved a intersection dissolved b)",
            ],
        }
    )
    return out


def overlap_by_county(
    layers: Mapping[str, Any] | Sequence[str] | None = None,
    counties: Any = "counties",
    *,
    catalog: Any = None,
    reproject: bool = False,
) -> pd.DataFrame:
    """Pairwise overlaps (a < b) broken down by county; rows sum to :func:`overlap_matrix` totals.

    Layers given as GeoDataFrames in different CRSs raise :class:`CRSMismatchError` unless ``reproject``.
    """
    frames = _resolve(layers, catalog, reproject)
    unions = {k: dissolved(v) for k, v in frames.items()}
    cty = as_layer(counties, catalog, what="counties").to_crs(AREA_CRS)
    cgeoms = cty.geometry.values
    rows = []
    for a, b in combinations(list(unions), 2):
        ab = shapely.intersection(unions[a], unions[b])
        per = shapely.area(shapely.intersection(cgeoms, ab)) if not ab.is_empty else np.zeros(len(cty))
        rows.append(
            pd.DataFrame(
                {
                    "layer_a": a,
                    "layer_b": b,
                    "adcode": cty["adcode"].to_numpy(),
                    "county_zh": cty["name"].to_numpy(),
                    "county_en": cty["name_en"].to_numpy(),
                    "overlap_m2": per,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    out = add_area_columns(out, "overlap_m2", units=("km2", "mu"))
    out.attrs["area_crs"] = AREA_CRS_NAME
    out.attrs["definitions"] = [
        "each layer is dissolved first: overlaps between its own features are counted once",
        "row = area of (dissolved a intersection dissolved b intersection county)",
    ]
    return out


def features_in_zones(
    features: Any,
    zones: Mapping[str, Any] | Sequence[str],
    *,
    id_column: str,
    catalog: Any = None,
    reproject: bool = False,
) -> pd.DataFrame:
    """For each feature, which zones (e.g. red lines, reserves, spring zones) it overlaps and how much.

    One STRtree query per zone layer for all features; exact intersection areas only for the
    candidate pairs.

    Returns
    -------
    pandas.DataFrame
        One row per (feature, zone layer, zone feature) pair that intersects: ``feature_id,
        zone_layer, zone_id, zone_name, overlap_m2, share_of_feature``.
    """
    feats = as_layer(features, catalog, what="features")
    zone_layers = _resolve(zones, catalog, reproject)
    if isinstance(zones, Mapping):
        check_same_crs([(features, feats, "features"), *[(zones[k], g, k) for k, g in zone_layers.items()]], reproject)
    feats = feats.to_crs(AREA_CRS)
    fgeoms = feats.geometry.values
    farea = shapely.area(fgeoms)
    rows = []
    for name, zl in zone_layers.items():
        zl = zl.to_crs(AREA_CRS)
        zid = next(
            (
                c
                for c in (
                    f"{name[:-1]}_id",
                    "redline_id",
                    "reserve_id",
                    "zone_id",
                    "corridor_id",
                    "barrier_id",
                    "mine_id",
                    "railway_id",
                    "id",
                )
                if c in zl.columns
            ),
            None,
        )
        zname = next((c for c in ("name", "name_zh") if c in zl.columns), None)
        tree = shapely.STRtree(zl.geometry.values)
        fi, zi = tree.query(fgeoms, predicate="intersects")
        ov = shapely.area(shapely.intersection(fgeoms[fi], zl.geometry.values[zi]))
        rows.append(
            pd.DataFrame(
                {
                    "feature_id": feats[id_column].to_numpy()[fi],
                    "zone_layer": name,
                    "zone_id": zl[zid].to_numpy()[zi] if zid else zi,
                    "zone_name": zl[zname].to_numpy()[zi] if zname else "",
                    "overlap_m2": ov,
                    "share_of_feature": np.divide(ov, farea[fi], out=np.zeros_like(ov), where=farea[fi] > 0),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out = add_area_columns(out, "overlap_m2", units=("ha", "mu"))
    out.attrs["area_crs"] = AREA_CRS_NAME
    out.attrs["definitions"] = [
        "a feature is listed with every zone it intersects (shares a point with); features are not dissolved",
        "overlap = area of (feature intersection zone); share_of_feature = overlap / feature area",
    ]
    return out


def line_stretches_in(
    lines: Any, polygons: Any, *, line_id: str, polygon_id: str, catalog: Any = None, reproject: bool = False
) -> pd.DataFrame:
    """Length of each line (e.g. a corridor road) inside each polygon (e.g. a red line), in metres (EPSG:4546)."""
    ln, pg = as_layer(lines, catalog, what="lines"), as_layer(polygons, catalog, what="polygons")
    check_same_crs([(lines, ln, "lines"), (polygons, pg, "polygons")], reproject)
    # each part of a multi-line counts (a corridor's road and its railway may run side by side)
    ln, pg = ln.to_crs(WORK_CRS).explode(index_parts=False), pg.to_crs(WORK_CRS)
    tree = shapely.STRtree(pg.geometry.values)
    li, pi = tree.query(ln.geometry.values, predicate="intersects")
    length = shapely.length(shapely.intersection(ln.geometry.values[li], pg.geometry.values[pi]))
    out = pd.DataFrame(
        {line_id: ln[line_id].to_numpy()[li], polygon_id: pg[polygon_id].to_numpy()[pi], "length_m": length}
    )
    out = out[out["length_m"] > 0].reset_index(drop=True)
    out["length_km"] = out["length_m"] / 1000
    out.attrs["length_crs"] = WORK_CRS_NAME
    out.attrs["definitions"] = [
        "length = length of (line intersection polygon), summed over the parts of a multi-line; "
        "pairs with zero length are left out"
    ]
    return out


def pairwise_within(
    layer: Any, *, id_column: str, name_column: str | None = None, min_overlap_m2: float = 1.0, catalog: Any = None
) -> pd.DataFrame:
    """Overlaps between the features of one layer (e.g. how much the barriers overlap each other).

    Pairs overlapping by less than ``min_overlap_m2`` (slivers along shared boundaries) are left out.
    """
    lyr = as_layer(layer, catalog, what="layer").to_crs(AREA_CRS)
    g = lyr.geometry.values
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    ov = shapely.area(shapely.intersection(g[i], g[j]))
    ids = lyr[id_column].to_numpy()
    names = lyr[name_column].to_numpy() if name_column else ids
    out = pd.DataFrame(
        {
            "a": ids[i],
            "name_a": names[i],
            "b": ids[j],
            "name_b": names[j],
            "overlap_m2": ov,
            "share_of_a": ov / shapely.area(g[i]),
            "share_of_b": ov / shapely.area(g[j]),
        }
    )
    out = add_area_columns(
        out[out["overlap_m2"] >= min_overlap_m2].reset_index(drop=True), "overlap_m2", units=("km2", "mu")
    )
    out.attrs["area_crs"] = AREA_CRS_NAME
    out.attrs["definitions"] = [
        "pairs of features of one layer that overlap (not dissolved: the overlaps are what is measured)",
        f"pairs overlapping by less than {min_overlap_m2:g} m2 (boundary slivers) are left out",
    ]
    return out
