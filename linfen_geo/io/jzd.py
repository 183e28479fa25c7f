"""Read and write 界址点 TXT files (land-survey parcel boundary-point exchange format).

China's land administration exchanges parcel outlines as plain text: a header
section ``[属性描述]`` with ``key=value`` lines (coordinate system, zone width,
zone number ...) and a ``[地块坐标]`` section holding, for each parcel, one
header line::

    点数,面积(公顷),地块号,地块名称,记录图形属性(点/线/面),图幅号,地块用途,地类编码,@

followed by ``点号,圈号,X,Y`` rows. X is the **northing** and Y the
**easting**, in metres of a CGCS2000 Gauss-Kruger zone; the easting usually
carries the zone number as a prefix (``37500000`` = zone 37, easting 500000).
圈号 1 is the exterior ring; further rings are holes when they lie inside an
earlier outline and separate parts otherwise.

The CRS is built from EPSG codes:

========================  =====================  ======================
zone width                eastings with prefix   eastings without prefix
========================  =====================  ======================
3-degree, zones 25..45    EPSG:4513..4533        EPSG:4534..4554 (CM 75E..135E)
6-degree, zones 13..23    EPSG:4491..4501        EPSG:4502..4512 (CM 75E..135E)
========================  =====================  ======================

Linfen lies in 3-degree zone 37 (CM 111E: EPSG:4525 / EPSG:4546) and 6-degree
zone 19 (CM 111E: EPSG:4497 / EPSG:4508).

Examples
--------
>>> text = '''[属性描述]
... 坐标系=2000国家大地坐标系
... 几度分带=3
... 带号=37
... [地块坐标]
... 4,12.0,1,光伏项目一期,面,,光伏,0601,@
... J1,1,4000000.000,37500000.000
... J2,1,4000000.000,37500300.000
... J3,1,4000400.000,37500300.000
... J4,1,4000400.000,37500000.000
... '''
>>> parcels = read_jzd(text)
>>> parcels.crs.to_epsg(), parcels.loc[0, "name"], float(parcels.area.iloc[0])
(4525, '光伏项目一期', 120000.0)
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from linfen_geo.crs import as_crs, crs_label
from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.textfiles import decode_text, read_bytes_capped

__all__ = ["gk_crs", "looks_like_jzd", "read_jzd", "write_jzd"]

#: 3-degree zones that cover Linfen and its neighbours (CM 108E..114E)
_NEAR_ZONES_3 = range(36, 39)
#: the 6-degree zone of Linfen (CM 111E)
_NEAR_ZONES_6 = (19,)

_SECTION_RE = re.compile(r"^\s*[\[【]\s*(.+?)\s*[\]】]\s*$")
_INT_RE = re.compile(r"-?\d+")
_NUM_RE = re.compile(r"-?\d+(?:\.\d+)?")
_AREA_TOLERANCE = 0.01  # relative difference declared vs computed area that triggers a warning


# --------------------------------------------------------------------------- CRS helpers


def gk_crs(zone: int | None = None, *, width: int = 3, prefix: bool = True, cm: float | None = None) -> CRS:
    """The CGCS2000 Gauss-Kruger CRS of a zone, from its EPSG code.

    Parameters
    ----------
    zone
        Zone number: 25..45 for 3-degree zones (CM = 3 * zone), 13..23 for
        6-degree zones (CM = 6 * zone - 3). Optional when ``cm`` is given.
    width
        Zone width in degrees, 3 or 6.
    prefix
        True when eastings carry the zone number (``37500000``), False when
        they do not (``500000``).
    cm
        Central meridian in degrees east, instead of ``zone``.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        For a zone or central meridian outside the CGCS2000 EPSG ranges.

    Examples
    --------
    >>> gk_crs(37).to_epsg(), gk_crs(37, prefix=False).to_epsg(), gk_crs(cm=111, prefix=False).to_epsg()
    (4525, 4546, 4546)
    >>> gk_crs(19, width=6).to_epsg(), gk_crs(19, width=6, prefix=False).to_epsg()
    (4497, 4508)
    """
    if width not in (3, 6):
        raise CRSError(f"zone width must be 3 or 6 degrees, not {width!r}")
    first_zone, last_zone = (25, 45) if width == 3 else (13, 23)
    if zone is None:
        if cm is None:
            raise CRSError("give a zone number or a central meridian for the Gauss-Kruger CRS")
        zone_f = (float(cm) / 3.0) if width == 3 else (float(cm) + 3.0) / 6.0
        if zone_f != int(zone_f):
            raise CRSError(f"central meridian {cm}E is not one of a {width}-degree zone")
        zone = int(zone_f)
    zone = int(zone)
    if not first_zone <= zone <= last_zone:
        raise CRSError(
            f"{width}-degree zone number {zone} is outside the valid range {first_zone}..{last_zone} "
            f"(Linfen is in 3-degree zone 37 or 6-degree zone 19): check 带号/几度分带"
        )
    base = (4513 if prefix else 4534) if width == 3 else (4491 if prefix else 4502)
    return CRS.from_epsg(base + zone - first_zone)


def _zone_cm(zone: int, width: int) -> int:
    return 3 * zone if width == 3 else 6 * zone - 3


# --------------------------------------------------------------------------- text helpers


def _decode(data: bytes, encoding: str | None, where: str) -> tuple[str, str]:
    """Decode bytes: a byte-order mark, else ``encoding`` if given, else UTF-8, else GB18030 (a superset
    of GBK); text that reads as neither (or both) is refused (:func:`linfen_geo.io.textfiles.decode_text`)."""
    return decode_text(data, encoding, where)


def looks_like_jzd(text: str) -> bool:
    """Whether ``text`` looks like a 界址点 exchange file (has a ``[地块坐标]`` or ``[属性描述]`` section).

    Examples
    --------
    >>> looks_like_jzd("[属性描述]\\n坐标系=2000国家大地坐标系\\n[地块坐标]\\n")
    True
    >>> looks_like_jzd("lon,lat\\n111,36\\n")
    False
    """
    head = text[:20000]
    return "地块坐标" in head or "属性描述" in head


def _one_line(text: Any, limit: int = 80) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


# --------------------------------------------------------------------------- parsing


@dataclass
class _Parcel:
    line: int
    npoints: int | None
    area_ha: float
    number: str
    name: str
    kind: str
    use: str
    landclass: str
    rows: list[tuple[int, int, float, float]] = field(default_factory=list)  # (line, ring, northing, easting)


def _parse_parcel_header(fields: list[str], lineno: int, where: str) -> _Parcel:
    # 点数,面积,地块号,地块名称,图形属性,图幅号,用途,地类编码,@ ; a name may itself contain commas
    body = fields[:-1]
    if len(body) > 8:
        body = [*body[:3], ",".join(body[3 : len(body) - 4]), *body[len(body) - 4 :]]
    body += [""] * (8 - len(body))
    npts_s, area_s, number, name, kind, _sheet, use, landclass = (f.strip() for f in body)
    try:
        npoints = int(float(npts_s)) if npts_s else None
        area = float(area_s) if area_s else float("nan")
    except ValueError:
        raise InputError(
            f"{where} line {lineno}: parcel header must start with 点数,面积(公顷), got {_one_line(','.join(fields))!r}"
        ) from None
    kind = {"": "面", "polygon": "面", "line": "线", "point": "点"}.get(kind.lower(), kind)
    if kind not in ("点", "线", "面"):
        raise InputError(f"{where} line {lineno}: 图形属性 must be 点, 线 or 面, got {kind!r}")
    return _Parcel(lineno, npoints, area, number, name, kind, use, landclass)


def _parse(text: str, where: str) -> tuple[dict[str, str], list[_Parcel]]:
    header: dict[str, str] = {}
    parcels: list[_Parcel] = []
    section = ""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        m = _SECTION_RE.match(line)
        if m:
            section = m.group(1)
            continue
        if section == "属性描述" or (not section and "=" in line):
            key, sep, value = line.replace("＝", "=").partition("=")
            if sep:
                header[key.strip()] = value.strip()
            continue
        if section != "地块坐标":
            continue
        if line.rstrip(", ").endswith("@"):  # parcel header; names may hold full-width commas, keep them
            fields = [f.strip() for f in line.rstrip(", ").split(",")]
            parcels.append(_parse_parcel_header(fields, lineno, where))
            continue
        fields = [f.strip() for f in line.replace("，", ",").split(",")]
        if not parcels:
            raise InputError(f"{where} line {lineno}: coordinate row before any parcel header (a line ending in ',@')")
        if len(fields) < 4:
            raise InputError(f"{where} line {lineno}: expected 点号,圈号,X,Y, got {_one_line(line)!r}")
        try:
            ring = int(float(fields[1]))
            north = float(fields[2])
            east = float(fields[3])
        except ValueError:
            raise InputError(
                f"{where} line {lineno}: expected 点号,圈号,X,Y with numbers, got {_one_line(line)!r}"
            ) from None
        if ring < 1 or not (np.isfinite(north) and np.isfinite(east)):
            raise InputError(f"{where} line {lineno}: bad ring number or coordinate in {_one_line(line)!r}")
        parcels[-1].rows.append((lineno, ring, north, east))
    if not parcels:
        raise InputError(f"{where}: no parcels found: a 界址点 file needs a [地块坐标] section with parcel headers")
    for p in parcels:
        if not p.rows:
            raise InputError(f"{where} line {p.line}: parcel {p.number or p.name!r} has no coordinate rows")
    return header, parcels


# --------------------------------------------------------------------------- geometry


def _ring_coords(rows: list[tuple[int, int, float, float]]) -> np.ndarray:
    xy = np.array([(r[3], r[2]) for r in rows], dtype=float)  # (easting, northing)
    if len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
        xy = xy[:-1]
    return xy


def _inside(ring: Any, outline: Any) -> bool:
    """Whether ``ring`` lies within ``outline``; falls back to vertices when a ring is self-intersecting."""
    try:
        return bool(outline.covers(ring))
    except shapely.errors.GEOSException:
        return bool(shapely.covers(outline.buffer(0), shapely.points(shapely.get_coordinates(ring))).all())


def _build_geometry(p: _Parcel, where: str) -> Any:
    rings: dict[int, list[tuple[int, int, float, float]]] = {}
    for row in p.rows:
        rings.setdefault(row[1], []).append(row)
    if p.kind == "点":
        pts = shapely.points(np.array([(r[3], r[2]) for r in p.rows]))
        return pts[0] if len(pts) == 1 else shapely.multipoints(pts)
    if p.kind == "线":
        lines = []
        for number in sorted(rings):
            xy = np.array([(r[3], r[2]) for r in rings[number]])
            if len(xy) < 2:
                raise InputError(f"{where} line {rings[number][0][0]}: line {number} of parcel needs 2 points or more")
            lines.append(shapely.linestrings(xy))
        return lines[0] if len(lines) == 1 else shapely.multilinestrings(lines)
    parts: list[tuple[Any, list[Any]]] = []  # (shell polygon, [hole polygons])
    for number in sorted(rings):
        xy = _ring_coords(rings[number])
        if len(np.unique(xy, axis=0)) < 3:
            raise InputError(
                f"{where} line {rings[number][0][0]}: ring {number} of parcel {p.number or p.name!r} "
                "has fewer than 3 distinct points"
            )
        ring_poly = shapely.polygons(xy)
        for shell, holes in parts:
            if _inside(ring_poly, shell) and not any(_inside(ring_poly, h) for h in holes):
                holes.append(ring_poly)
                break
        else:
            parts.append((ring_poly, []))
    polys = [shapely.Polygon(shell.exterior, [h.exterior for h in holes]) for shell, holes in parts]
    return polys[0] if len(polys) == 1 else shapely.multipolygons(polys)


# --------------------------------------------------------------------------- CRS from header


def _header_value(header: dict[str, str], *keys: str) -> str:
    for key in keys:
        if header.get(key):
            return header[key]
    return ""


def _datum(value: str) -> str | None:
    v = value.replace(" ", "").upper()
    if not v:
        return None
    if "2000" in v or "CGCS" in v:
        return "CGCS2000"
    if "西安" in v or "XIAN" in v or "80" in v:
        return "Xian 1980"
    if "北京" in v or "BEIJING" in v or "54" in v:
        return "Beijing 1954"
    return value


def _header_crs(
    header: dict[str, str], eastings: np.ndarray, where: str, warnings: list[str]
) -> tuple[CRS | str, bool]:
    """The CRS the header and coordinates describe (or why there is none), and whether part of it was assumed."""
    datum_text = _header_value(header, "坐标系", "坐标系统", "大地基准")
    datum = _datum(datum_text)
    assumed = False
    if datum is None:
        warnings.append("坐标系 missing from the header: assumed CGCS2000 (2000国家大地坐标系)")
        assumed = True
    elif datum in ("Xian 1980", "Beijing 1954"):
        return (
            f"坐标系={datum_text} ({datum}) needs a 7-parameter transformation to CGCS2000 from the official "
            "data provider (自然资源局); convert the file to CGCS2000 first, or pass crs=... "
            f"(e.g. crs={2361 if datum == 'Xian 1980' else 2413} for {datum} 3-degree zone 37) if an approximate "
            "result is acceptable"
        ), False
    elif datum != "CGCS2000":
        return f"坐标系={datum_text!r} is not a known geodetic datum (expected 2000国家大地坐标系): pass crs=...", False
    projection = _header_value(header, "投影类型", "投影方式")
    if projection and not re.search(r"高斯|GAUSS|KRUGER|克吕格|横轴墨卡托|TRANSVERSE", projection.upper()):
        return f"投影类型={projection!r} is not Gauss-Kruger: pass crs=...", False
    unit = _header_value(header, "计量单位", "单位")
    if unit and unit.lower() not in ("米", "m", "metre", "meter", "metres", "meters"):
        raise InputError(f"{where}: 计量单位={unit!r}: only metres (米) are supported")

    width_text = _header_value(header, "几度分带", "分带")
    width: int | None = None
    if width_text:
        m = _INT_RE.search(width_text)
        width = int(m.group()) if m else None
        if width not in (3, 6):
            raise CRSError(f"{where}: 几度分带={width_text!r}: must be 3 or 6")
    zone_text = _header_value(header, "带号")
    zone_hdr: int | None = None
    if zone_text:
        m = _INT_RE.search(zone_text)
        if not m:
            raise CRSError(f"{where}: 带号={zone_text!r} is not a zone number")
        zone_hdr = int(m.group())
    cm_text = _header_value(header, "中央子午线", "中央经线")
    cm_hdr = float(_NUM_RE.search(cm_text).group()) if cm_text and _NUM_RE.search(cm_text) else None

    has_prefix = eastings >= 1e7
    if has_prefix.any() and not has_prefix.all():
        raise InputError(f"{where}: some eastings (Y) carry a zone prefix and some do not: make them consistent")
    zone: int | None = zone_hdr
    prefixed = bool(has_prefix.all())
    if prefixed:
        zones = np.unique(np.floor(eastings / 1e6).astype(int))
        if len(zones) > 1:
            raise InputError(f"{where}: eastings carry different zone prefixes {zones.tolist()}: one zone per file")
        zone = int(zones[0])
        if zone_hdr is not None and zone_hdr != zone:
            raise CRSError(f"{where}: 带号={zone_hdr} but the eastings carry zone prefix {zone}: fix the header")
    if width is None:
        if zone is not None and 13 <= zone <= 23:
            width = 6
        else:
            width = 3
            if zone is None and cm_hdr is None:
                warnings.append("几度分带 missing from the header: assumed 3-degree zones")
    if zone is None and cm_hdr is None:
        warnings.append(
            "带号 missing and eastings have no zone prefix: assumed central meridian 111E (EPSG:4546 for 3-degree zones)"
        )
        cm_hdr = 111.0
        assumed = True
    try:
        crs = gk_crs(zone, width=width, prefix=prefixed, cm=cm_hdr if zone is None else None)
    except CRSError as exc:
        raise CRSError(f"{where}: {exc}") from None
    zone_of_crs = zone if zone is not None else (int(cm_hdr / 3) if width == 3 else int((cm_hdr + 3) / 6))
    if zone_of_crs not in (_NEAR_ZONES_3 if width == 3 else _NEAR_ZONES_6):
        cm = _zone_cm(zone_of_crs, width)
        warnings.append(f"{width}-degree zone {zone_of_crs} (CM {cm}E) is far from Linfen (3-degree zone 37, CM 111E)")
    return crs, assumed


# --------------------------------------------------------------------------- public API


def _load_text(path_or_text: str | os.PathLike[str] | bytes, encoding: str | None) -> tuple[str, str, str]:
    """Return (text, where, encoding used)."""
    if isinstance(path_or_text, bytes):
        text, enc = _decode(path_or_text, encoding, "界址点 text")
        return text, "界址点 text", enc
    if isinstance(path_or_text, str) and (
        "\n" in path_or_text or path_or_text.lstrip("\ufeff \t").startswith(("[", "【"))
    ):
        return path_or_text.lstrip("\ufeff"), "界址点 text", "str"
    path = Path(path_or_text).expanduser()
    where = str(path)
    if not path.exists():
        raise InputError(f"{where}: file not found: check the path")
    data = read_bytes_capped(path, where=where)
    if not data.strip():
        raise InputError(f"{where}: the file is empty")
    text, enc = _decode(data, encoding, where)
    return text, where, enc


def read_jzd(
    path_or_text: str | os.PathLike[str] | bytes, *, encoding: str | None = None, crs: Any = None
) -> gpd.GeoDataFrame:
    """Read a 界址点 TXT file into a GeoDataFrame in its Gauss-Kruger CRS.

    Parameters
    ----------
    path_or_text
        A file path, or the file's text (``str`` with line breaks) or bytes.
    encoding
        Text encoding; by default UTF-8 (with or without BOM) is tried, then
        GB18030 (which reads GBK).
    crs
        Only for files whose header the library cannot turn into a CRS
        (西安80 / 北京54 datums, missing zone): the CRS the coordinates are in,
        anything :func:`linfen_geo.crs.as_crs` accepts. When the header does
        define a CRS, a different ``crs`` is an error.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per parcel with columns ``site_id`` (地块号, else 地块名称, else
        the position "1", "2", ...), ``name`` (地块名称), ``declared_area_ha``
        (面积, NaN when blank), ``use`` (地块用途), ``landclass`` (地类编码)
        and ``geometry`` (Polygon/MultiPolygon for 面, LineString for 线,
        Point for 点), in the file's CGCS2000 Gauss-Kruger CRS.
        ``attrs`` holds ``source``, ``source_crs``, ``encoding``, ``header``
        (the ``[属性描述]`` entries) and ``warnings`` (list of str: declared
        areas differing from the computed ones by more than 1 %, point counts
        that do not match 点数, assumed zone or datum, distant zones, invalid
        outlines).

    Raises
    ------
    InputError
        Missing/empty file, undecodable text, malformed rows (naming the line).
    CRSError
        Datum 西安80/北京54 or an unknown one without ``crs``, a zone number
        outside the valid range, a header contradicting the coordinates or ``crs``.

    Examples
    --------
    >>> text = "[属性描述]\\n坐标系=1980西安坐标系\\n带号=37\\n[地块坐标]\\n3,,1,a,面,,,,@\\n"
    >>> read_jzd(text + "J1,1,0,37500000\\nJ2,1,0,37500001\\nJ3,1,1,37500000\\n")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.CRSError: 界址点 text: 坐标系=1980西安坐标系 (Xian 1980) needs a 7-parameter transformation ...
    """
    text, where, enc = _load_text(path_or_text, encoding)
    header, parcels = _parse(text, where)
    warnings: list[str] = []

    eastings = np.array([r[3] for p in parcels for r in p.rows], dtype=float)
    header_warnings: list[str] = []
    file_crs, assumed = _header_crs(header, eastings, where, header_warnings)
    if crs is not None:
        given = as_crs(crs)
        if assumed:
            header_warnings = [w for w in header_warnings if "assumed" not in w]
        elif isinstance(file_crs, CRS) and not (given == file_crs or given.equals(file_crs, ignore_axis_order=True)):
            raise CRSError(f"{where}: the header defines {crs_label(file_crs)} but crs={crs!r} was given: drop crs=...")
        out_crs = given
    elif isinstance(file_crs, CRS):
        out_crs = file_crs
    else:
        raise CRSError(f"{where}: {file_crs}")
    warnings.extend(header_warnings)

    geoms = np.array([_build_geometry(p, where) for p in parcels], dtype=object)
    numbers = [p.number for p in parcels]
    names = [p.name for p in parcels]
    site_ids = [num or name or str(i) for i, (num, name) in enumerate(zip(numbers, names, strict=True), start=1)]
    gdf = gpd.GeoDataFrame(
        {
            "site_id": pd.Series(site_ids, dtype=object),
            "name": pd.Series(names, dtype=object),
            "declared_area_ha": np.array([p.area_ha for p in parcels], dtype=float),
            "use": pd.Series([p.use for p in parcels], dtype=object),
            "landclass": pd.Series([p.landclass for p in parcels], dtype=object),
        },
        geometry=gpd.GeoSeries(geoms, crs=out_crs),
    )

    # declared vs computed area, vectorised over polygon parcels
    declared = gdf["declared_area_ha"].to_numpy() * 10_000.0
    computed = shapely.area(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    check = polygonal & np.isfinite(declared) & (declared > 0)
    rel = np.full(len(gdf), np.nan)
    rel[check] = np.abs(computed[check] - declared[check]) / declared[check]
    for i in np.flatnonzero(rel > _AREA_TOLERANCE):
        warnings.append(
            f"parcel {site_ids[i]!r} (line {parcels[i].line}): declared area {declared[i] / 1e4:.4f} ha but the "
            f"outline measures {computed[i] / 1e4:.4f} ha ({rel[i]:.1%} off)"
        )
    for p, sid in zip(parcels, site_ids, strict=True):
        if p.npoints is not None and p.npoints != len(p.rows):
            warnings.append(f"parcel {sid!r} (line {p.line}): 点数={p.npoints} but {len(p.rows)} point rows follow")
    invalid = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        warnings.append(f"parcel {site_ids[i]!r} (line {parcels[i].line}): outline is invalid ({reason})")

    gdf.attrs.update(
        source=where,
        source_crs=crs_label(out_crs),
        encoding=enc,
        header=header,
        warnings=warnings,
    )
    return gdf


def default_header(zone: int) -> dict[str, str]:
    """The ``[属性描述]`` of a CGCS2000 3-degree Gauss-Kruger 界址点 file in ``zone`` (today's date).

    Examples
    --------
    >>> default_header(37)["带号"], default_header(37)["坐标系"]
    ('37', '2000国家大地坐标系')
    """
    return {
        "格式版本号": "1.01版本",
        "数据产生单位": "",
        "数据产生日期": _dt.date.today().isoformat(),
        "坐标系": "2000国家大地坐标系",
        "几度分带": "3",
        "投影类型": "高斯克吕格",
        "计量单位": "米",
        "带号": str(zone),
        "精度": "0.001",
        "转换参数": ",,,,,,",
    }


def _mm(v: float) -> str:
    return f"{v:.3f}"


def parcel_lines(
    geoms: np.ndarray,
    ids: Sequence[str],
    names: Sequence[str],
    uses: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    *,
    coord: Callable[[float], str] = _mm,
) -> list[str]:
    """The ``[地块坐标]`` lines of points, lines and polygons already in the file's coordinates.

    One header line per parcel (点数, 面积 in ha, 地块号, 地块名称, 图形属性, 图幅号, 用途, 地类编码, @),
    then ``J<n>,<ring>,<X north>,<Y east>`` per vertex, rings closed on their first point.
    ``coord`` formats a coordinate (default: millimetres).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parcel_lines(np.array([box(0, 0, 10, 10)]), ["1"], ["a"])[:2]
    ['5,0.0100,1,a,面,,,,@', 'J1,1,0.000,10.000']
    """
    n = len(geoms)
    uses = uses if uses is not None else [""] * n
    classes = classes if classes is not None else [""] * n
    types = shapely.get_type_id(geoms)
    areas = shapely.area(geoms)
    lines: list[str] = []
    for i, geom in enumerate(geoms):  # one parcel's rings at a time (a file holds a few parcels)
        type_id = int(types[i])
        if type_id in (3, 6):
            kind, area = "面", f"{areas[i] / 10_000.0:.4f}"
            polys = shapely.get_parts(geom)
            rings = [r for poly in polys for r in (poly.exterior, *poly.interiors)]
            closed = True
        elif type_id in (1, 5):
            kind, area, rings, closed = "线", "", list(shapely.get_parts(geom)), False
        else:
            kind, area, rings, closed = "点", "", [shapely.multipoints(shapely.get_parts(geom))], False
        rows: list[str] = []
        point_no = 0
        for ring_no, ring in enumerate(rings, start=1):
            xy = shapely.get_coordinates(ring)
            if kind == "点":
                ring_no = 1
            if closed and len(xy) > 1 and np.array_equal(xy[0], xy[-1]):
                xy = xy[:-1]
            first = point_no + 1
            for x, y in xy:
                point_no += 1
                rows.append(f"J{point_no},{ring_no},{coord(y)},{coord(x)}")
            if closed:
                rows.append(f"J{first},{ring_no},{coord(xy[0][1])},{coord(xy[0][0])}")
        lines.append(f"{len(rows)},{area},{ids[i]},{names[i]},{kind},,{uses[i]},{classes[i]},@")
        lines.extend(rows)
    return lines


def write_jzd(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    path: str | os.PathLike[str],
    *,
    zone: int = 37,
    encoding: str = "gbk",
    crlf: bool = True,
    with_prefix: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write features as a 界址点 TXT file in a CGCS2000 3-degree Gauss-Kruger zone.

    Parameters
    ----------
    gdf
        Features with a CRS (reprojected as needed). Columns used when present:
        ``site_id`` (地块号, else the position), ``name`` (地块名称), ``use``
        (地块用途), ``landclass`` (地类编码).
    path
        Output file.
    zone
        3-degree zone number (37 = CM 111E, Linfen).
    encoding
        Text encoding; GBK is what most Chinese land-administration software expects.
    crlf
        Windows line ends (``\\r\\n``), else ``\\n``.
    with_prefix
        Prefix eastings with the zone number (``37500000``).
    overwrite
        Replace an existing file (never done without it). The file is written atomically.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    CRSError
        ``gdf`` has no CRS, or the zone is invalid.
    InputError
        Empty or unsupported geometries, text not encodable in ``encoding``,
        ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> sq = gpd.GeoDataFrame({"name": ["光伏"]}, geometry=[box(500000, 4e6, 500300, 4000400)], crs=4546)
    >>> out = write_jzd(sq, Path(tempfile.mkdtemp()) / "sites.txt")
    >>> back = read_jzd(out)
    >>> back.crs.to_epsg(), back.loc[0, "name"], float(back.area.iloc[0])
    (4525, '光伏', 120000.0)
    """
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    if gdf.crs is None:
        raise CRSError("write_jzd: the data have no CRS: set one with .set_crs(EPSG) first")
    target = gk_crs(zone, width=3, prefix=with_prefix)
    data = gdf.to_crs(target) if as_crs(gdf.crs) != target else gdf
    geoms = np.asarray(data.geometry.values)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise InputError(f"write_jzd: feature {int(np.flatnonzero(bad)[0]) + 1} has no geometry")
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (0, 1, 3, 4, 5, 6)).all():
        raise InputError("write_jzd: only points, lines and polygons can be written (no collections)")

    def column(name: str) -> list[str]:
        if name not in data.columns:
            return [""] * len(data)
        values = data[name].astype(object).where(data[name].notna(), "")
        return [str(v).replace(",", "，").strip() for v in values]

    ids = column("site_id") if "site_id" in data.columns else [str(i) for i in range(1, len(data) + 1)]
    names, uses, classes = column("name"), column("use"), column("landclass")

    lines = [
        "[属性描述]",
        *[f"{k}={v}" for k, v in default_header(zone).items()],
        "[地块坐标]",
        *parcel_lines(geoms, ids, names, uses, classes),
    ]
    newline = "\r\n" if crlf else "\n"
    text = newline.join(lines) + newline
    try:
        payload = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise InputError(
            f"write_jzd: {text[exc.start : exc.end]!r} cannot be written in {encoding}: use encoding='gb18030' or 'utf-8'"
        ) from None
    except LookupError:
        raise InputError(f"write_jzd: unknown encoding {encoding!r}") from None
    from linfen_geo.files import write_file

    return write_file(path, lambda tmp: tmp.write_bytes(payload), overwrite=overwrite)
