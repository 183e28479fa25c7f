"""Coordinate tables and WKT text: CSV/TSV/Excel sheets, DataFrames, ``.wkt`` files and WKT strings.

A table's geometry comes from a WKT column (``wkt``/``geometry``/``geom``, ``SRID=n;`` allowed),
else lon/lat columns (``lon``/``lng``/``longitude``/``经度`` and ``lat``/``latitude``/``纬度``;
decimal degrees or 度分秒), else ``x``/``y`` (easting/northing) columns. Other columns are kept,
all-numeric text columns become numbers (codes with leading zeros stay text).

Examples
--------
>>> gdf, lonlat, what = _table_to_gdf(pd.DataFrame({"经度": ["111°30'"], "纬度": [36.1]}), "t", 1)
>>> gdf.geometry.iloc[0].wkt, lonlat, what
('POINT (111.5 36.1)', True, "lon/lat columns '经度'/'纬度'")
>>> _parse_wkt_text("SRID=4546;POINT (500000 3995000)", "t").crs.to_epsg()
4546
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import as_crs
from linfen_geo.errors import InputError
from linfen_geo.io.sites.common import _SRID, _WKT_START, _list, _one_line

__all__: list[str] = []  # internal to linfen_geo.io.sites

# normalised column names (see _norm) of coordinate columns
_LON = {"lon", "lng", "long", "longitude", "经度", "东经", "x经度"}
_LAT = {"lat", "latitude", "纬度", "北纬", "y纬度"}
_X = {"x", "easting", "east", "东坐标", "x坐标", "横坐标"}
_Y = {"y", "northing", "north", "北坐标", "y坐标", "纵坐标"}
_WKT = {"wkt", "geometry", "geom", "wktgeom", "thegeom", "几何"}


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
