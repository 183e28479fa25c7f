"""Distances from sites to a layer they do not touch: exact nearest feature, and cheap lower bounds.

* :func:`nearest_far` gives the exact distance from each site to its nearest
  feature of the layer: GEOS's ``STRtree.query_nearest`` over the features'
  outline segments (two-point lines; points kept), with exact GEOS distances, in
  threads. A site that does not touch a polygon is as far from it as from its
  outline, so the answer equals ``shapely.distance`` to the nearest feature by
  construction. (An earlier KD-tree of outline points missed the nearest piece
  when its share of the outline held no sample point: 44 of 1,286 sites
  overestimated, worst 29.07 m vs 19.0 m. For 78,000 sites, segments took 1.65 s
  on one thread where pieces of 16 vertices took 2.45 s; on two threads 0.85 s.)
* :func:`distance_lower_bound` bounds the distance of a site to the layer from
  below with one KD-tree query on points every <= 200 m along the outlines: the
  distance rules then ask the tree only for the sites that may be close enough.
* :func:`nearest_of_touching`: for sites touching the layer, the touched
  feature with the largest overlap (distance 0).

Both indexes are built once per layer (:func:`nearest_index`) and kept on its
cached :class:`~linfen_geo.analysis.siting.pieces.Pieces`.

Examples
--------
>>> import numpy as np
>>> from shapely.geometry import Point, box
>>> from linfen_geo.crs import STORAGE_CRS, WORK_CRS, reproject
>>> from linfen_geo.analysis.siting.pieces import pieces_for
>>> red = reproject([box(500000, 3995000, 501000, 3996000)], WORK_CRS, STORAGE_CRS)
>>> pc, _ = pieces_for(red, 64)
>>> d, feature = nearest_far(np.array([Point(501300, 3995500), Point(500500, 3994000)]), pc)
>>> np.round(d, 6).tolist(), bool((distance_lower_bound(np.array([Point(501300, 3995500)]), pc) <= 300).all())
([300.0, 1000.0], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from linfen_geo.analysis.siting.parallel import chunked
from linfen_geo.analysis.siting.pieces import Pieces, geometry_family

__all__ = [
    "NearestIndex",
    "distance_lower_bound",
    "nearest_far",
    "nearest_index",
    "nearest_of_touching",
    "outline_segments",
]

#: largest spacing of the points along protected outlines used for the distance lower bounds
OUTLINE_SPACING_M = 200.0
#: fewest sites per thread of the nearest search
_MIN_CHUNK = 5_000


@dataclass(frozen=True)
class NearestIndex:
    """A layer's nearest-feature indexes (WORK_CRS), built by :func:`nearest_index`."""

    outline_tree: Any  # scipy cKDTree of points every <= spacing m along the features' outlines
    elements: np.ndarray  # outline segments (two-point lines) and point features
    element_feature: np.ndarray  # the feature each element belongs to
    tree: shapely.STRtree  # tree of ``elements`` for exact nearest-neighbour search
    spacing: float


def outline_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outlines of polygons and lines as two-point segments, points as they are, and their owners.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> seg, owner = outline_segments(np.array([box(0, 0, 1, 1), Point(5, 5)]))
    >>> len(seg), owner.tolist(), round(float(shapely.length(seg).sum()), 9)
    (5, [0, 0, 0, 0, 1], 4.0)
    >>> from shapely.geometry import Polygon   # a repeated vertex gives a point, not a 0-length segment
    >>> seg, _ = outline_segments(np.array([Polygon([(0, 0), (1, 0), (1, 0), (1, 1)])]))
    >>> shapely.get_type_id(seg).tolist()
    [1, 0, 1, 1]
    """
    fam = geometry_family(shapely.get_type_id(geoms))
    outline = np.where(fam == 2, shapely.boundary(geoms), geoms)
    parts, owner = shapely.get_parts(outline, return_index=True)
    nested = shapely.get_type_id(parts) >= 4
    if nested.any():  # MultiLineString boundaries inside collections
        sub, si = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][si]])
    pfam = geometry_family(shapely.get_type_id(parts))
    lines = np.flatnonzero(pfam == 1)
    xy, li = shapely.get_coordinates(parts[lines], return_index=True)
    same = li[1:] == li[:-1]
    a, b, seg_owner = xy[:-1][same], xy[1:][same], owner[lines][li[:-1][same]]
    zero = (a == b).all(axis=1)  # repeated vertices: a point, not a segment of length 0
    seg = np.where(zero, shapely.points(a), shapely.linestrings(np.stack([a, b], axis=1)))
    pts = np.flatnonzero(pfam == 0)
    return np.concatenate([seg, parts[pts]]), np.concatenate([seg_owner, owner[pts]]).astype(np.intp)


def nearest_index(pc: Pieces) -> NearestIndex:
    """The layer's :class:`NearestIndex`, built on first use and kept on ``pc``.

    Parameters
    ----------
    pc
        The layer's cached pieces.

    Returns
    -------
    NearestIndex
    """
    if pc.nearest is None:
        from scipy.spatial import cKDTree

        elements, element_feature = outline_segments(pc.features_work)
        xy = np.unique(shapely.get_coordinates(shapely.segmentize(elements, OUTLINE_SPACING_M)), axis=0)
        pc.nearest = NearestIndex(
            outline_tree=cKDTree(xy) if len(xy) else None,
            elements=elements,
            element_feature=element_feature,
            tree=shapely.STRtree(elements),
            spacing=OUTLINE_SPACING_M,
        )
    return pc.nearest


def distance_lower_bound(g: np.ndarray, pc: Pieces) -> np.ndarray:
    """Lower bounds of the distance from sites (WORK_CRS, not touching the layer) to the layer.

    Every point of the layer's outline is within s/2 of an outline point
    (spacing s), and every point of a site within r of its bounding-box centre
    c, so a site that does not touch the layer is at least
    d(c, nearest outline point) - s/2 - r from it.

    Parameters
    ----------
    g
        Site geometries in WORK_CRS.
    pc
        The layer's pieces.

    Returns
    -------
    numpy.ndarray
        One bound (metres, may be negative) per site.
    """
    idx = nearest_index(pc)
    if idx.outline_tree is None:
        return np.full(len(g), np.inf)
    xy, part = shapely.get_coordinates(g, return_index=True)
    b = shapely.bounds(g)
    c = np.column_stack([(b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0])
    rad = np.zeros(len(g))
    np.maximum.at(rad, part, np.hypot(xy[:, 0] - c[part, 0], xy[:, 1] - c[part, 1]))
    d, _i = idx.outline_tree.query(c, k=1, workers=-1)
    return np.asarray(d, dtype=float).reshape(len(g)) - idx.spacing / 2.0 - rad


def nearest_far(g: np.ndarray, pc: Pieces) -> tuple[np.ndarray, np.ndarray]:
    """Exact distance from each site (WORK_CRS, none touching the layer) to its nearest feature, and that feature.

    GEOS's STRtree nearest-neighbour search over the features' outline
    segments: a branch-and-bound on exact geometry distances, so the answer
    equals GEOS ``distance`` to the nearest feature by construction. The sites
    are split between threads (GEOS releases the GIL).

    Parameters
    ----------
    g
        Site geometries in WORK_CRS.
    pc
        The layer's pieces.

    Returns
    -------
    distance : numpy.ndarray
        Metres (inf when the layer is empty).
    feature : numpy.ndarray
        Position of the nearest feature in the layer.
    """
    idx = nearest_index(pc)
    if not len(g) or not len(idx.elements):
        return np.full(len(g), np.inf), np.zeros(len(g), dtype=np.intp)

    def nearest(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # one row per site, empty ones inf
        dist, element = np.full(len(geoms), np.inf), np.zeros(len(geoms), dtype=np.intp)
        (si, ej), d = idx.tree.query_nearest(geoms, return_distance=True, all_matches=False)
        dist[si], element[si] = d, ej
        return dist, element

    dist, element = chunked(nearest, g, min_chunk=_MIN_CHUNK)
    return dist, idx.element_feature[element]


def nearest_of_touching(
    hit_site: np.ndarray, hit_feat: np.ndarray, hit_overlap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For sites touching a layer: each site and the touched feature with the largest overlap.

    Parameters
    ----------
    hit_site, hit_feat, hit_overlap
        One entry per touching (site, feature) pair: site, feature, overlap area.

    Returns
    -------
    sites, features : numpy.ndarray
        One entry per touching site.

    Examples
    --------
    >>> s, f = nearest_of_touching(np.array([0, 0, 2]), np.array([4, 5, 6]), np.array([1.0, 3.0, 0.0]))
    >>> s.tolist(), f.tolist()
    ([0, 2], [5, 6])
    """
    if not len(hit_site):
        return hit_site, hit_feat
    order = np.lexsort((-hit_overlap, hit_site))
    first_of_site = order[np.r_[True, np.diff(hit_site[order]) != 0]]
    return hit_site[first_of_site], hit_feat[first_of_site]
