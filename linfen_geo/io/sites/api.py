""":func:`read_sites`: read, check and normalise proposed project sites (see :mod:`linfen_geo.io.sites`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, as_crs, crs_label
from linfen_geo.errors import InputError
from linfen_geo.geometry import make_valid_structure
from linfen_geo.io.sites.normalise import (
    REPAIR_TOLERANCE,
    _check_china,
    _check_finite,
    _check_present,
    _collapse_collections,
    _offset_system,
    _repair,
    _resolve_crs,
    _site_ids,
    _site_names,
    _to_storage,
)
from linfen_geo.io.sites.readers import _load

__all__ = ["read_sites"]


def read_sites(
    source: Any,
    *,
    crs: Any = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    id_column: str | None = None,
    repair_tolerance: float = REPAIR_TOLERANCE,
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
    repair_tolerance
        Largest relative change of a site's area that repairing an invalid
        outline may make (default 0.005 = 0.5 %; ``float("inf")`` accepts any).
        Repair is by structure (shell minus holes); a site it would change by
        more is refused, naming the site, the reason and the areas.

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
    try:
        tol_ok = float(repair_tolerance) >= 0  # NaN compares False
    except (TypeError, ValueError):
        tol_ok = False
    if not tol_ok:
        raise InputError(f"repair_tolerance must be a number >= 0 (or inf), not {repair_tolerance!r}")
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
    # repair what the user drew, in the user's own coordinates (reprojection can hide a collapsed outline
    # by bending it into a sliver); areas of the repair report in the equal-area CRS
    geoms, n_repaired, repairs = _repair(
        geoms, ids, where, repair_tolerance, STORAGE_CRS if isinstance(src, str) else src
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        flat = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~(shapely.area(geoms) > 1e-9 * shapely.length(geoms) ** 2)
    if flat.any():
        sid = ids.iloc[int(np.flatnonzero(flat)[0])]
        raise InputError(
            f"{where}: site {sid!r} is a polygon with no area (its points are collinear or repeated): "
            "fix its outline, or give it as a line"
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index), crs=None)
    gdf = _to_storage(gdf, src)

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    _check_china(geoms, bounds, ids, where, label, src)
    bent = ~shapely.is_valid(geoms)  # a valid outline made invalid by reprojection (a rare sliver)
    if bent.any():
        geoms = geoms.copy()
        geoms[bent] = make_valid_structure(geoms[bent])
    if n_repaired:
        worst = max(repairs, key=lambda r: abs(r["area_change"]))
        warnings.append(
            f"repaired {n_repaired} invalid geometr{'y' if n_repaired == 1 else 'ies'} by structure "
            f"(largest area change: site {worst['feature']} {worst['area_before_m2']:,.0f} -> "
            f"{worst['area_after_m2']:,.0f} m2, {worst['reason']})"
        )

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
        "repairs": repairs,
        "warnings": list(warnings),
        "format": raw.fmt,
        "id_column": id_col,
        **raw.attrs,
    }
    return out
