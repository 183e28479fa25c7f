"""Read planners' proposed project sites from whatever they come in.

:func:`read_sites` accepts Python objects (GeoDataFrame, GeoSeries, shapely
geometries, a DataFrame with coordinate columns, GeoJSON-like dicts, WKT text)
and files:

========================  ==================================================================
input                     how it is read
========================  ==================================================================
``.geojson`` ``.json``    pyogrio (GDAL GeoJSON driver)
``.gpkg``                 pyogrio; ``layer`` picks the layer (default: the first)
``.shp`` ``.zip``         pyogrio; without a ``.cpg`` the attribute encoding is detected
                          (UTF-8, else GB18030, which reads GBK); ``encoding`` wins
``.kml`` ``.kmz``         pyogrio (LIBKML/KML drivers), every folder; parsed directly with
                          :mod:`xml.etree` when GDAL lacks KML support, fails, or would
                          mangle non-ASCII ExtendedData field names (LIBKML does)
``.csv`` ``.tsv``         pandas; a WKT column (``wkt``/``geometry``/``geom``), else lon/lat
                          columns (``lon``/``lng``/``longitude``/``经度`` and
                          ``lat``/``latitude``/``纬度``; decimal or 度分秒), else
                          ``x``/``y`` (easting/northing) columns
``.xlsx`` ``.xls``        like CSV (``layer`` picks the sheet)
``.wkt``                  one WKT geometry per line, or a single geometry (``SRID=n;`` allowed)
``.txt``                  界址点 exchange file (:mod:`linfen_geo.io.jzd`), WKT lines or a table
other                     sniffed from the content, else handed to GDAL
========================  ==================================================================

Text files may be UTF-8 (with or without BOM) or GBK/GB18030.

The source CRS is the file's own; else ``crs`` (anything pyproj accepts, or
``"gcj02"``/``"bd09"`` for AMap/Baidu lon/lat); else it is inferred from the
coordinates (lon/lat around Linfen, or Gauss-Kruger metres of CM 111E with or
without the zone-37 prefix). The result is always in EPSG:4326.

Examples
--------
>>> from shapely.geometry import Point, box
>>> sites = read_sites([Point(111.52, 36.08), box(111.6, 36.1, 111.61, 36.11)])
>>> sites[["site_id", "name"]].to_dict("list"), sites.crs.to_epsg(), sites.attrs["crs_assumed"]
({'site_id': ['1', '2'], 'name': ['', '']}, 4326, True)
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from linfen_geo.crs import STORAGE_CRS, as_crs, crs_label
from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.jzd import _decode, looks_like_jzd, read_jzd

__all__ = [
    "CHINA_LONLAT_BOX",
    "ID_COLUMNS",
    "LINFEN_LONLAT_BOX",
    "NAME_COLUMNS",
    "OFFSET_SYSTEMS",
    "infer_crs",
    "read_sites",
]

#: columns a site id is taken from, in order of preference (the last three are name columns)
ID_COLUMNS: tuple[str, ...] = ("site_id", "id", "ID", "编号", "地块号", "name", "名称", "地块名称")
#: columns a site name is taken from, in order of preference
NAME_COLUMNS: tuple[str, ...] = ("name", "名称", "地块名称", "项目名称", "Name", "NAME")
_NAME_LIKE_IDS = {"name", "名称", "地块名称"}

#: (lon_min, lat_min, lon_max, lat_max): lon/lat in here is taken as EPSG:4326 when no CRS is given
LINFEN_LONLAT_BOX = (109.0, 34.0, 114.0, 38.0)
#: (lon_min, lat_min, lon_max, lat_max): every site must fall in here after reprojection
CHINA_LONLAT_BOX = (100.0, 25.0, 125.0, 45.0)
#: Gauss-Kruger windows around Linfen: (x_min, y_min, x_max, y_max)
_GK_PREFIX_BOX = (37_300_000.0, 3_800_000.0, 37_700_000.0, 4_200_000.0)
_GK_BOX = (300_000.0, 3_800_000.0, 700_000.0, 4_200_000.0)

#: ``crs`` strings meaning Chinese web-map lon/lat offset systems, mapped to :mod:`linfen_geo.io.chinacoords` names
OFFSET_SYSTEMS: dict[str, str] = {
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}

_FIX_CRS = "pass crs=..., e.g. --crs 4546 for GK metres, --crs gcj02 for AMap coordinates"
_WKT_START = re.compile(
    r"^\s*(?:SRID=\d+\s*;\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|"
    r"LINEARRING)\b",
    re.IGNORECASE,
)
_SRID = re.compile(r"^\s*SRID=(\d+)\s*;\s*", re.IGNORECASE)

# normalised column names (see _norm) of coordinate columns
_LON = {"lon", "lng", "long", "longitude", "经度", "东经", "x经度"}
_LAT = {"lat", "latitude", "纬度", "北纬", "y纬度"}
_X = {"x", "easting", "east", "东坐标", "x坐标", "横坐标"}
_Y = {"y", "northing", "north", "北坐标", "y坐标", "纵坐标"}
_WKT = {"wkt", "geometry", "geom", "wktgeom", "thegeom", "几何"}

# LIBKML/KML core fields that describe styling, not the site
_KML_JUNK = (
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
    "snippet",
)

_POINT_T, _LINE_T, _RING_T, _POLY_T, _MPOINT_T, _MLINE_T, _MPOLY_T, _COLL_T = range(8)


@dataclass
class _Raw:
    """A source as read, before CRS handling."""

    gdf: gpd.GeoDataFrame
    where: str  # names the input in messages
    source: str  # attrs["source"]
    fmt: str
    lonlat_columns: bool = False  # coordinates came from columns named lon/lat
    attrs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small helpers


def _one_line(text: Any, limit: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _norm(name: Any) -> str:
    """Normalise a column name for matching: lower case, no units in brackets, no spaces/underscores/dashes."""
    s = str(name).strip().lower()
    s = re.sub(r"[\(（\[【].*?[\)）\]】]", "", s)
    return re.sub(r"[\s_\-°/]", "", s)


def _find_column(columns: Sequence[Any], wanted: set[str]) -> Any | None:
    for c in columns:
        if _norm(c) in wanted:
            return c
    return None


def _list(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _offset_system(crs: Any) -> str | None:
    if isinstance(crs, str):
        key = re.sub(r"[\s_\-:]", "", crs.lower())
        return OFFSET_SYSTEMS.get(key)
    return None


def _is_lonlat_wgs84ish(crs: CRS) -> bool:
    """Geographic CRS on the WGS 84 / CGCS2000 / ITRF ellipsoid family (agreeing to centimetres)."""
    if not crs.is_geographic:
        return False
    ellipsoid = crs.ellipsoid
    return ellipsoid is not None and abs(ellipsoid.semi_major_metre - 6378137.0) < 1.0


def _same_crs(a: CRS, b: CRS) -> bool:
    if a == b or a.equals(b, ignore_axis_order=True):
        return True
    ea, eb = a.to_epsg(min_confidence=70), b.to_epsg(min_confidence=70)
    if ea is not None and ea == eb:
        return True
    return _is_lonlat_wgs84ish(a) and _is_lonlat_wgs84ish(b)


def _in_box(bounds: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(box[0] <= minx and maxx <= box[2] and box[1] <= miny and maxy <= box[3])


def _swapped(bounds: np.ndarray) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    return np.array([miny, minx, maxy, maxx])


def _pyogrio_reason(exc: BaseException) -> str:
    return _one_line(str(exc) or type(exc).__name__)


# --------------------------------------------------------------------------- CRS inference


def infer_crs(bounds: Sequence[float], where: str = "input") -> CRS:
    """Guess the CRS of coordinates around Linfen from their bounds.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` of all coordinates.
    where
        Names the input in error messages.

    Returns
    -------
    pyproj.CRS
        EPSG:4326 for lon/lat within 109-114E, 34-38N; EPSG:4525 for
        Gauss-Kruger metres with the zone-37 prefix (x 37.3-37.7 M,
        y 3.8-4.2 M); EPSG:4546 for the same without prefix (x 0.3-0.7 M).

    Raises
    ------
    InputError
        If the coordinates look like lat/lon or northing/easting (axes swapped).
    CRSError
        If they fit none of these.

    Examples
    --------
    >>> infer_crs((111.2, 35.9, 111.8, 36.4)).to_epsg(), infer_crs((37450000, 3990000, 37460000, 4000000)).to_epsg()
    (4326, 4525)
    >>> infer_crs((0, 0, 1000, 1000))
    Traceback (most recent call last):
    ...
    linfen_geo.errors.CRSError: input: cannot tell the CRS of coordinates x 0..1000, y 0..1000: pass crs=..., ...
    """
    b = np.asarray(bounds, dtype=float)
    if _in_box(b, LINFEN_LONLAT_BOX):
        return STORAGE_CRS
    if _in_box(b, _GK_PREFIX_BOX):
        return CRS.from_epsg(4525)
    if _in_box(b, _GK_BOX):
        return CRS.from_epsg(4546)
    s = _swapped(b)
    if _in_box(s, LINFEN_LONLAT_BOX):
        raise InputError(
            f"{where}: the axes look swapped: x holds latitudes ({b[0]:g}..{b[2]:g}) and y longitudes "
            f"({b[1]:g}..{b[3]:g}); give longitude first (x = lon, y = lat)"
        )
    if _in_box(s, _GK_PREFIX_BOX) or _in_box(s, _GK_BOX):
        raise InputError(
            f"{where}: the axes look swapped: x holds northings ({b[0]:.0f}..{b[2]:.0f}) and y eastings "
            f"({b[1]:.0f}..{b[3]:.0f}) (Chinese survey order X=north, Y=east); give easting as x, northing as y"
        )
    raise CRSError(
        f"{where}: cannot tell the CRS of coordinates x {b[0]:g}..{b[2]:g}, y {b[1]:g}..{b[3]:g}: {_FIX_CRS}"
    )


# --------------------------------------------------------------------------- tables (CSV, Excel, DataFrame)

_DMS = re.compile(
    r"^\s*(?P<deg>\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*['′’分]\s*)?"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|″|”|''|′′|秒)\s*)?"
    r"(?P<hemi>[NSEWnsew东西南北])?\s*$"
)


def _to_degrees(values: pd.Series) -> pd.Series:
    """Numbers, or 度分秒 strings such as ``111°30'36"`` / ``36度5分``, to decimal numbers (NaN where neither)."""
    num = pd.to_numeric(values, errors="coerce")
    todo = num.isna() & values.notna()
    if todo.any():
        parts = values[todo].astype(str).str.extract(_DMS)
        deg = pd.to_numeric(parts["deg"], errors="coerce")
        dec = (
            deg
            + pd.to_numeric(parts["min"], errors="coerce").fillna(0) / 60
            + pd.to_numeric(parts["sec"], errors="coerce").fillna(0) / 3600
        )
        sign = np.where(parts["hemi"].isin(["S", "s", "W", "w", "西", "南"]), -1.0, 1.0)
        num.loc[todo] = dec * sign
    return num


def _line_of(df: pd.DataFrame, position: int, first_line: int) -> int:
    """Line (files) or row (DataFrames) number of the row at ``position``, counting rows dropped as blank."""
    label = df.index[position]
    return int(label) + first_line if isinstance(label, (int, np.integer)) else position + first_line


def _numeric_column(df: pd.DataFrame, column: Any, where: str, first_line: int, degrees: bool) -> np.ndarray:
    raw = df[column]
    values = _to_degrees(raw) if degrees else pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = raw.iloc[i]
        what = "is empty" if pd.isna(shown) or str(shown).strip() == "" else f"has {str(shown)!r}, not a number"
        raise InputError(
            f"{where}: line {_line_of(df, i, first_line)}: column {column!r} {what} ({int(bad.sum())} bad value(s)); "
            "fix the table"
        )
    return values.to_numpy(dtype=float)


def _type_attributes(df: pd.DataFrame, skip: set[Any]) -> pd.DataFrame:
    """Turn all-numeric text columns into numbers, keeping codes with leading zeros ("0601") as text."""
    out = df.copy()
    for c in out.columns:
        if c in skip or (out[c].dtype != object and not pd.api.types.is_string_dtype(out[c])):
            continue
        s = out[c]
        present = s.notna() & (s.astype(str).str.strip() != "")
        if not present.any():
            continue
        text = s[present].astype(str).str.strip()
        if text.str.match(r"^[+-]?0\d").any():
            continue
        num = pd.to_numeric(text, errors="coerce")
        if num.notna().all():
            full = pd.to_numeric(s.where(present), errors="coerce")
            out[c] = full.astype("Int64") if (num % 1 == 0).all() else full
    return out


def _table_to_gdf(df: pd.DataFrame, where: str, first_line: int) -> tuple[gpd.GeoDataFrame, bool, str]:
    """Geometry from a WKT column, lon/lat columns or x/y columns; returns (gdf, lon/lat named, what)."""
    df = df.copy()
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df = df.dropna(how="all")
    if df.empty:
        raise InputError(f"{where}: the table has no rows")
    cols = list(df.columns)
    wkt_col = _find_column(cols, _WKT)
    lon_col, lat_col = _find_column(cols, _LON), _find_column(cols, _LAT)
    x_col, y_col = _find_column(cols, _X), _find_column(cols, _Y)
    lonlat = False
    if wkt_col is not None:
        text = df[wkt_col].astype(object)
        srid = text.astype(str).str.extract(_SRID, expand=False)
        wkt = text.astype(str).str.replace(_SRID, "", regex=True).str.strip()
        empty = text.isna().to_numpy() | (wkt == "").to_numpy()
        geoms = shapely.from_wkt(np.where(empty, None, wkt.to_numpy(dtype=object)), on_invalid="ignore")
        bad = shapely.is_missing(geoms)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{where}: line {_line_of(df, i, first_line)}: column {wkt_col!r} holds no valid WKT "
                f"({_one_line(text.iloc[i], 60)!r}); fix it or remove the row"
            )
        crs: Any = None
        codes = srid.dropna().unique()
        if len(codes) > 1:
            raise InputError(f"{where}: mixed SRIDs {list(codes)} in column {wkt_col!r}: one CRS per file")
        if len(codes) == 1:
            crs = as_crs(int(codes[0]))
        used = {wkt_col}
        what = f"WKT column {wkt_col!r}"
    elif lon_col is not None and lat_col is not None:
        x = _numeric_column(df, lon_col, where, first_line, degrees=True)
        y = _numeric_column(df, lat_col, where, first_line, degrees=True)
        geoms, crs, used, lonlat = shapely.points(x, y), None, {lon_col, lat_col}, True
        what = f"lon/lat columns {lon_col!r}/{lat_col!r}"
    elif x_col is not None and y_col is not None:
        x = _numeric_column(df, x_col, where, first_line, degrees=False)
        y = _numeric_column(df, y_col, where, first_line, degrees=False)
        geoms, crs, used = shapely.points(x, y), None, {x_col, y_col}
        what = f"x/y columns {x_col!r}/{y_col!r}"
    else:
        raise InputError(
            f"{where}: no coordinate columns among {_list(cols, 12)}: name them lon/lat (经度/纬度), "
            "x/y (with crs=...), or give a wkt column"
        )
    attrs = _type_attributes(df.drop(columns=list(used)), set())
    attrs = attrs.drop(columns=[c for c in attrs.columns if _norm(c) == "geometry"], errors="ignore")
    gdf = gpd.GeoDataFrame(attrs.reset_index(drop=True), geometry=list(geoms), crs=crs)
    return gdf, lonlat, what


def _read_delimited(text: str, where: str) -> pd.DataFrame:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", "\t", ";", "，")}
    sep = max(counts, key=lambda k: counts[k])
    if counts[sep] == 0:
        sep = r"\s+"
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            engine="python" if len(sep) > 1 or sep == "，" else "c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{where}: cannot parse as a table: {_one_line(exc)}") from None


# --------------------------------------------------------------------------- WKT text


def _parse_wkt_text(text: str, where: str) -> gpd.GeoDataFrame:
    lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), start=1)]
    lines = [(i, ln) for i, ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise InputError(f"{where}: no WKT geometries found: the file is empty")
    srids = {m.group(1) for _, ln in lines if (m := _SRID.match(ln))}
    if len(srids) > 1:
        raise InputError(f"{where}: mixed SRIDs {sorted(srids)}: one CRS per file")
    crs = as_crs(int(srids.pop())) if srids else None
    body = [(i, _SRID.sub("", ln)) for i, ln in lines]
    if all(_WKT_START.match(ln) for _, ln in body):
        geoms = shapely.from_wkt(np.array([ln for _, ln in body], dtype=object), on_invalid="ignore")
        bad = shapely.is_missing(geoms)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(f"{where}: line {body[k][0]}: not valid WKT: {_one_line(body[k][1], 60)!r}")
    else:
        whole = " ".join(ln for _, ln in body)
        try:
            geoms = np.array([shapely.from_wkt(whole)], dtype=object)
        except shapely.errors.ShapelyError as exc:
            raise InputError(f"{where}: not valid WKT ({_one_line(exc)}): put one geometry per line") from None
    return gpd.GeoDataFrame(geometry=list(geoms), crs=crs)


# --------------------------------------------------------------------------- KML


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_coords(elem: ET.Element | None) -> np.ndarray:
    if elem is None:
        return np.empty((0, 2))
    for child in elem.iter():
        if _local(child.tag) == "coordinates":
            text = re.sub(r"\s*,\s*", ",", (child.text or "").strip())
            tuples = [t.split(",") for t in text.split()]
            return np.array([[float(t[0]), float(t[1])] for t in tuples if len(t) >= 2], dtype=float).reshape(-1, 2)
    return np.empty((0, 2))


def _kml_child(elem: ET.Element, name: str) -> ET.Element | None:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _kml_geometry(elem: ET.Element) -> Any:
    kind = _local(elem.tag)
    if kind == "Point":
        xy = _kml_coords(elem)
        return shapely.Point(xy[0]) if len(xy) else None
    if kind == "LineString":
        return shapely.LineString(_kml_coords(elem))
    if kind == "LinearRing":
        return shapely.Polygon(_kml_coords(elem))
    if kind == "Polygon":
        outer = _kml_child(elem, "outerBoundaryIs")
        shell = _kml_coords(outer)
        holes = [_kml_coords(c) for c in elem if _local(c.tag) == "innerBoundaryIs"]
        return shapely.Polygon(shell, [h for h in holes if len(h) >= 3])
    if kind == "MultiGeometry":
        parts = [g for c in elem if (g := _kml_geometry(c)) is not None]
        return shapely.GeometryCollection(parts) if parts else None
    return None


_KML_GEOMETRY_TAGS = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}


def _parse_kml_xml(data: bytes, where: str) -> gpd.GeoDataFrame:
    """Placemarks of a KML document (Point, LineString, Polygon with holes, MultiGeometry) with name,
    description, ExtendedData and the enclosing folder's name."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"{where}: not valid KML/XML: {_one_line(exc)}") from None
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []

    def walk(elem: ET.Element, folder: str | None) -> None:
        for child in elem:
            tag = _local(child.tag)
            if tag in ("Folder", "Document"):
                name_el = _kml_child(child, "name")
                sub = (name_el.text or "").strip() if tag == "Folder" and name_el is not None else folder
                walk(child, sub)
            elif tag == "Placemark":
                rec: dict[str, Any] = {}
                name_el, desc_el = _kml_child(child, "name"), _kml_child(child, "description")
                rec["name"] = (name_el.text or "").strip() if name_el is not None else None
                rec["description"] = (desc_el.text or "").strip() if desc_el is not None else None
                ext = _kml_child(child, "ExtendedData")
                if ext is not None:
                    for d in ext.iter():
                        t = _local(d.tag)
                        if t == "Data" and d.get("name"):
                            v = _kml_child(d, "value")
                            rec[d.get("name")] = (v.text or "").strip() if v is not None else None
                        elif t == "SimpleData" and d.get("name"):
                            rec[d.get("name")] = (d.text or "").strip()
                if folder:
                    rec["folder"] = folder
                try:
                    geom = next((_kml_geometry(c) for c in child if _local(c.tag) in _KML_GEOMETRY_TAGS), None)
                except (ValueError, IndexError, shapely.errors.ShapelyError) as exc:
                    raise InputError(
                        f"{where}: placemark {len(records) + 1} ({rec['name']!r}) has bad coordinates: {_one_line(exc)}"
                    ) from None
                records.append(rec)
                geoms.append(geom)

    walk(root, None)
    df = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return gpd.GeoDataFrame(df, geometry=geoms, crs=STORAGE_CRS)


def _kml_bytes(path: Path) -> bytes:
    if path.suffix.lower() != ".kmz":
        return path.read_bytes()
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.lower().endswith(".kml")]
        if not names:
            raise InputError(f"{path}: the KMZ archive holds no .kml file")
        return z.read("doc.kml" if "doc.kml" in names else names[0])


def _has_non_ascii_fields(data: bytes) -> bool:
    names = re.findall(rb"<(?:\w+:)?(?:Data|SimpleData|SimpleField)\b[^>]*\bname=\"([^\"]*)\"", data)
    return any(not n.isascii() for n in names)


def _read_kml(path: Path, where: str, layer: Any) -> tuple[gpd.GeoDataFrame, list[str], str]:
    warnings: list[str] = []
    try:
        data = _kml_bytes(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{where}: cannot read: {_one_line(exc)}") from None
    drivers = pyogrio.list_drivers()
    gdal_ok = "LIBKML" in drivers or ("KML" in drivers and path.suffix.lower() == ".kml")
    reason = ""
    if not gdal_ok:
        reason = "GDAL has no KML driver"
    elif _has_non_ascii_fields(data):
        reason = "GDAL's LIBKML driver turns non-ASCII ExtendedData field names into underscores"
    else:
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            if layer is not None:
                names = [_pick_layer(names, layer, where)]
            frames = []
            for name in names:
                part = pyogrio.read_dataframe(path, layer=name)
                if len(part):
                    if len(names) > 1:
                        part["folder"] = name
                    frames.append(part)
            if not frames:
                raise InputError(f"{where}: no placemarks with geometry in the KML")
            gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
            gdf = gdf.drop(columns=[c for c in _KML_JUNK if c in gdf.columns])
            if "id" in gdf.columns and gdf["id"].isna().all():
                gdf = gdf.drop(columns="id")
            gdf = gdf.rename(columns={"Name": "name", "Description": "description"})
            return gdf, warnings, "KML (GDAL)"
        except InputError:
            raise
        except Exception as exc:  # GDAL errors of any kind: fall back to our own parser
            reason = f"GDAL could not read it ({_pyogrio_reason(exc)})"
    gdf = _parse_kml_xml(data, where)
    if layer is not None and "folder" in gdf.columns:
        _pick_layer(sorted(set(gdf["folder"].dropna())), layer, where)
        gdf = gdf[gdf["folder"] == layer].reset_index(drop=True)
    if "id" in gdf.columns and gdf["id"].isna().all():
        gdf = gdf.drop(columns="id")
    warnings.append(f"KML parsed directly: {reason}")
    return gdf, warnings, "KML (xml)"


# --------------------------------------------------------------------------- GDAL formats


def _pick_layer(names: Sequence[str], layer: Any, where: str) -> str:
    if isinstance(layer, int) and not isinstance(layer, bool):
        if 0 <= layer < len(names):
            return names[layer]
        raise InputError(f"{where}: layer index {layer} out of range: the file has {len(names)} layer(s)")
    if str(layer) in names:
        return str(layer)
    raise InputError(f"{where}: no layer {layer!r}: the file has {_list(list(names), 12)}; pass layer=<one of them>")


def _read_ogr(
    path: Path, where: str, layer: Any, encoding: str | None = None
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    warnings: list[str] = []
    try:
        info = pyogrio.list_layers(path)
    except Exception as exc:
        raise InputError(f"{where}: cannot read: {_pyogrio_reason(exc)}") from None
    names = [str(n) for n in info[:, 0]]
    if not names:
        raise InputError(f"{where}: no layers in the file")
    if layer is None:
        name = names[0]
        if len(names) > 1:
            warnings.append(
                f"read layer {name!r}, the first of {len(names)} ({_list(names, 8)}); pass layer=... for another"
            )
    else:
        name = _pick_layer(names, layer, where)
    kwargs = {"encoding": encoding} if encoding else {}
    try:
        gdf = pyogrio.read_dataframe(path, layer=name, **kwargs)
    except UnicodeDecodeError:
        raise
    except Exception as exc:
        raise InputError(f"{where}: cannot read layer {name!r}: {_pyogrio_reason(exc)}") from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{where}: layer {name!r} has no geometry column; pass layer=... for a spatial layer")
    return gdf, name, warnings


def _has_replacement_chars(df: pd.DataFrame) -> bool:
    if any("\ufffd" in str(c) for c in df.columns):
        return True
    for c in df.columns:
        s = df[c]
        if (s.dtype == object or pd.api.types.is_string_dtype(s)) and s.astype(str).str.contains(
            "\ufffd", regex=False
        ).any():
            return True
    return False


def _read_shapefile(path: Path, where: str, layer: Any, encoding: str | None) -> _Raw:
    if encoding:
        try:
            gdf, name, warnings = _read_ogr(path, where, layer, encoding)
        except UnicodeDecodeError:
            raise InputError(f"{where}: the attributes are not {encoding}: try encoding='gb18030' or 'utf-8'") from None
        return _Raw(
            gdf, where, str(path), "ESRI Shapefile", attrs={"encoding": encoding, "layer": name}, warnings=warnings
        )
    cpg = [p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.is_file()]
    if cpg and path.suffix.lower() == ".shp":
        gdf, name, warnings = _read_ogr(path, where, layer)
        label = cpg[0].read_text(errors="replace").strip() or "from .cpg"
        return _Raw(
            gdf, where, str(path), "ESRI Shapefile", attrs={"encoding": label, "layer": name}, warnings=warnings
        )
    try:
        gdf, name, warnings = _read_ogr(path, where, layer, "utf-8")
        if _has_replacement_chars(gdf.drop(columns=gdf.geometry.name)):
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "replacement characters")
        used = "utf-8"
    except UnicodeDecodeError:
        try:
            gdf, name, warnings = _read_ogr(path, where, layer, "gb18030")
        except UnicodeDecodeError:
            raise InputError(
                f"{where}: the attributes are neither UTF-8 nor GBK/GB18030: pass encoding=... (e.g. 'big5')"
            ) from None
        used = "gb18030"
    fmt = "ESRI Shapefile" if path.suffix.lower() == ".shp" else "zip"
    return _Raw(gdf, where, str(path), fmt, attrs={"encoding": used, "layer": name}, warnings=warnings)


# --------------------------------------------------------------------------- dispatch


def _read_text_file(path: Path, where: str, encoding: str | None, crs: Any, kind: str) -> _Raw:
    data = path.read_bytes()
    text, used = _decode(data, encoding, where)
    text = text.lstrip("\ufeff")
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


def _read_path(path: Path, *, crs: Any, layer: Any, encoding: str | None) -> _Raw:
    where = str(path)
    if not path.exists():
        raise InputError(f"{where}: file not found: check the path (relative paths start at {Path.cwd()})")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{where}: the file is empty")
    suffix = path.suffix.lower()
    if path.is_file() and suffix not in (
        ".csv", ".tsv", ".txt", ".wkt", ".kml", ".kmz", ".shp", ".zip", ".xlsx", ".xls",
        ".geojson", ".json", ".gpkg", ".fgb", ".gml", ".gpx", ".dxf", ".sqlite",
    ):  # fmt: skip
        head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"<") and b"<kml" in head.lower():
            suffix = ".kml"
        elif head.startswith(b"{"):
            suffix = ".geojson"
        elif head.startswith(b"PK"):
            suffix = ".zip"
        elif not head.startswith(b"\x00"):
            suffix = ".txt"
    if suffix in (".csv", ".tsv"):
        return _read_text_file(path, where, encoding, crs, "table")
    if suffix == ".txt":
        return _read_text_file(path, where, encoding, crs, "txt")
    if suffix == ".wkt":
        return _read_text_file(path, where, encoding, crs, "wkt")
    if suffix in (".kml", ".kmz"):
        gdf, warnings, fmt = _read_kml(path, where, layer)
        return _Raw(gdf, where, str(path), fmt, warnings=warnings)
    if suffix in (".shp", ".zip"):
        return _read_shapefile(path, where, layer, encoding)
    if suffix in (".xlsx", ".xls"):
        try:
            df = pd.read_excel(path, sheet_name=0 if layer is None else layer, dtype=str)
        except Exception as exc:
            raise InputError(f"{where}: cannot read the spreadsheet: {_one_line(exc)}") from None
        gdf, lonlat, what = _table_to_gdf(df, where, first_line=2)
        return _Raw(gdf, where, str(path), "Excel", lonlat_columns=lonlat, attrs={"geometry_from": what})
    gdf, name, warnings = _read_ogr(path, where, layer, encoding)
    fmt = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}.get(suffix, suffix.lstrip(".") or "GDAL")
    return _Raw(gdf, where, str(path), fmt, attrs={"layer": name}, warnings=warnings)


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


# --------------------------------------------------------------------------- geometry checks


def _family(type_ids: np.ndarray) -> np.ndarray:
    """0 points, 1 lines, 2 polygons, -1 other."""
    fam = np.full(type_ids.shape, -1)
    fam[np.isin(type_ids, (_POINT_T, _MPOINT_T))] = 0
    fam[np.isin(type_ids, (_LINE_T, _RING_T, _MLINE_T))] = 1
    fam[np.isin(type_ids, (_POLY_T, _MPOLY_T))] = 2
    return fam


def _flatten(parts: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Explode multi-geometries and collections (recursively) to single parts, keeping the owner index."""
    while True:
        types = shapely.get_type_id(parts)
        multi = types >= _MPOINT_T
        if not multi.any():
            break
        sub, sub_idx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        index = np.concatenate([index[~multi], index[multi][sub_idx]])
    order = np.argsort(index, kind="stable")
    return parts[order], index[order]


def _build_multi(parts: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Group single parts of one family per owner into Multi* geometries (vectorised)."""
    out = np.empty(n, dtype=object)
    fam = _family(shapely.get_type_id(parts))
    rings = shapely.get_type_id(parts) == _RING_T
    if rings.any():
        parts = parts.copy()
        parts[rings] = shapely.linestrings(
            shapely.get_coordinates(parts[rings]),
            indices=np.repeat(np.arange(int(rings.sum())), shapely.get_num_coordinates(parts[rings])),
        )
    for f, make in ((0, shapely.multipoints), (1, shapely.multilinestrings), (2, shapely.multipolygons)):
        m = fam == f
        if m.any():
            make(parts[m], indices=index[m], out=out)
    return out


def _collapse_collections(geoms: np.ndarray, ids: pd.Series, where: str) -> np.ndarray:
    """GeometryCollections of one family become Multi*; mixed ones are an error."""
    coll = shapely.get_type_id(geoms) == _COLL_T
    if not coll.any():
        return geoms
    owners = np.flatnonzero(coll)
    parts, idx = shapely.get_parts(geoms[coll], return_index=True)
    parts, idx = _flatten(parts, idx)
    keep = ~shapely.is_empty(parts)
    parts, idx = parts[keep], idx[keep]
    fam = _family(shapely.get_type_id(parts))
    nfam = pd.Series(fam).groupby(idx).nunique().reindex(range(len(owners)), fill_value=0).to_numpy()
    mixed = np.flatnonzero(nfam > 1)
    if len(mixed):
        sid = ids.iloc[owners[mixed[0]]]
        raise InputError(
            f"{where}: site {sid!r} mixes points, lines and polygons in one geometry collection: split it into "
            "separate sites"
        )
    out = geoms.copy()
    built = _build_multi(parts, idx, len(owners))
    built[nfam == 0] = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    out[owners] = built
    return out


def _check_present(geoms: np.ndarray, ids: pd.Series, where: str) -> None:
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        which = [str(s) for s in ids[bad].tolist()]
        raise InputError(
            f"{where}: {int(bad.sum())} site(s) have no geometry (site {_list(which)}): fix or remove them"
        )
    fam = _family(shapely.get_type_id(geoms))
    if (fam < 0).any():
        sid = ids.iloc[int(np.flatnonzero(fam < 0)[0])]
        raise InputError(f"{where}: site {sid!r} has an unsupported geometry type: use points, lines or polygons")


def _check_finite(geoms: np.ndarray, ids: pd.Series, where: str, when: str) -> None:
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        sid = ids.iloc[int(idx[bad][0])]
        raise InputError(f"{where}: site {sid!r} has non-finite coordinates (NaN/inf) {when}: fix the data")


def _repair(geoms: np.ndarray, ids: pd.Series, where: str) -> tuple[np.ndarray, int]:
    invalid = ~shapely.is_valid(geoms)
    n = int(invalid.sum())
    if not n:
        return geoms, 0
    out = geoms.copy()
    poly = invalid & (_family(shapely.get_type_id(geoms)) == 2)
    if poly.any():
        out[poly] = shapely.make_valid(geoms[poly], method="structure", keep_collapsed=False)
    other = invalid & ~poly
    if other.any():
        out[other] = shapely.make_valid(geoms[other])
        out[other] = _collapse_collections(out[other], ids[other].reset_index(drop=True), where)
    empty = shapely.is_empty(out) & invalid
    if empty.any():
        sid = ids.iloc[int(np.flatnonzero(empty)[0])]
        raise InputError(f"{where}: site {sid!r} is degenerate (no area or length left after repair): fix its outline")
    return out, n


# --------------------------------------------------------------------------- ids and names


def _as_id_strings(values: pd.Series) -> pd.Series:
    """Ids as stripped strings (None where blank); integral floats lose their ".0"."""
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if len(finite) and (finite % 1 == 0).all():
            values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.astype(object).where(text.notna() & (text != ""), None)


def _site_ids(
    gdf: gpd.GeoDataFrame, id_column: str | None, where: str, warnings: list[str]
) -> tuple[pd.Series, str | None]:
    """Ids from ``id_column`` or the first usable column of :data:`ID_COLUMNS`, else positions."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if id_column is not None:
        if id_column not in columns:
            raise InputError(f"{where}: id_column={id_column!r} not found; columns are {_list(columns, 15)}")
        candidates = [id_column]
    else:
        candidates = [c for c in ID_COLUMNS if c in columns]
    for col in candidates:
        ids = _as_id_strings(gdf[col]).reset_index(drop=True)
        empty = ids.isna().to_numpy()
        dup = ids[~empty & ids.duplicated(keep=False).to_numpy()]
        explicit = id_column is not None
        if empty.any():
            if explicit:
                first = int(np.flatnonzero(empty)[0]) + 1
                raise InputError(
                    f"{where}: {int(empty.sum())} site(s) have an empty {col!r} (first: feature {first}); "
                    "fill it in or pick another id_column=..."
                )
            warnings.append(f"column {col!r} has blanks, so it was not used as the site id")
            continue
        if len(dup) and not explicit and col in _NAME_LIKE_IDS:
            warnings.append(f"names in column {col!r} repeat, so sites are numbered 1, 2, ...")
            break
        if len(dup):
            dup_id = dup.iloc[0]
            rows = (np.flatnonzero((ids == dup_id).to_numpy()) + 1).tolist()
            raise InputError(
                f"{where}: duplicate site id {dup_id!r} in column {col!r} (features {_list(rows)}): "
                "make ids unique or pass id_column=..."
            )
        return ids.astype(object), col
    return pd.Series(np.arange(1, len(gdf) + 1).astype(str), dtype=object), None


def _site_names(gdf: gpd.GeoDataFrame) -> pd.Series:
    col = next((c for c in NAME_COLUMNS if c in gdf.columns and c != gdf.geometry.name), None)
    if col is None:
        return pd.Series([""] * len(gdf), dtype=object)
    return gdf[col].astype("string").str.strip().fillna("").astype(object).reset_index(drop=True)


# --------------------------------------------------------------------------- CRS resolution


def _resolve_crs(raw: _Raw, crs: Any, bounds: np.ndarray) -> tuple[CRS | str, bool]:
    """Source CRS (or "gcj02"/"bd09") and whether it was assumed."""
    where = raw.where
    offset = _offset_system(crs)
    file_crs = None if raw.gdf.crs is None else as_crs(raw.gdf.crs)
    if (
        file_crs is not None
        and file_crs.is_geographic
        and (np.abs(bounds[[0, 2]]).max() > 180 or np.abs(bounds[[1, 3]]).max() > 90)
    ):
        raw.warnings.append(
            f"the file is labelled {crs_label(file_crs)} but its coordinates are not degrees: label ignored"
        )
        file_crs = None
    if file_crs is not None:
        if offset:
            if not _is_lonlat_wgs84ish(file_crs):
                raise CRSError(
                    f"{where}: the data are in {crs_label(file_crs)}, not lon/lat, so crs={crs!r} cannot apply: "
                    "drop crs=..."
                )
            return offset, False
        if crs is not None and not _same_crs(as_crs(crs), file_crs):
            raise CRSError(
                f"{where}: the file declares {crs_label(file_crs)} but crs={crs!r} was given: drop crs=..., "
                "or fix the file's CRS (.prj)"
            )
        return file_crs, False
    if offset:
        return offset, False
    if crs is not None:
        return as_crs(crs), False
    try:
        return infer_crs(bounds, where), True
    except CRSError:
        if raw.lonlat_columns and np.abs(bounds[[0, 2]]).max() <= 180 and np.abs(bounds[[1, 3]]).max() <= 90:
            return STORAGE_CRS, True
        raise


def _to_storage(gdf: gpd.GeoDataFrame, src: CRS | str) -> gpd.GeoDataFrame:
    if isinstance(src, str):
        from linfen_geo.io.chinacoords import to_wgs84  # lazy: optional dependency inside the package

        return to_wgs84(gdf.set_crs(STORAGE_CRS, allow_override=True), src)
    gdf = gdf.set_crs(src, allow_override=True)
    return gdf if src == STORAGE_CRS else gdf.to_crs(STORAGE_CRS)


def _check_china(
    geoms: np.ndarray, bounds_before: np.ndarray, ids: pd.Series, where: str, label: str, src: CRS | str
) -> None:
    """Every reprojected coordinate must be finite and inside :data:`CHINA_LONLAT_BOX`; diagnose swapped axes."""
    b = shapely.bounds(geoms)
    lo_x, lo_y, hi_x, hi_y = CHINA_LONLAT_BOX
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(b).all(axis=1) & (b[:, 0] >= lo_x) & (b[:, 2] <= hi_x) & (b[:, 1] >= lo_y) & (b[:, 3] <= hi_y)
    if ok.all():
        return
    swapped = _swapped(bounds_before)
    if isinstance(src, str) or src.is_geographic:
        swap_fits = _in_box(swapped, CHINA_LONLAT_BOX)
        order = "x holds latitudes and y longitudes; give longitude first"
    else:
        try:
            corners = gpd.GeoSeries(shapely.points(swapped.reshape(2, 2)), crs=src).to_crs(STORAGE_CRS)
            sb = np.asarray(corners.total_bounds, dtype=float)
        except Exception:  # any projection failure just means "not swapped either"
            sb = np.full(4, np.nan)
        swap_fits = bool(np.isfinite(sb).all()) and _in_box(sb, CHINA_LONLAT_BOX)
        order = "x holds northings and y eastings (Chinese survey order X=north, Y=east); give easting as x"
    if swap_fits:
        raise InputError(f"{where}: the axes look swapped for {label}: {order}")
    i = int(np.flatnonzero(~ok)[0])
    at = (
        f"lon {b[i, 0]:.4g}..{b[i, 2]:.4g}, lat {b[i, 1]:.4g}..{b[i, 3]:.4g}"
        if np.isfinite(b[i]).all()
        else "no finite position"
    )
    raise InputError(
        f"{where}: coordinates fall outside China after reading as {label}: wrong CRS? "
        f"({int((~ok).sum())} site(s), e.g. site {ids.iloc[i]!r}: {at}); {_FIX_CRS} if the file has no CRS of its own"
    )


# --------------------------------------------------------------------------- public API


def read_sites(
    source: Any,
    *,
    crs: Any = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read proposed project sites into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    source
        A file path (GeoJSON, GeoPackage, shapefile or zipped shapefile, KML/KMZ,
        CSV/TSV/Excel with coordinate or WKT columns, ``.wkt``, 界址点 TXT, or
        anything else GDAL reads); a GeoDataFrame, GeoSeries, shapely geometry
        or list of geometries; a DataFrame with coordinate columns; a GeoJSON
        dict; or WKT text.
    crs
        The CRS of the coordinates when the input has none: anything pyproj
        accepts (``4546``, ``"EPSG:4490"``), or ``"gcj02"`` (AMap/Tencent) /
        ``"bd09"`` (Baidu) lon/lat. If the input declares a CRS, a different
        ``crs`` is an error -- except ``"gcj02"``/``"bd09"`` on lon/lat data,
        which web-map exports label as WGS 84. Without either, the CRS is
        inferred (see :func:`infer_crs`).
    layer
        Layer name or index (GeoPackage, multi-layer files, KML folder, Excel sheet).
    encoding
        Text/attribute encoding; detected (UTF-8, else GB18030/GBK) when omitted.
    id_column
        Column holding the site ids; by default the first of :data:`ID_COLUMNS`
        present, else the position "1", "2", ...

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``site_id`` (unique str), ``name`` (str, "" when unknown), the
        input's other attributes and ``geometry`` (2-D points, lines, polygons;
        multi-part allowed; invalid polygons repaired) in EPSG:4326. ``attrs``:
        ``source`` (path or "python object"), ``source_crs`` (label such as
        "EPSG:4546" or "gcj02"), ``crs_assumed`` (bool), ``repaired`` (count),
        ``warnings`` (list of str), ``format``, ``id_column`` and, where they
        apply, ``layer``, ``encoding``, ``geometry_from``.

    Raises
    ------
    InputError
        Missing, empty or unreadable input, features without geometry,
        non-finite coordinates, swapped axes, coordinates outside China after
        reprojection, empty or duplicate ids.
    CRSError
        No CRS and none inferable, an unknown ``crs``, or ``crs`` contradicting
        the file's.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = read_sites(Point(500000, 3995000), crs=4546)
    >>> round(float(s.geometry.x.iloc[0]), 3), s.attrs["source_crs"]
    (111.0, 'EPSG:4546')
    >>> read_sites(Point(5, 5))
    Traceback (most recent call last):
    ...
    linfen_geo.errors.CRSError: input geometry: cannot tell the CRS of coordinates x 5..5, y 5..5: pass crs=..., ...
    """
    if crs is not None and not _offset_system(crs):
        as_crs(crs)  # fail early on an unknown CRS
    raw = _load(source, crs=crs, layer=layer, encoding=encoding)
    where = raw.where
    gdf = raw.gdf
    if len(gdf) == 0:
        raise InputError(f"{where}: no features: the input is empty")
    if gdf.geometry.name != "geometry" and "geometry" not in gdf.columns:
        gdf = gdf.rename_geometry("geometry")
    gdf = gdf.reset_index(drop=True)
    warnings = raw.warnings

    ids, id_col = _site_ids(gdf, id_column, where, warnings)
    names = _site_names(gdf)

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = shapely.force_2d(_collapse_collections(geoms, ids, where))
    _check_present(geoms, ids, where)
    _check_finite(geoms, ids, where, "in the input")

    bounds = np.asarray(shapely.total_bounds(geoms), dtype=float)
    src, assumed = _resolve_crs(raw, crs, bounds)
    label = src if isinstance(src, str) else crs_label(src)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index), crs=None)
    gdf = _to_storage(gdf, src)

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    _check_china(geoms, bounds, ids, where, label, src)
    geoms, n_repaired = _repair(geoms, ids, where)
    if n_repaired:
        warnings.append(f"repaired {n_repaired} invalid geometr{'y' if n_repaired == 1 else 'ies'}")

    attributes = gdf.drop(columns=[gdf.geometry.name])
    if "site_id" in attributes.columns and id_col != "site_id":
        attributes = attributes.rename(columns={"site_id": "site_id_original"})
    attributes = attributes.drop(columns=[c for c in ("site_id", "name") if c in attributes.columns])
    out = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame({"site_id": ids, "name": names}), attributes.reset_index(drop=True)], axis=1),
        geometry=gpd.GeoSeries(geoms),
        crs=STORAGE_CRS,
    )
    out.attrs = {
        "source": raw.source,
        "source_crs": label,
        "crs_assumed": bool(assumed),
        "repaired": n_repaired,
        "warnings": list(warnings),
        "format": raw.fmt,
        "id_column": id_col,
        **raw.attrs,
    }
    return out
