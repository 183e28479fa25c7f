"""Distances from sites to a layer they do not touch: exact nearest feature, and cheap lower bounds.

* :func:`nearest_far` gives the exact distance from each site to its nearest
  piece of the layer: GEOS's ``STRtree.query_nearest`` over small pieces (at
  most :data:`FINE_VERTICES` vertices) with exact GEOS distances, so the answer
  equals ``STRtree.query_nearest`` + ``shapely.distance`` on the layer by
  construction. (An earlier KD-tree of outline points missed the nearest piece
  when its share of the outline held no sample point: 44 of 1,286 sites
  overestimated, worst 29.07 m vs 19.0 m.)
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
>>> d, piece = nearest_far(np.array([Point(501300, 3995500), Point(500500, 3994000)]), pc)
>>> np.round(d, 6).tolist(), bool((distance_lower_bound(np.array([Point(501300, 3995500)]), pc) <= 300).all())
([300.0, 1000.0], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from linfen_geo.analysis.siting.pieces import Pieces, geometry_family, subdivide

__all__ = [
    "FINE_VERTICES",
    "NearestIndex",
    "distance_lower_bound",
    "nearest_far",
    "nearest_index",
    "nearest_of_touching",
]

#: vertex budget of the small pieces whose exact distances give the nearest feature
FINE_VERTICES = 16
#: largest spacing of the points along protected outlines used for the distance lower bounds
OUTLINE_SPACING_M = 200.0


@dataclass(frozen=True)
class NearestIndex:
    """A layer's nearest-feature indexes (WORK_CRS), built by :func:`nearest_index`."""

    outline_tree: Any  # scipy cKDTree of points every <= spacing m along the outlines of the pieces
    outline_fine: np.ndarray  # the small piece (position in ``fine``) each outline point lies on
    fine: np.ndarray  # small pieces: polygon pieces cut to FINE_VERTICES, points and lines whole
    fine_piece: np.ndarray  # the piece each small piece comes from
    fine_tree: shapely.STRtree  # tree of ``fine`` for exact nearest-neighbour search
    spacing: float


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

        fam = geometry_family(shapely.get_type_id(pc.work))
        poly = np.flatnonzero(fam == 2)
        fine_p, fine_owner = subdivide(pc.work[poly], FINE_VERTICES) if len(poly) else (pc.work[:0], poly)
        other = np.flatnonzero(fam != 2)
        fine = np.concatenate([fine_p, pc.work[other]])
        fine_piece = np.concatenate([poly[fine_owner], other]).astype(np.intp)
        # points along the outlines of the original pieces (not the cuts between small pieces), each
        # owned by a small piece it lies on
        outline = np.where(fam == 2, shapely.boundary(pc.work), pc.work)
        xy = shapely.get_coordinates(shapely.segmentize(outline, OUTLINE_SPACING_M))
        xy = np.unique(xy, axis=0)
        fine_tree = shapely.STRtree(fine)
        qi, qj = fine_tree.query(shapely.points(xy), predicate="dwithin", distance=1e-6)
        first = np.r_[True, np.diff(qi) != 0] if len(qi) else np.zeros(0, dtype=bool)
        owner = np.full(len(xy), -1, dtype=np.intp)
        owner[qi[first]] = qj[first]
        keep = owner >= 0
        pc.nearest = NearestIndex(
            outline_tree=cKDTree(xy[keep]),
            outline_fine=owner[keep],
            fine=fine,
            fine_piece=fine_piece,
            fine_tree=fine_tree,
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
    if not len(idx.outline_fine):
        return np.full(len(g), np.inf)
    xy, part = shapely.get_coordinates(g, return_index=True)
    b = shapely.bounds(g)
    c = np.column_stack([(b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0])
    rad = np.zeros(len(g))
    np.maximum.at(rad, part, np.hypot(xy[:, 0] - c[part, 0], xy[:, 1] - c[part, 1]))
    d, _i = idx.outline_tree.query(c, k=1, workers=-1)
    return np.asarray(d, dtype=float).reshape(len(g)) - idx.spacing / 2.0 - rad


def nearest_far(g: np.ndarray, pc: Pieces) -> tuple[np.ndarray, np.ndarray]:
    """Exact distance from each site (WORK_CRS, none touching the layer) to its nearest piece, and that piece.

    GEOS's STRtree nearest-neighbour search over the small pieces (at most
    :data:`FINE_VERTICES` vertices each): a branch-and-bound on exact geometry
    distances, so the answer equals ``STRtree.query_nearest`` + GEOS
    ``distance`` by construction.

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
    piece : numpy.ndarray
        Position of the nearest piece in ``pc.work``.
    """
    idx = nearest_index(pc)
    dist = np.full(len(g), np.inf)
    piece = np.zeros(len(g), dtype=np.intp)
    if not len(g) or not len(idx.fine):
        return dist, piece
    (si, fj), d = idx.fine_tree.query_nearest(g, return_distance=True, all_matches=False)
    dist[si] = d
    piece[si] = idx.fine_piece[fj]
    return dist, piece


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
