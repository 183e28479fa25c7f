"""CAD drawings (DXF) of a project's red-line plan (红线图) as sites.

A DXF drawing is read with `ezdxf <https://ezdxf.mozman.at>`_ (MIT). GDAL's DXF
driver (via pyogrio, no new dependency) was measured against it on drawings as Chinese
CAD software writes them: both read GBK drawings (R2000, ``$DWGCODEPAGE=ANSI_936``),
neither decodes ``\\U+7EA2`` escapes by itself (done here for ezdxf), but GDAL decoded
R2007+ drawings -- always UTF-8 -- whose header still says ``ANSI_936`` as GBK, giving
mojibake layer names and texts; ezdxf read them right. ezdxf also gives the closed flag,
hatch boundary paths and text positions directly. It is slower (2.4 s against 0.5 s for
10 000 entities), which does not matter for a red-line plan of a few parcels.

What becomes a site (model space only; blocks and paper space are not read):

* a **closed** ``LWPOLYLINE`` or ``POLYLINE`` (closed flag set, or the last vertex
  equal to the first) becomes a polygon; arcs (bulges) are flattened to within 1 cm;
* a ``HATCH`` becomes the polygon of its boundary paths (even-odd: a path inside
  another is a hole), unless it repeats a closed polyline's outline (an associative
  fill of the boundary), which is then not counted twice;
* an **open** polyline is refused with a one-line error naming its handle and layer
  (close it in CAD: ``PEDIT`` > ``Close``, or move it to another layer and pick the
  site layer with ``layer=``);
* other entities (lines, dimensions, the frame's text ...) are ignored; a drawing with
  no closed polyline or hatch is refused.

Columns: ``site_id`` is the entity handle, unless exactly one ``TEXT``/``MTEXT``
stands inside the site (its insertion point), and that text is no other site's: then
the text is the id (``地块1``). ``name`` is the DXF layer name; ``dxf_handle`` and
``dxf_type`` keep the entity's handle and type.

A DXF has no CRS: ``crs`` (CLI ``--crs``) is required. Eastings with the zone number
in front (``37500123.45``: zone 37) are recognised as the rest of the library
recognises them (:func:`linfen_geo.io.jzd.read_jzd`, :mod:`linfen_geo.placement`): with a
zone-less Gauss-Kruger ``crs`` of the same central meridian (``--crs 4546`` for zone 37,
CM 111E) the prefix is taken off; a ``crs`` of another central meridian is an error
naming the right code.

Examples
--------
>>> zone_prefix(np.array([37500000.0, 37500100.0]))
37
>>> zone_prefix(np.array([500000.0]))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from linfen_geo.crs import as_crs, crs_label
from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.sites.common import _one_line, _Raw

__all__ = ["read_dxf", "zone_prefix"]

#: flattening tolerance of arcs (bulges, hatch arc edges), drawing units (metres)
ARC_TOLERANCE = 0.01
_CRS_HINT = "pass --crs (crs=...), e.g. --crs 4546 for CGCS2000 Gauss-Kruger CM 111E (zone 37)"


def zone_prefix(eastings: np.ndarray) -> int | None:
    """The Gauss-Kruger zone number written in front of the eastings (``37500000`` -> 37), or None.

    Raises
    ------
    InputError
        Some eastings carry a prefix and some do not, or they carry different ones.
    """
    e = np.asarray(eastings, dtype=float)
    has = np.abs(e) >= 1e7
    if not has.any():
        return None
    if not has.all():
        raise InputError("some eastings carry a zone prefix (37xxxxxx) and some do not: make them consistent")
    zones = np.unique(np.floor(e / 1e6).astype(int))
    if len(zones) > 1:
        raise InputError(f"eastings carry different zone prefixes {zones.tolist()}: one zone per drawing")
    return int(zones[0])


def _tm_params(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) of a transverse Mercator CRS, else None."""
    op = crs.coordinate_operation
    if not crs.is_projected or op is None or "Transverse Mercator" not in (op.method_name or ""):
        return None
    params = {p.name: p.value for p in op.params}
    cm = params.get("Longitude of natural origin")
    fe = params.get("False easting")
    if cm is None or fe is None:
        return None
    return float(cm), float(fe)


def _zone_cm(zone: int) -> int:
    return 3 * zone if zone >= 24 else 6 * zone - 3  # 3-degree zones 25..45, 6-degree 13..23


def resolve_prefix(x: np.ndarray, crs: Any, where: str) -> tuple[float, int | None]:
    """How much to take off the eastings so they fit ``crs``, and the zone prefix they carried.

    Returns
    -------
    shift : float
        ``zone * 1e6`` when the eastings carry a zone prefix and ``crs`` is the zone-less
        Gauss-Kruger CRS of that zone's central meridian; 0 otherwise.
    zone : int or None
    """
    from linfen_geo.io.sites.normalise import _offset_system

    if _offset_system(crs):  # AMap/Baidu lon/lat: no Gauss-Kruger eastings to look at
        return 0.0, None
    try:
        zone = zone_prefix(x)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    given = as_crs(crs)
    tm = _tm_params(given)
    if tm is None:
        if zone is not None:
            raise CRSError(
                f"{where}: the eastings carry zone prefix {zone} (Gauss-Kruger metres) but --crs {crs_label(given)} "
                f"is not a Gauss-Kruger CRS: pass --crs {4513 + zone - 25 if zone >= 25 else 4491 + zone - 13}"
            )
        return 0.0, None
    cm, fe = tm
    if zone is None:
        if fe >= 1e7:
            raise CRSError(
                f"{where}: --crs {crs_label(given)} expects eastings with a zone prefix (false easting {fe:.0f}) "
                "but the drawing's have none: pass the zone-less CRS (e.g. --crs 4546 instead of 4525)"
            )
        return 0.0, None
    zone_cm = _zone_cm(zone)
    if abs(cm - zone_cm) > 1e-9:
        raise CRSError(
            f"{where}: the eastings carry zone prefix {zone} (CM {zone_cm}E) but --crs {crs_label(given)} has "
            f"CM {cm:g}E: pass the CRS of zone {zone} (e.g. --crs "
            f"{4534 + (zone_cm - 75) // 3 if zone >= 25 else 4502 + zone - 13})"
        )
    if fe >= 1e7:  # the CRS itself carries the prefix (EPSG:4525): coordinates as they are
        return 0.0, zone
    return zone * 1e6, zone


def _flatten(entity: Any) -> np.ndarray:
    from ezdxf import path as dxfpath

    p = dxfpath.make_path(entity)
    return np.array([(v.x, v.y) for v in p.flattening(ARC_TOLERANCE)], dtype=float)


def _hatch_polygon(entity: Any) -> Any:
    from ezdxf import path as dxfpath

    rings = []
    for p in dxfpath.from_hatch(entity):
        xy = np.array([(v.x, v.y) for v in p.flattening(ARC_TOLERANCE)], dtype=float)
        if len(xy) >= 3:
            rings.append(shapely.make_valid(shapely.Polygon(xy)))
    if not rings:
        return None
    out = rings[0]
    for ring in rings[1:]:  # even-odd: a path inside another is a hole (a handful of paths)
        out = shapely.symmetric_difference(out, ring)
    return out


def _unescape(text: Any) -> str:
    """Decode ``\\U+XXXX`` escapes (R2000-R2004 drawings' characters outside their code page)."""
    from ezdxf.lldxf.encoding import decode_dxf_unicode

    return decode_dxf_unicode(str(text))


def _texts(msp: Any) -> tuple[np.ndarray, list[str]]:
    pts, labels = [], []
    for e in msp.query("TEXT MTEXT"):
        text = e.plain_text() if e.dxftype() == "MTEXT" else e.dxf.text
        text = " ".join(_unescape(text).split())
        if text:
            ins = e.dxf.insert
            pts.append(shapely.Point(ins.x, ins.y))
            labels.append(text)
    return np.array(pts, dtype=object), labels


def _ids_from_texts(polys: np.ndarray, handles: list[str], msp: Any) -> list[str]:
    """Per site, the one text inside it (if no other site claims the same text), else its handle."""
    ids = list(handles)
    pts, labels = _texts(msp)  # labels may sit on an annotation layer of their own
    if not len(pts):
        return ids
    site_idx, text_idx = shapely.STRtree(pts).query(polys, predicate="contains")
    per_site = pd.Series(text_idx).groupby(site_idx).agg(list)
    chosen = {int(s): labels[t[0]] for s, t in per_site.items() if len(t) == 1}
    counts = pd.Series(list(chosen.values())).value_counts()
    for s, label in chosen.items():
        if counts[label] == 1 and label not in handles:
            ids[s] = label
    return ids


def read_dxf(path: str | Path, *, crs: Any, layer: Any = None, encoding: str | None = None) -> gpd.GeoDataFrame:
    """Read the closed outlines of a DXF drawing as site polygons in ``crs``.

    Parameters
    ----------
    path
        The ``.dxf`` file (ASCII or binary DXF, any version).
    crs
        The CRS of the drawing's coordinates (required: a DXF carries none).
    layer
        A DXF layer name, or a list of them: read only those (default: every layer).
    encoding
        Text encoding of an R2000-R2004 drawing, overriding its ``$DWGCODEPAGE``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name`` (layer), ``dxf_handle``, ``dxf_type`` and the polygons, in
        ``crs`` (eastings' zone prefix taken off when ``crs`` is zone-less); ``attrs``:
        ``zone_prefix``, ``warnings``.

    Raises
    ------
    InputError
        Not a DXF, open polylines, no closed outline.
    CRSError
        No ``crs``, or one contradicting the eastings' zone prefix.

    Examples
    --------
    >>> import ezdxf, tempfile
    >>> doc = ezdxf.new("R2010")
    >>> _ = doc.modelspace().add_lwpolyline([(37500000, 3995000), (37500100, 3995000), (37500100, 3995100)],
    ...                                     close=True, dxfattribs={"layer": "红线"})
    >>> f = Path(tempfile.mkdtemp()) / "a.dxf"
    >>> doc.saveas(f)
    >>> g = read_dxf(f, crs=4546)
    >>> g["name"].tolist(), float(g.area.iloc[0]), round(g.geometry.iloc[0].bounds[0])
    (['红线'], 5000.0, 500000)
    """
    where = str(path)
    if crs is None:
        raise CRSError(f"{where}: a DXF drawing has no CRS: {_CRS_HINT}")
    try:
        import ezdxf
        from ezdxf.lldxf.const import DXFError
    except ImportError:  # pragma: no cover - a runtime dependency
        raise InputError(f"{where}: reading DXF needs the 'ezdxf' package (pip install ezdxf)") from None
    try:
        doc = ezdxf.readfile(str(path), encoding=encoding) if encoding else ezdxf.readfile(str(path))
    except (DXFError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{where}: not a readable DXF drawing: {_one_line(exc)}") from None
    msp = doc.modelspace()
    wanted = None if layer is None else ({layer} if isinstance(layer, (str, int)) else set(layer))
    wanted = None if wanted is None else {str(w) for w in wanted}
    polys, handles, names, types, hatches = [], [], [], [], []
    for e in msp.query("LWPOLYLINE POLYLINE HATCH"):
        lay = _unescape(e.dxf.layer)
        if wanted is not None and lay not in wanted:
            continue
        kind = e.dxftype()
        if kind == "POLYLINE" and not (e.is_2d_polyline or e.is_3d_polyline):
            continue  # polyface and polygon meshes: not outlines
        if kind == "HATCH":
            geom = _hatch_polygon(e)
            if geom is None or geom.is_empty:
                continue
        else:
            xy = _flatten(e)
            closed = e.closed if kind == "LWPOLYLINE" else e.is_closed
            if not closed and not (len(xy) >= 4 and np.array_equal(xy[0], xy[-1])):
                raise InputError(
                    f"{where}: open {kind} (handle {e.dxf.handle}, layer {lay!r}) is not a site outline: close it "
                    "in CAD (PEDIT > Close) or move it off the site layers"
                )
            if len(xy) < 3:
                continue
            geom = shapely.Polygon(xy)
        polys.append(geom)
        handles.append(str(e.dxf.handle))
        names.append(lay)
        types.append(kind)
        hatches.append(kind == "HATCH")
    if not polys:
        found = sorted({e.dxftype() for e in msp})
        raise InputError(
            f"{where}: no closed polyline or hatch{' on layer ' + ', '.join(sorted(wanted)) if wanted else ''} "
            f"(entities found: {', '.join(found[:8]) or 'none'}): draw each site as a closed polyline"
        )
    geoms = np.array(polys, dtype=object)
    is_hatch = np.array(hatches)
    keep = _drop_duplicate_hatches(geoms, is_hatch)
    geoms = geoms[keep]
    handles = [h for h, k in zip(handles, keep, strict=True) if k]
    names = [n for n, k in zip(names, keep, strict=True) if k]
    types = [t for t, k in zip(types, keep, strict=True) if k]

    x = shapely.get_coordinates(geoms)[:, 0]
    shift, zone = resolve_prefix(x, crs, where)
    ids = _ids_from_texts(geoms, handles, msp)  # texts sit where the drawing has them: before any shift
    if shift:
        geoms = shapely.transform(geoms, lambda c: c - np.array([shift, 0.0]))
    gdf = gpd.GeoDataFrame(
        {
            "site_id": pd.Series(ids, dtype=object),
            "name": pd.Series(names, dtype=object),
            "dxf_handle": pd.Series(handles, dtype=object),
            "dxf_type": pd.Series(types, dtype=object),
        },
        geometry=gpd.GeoSeries(geoms),
        crs=None,
    )
    gdf.attrs.update(zone_prefix=zone, warnings=[], dxf_version=doc.dxfversion, encoding=doc.encoding)
    return gdf


def _drop_duplicate_hatches(geoms: np.ndarray, is_hatch: np.ndarray) -> np.ndarray:
    """Keep-mask: a hatch whose polygon repeats a polyline's (area of the difference < 1e-6 of it) is dropped."""
    keep = np.ones(len(geoms), dtype=bool)
    if not is_hatch.any() or is_hatch.all():
        return keep
    h = np.flatnonzero(is_hatch)
    p = np.flatnonzero(~is_hatch)
    hi, pj = shapely.STRtree(geoms[p]).query(geoms[h], predicate="intersects")
    if not len(hi):
        return keep
    a, b = geoms[h][hi], geoms[p][pj]
    same = shapely.area(shapely.symmetric_difference(a, b)) <= 1e-6 * np.maximum(shapely.area(a), shapely.area(b))
    keep[h[np.unique(hi[same])]] = False
    return keep


def _read_dxf_raw(path: Path, where: str, layer: Any, encoding: str | None, crs: Any) -> _Raw:
    """The DXF reader of :func:`linfen_geo.io.sites.read_sites` (``.dxf`` files)."""
    gdf = read_dxf(path, crs=crs, layer=layer, encoding=encoding)
    attrs = {"dxf_zone_prefix": gdf.attrs.get("zone_prefix"), "encoding": gdf.attrs.get("encoding")}
    gdf.attrs.clear()
    return _Raw(gdf, where, str(path), "DXF", attrs=attrs)
