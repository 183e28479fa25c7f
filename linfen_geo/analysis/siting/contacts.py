"""Which sites touch which pieces of a layer, and by how much (overlaps in ``AREA_CRS``).

:func:`touching_pairs` finds the (site, piece) contacts in ``WORK_CRS``;
:func:`overlaps` measures the polygon sites' overlaps against the layer's pieces
cut in ``AREA_CRS`` (:class:`~linfen_geo.analysis.siting.pieces.Pieces`), so an
overlap equals ``area(site ∩ feature)`` computed there whole.

Examples
--------
>>> from concurrent.futures import ThreadPoolExecutor
>>> import numpy as np
>>> from shapely.geometry import box
>>> from linfen_geo.analysis.siting.pieces import geometry_family, pieces_for
>>> from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS, reproject
>>> red = reproject([box(500000, 3995000, 501000, 3996000)], WORK_CRS, STORAGE_CRS)
>>> pc, _ = pieces_for(red, 64)
>>> site = reproject([box(500900, 3995000, 501100, 3995100)], WORK_CRS, STORAGE_CRS)   # half inside
>>> with ThreadPoolExecutor(1) as pool:
...     work = reproject(site, STORAGE_CRS, WORK_CRS)
...     sites = Sites(work, geometry_family(shapely.get_type_id(work)), pool.submit(reproject, site, STORAGE_CRS, AREA_CRS))
...     t = touching_pairs(sites, pc, 1)
...     pairs, overlap = overlaps(sites, pc, t, 1)
>>> t.hit_site.tolist(), bool(abs(overlap[0] / sites.area_m2[0] - 0.5) < 1e-3)
([0], True)
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import shapely

from linfen_geo.analysis.siting.parallel import chunked
from linfen_geo.analysis.siting.pieces import Pieces

__all__ = ["AreaPairs", "Sites", "Touching", "overlaps", "touching_pairs"]

#: overlaps thinner than this (metres, mean width) are reprojection slivers along shared edges: touches
_SLIVER_M = 1e-3


@dataclass
class Sites:
    """One batch of sites in WORK_CRS, with their measures; the AREA_CRS copy arrives from a thread."""

    work: np.ndarray
    family: np.ndarray
    area_job: Future
    poly: np.ndarray = field(init=False)  # polygon sites
    area_m2: np.ndarray = field(init=False)  # filled by area()
    length_m: np.ndarray = field(init=False)
    npoints: np.ndarray = field(init=False)
    _area: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.poly = self.family == 2
        self.area_m2 = np.zeros(len(self.work))
        self.length_m = np.where(self.family == 1, shapely.length(self.work), 0.0)
        self.npoints = np.where(self.family == 0, shapely.get_num_geometries(self.work), 0)

    def area(self) -> np.ndarray:
        """The sites in AREA_CRS (waits for the thread once; fills ``area_m2``)."""
        if self._area is None:
            self._area = self.area_job.result()
            self.area_m2[self.poly] = shapely.area(self._area[self.poly])
        return self._area


@dataclass
class Touching:
    """(site, piece) pairs of one layer that intersect, and their (site, feature) keys."""

    si: np.ndarray  # site of each pair
    pj: np.ndarray  # piece of each pair
    key: np.ndarray  # site * nfeat + feature of each pair
    ukey: np.ndarray  # the unique keys
    hit_site: np.ndarray  # site of each unique key
    hit_feat: np.ndarray  # feature of each unique key


def touching_pairs(sites: Sites, pc: Pieces, nfeat: int) -> Touching:
    si, pj = pc.tree.query(sites.work, predicate="intersects")
    key = si.astype(np.int64) * nfeat + pc.owner[pj]
    ukey = np.unique(key)
    return Touching(si, pj, key, ukey, (ukey // nfeat).astype(np.intp), (ukey % nfeat).astype(np.intp))


@dataclass
class AreaPairs:
    """(polygon site, area piece) pairs of one layer that intersect in AREA_CRS, with their overlaps."""

    si: np.ndarray  # site of each pair
    pj: np.ndarray  # area piece of each pair
    key: np.ndarray  # site * nfeat + feature
    overlap: np.ndarray  # m2 (AREA_CRS); 0 for a sliver
    inside: np.ndarray  # the piece contains the site
    thin: np.ndarray  # boundaries meet, interiors do not (a sliver thinner than _SLIVER_M)


def overlaps(sites: Sites, pc: Pieces, t: Touching, nfeat: int) -> tuple[AreaPairs, np.ndarray]:
    """The overlaps of the polygon sites touching the layer, all in AREA_CRS; per touching key: overlap.

    The touching polygon sites are asked again of the layer's AREA_CRS pieces (a partition of the
    layer in that CRS), so the overlaps equal ``area(site ∩ feature)`` computed there whole.
    """
    hs = np.unique(t.si[sites.poly[t.si]])
    site_area = sites.area()
    ai, aj = pc.area_tree.query(site_area[hs], predicate="intersects") if len(hs) else (hs, hs)
    ai = hs[ai]
    inside = shapely.contains(pc.area[aj], site_area[ai])  # piece contains site (prepared pieces)
    ov = np.where(inside, sites.area_m2[ai], 0.0)
    thin = np.zeros(len(ai), dtype=bool)
    rest = np.flatnonzero(~inside)
    if len(rest):
        covered = shapely.contains(site_area[ai[rest]], pc.area[aj[rest]])
        ov[rest[covered]] = pc.area_m2[aj[rest[covered]]]
        cross = rest[~covered]
        if len(cross):
            inter = chunked(shapely.intersection, site_area[ai[cross]], pc.area[aj[cross]])
            area = shapely.area(inter)
            # boundaries shared in WORK_CRS are micrometres apart in AREA_CRS: a sliver thinner than
            # _SLIVER_M (mean width 2 * area / perimeter) is a touch, not an overlap
            with np.errstate(invalid="ignore", divide="ignore"):
                is_thin = 2.0 * area < _SLIVER_M * shapely.length(inter)
            thin[cross[is_thin]] = True
            ov[cross] = np.where(is_thin, 0.0, area)
    key = ai.astype(np.int64) * nfeat + pc.area_owner[aj]
    pos = np.searchsorted(t.ukey, key)
    known = np.isin(key, t.ukey)
    # a key met only in AREA_CRS is a touch micrometres wide (no overlap): not a contact
    hit_overlap = np.bincount(pos[known], weights=ov[known], minlength=len(t.ukey))
    return AreaPairs(ai, aj, key, ov, inside, thin), hit_overlap
