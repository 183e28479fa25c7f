"""Corridor roads from an OpenStreetMap extract (``.osm.pbf`` or ``.osm`` XML).

The plan file maps each corridor to its roads in OpenStreetMap (``[[corridors]] osm = {...}``):
``ref`` values (``G22``), ``name`` fragments (``长临高速``), and the ``highway`` / ``railway`` classes
to consider. :func:`roads_from_osm` reads the ``lines`` layer of the extract with GDAL's OSM
driver (through pyogrio, with the package's ``osmconf.ini``: ``ref``, ``name:zh``, ``official_name``
and ``alt_name`` are columns of their own, GDAL's default puts them in ``other_tags``) and keeps, for
each corridor, the ways where

* the class is listed: ``highway`` in the corridor's ``highway`` values, or ``railway`` in its
  ``railway`` values, **and**
* the way is one of the corridor's roads: one of its ``;``-separated ``ref`` values is in the
  corridor's ``ref`` list, or its ``name`` (or ``name:zh``, ``official_name``, ``alt_name``)
  contains one of the corridor's ``name`` fragments.

Ways are clipped to the city's neighbourhood (the counties plus ``margin_m``) and merged into
one MultiLineString per corridor (``shapely.line_merge``). Corridors without any matching way
are reported - a warning, and ``attrs["missing_corridors"]`` - not silently dropped.
This module only reads: :func:`linfen_geo.use_roads_from_osm` (in :mod:`linfen_geo.layer_catalog.roads`)
makes the result the catalog's ``corridor_roads`` layer, so every corridor layer rebuilds on the real lines.

Examples
--------
>>> import linfen_geo as lg
>>> roads = lg.roads_from_osm("shanxi-latest.osm.pbf")  # just the lines  # doctest: +SKIP
>>> lg.use_roads_from_osm("shanxi-latest.osm.pbf")  # the catalog's corridor_roads  # doctest: +SKIP
>>> lg.load("corridors_terrain")  # now on OpenStreetMap lines  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS
from linfen_geo.errors import InputError
from linfen_geo.io.textfiles import check_regular_file
from linfen_geo.layers._common import corridor_identity

__all__ = ["OSM_CONFIG", "OSM_LICENCE", "roads_from_osm"]

OSM_LICENCE = "ODbL 1.0 (© OpenStreetMap contributors)"
#: GDAL OSM driver configuration (``CONFIG_FILE``): the lines layer with the tags the filters use as columns
OSM_CONFIG = Path(__file__).with_name("osmconf.ini")

#: columns of the lines layer (``name:zh`` is laundered to ``name_zh`` by GDAL)
_COLUMNS = ("osm_id", "name", "highway", "railway", "ref", "name_zh", "official_name", "alt_name")
#: name columns besides ``name`` that a corridor's name fragments are matched against
_NAME_TAGS = ("name_zh", "official_name", "alt_name")


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
            columns=list(_COLUMNS),
            where=where or None,
            bbox=bbox,
            CONFIG_FILE=str(OSM_CONFIG),  # dataset open option of the OSM driver
        )
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, FieldError ...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read OpenStreetMap lines from {path.name}: {msg}") from None
    for col in _COLUMNS[1:]:
        if col not in ways.columns:
            ways[col] = None
        ways[col] = ways[col].fillna("").astype(str)
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
    A one-way extract and a one-corridor plan (the real plan has four):

    >>> import tempfile
    >>> from shapely.geometry import box
    >>> osm = Path(tempfile.mkdtemp()) / "g22.osm"
    >>> _ = osm.write_text(
    ...     '<osm version="0.6"><node id="1" lat="36.05" lon="111.6"/><node id="2" lat="36.02" lon="111.7"/>'
    ...     '<way id="7"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/><tag k="ref" v="G22"/></way></osm>'
    ... )
    >>> plan = {"corridors": [{"id": "C2", "name_zh": "长临", "name_en": "Changzhi-Linfen", "roads_zh": ["长临高速"],
    ...     "roads_en": ["Changzhi-Linfen Expressway"], "osm": {"ref": ["G22"], "highway": ["motorway"]}}]}
    >>> roads = roads_from_osm(osm, plan, city=box(111.5, 35.9, 111.8, 36.2))
    >>> roads[["corridor_id", "n_ways", "osm_ids"]].to_dict("records"), round(float(roads["length_km"].iloc[0]), 1)
    ([{'corridor_id': 'C2', 'n_ways': 1, 'osm_ids': '7'}], 9.6)
    >>> roads_from_osm("shanxi-latest.osm.pbf")  # a real extract, e.g. from download.geofabrik.de  # doctest: +SKIP
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"OpenStreetMap extract {path} does not exist")
    check_regular_file(path)
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
    ref_tokens = ways["ref"].str.split(";").explode().str.strip()
    names = ways[["name", *_NAME_TAGS]]
    highway, railway = ways["highway"], ways["railway"]
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


def __getattr__(name: str) -> Any:
    if name == "use_osm_roads":  # deprecated alias (it warns when called); the catalog side moved out of io
        from linfen_geo.layer_catalog.roads import use_osm_roads

        return use_osm_roads
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
