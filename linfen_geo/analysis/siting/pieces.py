"""Protected layers cut into small pieces, with their trees, cached per layer content.

A protected polygon is subdivided once into pieces of at most ``max_vertices``
vertices (:func:`subdivide`, recursive halving of the bounding box like PostGIS
``ST_Subdivide``) twice: in ``WORK_CRS`` (predicates, distances) and, apart, in
``AREA_CRS`` (areas), each set indexed by its own :class:`shapely.STRtree`.
Each set partitions its layer exactly in its own CRS. (Pieces cut in one CRS and
reprojected vertex by vertex do not: two neighbours meet along a cut with
different vertices, and the straight cut in ``WORK_CRS`` becomes two different
chords in ``AREA_CRS``. The 61 red lines' pieces overlapped by up to 28 m2 that
way, and a site across a cut was off by up to 1.7e-4 of its overlap.)

The result (:class:`Pieces`) is kept in memory per content fingerprint of the
layer (:func:`fingerprint`) and vertex budget; :func:`clear_piece_cache` forgets it.

Examples
--------
>>> import numpy as np
>>> from shapely.geometry import Point
>>> disc = Point(111.0, 36.0).buffer(0.02, quad_segs=128)   # EPSG:4326, 513 vertices
>>> pc, fp = pieces_for(np.array([disc]), max_vertices=64)
>>> len(pc.work) > 8, bool((pc.owner == 0).all()), pieces_for(np.array([disc]), 64)[0] is pc
(True, True, True)
>>> whole = reproject(np.array([disc]), STORAGE_CRS, AREA_CRS)[0]   # the pieces add up in AREA_CRS
>>> bool(abs(pc.area_m2.sum() / whole.area - 1) < 1e-12), bool((pc.area_owner == 0).all())
(True, True)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS, reproject
from linfen_geo.errors import InputError

__all__ = [
    "DEFAULT_MAX_VERTICES",
    "Pieces",
    "clear_piece_cache",
    "fingerprint",
    "geometry_family",
    "pieces_for",
    "subdivide",
]

#: vertex budget of one subdivided piece (PostGIS ST_Subdivide's default is 256; smaller pieces have
#: tighter bounding boxes, which makes the tree queries faster here)
DEFAULT_MAX_VERTICES = 64
#: subdivided layers kept in memory (least recently used dropped first)
_CACHE_SIZE = 32
_PIECE_CACHE: OrderedDict[tuple[str, int], Pieces] = OrderedDict()


def geometry_family(type_ids: np.ndarray) -> np.ndarray:
    """0 point, 1 line, 2 polygon, -1 other, from shapely type ids.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point, box
    >>> geometry_family(shapely.get_type_id([Point(0, 0), LineString([(0, 0), (1, 1)]), box(0, 0, 1, 1)])).tolist()
    [0, 1, 2]
    """
    fam = np.full(np.shape(type_ids), -1, dtype=np.int8)
    fam[np.isin(type_ids, (0, 4))] = 0
    fam[np.isin(type_ids, (1, 2, 5))] = 1
    fam[np.isin(type_ids, (3, 6))] = 2
    return fam


def subdivide(geoms: Any, max_vertices: int = DEFAULT_MAX_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons into pieces of at most ``max_vertices`` vertices (like PostGIS ``ST_Subdivide``).

    Every polygon part with too many vertices is cut in half across the longer
    side of its bounding box, recursively; the pieces partition the input
    exactly (their union is the input, their interiors are disjoint). The loop
    runs over subdivision levels, each level vectorised over all parts.

    Parameters
    ----------
    geoms
        Array-like of Polygon/MultiPolygon geometries (a projected CRS is advisable).
    max_vertices
        Largest number of vertices of a piece (at least 8).

    Returns
    -------
    pieces : numpy.ndarray
        Polygon pieces.
    owner : numpy.ndarray
        Position in ``geoms`` of the geometry each piece comes from.

    Raises
    ------
    InputError
        If ``max_vertices`` is below 8.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> disc = Point(0, 0).buffer(1000, quad_segs=256)   # 1025 vertices
    >>> pieces, owner = subdivide([disc], max_vertices=64)
    >>> bool(shapely.get_num_coordinates(pieces).max() <= 64), round(float(shapely.area(pieces).sum() / disc.area), 12)
    (True, 1.0)
    """
    if max_vertices < 8:
        raise InputError(f"max_vertices must be at least 8, not {max_vertices}")
    arr = np.asarray(geoms, dtype=object)
    todo, owner = shapely.get_parts(arr, return_index=True)
    keep = shapely.get_type_id(todo) == 3
    todo, owner = todo[keep], owner[keep]
    done: list[np.ndarray] = []
    done_owner: list[np.ndarray] = []
    for _level in range(64):
        nv = shapely.get_num_coordinates(todo)
        small = nv <= max_vertices
        done.append(todo[small])
        done_owner.append(owner[small])
        big, big_owner = todo[~small], owner[~small]
        if not len(big):
            break
        b = shapely.bounds(big)
        split_x = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
        mid = np.where(split_x, (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0)
        pad = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) + 1.0  # boxes larger than the part
        x0, y0, x1, y1 = b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad
        lo = shapely.box(x0, y0, np.where(split_x, mid, x1), np.where(split_x, y1, mid))
        hi = shapely.box(np.where(split_x, mid, x0), np.where(split_x, y0, mid), x1, y1)
        halves = shapely.intersection(np.concatenate([big, big]), np.concatenate([lo, hi]))
        parts, idx = shapely.get_parts(halves, return_index=True)
        nested = shapely.get_type_id(parts) >= 4  # collections inside collections: flatten once more
        if nested.any():
            sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
            parts = np.concatenate([parts[~nested], sub])
            idx = np.concatenate([idx[~nested], idx[nested][sub_idx]])
        keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
        todo = parts[keep]
        owner = np.concatenate([big_owner, big_owner])[idx][keep]
    else:  # pragma: no cover - 64 halvings cannot fail to reach the budget
        done.append(todo)
        done_owner.append(owner)
    pieces = np.concatenate(done) if done else np.empty(0, dtype=object)
    owners = np.concatenate(done_owner) if done_owner else np.empty(0, dtype=np.intp)
    order = np.argsort(owners, kind="stable")
    return pieces[order], owners[order].astype(np.intp)


@dataclass
class Pieces:
    """Subdivided layer geometry, cached per content fingerprint.

    Polygons are cut into pieces; points and lines are kept whole as one piece
    each. The ``area`` pieces are the polygon features cut in ``AREA_CRS``, on their
    own (they do not correspond one to one with ``work``). ``nearest`` holds the
    layer's nearest-feature index
    (:class:`~linfen_geo.analysis.siting.nearest.NearestIndex`), built on first use.
    """

    work: np.ndarray  # pieces in WORK_CRS (prepared)
    owner: np.ndarray  # feature position of each piece
    tree: shapely.STRtree
    area: np.ndarray  # polygon features cut in AREA_CRS (prepared)
    area_owner: np.ndarray  # feature position of each area piece
    area_m2: np.ndarray  # area of each area piece
    area_tree: shapely.STRtree
    features_work: np.ndarray  # the whole features in WORK_CRS
    nearest: Any = None

    def private_copy(self) -> Pieces:
        """The pieces with their own prepared copies of ``work`` (for use in another thread).

        GEOS prepared geometries build their indexes lazily and are not safe to
        share between threads; the trees and the nearest-feature index are
        read-only and stay shared.
        """
        work = shapely.from_wkb(shapely.to_wkb(self.work))
        area = shapely.from_wkb(shapely.to_wkb(self.area))
        shapely.prepare(work)
        shapely.prepare(area)
        return Pieces(**{**self.__dict__, "work": work, "area": area})


def fingerprint(geoms_4326: np.ndarray) -> str:
    """Content hash of an array of geometries (types, part and vertex counts, 2D WKB).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> fingerprint([Point(1, 2)]) == fingerprint([Point(1, 2)]) != fingerprint([Point(1, 3)])
    True
    """
    geoms = np.asarray(geoms_4326, dtype=object)
    missing = shapely.is_missing(geoms)
    if missing.any():
        geoms = np.where(missing, shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"), geoms)
    wkb = shapely.to_wkb(geoms, output_dimension=2)
    h = hashlib.blake2b(digest_size=16)
    for per_feature in (
        shapely.get_type_id(geoms),
        shapely.get_num_geometries(geoms),
        shapely.get_num_coordinates(geoms),
    ):
        h.update(np.asarray(per_feature, dtype=np.int64).tobytes())  # feature boundaries in the byte stream
    h.update(b"".join(wkb))
    return h.hexdigest()


def pieces_for(geoms_4326: np.ndarray, max_vertices: int) -> tuple[Pieces, str]:
    """The subdivided pieces of a layer's geometries (EPSG:4326), from the cache or made now.

    Parameters
    ----------
    geoms_4326
        The layer's feature geometries in :data:`~linfen_geo.crs.STORAGE_CRS`.
    max_vertices
        Vertex budget of a piece (see :func:`subdivide`).

    Returns
    -------
    pieces : Pieces
    fingerprint : str
        The content fingerprint of ``geoms_4326``.
    """
    fp = fingerprint(geoms_4326)
    key = (fp, int(max_vertices))
    cached = _PIECE_CACHE.get(key)
    if cached is not None:
        _PIECE_CACHE.move_to_end(key)
        return cached, fp
    geoms_4326 = np.asarray(geoms_4326, dtype=object)
    work = reproject(geoms_4326, STORAGE_CRS, WORK_CRS)
    poly = geometry_family(shapely.get_type_id(work)) == 2
    pieces, owner = _cut(work, poly, max_vertices, keep_others=True)
    area, area_owner = _cut(reproject(geoms_4326[poly], STORAGE_CRS, AREA_CRS), None, max_vertices)
    area_owner = np.flatnonzero(poly)[area_owner].astype(np.intp)
    shapely.prepare(pieces)
    shapely.prepare(area)
    entry = Pieces(
        work=pieces,
        owner=owner,
        tree=shapely.STRtree(pieces),
        area=area,
        area_owner=area_owner,
        area_m2=shapely.area(area),
        area_tree=shapely.STRtree(area),
        features_work=work,
    )
    _PIECE_CACHE[key] = entry
    while len(_PIECE_CACHE) > _CACHE_SIZE:
        _PIECE_CACHE.popitem(last=False)
    return entry, fp


def _cut(
    geoms: np.ndarray, poly: np.ndarray | None, max_vertices: int, keep_others: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Pieces of the polygons among ``geoms`` (``poly``; None: all) and their owners, sorted by owner.

    With ``keep_others``, the non-empty points and lines are kept whole, one piece each.
    """
    poly = np.ones(len(geoms), dtype=bool) if poly is None else poly
    if poly.any():
        pieces, owner = subdivide(geoms[poly], max_vertices)
        owner = np.flatnonzero(poly)[owner]
    else:
        pieces, owner = np.empty(0, dtype=object), np.empty(0, dtype=np.intp)
    if keep_others:
        other = np.flatnonzero(~poly & ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms))
        pieces, owner = np.concatenate([pieces, geoms[other]]), np.concatenate([owner, other])
    order = np.argsort(owner, kind="stable")
    return pieces[order], owner[order].astype(np.intp)


def clear_piece_cache() -> None:
    """Forget the subdivided layers cached in memory.

    Examples
    --------
    >>> clear_piece_cache()
    >>> len(_PIECE_CACHE)
    0
    """
    _PIECE_CACHE.clear()
