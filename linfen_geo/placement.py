"""Is the data where the study area is? If not, how far off, and which CRS would put it there.

A layer or a site labelled with the wrong CRS (the neighbouring Gauss-Kruger zone, a missing
zone number, swapped axes, degrees read as metres) lands somewhere else, often a plausible
somewhere else. :func:`placement` measures how far data lie from the study area and tries the
CRSs a Chinese data set is likely to be in, so an error can say *"268 km east of Linfen; as
EPSG:4546 it would lie inside"* instead of silently answering "clear".

Examples
--------
>>> from shapely.geometry import box
>>> city = box(110.35, 35.3, 112.6, 36.95)
>>> p = placement((505000.0, 3995000.0, 510000.0, 4005000.0), "EPSG:4547", city)  # GK CM 114E, zone-less
>>> p.inside, p.direction, p.fixes[:1]
(False, 'east', ['EPSG:4546'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType

__all__ = ["Placement", "describe", "placement"]

#: Linfen's lon/lat box: the area of use a candidate CRS must cover
_LINFEN_AOI = AreaOfInterest(110.3, 35.3, 112.6, 36.95)


@dataclass(frozen=True)
class Placement:
    """Where data lie relative to the study area.

    Attributes
    ----------
    inside : bool
        The data's bounding box centre or extent meets the study area.
    distance_km : float
        Distance from the data's extent to the study area (0 when they meet).
    direction : str
        Compass direction from the study area to the data (``east``, ``north-west`` ...).
    at : str
        Where the data are, in lon/lat (``lon 113.98..114.10, lat 36.07..36.16``).
    fixes : list of str
        CRS labels under which the same coordinates would lie in the study area, best first
        (``EPSG:4546``, ``axes swapped``, ``zone 37 (CM 111E)`` ...).
    """

    inside: bool
    distance_km: float
    direction: str
    at: str
    fixes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _candidates() -> tuple[str, ...]:
    """Projected CRSs whose area of use covers Linfen (GK zones, UTM 49N ...), then the lon/lat ones."""
    infos = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS, area_of_interest=_LINFEN_AOI)
    codes = [f"EPSG:{i.code}" for i in infos if not i.deprecated]

    names = {f"EPSG:{i.code}": i.name for i in infos}

    def rank(code: str) -> tuple[int, int, int]:  # CGCS2000 first, then Xian 1980, Beijing 1954, WGS 84, others
        name = names[code]
        order = ("CGCS2000", "Xian 1980", "Beijing 1954", "WGS 84")
        datum = next((k for k, o in enumerate(order) if name.startswith(o)), len(order))
        return (datum, 0 if "3-degree" in name else 1, int(code[5:]))

    # the project's own GK CRSs first (EPSG:4546 zone-less, EPSG:4525 with the zone number), lon/lat next
    first = ("EPSG:4546", "EPSG:4525", "EPSG:4490", "EPSG:4326")
    return (*first, *sorted((c for c in codes if c not in first), key=rank))


@lru_cache(maxsize=256)
def _to_lonlat(src: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), 4326, always_xy=True)


def _direction(dx: float, dy: float) -> str:
    names = ["east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east"]
    return names[int(np.round(np.degrees(np.arctan2(dy, dx)) / 45.0)) % 8]


def _fits(lon: float, lat: float, area: Any, margin_deg: float = 0.05) -> bool:
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return False
    return bool(shapely.dwithin(area, shapely.Point(lon, lat), margin_deg))


def _fixes(bounds: np.ndarray, src: str | None, area: Any) -> list[str]:
    """CRS labels under which the centre of ``bounds`` (in the source's own coordinates) lands in ``area``."""
    cx, cy = (bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0
    out: list[str] = []
    if src is not None:  # the declared CRS itself, with x and y exchanged
        lon, lat = _to_lonlat(src).transform(cy, cx, errcheck=False)
        if _fits(lon, lat, area):
            out.append(f"{src} with the axes swapped")
    same = {src, "EPSG:4490", "EPSG:4326"} if src in ("EPSG:4490", "EPSG:4326") else {src}
    for code in _candidates():
        if code in same:
            continue
        for x, y, how in ((cx, cy, ""), (cy, cx, " with the axes swapped")):
            try:
                lon, lat = _to_lonlat(code).transform(x, y, errcheck=False)
            except Exception:  # a projection that cannot take these numbers is simply not a fit
                continue
            if _fits(lon, lat, area):
                out.append(code + how)
                break
        if len(out) >= 3:
            break
    if abs(cx) >= 1e7:  # an easting with a zone number (带号) in front: try the zone-less easting
        zone = int(cx // 1e6)
        for cm in range(108, 118, 3):
            code = f"EPSG:{4534 + (cm - 75) // 3}"  # CGCS2000 3-degree GK, zone-less eastings
            lon, lat = _to_lonlat(code).transform(cx - zone * 1e6, cy, errcheck=False)
            if _fits(lon, lat, area):
                out.insert(0, f"zone {cm // 3} (CM {cm}E) instead of zone {zone}")
                break
    return out


def placement(bounds: Any, src: Any, area: Any, *, lonlat_bounds: Any = None) -> Placement:
    """Locate data relative to a study area and suggest CRS fixes when they miss it.

    Parameters
    ----------
    bounds : sequence of 4 floats
        ``(minx, miny, maxx, maxy)`` of the data in their source CRS, as written in the file.
    src : CRS-like or None
        The CRS the data were read in (None: unknown).
    area : shapely geometry
        The study area in lon/lat (EPSG:4326).
    lonlat_bounds : sequence of 4 floats, optional
        The data's bounds after reading, in lon/lat; computed from ``bounds`` when omitted.

    Returns
    -------
    Placement
    """
    b = np.asarray(bounds, dtype=float)
    label = None
    if src is not None:
        crs = CRS.from_user_input(src)
        code = crs.to_epsg(min_confidence=70)
        label = f"EPSG:{code}" if code else crs.to_wkt()
    if lonlat_bounds is None and label is not None:
        xs, ys = _to_lonlat(label).transform(b[[0, 2, 0, 2]], b[[1, 1, 3, 3]], errcheck=False)
        lonlat_bounds = (np.nanmin(xs), np.nanmin(ys), np.nanmax(xs), np.nanmax(ys))
    if lonlat_bounds is None or not np.isfinite(np.asarray(lonlat_bounds, dtype=float)).all():
        return Placement(False, float("inf"), "", "no finite lon/lat position", _fixes(b, label, area))
    lb = np.asarray(lonlat_bounds, dtype=float)
    extent = shapely.box(*lb)
    at = f"lon {lb[0]:.2f}..{lb[2]:.2f}, lat {lb[1]:.2f}..{lb[3]:.2f}"
    if shapely.intersects(extent, area):
        return Placement(True, 0.0, "", at, [])
    c = shapely.centroid(area)
    # distances on an azimuthal equidistant projection centred on the study area: true from its centre
    aeqd = Transformer.from_crs(
        4326, CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +ellps=GRS80 +units=m"), always_xy=True
    )
    lon = np.clip(np.array([lb[0], lb[2]]), -180, 180)
    lat = np.clip(np.array([lb[1], lb[3]]), -89.9, 89.9)
    ex, ey = aeqd.transform(lon[[0, 1, 1, 0]], lat[[0, 0, 1, 1]])
    data = shapely.Polygon(np.c_[ex, ey])
    ring = np.asarray(shapely.get_coordinates(shapely.segmentize(area, 0.01)))
    ax, ay = aeqd.transform(ring[:, 0], ring[:, 1])
    aproj = shapely.Polygon(np.c_[ax, ay]) if shapely.get_type_id(area) == 3 else shapely.MultiPoint(np.c_[ax, ay])
    dist = float(shapely.distance(data, aproj)) / 1000.0
    dc = shapely.centroid(data)
    return Placement(False, dist, _direction(dc.x, dc.y), at, _fixes(b, label, area))


def describe(p: Placement, src: Any = None, *, study_area: str = "Linfen") -> str:
    """One clause for an error message: how far off, and the likely CRS fix.

    Examples
    --------
    >>> describe(Placement(False, 268.4, "east", "lon 114.0..114.1, lat 36.1..36.2", ["EPSG:4546"]), "EPSG:4547")
    'lie 268 km east of Linfen (lon 114.0..114.1, lat 36.1..36.2) when read as EPSG:4547; as EPSG:4546 they would lie in Linfen'
    >>> describe(Placement(True, 0.0, "", "lon 111.20..112.20, lat 35.60..36.60"), "EPSG:4326")   # beside its edge
    'lie beyond the outline of Linfen, though their extent (lon 111.20..112.20, lat 35.60..36.60) meets it: the CRS fits'
    """
    if p.inside:  # their extent meets the study area: the CRS is right, these features are past its edge
        return f"lie beyond the outline of {study_area}, though their extent ({p.at}) meets it: the CRS fits"
    where = (
        f"lie {p.distance_km:,.0f} km {p.direction} of {study_area} ({p.at})"
        if np.isfinite(p.distance_km)
        else f"have {p.at}"
    )
    read = f" when read as {src}" if src else ""
    if p.fixes:
        fix = f"; as {' or '.join(p.fixes[:2])} they would lie in {study_area}"
    else:
        fix = "; no usual CRS puts them there: check the coordinates"
    return where + read + fix
