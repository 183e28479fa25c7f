"""Corridor roads from an OpenStreetMap extract (``.osm.pbf`` or ``.osm`` XML).

The plan file maps each corridor to its roads in OpenStreetMap (``[[corridors]] osm = {...}``):
``ref`` values (``G22``), ``name`` fragments (``长临高速``), and the ``highway`` / ``railway`` classes
to consider. :func:`roads_from_osm` reads the ``lines`` layer of the extract with GDAL's OSM
driver (through pyogrio; ``ref`` and other tags not in GDAL's default ``osmconf.ini`` come from
its ``other_tags`` column) and keeps, for each corridor, the ways where

* the class is listed: ``highway`` in the corridor's ``highway`` values, or ``railway`` in its
  ``railway`` values, **and**
* the way is one of the corridor's roads: one of its ``;``-separated ``ref`` values is in the
  corridor's ``ref`` list, or its ``name`` (or ``name:zh``, ``official_name``, ``alt_name``)
  contains one of the corridor's ``name`` fragments.

Ways are clipped to the city's neighbourhood (the counties plus ``margin_m``) and merged into
one MultiLineString per corridor (``shapely.line_merge``). Corridors without any matching way
are reported - a warning, and ``attrs["missing_corridors"]`` - not silently dropped.
:func:`use_osm_roads` makes the result the catalog's ``corridor_roads`` layer, so every corridor
layer rebuilds on the real lines.

Examples
--------
>>> import linfen_geo as lg
>>> from linfen_geo.io.osm import use_osm_roads
>>> roads = use_osm_roads("shanxi-latest.osm.pbf")  # doctest: +SKIP
>>> lg.load("corridors_terrain")  # now on OpenStreetMap lines  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS
from linfen_geo.errors import InputError
from linfen_geo.layers._common import corridor_identity

__all__ = ["OSM_LICENCE", "osm_tag", "roads_from_osm", "use_osm_roads"]

OSM_LICENCE = "ODbL 1.0 (© OpenStreetMap contributors)"

_NAME_TAGS = ("name:zh", "official_name", "alt_name")


def osm_tag(other_tags: pd.Series, key: str) -> pd.Series:
    """Value of ``key`` in GDAL's ``other_tags`` column (hstore text ``"k"=>"v","k2"=>"v2"``).

    Parameters
    ----------
    other_tags
        The ``other_tags`` strings (missing values allowed).
    key
        The OSM tag key, e.g. ``"ref"`` or ``"name:zh"``.

    Returns
    -------
    pandas.Series
        The tag's value per row (``\\"`` and ``\\\\`` unescaped), empty string where absent.

    Examples
    --------
    >>> tags = pd.Series(['"ref"=>"G22;G5512","name:en"=>"A \\\\"B\\\\" C"', None, '"oneway"=>"yes"'])
    >>> osm_tag(tags, "ref").tolist()
    ['G22;G5512', '', '']
    >>> osm_tag(tags, "name:en").tolist()[0]
    'A "B" C'
    """
    pattern = rf'(?:^|,)"{re.escape(key)}"=>"((?:[^"\\]|\\.)*)"'
    values = other_tags.astype("string").str.extract(pattern, expand=False)
    values = values.str.replace(r"\\(.)", r"\1", regex=True)
    return values.fillna("").astype(str)


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _city(city: Any, catalog: Any) -> Any:
    """The city polygon in EPSG:4546."""
    if city is None:
        if catalog is None:
            from linfen_geo.layer_catalog.core import get_catalog

            catalog = get_catalog()
        return catalog.load("counties").to_crs(WORK_CRS).union_all()
    if isinstance(city, (gpd.GeoDataFrame, gpd.GeoSeries)):
        return city.to_crs(WORK_CRS).union_all()
    return gpd.GeoSeries([city], crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]


def _read_lines(path: Path, classes: dict[str, list[str]], bbox: tuple[float, ...]) -> gpd.GeoDataFrame:
    import pyogrio

    if "OSM" not in pyogrio.list_drivers():
        raise InputError("this GDAL has no OSM driver: install pyogrio wheels (they include it)")
    where = " OR ".join(f"{col} IN ({_sql_list(vals)})" for col, vals in classes.items() if vals)
    try:
        ways = pyogrio.read_dataframe(
            path,
            layer="lines",
            columns=["osm_id", "name", "highway", "railway", "other_tags"],
            where=where or None,
            bbox=bbox,
        )
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, FieldError ...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read OpenStreetMap lines from {path.name}: {msg}") from None
    for col in ("name", "highway", "railway", "other_tags"):
        if col not in ways.columns:
            ways[col] = None
    return ways


def roads_from_osm(
    path: str | os.PathLike[str],
    plan: Mapping[str, Any] | None = None,
    *,
    catalog: Any = None,
    city: Any = None,
    margin_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Corridor road lines from an OpenStreetMap extract, one row per corridor.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` (XML) file, e.g. a Shanxi extract.
    plan
        The plan (its ``corridors`` and their ``osm`` filters); default: the catalog's plan.
    catalog
        Catalog for the default plan and the counties (default: the session's).
    city
        Clip to this area instead of the counties: a shapely geometry in EPSG:4326 or a
        GeoDataFrame/GeoSeries.
    margin_m
        Keep ways up to this distance outside the city.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one MultiLineString per corridor with matching ways (plan order):
        ``corridor_id``, ``name_zh``, ``name_en``, ``roads_zh``, ``roads_en``,
        ``source="OpenStreetMap"``, ``illustrative=False``, ``n_ways``, ``osm_ids``,
        ``length_km`` (EPSG:4546) and ``method``. ``attrs["missing_corridors"]`` lists the
        corridors no way matched (also warned).

    Raises
    ------
    InputError
        If the file cannot be read or no way matches any corridor.

    Examples
    --------
    >>> roads = roads_from_osm("shanxi-latest.osm.pbf")  # doctest: +SKIP
    >>> roads[["corridor_id", "n_ways", "length_km"]]  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"OpenStreetMap extract {path} does not exist")
    if plan is None:
        if catalog is None:
            from linfen_geo.layer_catalog.core import get_catalog

            catalog = get_catalog()
        plan = catalog.plan
    corridors = plan["corridors"]
    city_work = _city(city, catalog)
    area = shapely.buffer(city_work, margin_m)
    bbox = tuple(gpd.GeoSeries([area], crs=WORK_CRS).to_crs(STORAGE_CRS).total_bounds)
    classes = {
        "highway": sorted({v for c in corridors for v in c.get("osm", {}).get("highway", [])}),
        "railway": sorted({v for c in corridors for v in c.get("osm", {}).get("railway", [])}),
    }
    ways = _read_lines(path, classes, bbox)
    ways = ways.set_crs(STORAGE_CRS, allow_override=True).to_crs(WORK_CRS)
    ways["geometry"] = shapely.intersection(ways.geometry.values, area)
    ways = ways[~ways.geometry.is_empty & ways.geometry.notna()].reset_index(drop=True)
    tags = ways["other_tags"]
    refs = osm_tag(tags, "ref")
    ref_tokens = refs.str.split(";").explode().str.strip()
    names = pd.concat([ways["name"].fillna("").astype(str), *(osm_tag(tags, k) for k in _NAME_TAGS)], axis=1)
    highway = ways["highway"].fillna("").astype(str)
    railway = ways["railway"].fillna("").astype(str)
    rows, missing = [], []
    for c in corridors:  # four corridors
        flt = c.get("osm", {})
        cls = highway.isin(flt.get("highway", [])) | railway.isin(flt.get("railway", []))
        by_ref = ref_tokens.isin(flt.get("ref", [])).groupby(level=0).any().reindex(ways.index, fill_value=False)
        if flt.get("name"):
            pattern = "|".join(re.escape(n) for n in flt["name"])
            by_name = names.apply(lambda col, p=pattern: col.str.contains(p, regex=True)).any(axis=1)
        else:
            by_name = pd.Series(False, index=ways.index)
        hit = ways[cls & (by_ref | by_name)]
        if hit.empty:
            missing.append(c["id"])
            continue
        merged = shapely.line_merge(shapely.union_all(hit.geometry.values))
        parts = shapely.get_parts(merged)
        rows.append(
            {
                **corridor_identity(c),
                "source": "OpenStreetMap",
                "illustrative": False,
                "n_ways": len(hit),
                "osm_ids": ",".join(hit["osm_id"].astype(str)),
                "length_km": float(shapely.length(merged)) / 1000,
                "method": f"OpenStreetMap ways matching the plan's osm filters ({path.name})",
                "geometry": shapely.multilinestrings(parts),
            }
        )
    if not rows:
        raise InputError(
            f"{path.name}: no OpenStreetMap way matches any corridor's osm filters in the city area "
            "(is the extract for Shanxi? check [[corridors]] osm in the plan file)"
        )
    if missing:
        names_missing = {c["id"]: "、".join(c["roads_zh"]) for c in corridors if c["id"] in missing}
        warnings.warn(
            f"{path.name}: no OpenStreetMap way matches corridor(s) "
            + ", ".join(f"{k} ({v})" for k, v in names_missing.items())
            + ": they have no road line (check their osm filters in the plan file)",
            UserWarning,
            stacklevel=2,
        )
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORK_CRS).to_crs(STORAGE_CRS)
    out.attrs.update({"missing_corridors": missing, "source": f"OpenStreetMap extract {path.name}"})
    return out


def use_osm_roads(
    path: str | os.PathLike[str],
    *,
    catalog: Any = None,
    fill_missing: bool = False,
    margin_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Make an OpenStreetMap extract's corridor roads the catalog's ``corridor_roads`` layer.

    The lines of :func:`roads_from_osm` are written (atomically) to a GeoPackage in the
    catalog's cache folder and registered with status ``real`` (real data, not an official
    survey). Every layer built on ``corridor_roads`` (``corridors``, ``corridors_terrain``)
    rebuilds on them.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` file.
    catalog
        The catalog to change (default: the session's).
    fill_missing
        Keep the catalog's current line (e.g. the illustrative alignment, flagged
        ``illustrative``) for corridors that no OSM way matches; by default they are left
        out (and warned about).
    margin_m
        See :func:`roads_from_osm`.

    Returns
    -------
    geopandas.GeoDataFrame
        The roads now in the catalog.

    Examples
    --------
    >>> use_osm_roads("shanxi-latest.osm.pbf", fill_missing=True)  # doctest: +SKIP
    """
    from linfen_geo.files import atomic_write

    if catalog is None:
        from linfen_geo.layer_catalog.core import get_catalog

        catalog = get_catalog()
    path = Path(path).expanduser()
    roads = roads_from_osm(path, catalog.plan, catalog=catalog, margin_m=margin_m)
    missing = list(roads.attrs.get("missing_corridors", []))
    if fill_missing and missing:
        current = catalog.load("corridor_roads")
        keep = current[current["corridor_id"].isin(missing)].copy()
        keep["source"] = f"kept from {catalog.provenance('corridor_roads')['source']}"
        keep["illustrative"] = keep["illustrative"].astype(bool) | (catalog.status("corridor_roads") == "illustrative")
        order = {c["id"]: i for i, c in enumerate(catalog.plan["corridors"])}
        roads = pd.concat([roads, keep[[c for c in keep.columns if c in roads.columns]]], ignore_index=True)
        roads = gpd.GeoDataFrame(roads, geometry="geometry", crs=STORAGE_CRS)
        roads = roads.iloc[np.argsort(roads["corridor_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    digest = hashlib.sha256(roads.to_json().encode()).hexdigest()[:16]
    gpkg = Path(catalog.cache_dir) / f"corridor_roads_osm-{digest}.gpkg"
    atomic_write(gpkg, lambda tmp: roads.to_file(tmp, driver="GPKG", layer="corridor_roads"))
    note = f"; no OSM way for {', '.join(missing)}" + (" (kept the previous lines)" if fill_missing else "")
    catalog.use(
        "corridor_roads",
        gpkg,
        status="real",
        source=f"OpenStreetMap extract {path.name}",
        licence=OSM_LICENCE,
        accuracy="OpenStreetMap way geometry (typically +-5-20 m)" + (note if missing else ""),
        layer="corridor_roads",
    )
    return catalog.load("corridor_roads")
