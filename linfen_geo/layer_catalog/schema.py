"""Layer schemas and their validation.

Every catalog layer declares the columns it must carry (with types) and the
geometry types it may hold. :func:`validate_vector` checks a GeoDataFrame
against that declaration, repairs invalid geometries (reporting how many) and
reprojects to the storage CRS; :func:`validate_raster` checks a DataArray.
Shipped files and users' replacements go through the same checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, as_crs, crs_label, to_storage_crs
from linfen_geo.errors import CRSError, LinfenGeoWarning, SchemaError
from linfen_geo.geometry import repair_geometries, repair_report

__all__ = ["LinfenGeoWarning", "Schema", "repair_geometries", "validate_raster", "validate_vector"]

#: bounding box (lon/lat) a layer must intersect to be about Linfen
LINFEN_BBOX = (110.0, 35.0, 113.0, 37.2)

_POLY = {"Polygon", "MultiPolygon"}
_LINE = {"LineString", "MultiLineString"}
_POINT = {"Point", "MultiPoint"}


@dataclass(frozen=True)
class Schema:
    """What a vector layer must hold.

    Parameters
    ----------
    geometry
        Allowed geometry types; single and multi forms of one family go together.
    columns
        Required column -> type (``str``, ``int``, ``float``, ``bool``).
    defaults
        Columns filled with a constant when a file lacks them (e.g. ``illustrative = false``).
    """

    geometry: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> set[str]:
        allowed = set(self.geometry)
        for fam in (_POLY, _LINE, _POINT):
            if allowed & fam:
                allowed |= fam
        return allowed


def _coerce(series: pd.Series, kind: str, column: str, label: str) -> pd.Series:
    try:
        if kind == "str":
            return series.astype("string").fillna("").astype(str)
        if kind == "int":
            num = pd.to_numeric(series, errors="raise")
            if num.isna().any() or not np.all(np.mod(num, 1) == 0):
                raise ValueError("missing or fractional values")
            return num.astype("int64")
        if kind == "float":
            return pd.to_numeric(series, errors="raise").astype("float64")
        if kind == "bool":
            if series.dtype == bool:
                return series
            mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
            mapped = series.astype(str).str.strip().str.lower().map(mapping)
            if mapped.isna().any():
                raise ValueError("values other than true/false")
            return mapped.astype(bool)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"{label}: column {column!r} should be {kind}: {exc}") from None
    raise SchemaError(f"unknown column type {kind!r} in schema")


def validate_vector(
    gdf: gpd.GeoDataFrame,
    schema: Schema,
    *,
    label: str,
    rename: Mapping[str, str] | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Check a GeoDataFrame against a schema and return it clean, in the storage CRS.

    Parameters
    ----------
    gdf
        The layer as read.
    schema
        What it must hold.
    label
        Names the layer and its source in messages.
    rename
        ``{source column: schema column}`` applied first.
    crs
        The CRS to assume when the data carry none.

    Raises
    ------
    SchemaError
        Empty layer, wrong geometry type, missing or mistyped column, empty geometries.
    CRSError
        No CRS in the data and none given (a ``crs`` that differs from the file's overrides it, with a warning).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"n": ["a"]}, geometry=[Point(111, 36)], crs=4326)
    >>> validate_vector(g, Schema(("Polygon",), {"n": "str"}), label="demo")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.SchemaError: demo: geometry must be Polygon, found 1 Point
    """
    gdf = gdf.rename(columns=dict(rename or {}))
    if gdf.crs is None:
        if crs is None:
            raise CRSError(f"{label}: the file has no CRS; give it, e.g. crs=4490 (CGCS2000) or crs=4546 (GK CM 111E)")
        gdf = gdf.set_crs(as_crs(crs))
    elif crs is not None and as_crs(crs) != as_crs(gdf.crs):
        # the user knows better than a wrong .prj (the neighbouring GK zone is a common mistake): theirs wins
        warnings.warn(
            f"{label}: the file says {crs_label(gdf.crs)}; read as {crs_label(crs)} as crs= asks",
            LinfenGeoWarning,
            stacklevel=3,
        )
        gdf = gdf.set_crs(as_crs(crs), allow_override=True)
    if len(gdf) == 0:
        raise SchemaError(f"{label}: the layer has no features")
    geoms = gdf.geometry
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        rows = list(gdf.index[missing][:5])
        raise SchemaError(
            f"{label}: {int(missing.sum())} feature(s) have no geometry (rows {rows}); fix or remove them"
        )
    types = geoms.geom_type.value_counts()
    if schema.geometry:
        wrong = types[~types.index.isin(sorted(schema.family))]
        if len(wrong):
            found = ", ".join(f"{n} {t}" for t, n in wrong.items())
            raise SchemaError(f"{label}: geometry must be {'/'.join(schema.geometry)}, found {found}")
    for column, kind in schema.columns.items():
        if column not in gdf.columns:
            if column in schema.defaults:
                gdf[column] = schema.defaults[column]
                continue
            have = [c for c in gdf.columns if c != gdf.geometry.name]
            raise SchemaError(
                f"{label}: missing column {column!r} (has {have}); map yours with columns={{'{column}': 'YOUR_COLUMN'}}"
            )
        gdf[column] = _coerce(gdf[column], kind, column, label)
    for column, value in schema.defaults.items():
        if column not in gdf.columns:
            gdf[column] = value
    before = np.asarray(gdf.geometry.values, dtype=object)
    fixed, n_fixed = repair_geometries(gdf.geometry, schema.family)
    repairs = None
    if n_fixed:
        bad = ~shapely.is_valid(before)
        after = np.asarray(fixed.values, dtype=object)
        gone = shapely.is_empty(after)
        if gone.any():
            rows = list(gdf.index[gone][:5])
            raise SchemaError(
                f"{label}: {int(gone.sum())} feature(s) have no area or length left after repair (rows {rows}: "
                f"{shapely.is_valid_reason(before[gone][0])}): fix or remove them"
            )
        labels = gdf.index[bad]
        repairs = repair_report(before[bad], after[bad], gdf.crs, labels)
        gdf = gdf.set_geometry(fixed)
        worst = repairs.iloc[int(np.argmax(np.abs(repairs["area_change"].to_numpy())))]
        warnings.warn(
            f"{label}: repaired {n_fixed} invalid geometr{'y' if n_fixed == 1 else 'ies'} by structure; "
            f"largest area change: row {worst['feature']} {worst['area_before_m2']:,.0f} -> "
            f"{worst['area_after_m2']:,.0f} m2 ({worst['reason']}); attrs['repairs'] lists each",
            LinfenGeoWarning,
            stacklevel=3,
        )
    source_crs, source_bounds = crs_label(gdf.crs), tuple(float(v) for v in gdf.total_bounds)
    if as_crs(gdf.crs) != STORAGE_CRS:
        gdf = to_storage_crs(gdf)  # projected edges densified first, so they stay where they were
    minx, miny, maxx, maxy = gdf.total_bounds
    bx = LINFEN_BBOX
    if not (maxx < bx[0] - 1 or minx > bx[2] + 1 or maxy < bx[1] - 1 or miny > bx[3] + 1):
        gdf.attrs.update(repaired_invalid=n_fixed, source_crs=source_crs, source_bounds=source_bounds)
        if repairs is not None:
            gdf.attrs["repairs"] = repairs.to_dict("records")
        return gdf
    from linfen_geo.placement import describe, placement

    where = placement(source_bounds, source_crs, shapely.box(*bx), lonlat_bounds=(minx, miny, maxx, maxy))
    raise SchemaError(f"{label}: the data {describe(where, source_crs)}: fix the file's CRS or pass crs=...")


def validate_raster(da: Any, *, label: str, crs: Any = None, classes: Sequence[int] | None = None) -> Any:
    """Check a single-band raster DataArray: CRS present, covers Linfen.

    Raises
    ------
    CRSError, SchemaError
    """
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise SchemaError(f"{label}: expected one band, found {da.sizes['band']}")
        da = da.squeeze("band", drop=True)
    if da.rio.crs is None:
        if crs is None:
            raise CRSError(f"{label}: the raster has no CRS; give it, e.g. crs=4326")
        da = da.rio.write_crs(as_crs(crs))
    minx, miny, maxx, maxy = da.rio.transform_bounds(STORAGE_CRS)
    bx = LINFEN_BBOX
    if maxx < bx[0] or minx > bx[2] or maxy < bx[1] or miny > bx[3]:
        from linfen_geo.placement import describe, placement

        src = crs_label(da.rio.crs)
        where = placement(da.rio.bounds(), src, shapely.box(*bx), lonlat_bounds=(minx, miny, maxx, maxy))
        raise SchemaError(f"{label}: the raster's cells {describe(where, src)}: fix its CRS or pass crs=...")
    return da
