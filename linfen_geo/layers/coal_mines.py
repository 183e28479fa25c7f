"""煤矿矿区范围 - real coal-mine boundaries (Global Energy Monitor), clipped to the city.

The ``coal_mine_features`` layer is GEM's *Coal Mine Boundaries and Methane Sources* v1.0.2 (CC BY 4.0,
attribution "Global Energy Monitor") within the Linfen bounding box: mine boundary polygons and
shaft / drainage points. ``coal_mines`` keeps the boundaries (``feature == "mine boundary"``), one row
per mine, clipped to the city; a mine with nothing inside the city (晋杨, in 沁源) is left out.

It is a research sample of three active mines in 乡宁县 (王家岭, 吉宁, 腾晖), not an inventory of Linfen's
licensed mines, and says nothing about the legacy mines of the ``mines`` layer. Siting checks it with a
压覆矿产 ``review`` rule; connectivity can use it as a barrier. Official mining-right boundaries drop in
through ``lg.use("coal_mines", path)`` (columns ``mine_id``, ``name_zh``, ``name_en``, ``area_km2_source``).

Columns: ``mine_id`` (GEM mine id), ``name_zh``, ``name_en``, ``county`` (counties it covers, largest
first), ``boundary_precision`` (GEM: reported / extracted), ``data_source_date``, ``owners``,
``area_km2_source`` (the whole GEM polygon), ``area_km2`` (inside the city; both Albers equal-area),
``status`` (``real``), ``illustrative`` (False), ``source`` and ``licence``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, to_area_crs
from linfen_geo.errors import InputError

__all__ = ["MINE_NAMES_ZH", "SOURCE", "LICENCE", "coal_mine_boundaries", "build"]

SOURCE = "Global Energy Monitor, Coal Mine Boundaries and Methane Sources v1.0.2 (2026)"
LICENCE = "CC BY 4.0, attribution: Global Energy Monitor"

#: Chinese names of GEM's mines (GEM wiki's Chinese pages)
MINE_NAMES_ZH = {"M0366": "王家岭煤矿", "M1152": "吉宁煤矿", "M2161": "腾晖煤矿", "M2944": "晋杨煤矿"}


def coal_mine_boundaries(features: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Mine boundary polygons of GEM's features, clipped to the city, with their areas.

    Parameters
    ----------
    features
        GEM features with ``feature`` (``mine boundary`` for the polygons), ``gem_mine_id`` and ``mine_name``.
    counties
        County polygons with ``name``; their union is the city.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per mine with a part inside the city, in EPSG:4326.
    """
    poly = features[(features["feature"] == "mine boundary") & features.geom_type.isin(["Polygon", "MultiPolygon"])]
    if poly.empty:
        raise InputError("coal_mine_features has no 'mine boundary' polygon")
    poly = poly.to_crs(STORAGE_CRS).dissolve(by="gem_mine_id", sort=True, aggfunc="first").reset_index()
    cty = counties.to_crs(STORAGE_CRS)
    city = shapely.union_all(np.asarray(cty.geometry.values))
    source_km2 = to_area_crs(poly.geometry).area.to_numpy() / 1e6
    clipped = shapely.intersection(np.asarray(poly.geometry.values), city)
    clipped = shapely.make_valid(clipped, method="structure", keep_collapsed=False)
    in_city = to_area_crs(gpd.GeoSeries(clipped, crs=STORAGE_CRS)).area.to_numpy() / 1e6
    overlap = (
        to_area_crs(
            gpd.GeoSeries(
                shapely.intersection(clipped[:, None], np.asarray(cty.geometry.values)[None, :]).ravel(), crs=4326
            )
        )
        .area.to_numpy()
        .reshape(len(poly), len(cty))
    )
    names = cty["name"].astype(str).to_numpy()
    counties_col = [
        ",".join(names[np.argsort(-row, kind="stable")][: int((row > 1e4).sum())]) for row in overlap
    ]  # one per mine (3)
    get = poly.get
    df = pd.DataFrame(
        {
            "mine_id": poly["gem_mine_id"].astype(str),
            "name_zh": [MINE_NAMES_ZH.get(m, "") for m in poly["gem_mine_id"]],
            "name_en": poly["mine_name"].astype(str),
            "county": counties_col,
            "boundary_precision": get("coordinates precision", pd.Series([""] * len(poly))).astype(str).to_numpy(),
            "data_source_date": get("data source date", pd.Series([""] * len(poly))).astype(str).to_numpy(),
            "owners": get("Owners", pd.Series([""] * len(poly))).astype(str).to_numpy(),
            "area_km2_source": source_km2,
            "area_km2": in_city,
            "status": "real",
            "illustrative": False,
            "source": SOURCE,
            "licence": LICENCE,
        }
    )
    out = gpd.GeoDataFrame(df, geometry=clipped, crs=STORAGE_CRS)
    out = out[~out.geometry.is_empty & (out["area_km2"] > 0)].reset_index(drop=True)
    out.attrs["area_crs"] = "Albers equal-area (linfen_geo.crs.AREA_CRS)"
    return out


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``coal_mines``."""
    return coal_mine_boundaries(ctx.load("coal_mine_features"), ctx.load("counties"))
