"""Focal points and regions, and the short-circuit maps Circuitscape derives from them.

Circuitscape.jl merges focal regions into short-circuit regions in a specific
way (``create_new_polymap`` in ``src/raster/pairwise.jl``); the functions here
reproduce it so results match its outputs cell for cell.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity._focal import focal_cells
>>> f = focal_cells(np.array([[2, 0], [1, 2]]))
>>> f.ids.tolist(), f.rows.tolist(), f.cols.tolist()
([1, 2, 2], [1, 0, 1], [0, 0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linfen_geo.errors import InputError

__all__ = ["FocalCells", "focal_cells", "merge_pair_regions", "merge_point_regions"]


@dataclass(frozen=True)
class FocalCells:
    """Focal cells sorted by id, then in column-major order within an id (Circuitscape's ``points_rc``)."""

    ids: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    @property
    def unique(self) -> np.ndarray:
        return np.unique(self.ids)

    @property
    def has_regions(self) -> bool:
        return len(self.ids) != len(self.unique)

    def first_cell(self, pid: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.ids, pid))
        return int(self.rows[i]), int(self.cols[i])

    def cells_of(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        sel = self.ids == pid
        return self.rows[sel], self.cols[sel]

    def keep(self, ids: np.ndarray) -> FocalCells:
        sel = np.isin(self.ids, ids)
        return FocalCells(self.ids[sel], self.rows[sel], self.cols[sel])

    def as_grid(self, shape: tuple[int, int]) -> np.ndarray:
        g = np.zeros(shape, dtype=np.int64)
        g[self.rows, self.cols] = self.ids
        return g


def focal_cells(focal: np.ndarray, name: str = "focal") -> FocalCells:
    """Focal cells of an id grid: ids > 0 are focal (0, negative and NaN are not); needs two ids or more."""
    f = np.asarray(focal, dtype="float64")
    ok = np.isfinite(f) & (f > 0)
    if np.any(ok & (f != np.round(f))):
        raise InputError(f"{name}: focal ids must be whole numbers")
    cc, rr = np.nonzero(ok.T)  # column-major order
    ids = f[rr, cc].astype(np.int64)
    order = np.argsort(ids, kind="stable")
    out = FocalCells(ids[order], rr[order], cc[order])
    if len(out.unique) < 2:
        raise InputError(f"{name}: fewer than two focal nodes (ids > 0)")
    return out


def merge_pair_regions(
    regions: np.ndarray | None, pts: FocalCells, shape: tuple[int, int], a: int, b: int
) -> np.ndarray:
    """Short-circuit map for the pair (a, b) of focal regions (Circuitscape's pairwise focal-region path).

    Without short-circuit regions the two focal regions become the regions. With
    them, a focal region touching short-circuit regions merges those regions
    (its own cells outside them are not merged, as in Circuitscape); a focal
    region outside every short-circuit region becomes a new region.
    """
    if regions is None:
        newpoly = np.zeros(shape, dtype=np.int64)
        for p in (a, b):
            r, c = pts.cells_of(p)
            newpoly[r, c] = p
        return newpoly
    poly = np.asarray(regions, dtype=np.int64)
    newpoly = poly.copy()
    k = int(poly.max())
    for p in (a, b):
        r, c = pts.cells_of(p)
        if len(r) == 1:
            continue
        vals = poly[r, c]
        if not vals.any():
            newpoly[r, c] = k + 1
            k += 1
            continue
        nz = vals[vals != 0]
        if len(nz) == 1:  # Circuitscape.jl fails here (undefined variable); join the one region touched
            newpoly[r, c] = nz[0]
        else:
            newpoly[np.isin(poly, nz)] = k + 1
            k += 1
    return newpoly


def merge_point_regions(regions: np.ndarray | None, pts: FocalCells, shape: tuple[int, int]) -> np.ndarray:
    """Short-circuit map of one-to-all / all-to-one mode: every focal region becomes one node."""
    point_map = pts.as_grid(shape)
    if regions is None:
        return point_map
    poly = np.asarray(regions, dtype=np.int64)
    newpoly = poly.copy()
    cc, rr = np.nonzero(point_map.T)
    if not pts.has_regions:
        k = int(poly.max())
        sel = poly[rr, cc] == 0
        newpoly[rr[sel], cc[sel]] = point_map[rr[sel], cc[sel]] + k
        return newpoly
    k = max(int(poly.max()), int(point_map.max()))
    for r, c in zip(rr.tolist(), cc.tolist(), strict=True):  # order matters: Circuitscape relabels as it goes
        v1, v2 = point_map[r, c], newpoly[r, c]
        if v2 == 0:
            newpoly[r, c] = k + v1
        elif v1 != v2:
            newpoly[newpoly == v2] = v1
    return newpoly
