"""Turn a source as read into sites: ids and names, geometry checks and repair, the source CRS.

Everything here works on arrays of shapely geometries and the raw frame of
:mod:`linfen_geo.io.sites.readers`; nothing reads files.

* ids (:data:`ID_COLUMNS`, else positions) and names (:data:`NAME_COLUMNS`);
* geometry collections of one family become Multi*, mixed ones are rejected; missing,
  empty, unsupported and non-finite geometries are rejected; invalid ones repaired;
* the source CRS: the file's own, else ``crs=``, else :func:`infer_crs`; after
  reprojection every site must lie in :data:`CHINA_LONLAT_BOX` (swapped axes diagnosed).

Examples
--------
>>> infer_crs((500000, 3990000, 501000, 3991000)).to_epsg()
4546
>>> _offset_system("GCJ-02"), _offset_system("EPSG:4326")
('gcj02', None)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from linfen_geo.crs import STORAGE_CRS, as_crs, crs_label
from linfen_geo.errors import CRSError, InputError
from linfen_geo.geometry import make_valid_structure, repair_report
from linfen_geo.io.sites.common import _FIX_CRS, _list, _Raw

__all__ = ["CHINA_LONLAT_BOX", "ID_COLUMNS", "LINFEN_LONLAT_BOX", "NAME_COLUMNS", "OFFSET_SYSTEMS", "infer_crs"]

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

_POINT_T, _LINE_T, _RING_T, _POLY_T, _MPOINT_T, _MLINE_T, _MPOLY_T, _COLL_T = range(8)


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


#: largest relative change of a site's area that repair may make without being asked (0.5 %)
REPAIR_TOLERANCE = 0.005


def _tolerance_for(change: float) -> str:
    return "inf" if not np.isfinite(change) else f"{max(0.01, np.ceil(abs(change) * 100) / 100):g}"


def _repair(
    geoms: np.ndarray, ids: pd.Series, where: str, tolerance: float = REPAIR_TOLERANCE, crs: Any = STORAGE_CRS
) -> tuple[np.ndarray, int, list[dict[str, Any]]]:
    """Repair invalid sites by structure; refuse one whose area repair would change by more than ``tolerance``."""
    invalid = ~shapely.is_valid(geoms)
    n = int(invalid.sum())
    if not n:
        return geoms, 0, []
    out = geoms.copy()
    poly = invalid & (_family(shapely.get_type_id(geoms)) == 2)
    if poly.any():
        out[poly] = make_valid_structure(geoms[poly])
    other = invalid & ~poly
    if other.any():
        out[other] = shapely.make_valid(geoms[other])
        out[other] = _collapse_collections(out[other], ids[other].reset_index(drop=True), where)
    empty = shapely.is_empty(out) & invalid
    if empty.any():
        sid = ids.iloc[int(np.flatnonzero(empty)[0])]
        raise InputError(f"{where}: site {sid!r} is degenerate (no area or length left after repair): fix its outline")
    report = repair_report(geoms[invalid], out[invalid], crs, ids[invalid].tolist())
    too_much = poly[invalid] & ~(np.abs(report["area_change"].to_numpy()) <= tolerance)
    if too_much.any():
        r = report[too_much].iloc[0]
        change = "from no area" if r["area_before_m2"] == 0 else f"by {r['area_change']:+.1%}"
        raise InputError(
            f"{where}: site {r['feature']!r} is invalid ({r['reason']}); repair would change its area {change} "
            f"({r['area_before_m2']:,.0f} -> {r['area_after_m2']:,.0f} m2): fix its outline, or accept the repair "
            f"with repair_tolerance={_tolerance_for(float(r['area_change']))} (CLI: --repair-tolerance)"
        )
    return out, n, report.to_dict("records")


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
            raw.warnings.append(
                f"the file is labelled {crs_label(file_crs)} but crs={crs!r} was given: its coordinates were read "
                f"as {offset.upper()} and shifted to WGS 84 (a few hundred metres in China); drop crs=... if the "
                "file really is WGS 84"
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
