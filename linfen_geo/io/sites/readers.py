"""Read a source into a raw frame: dispatch on the input's type, a file's suffix or content.

Python objects (GeoDataFrame, GeoSeries, shapely geometries, DataFrames, GeoJSON dicts, WKT
strings) are taken as they are; a path must be a regular file (or a File GDB folder) and goes to
:func:`linfen_geo.io.vectors.read_vector` (GeoJSON, GeoPackage, shapefiles -- their encoding
decided from the DBF bytes --, anything else GDAL reads), :mod:`linfen_geo.io.sites.kml`
(KML/KMZ), :mod:`linfen_geo.io.sites.tables` (CSV/TSV/Excel, WKT) or :mod:`linfen_geo.io.jzd`
(界址点 TXT); text is read capped and decoded by :func:`linfen_geo.io.textfiles.decode_text`.
A file with an unknown suffix is sniffed from its first bytes. CRS handling comes later
(:mod:`linfen_geo.io.sites.normalise`).

Examples
--------
>>> from shapely.geometry import Point
>>> raw = _load([Point(111.5, 36.1)], crs=None, layer=None, encoding=None)
>>> raw.where, raw.fmt, len(raw.gdf), raw.gdf.crs
('input geometries', 'shapely', 1, None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from linfen_geo.errors import InputError
from linfen_geo.io.jzd import looks_like_jzd, read_jzd
from linfen_geo.io.sites.common import _WKT_START, _one_line, _Raw
from linfen_geo.io.sites.kml import _read_kml
from linfen_geo.io.sites.normalise import _offset_system
from linfen_geo.io.sites.tables import _parse_wkt_text, _read_delimited, _table_to_gdf
from linfen_geo.io.textfiles import check_regular_file, decode_text, read_bytes_capped
from linfen_geo.io.vectors import VECTOR_FOLDERS, read_vector

__all__: list[str] = []  # internal to linfen_geo.io.sites


def _read_vector(path: Path, where: str, layer: Any, encoding: str | None, fmt: str) -> _Raw:
    gdf = read_vector(path, layer=layer, encoding=encoding, where=where)
    attrs = {"layer": gdf.attrs["layer"]}
    if gdf.attrs.get("encoding"):
        attrs["encoding"] = gdf.attrs["encoding"]
    warnings = list(gdf.attrs.get("warnings", []))
    gdf.attrs.clear()
    return _Raw(gdf, where, str(path), fmt, attrs=attrs, warnings=warnings)


# --------------------------------------------------------------------------- dispatch


def _read_text_file(path: Path, where: str, encoding: str | None, crs: Any, kind: str) -> _Raw:
    data = read_bytes_capped(path, where=where)
    text, used = decode_text(data, encoding, where)
    if not text.strip():
        raise InputError(f"{where}: the file is empty")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if kind == "txt":
        if looks_like_jzd(text):
            kind = "jzd"
        elif _WKT_START.match(first):
            kind = "wkt"
        else:
            kind = "table"
    if kind == "jzd":
        jzd_crs = None if crs is None or _offset_system(crs) else crs
        gdf = read_jzd(path, encoding=encoding, crs=jzd_crs)
        raw = _Raw(
            gdf, where, str(path), "界址点 TXT", attrs={"encoding": used}, warnings=list(gdf.attrs.get("warnings", []))
        )
        raw.attrs["jzd_header"] = dict(gdf.attrs.get("header", {}))
        return raw
    if kind == "wkt":
        return _Raw(_parse_wkt_text(text, where), where, str(path), "WKT", attrs={"encoding": used})
    df = _read_delimited(text, where)
    gdf, lonlat, what = _table_to_gdf(df, where, first_line=2)
    return _Raw(gdf, where, str(path), "CSV", lonlat_columns=lonlat, attrs={"encoding": used, "geometry_from": what})


def _read_parquet(path: Path, where: str) -> _Raw:
    """GeoParquet (geometry and CRS from its metadata), else a plain Parquet table read like a CSV."""
    try:
        return _Raw(gpd.read_parquet(path), where, str(path), "GeoParquet")
    except ValueError as exc:
        if "geo" not in str(exc).lower():  # not "Missing geo metadata": a broken file
            raise InputError(f"{where}: cannot read the Parquet file: {_one_line(exc)}") from None
    except Exception as exc:
        raise InputError(f"{where}: cannot read the Parquet file: {_one_line(exc)}") from None
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise InputError(f"{where}: cannot read the Parquet file: {_one_line(exc)}") from None
    gdf, lonlat, what = _table_to_gdf(df.astype(str).where(df.notna()), where, first_line=1)  # as Excel: text, gaps NaN
    return _Raw(gdf, where, str(path), "Parquet", lonlat_columns=lonlat, attrs={"geometry_from": what})


def _read_path(path: Path, *, crs: Any, layer: Any, encoding: str | None) -> _Raw:
    where = str(path)
    if not path.exists():
        raise InputError(f"{where}: file not found: check the path (relative paths start at {Path.cwd()})")
    check_regular_file(path, where=where, folders=VECTOR_FOLDERS)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{where}: the file is empty")
    suffix = path.suffix.lower()
    if path.is_file() and suffix not in (
        ".csv", ".tsv", ".txt", ".wkt", ".kml", ".kmz", ".shp", ".zip", ".xlsx", ".xls",
        ".geojson", ".json", ".gpkg", ".fgb", ".gml", ".gpx", ".dxf", ".sqlite", ".parquet", ".geoparquet",
    ):  # fmt: skip
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"<") and b"<kml" in head.lower():
            suffix = ".kml"
        elif head.startswith(b"{"):
            suffix = ".geojson"
        elif head.startswith(b"PK"):
            suffix = ".zip"
        elif head.startswith(b"PAR1"):
            suffix = ".parquet"
        elif not head.startswith(b"\x00"):
            suffix = ".txt"
    if suffix in (".csv", ".tsv"):
        return _read_text_file(path, where, encoding, crs, "table")
    if suffix == ".txt":
        return _read_text_file(path, where, encoding, crs, "txt")
    if suffix == ".wkt":
        return _read_text_file(path, where, encoding, crs, "wkt")
    if suffix in (".kml", ".kmz"):
        return _read_kml(path, where, layer, encoding)
    if suffix == ".dxf":  # CAD drawings: ezdxf, not GDAL (see linfen_geo.io.sites.dxf)
        from linfen_geo.io.sites.dxf import _read_dxf_raw

        return _read_dxf_raw(path, where, layer, encoding, crs)
    if suffix in (".shp", ".zip"):
        return _read_vector(path, where, layer, encoding, "ESRI Shapefile" if suffix == ".shp" else "zip")
    if suffix in (".parquet", ".geoparquet"):
        return _read_parquet(path, where)
    if suffix in (".xlsx", ".xls"):
        try:
            df = pd.read_excel(path, sheet_name=0 if layer is None else layer, dtype=str)
        except Exception as exc:
            raise InputError(f"{where}: cannot read the spreadsheet: {_one_line(exc)}") from None
        gdf, lonlat, what = _table_to_gdf(df, where, first_line=2)
        return _Raw(gdf, where, str(path), "Excel", lonlat_columns=lonlat, attrs={"geometry_from": what})
    fmt = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}.get(suffix, suffix.lstrip(".") or "GDAL")
    return _read_vector(path, where, layer, encoding, fmt)


def _geometries_only(geoms: Sequence[Any], crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs=crs)


def _load(source: Any, *, crs: Any, layer: Any, encoding: str | None) -> _Raw:
    obj = "python object"
    if isinstance(source, gpd.GeoDataFrame):
        gdf = source.copy().reset_index(drop=True)
        if gdf.geometry.name != "geometry" and "geometry" not in gdf.columns:
            gdf = gdf.rename_geometry("geometry")
        return _Raw(gdf, "input GeoDataFrame", obj, "GeoDataFrame")
    if isinstance(source, gpd.GeoSeries):
        return _Raw(_geometries_only(source.to_numpy(), source.crs), "input GeoSeries", obj, "GeoSeries")
    if isinstance(source, BaseGeometry):
        return _Raw(_geometries_only([source], None), "input geometry", obj, "shapely")
    if isinstance(source, pd.DataFrame):
        gdf, lonlat, what = _table_to_gdf(source, "input DataFrame", first_line=1)
        return _Raw(gdf, "input DataFrame", obj, "DataFrame", lonlat_columns=lonlat, attrs={"geometry_from": what})
    if isinstance(source, Mapping):
        try:
            if source.get("type") == "FeatureCollection":
                gdf = gpd.GeoDataFrame.from_features(source)
            elif source.get("type") == "Feature":
                gdf = gpd.GeoDataFrame.from_features([source])
            else:
                gdf = _geometries_only([shape(source)], None)
        except Exception as exc:
            raise InputError(f"input dict: not GeoJSON: {_one_line(exc)}") from None
        return _Raw(gdf, "input GeoJSON dict", obj, "GeoJSON dict")
    if isinstance(source, str) and _WKT_START.match(source):
        return _Raw(_parse_wkt_text(source, "WKT text"), "WKT text", obj, "WKT")
    if isinstance(source, (str, os.PathLike)):
        return _read_path(Path(source).expanduser(), crs=crs, layer=layer, encoding=encoding)
    if isinstance(source, (list, tuple, np.ndarray)) and len(source):
        items = list(source)
        if all(isinstance(g, BaseGeometry) for g in items):
            return _Raw(_geometries_only(items, None), "input geometries", obj, "shapely")
        if all(isinstance(g, str) and _WKT_START.match(g) for g in items):
            return _Raw(_parse_wkt_text("\n".join(items), "WKT list"), "WKT list", obj, "WKT")
    if isinstance(source, (list, tuple, np.ndarray)) and not len(source):
        raise InputError("input: the list of sites is empty")
    raise InputError(
        f"input: cannot read sites from a {type(source).__name__}: give a file path, GeoDataFrame, GeoSeries, "
        "shapely geometry (or a list of them) or a DataFrame with lon/lat columns"
    )
