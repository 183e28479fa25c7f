"""Morphological Spatial Pattern Analysis (MSPA) with GuidosToolbox's class codes.

MSPA (Soille & Vogt 2009; GuidosToolbox, GTB) splits the foreground of a binary map into
core, islet, perforation, edge, loop, bridge and branch, with GTB's byte codes:

===========  ====  ==========================  =====
class        code  with ``intext`` (internal)  code
===========  ====  ==========================  =====
core         17    core                        117
islet        9     islet                       109
perforation  5     perforation                 105
edge         3     edge                        103
loop         65    loop                        165
bridge       33    bridge                      133
branch       1     branch                      101
background   0     core-opening / border-op.   100 / 220
missing      129
===========  ====  ==========================  =====

Loops and bridges crossing an edge or a perforation keep that crossing as
"loop/bridge in edge/perforation" (``code + 2`` / ``code + 4``: 35, 37, 67, 69 and
their internal variants), as GTB does whatever ``transition`` says (GTB's
``Transition`` only changes the colour table, not the values).

Two engines (``engine=``): ``"landschaft"`` runs landschaft's ``mspa`` (PyPI, C++, **GPL-3**: the
optional extra ``pip install linfen_geo[mspa]``), which matches GuidosToolbox's own executable on every
pixel; ``"native"`` is this module's numpy / scipy.ndimage implementation (MIT), exact for core,
missing, perforation vs edge, internal (+100) and core-openings, but not for the connector classes
(loop / bridge / branch: 0.1-4 % of pixels differ, measured; see ``docs/connectivity.md``, MSPA).
``"auto"`` (default) uses landschaft when it is installed, else the native engine with a warning.
Sources of an ecological network need only the core class, which both engines give exactly.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity.morphology import mspa
>>> m = np.zeros((12, 12), bool); m[2:10, 2:10] = True; m[0, 11] = True
>>> r = mspa(m)
>>> int(r[5, 5]), int(r[2, 5]), int(r[0, 11]), int(r[0, 0])
(17, 3, 9, 0)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import skeletonize

from linfen_geo.errors import InputError

__all__ = ["MSPA_CLASSES", "mspa"]

MSPA_CLASSES: dict[int, str] = {
    0: "background",
    1: "branch",
    3: "edge",
    5: "perforation",
    9: "islet",
    17: "core",
    33: "bridge",
    35: "bridge in edge",
    37: "bridge in perforation",
    65: "loop",
    67: "loop in edge",
    69: "loop in perforation",
    100: "core-opening",
    101: "branch (internal)",
    103: "edge (internal)",
    105: "perforation (internal)",
    109: "islet (internal)",
    117: "core (internal)",
    129: "missing",
    133: "bridge (internal)",
    135: "bridge in edge (internal)",
    137: "bridge in perforation (internal)",
    165: "loop (internal)",
    167: "loop in edge (internal)",
    169: "loop in perforation (internal)",
    220: "border-opening",
}

_S8 = np.ones((3, 3), bool)
_S4 = ndi.generate_binary_structure(2, 1)


def _disk(ew: int) -> np.ndarray:
    """GTB's structuring element for edge width ``ew``: x^2 + y^2 < (ew + 1)^2."""
    r = ew + 1
    y, x = np.mgrid[-ew : ew + 1, -ew : ew + 1]
    return (x * x + y * y) < r * r


def _gtb_codes(foreground: Any, nodata: Any) -> tuple[np.ndarray, Any]:
    """(uint8 map coded 0 missing / 1 background / 2 foreground, DataArray template or None)."""
    template = None
    if hasattr(foreground, "dims") and hasattr(foreground, "values"):
        template = foreground
        values = np.asarray(foreground.values)
    else:
        values = np.asarray(foreground)
    if values.ndim != 2:
        raise InputError(f"mspa: expected a 2-D map, got {values.ndim} dimensions")
    if values.dtype == bool:
        codes = np.where(values, 2, 1).astype(np.uint8)
    elif values.dtype.kind in "ui":
        if values.size and (values.min() < 0 or values.max() > 2):
            bad = np.unique(values[(values < 0) | (values > 2)])[:10].tolist()
            raise InputError(
                "mspa: a non-boolean map must be GTB-coded 0 = missing, 1 = background, 2 = foreground "
                f"(found values {bad}); or pass a boolean foreground mask"
            )
        codes = values.astype(np.uint8, copy=True)
    else:
        v = values.astype("float64")
        finite = np.isfinite(v)
        vals = np.unique(v[finite])
        if not np.isin(vals, [0.0, 1.0, 2.0]).all():
            raise InputError(
                "mspa: a non-boolean map must be GTB-coded 0 = missing, 1 = background, 2 = foreground "
                f"(found values {vals[:10].tolist()}); or pass a boolean foreground mask"
            )
        codes = np.where(finite, v, 0).astype(np.uint8)
    if nodata is not None:
        miss = np.asarray(nodata.values if hasattr(nodata, "dims") else nodata)
        if miss.shape != codes.shape or miss.dtype != bool:
            raise InputError("mspa: nodata must be a boolean mask of the map's shape (True = missing)")
        codes[miss] = 0
    if not (codes == 2).any():
        raise InputError("mspa: the map has no foreground pixel")
    if not (codes != 2).any():
        raise InputError("mspa: the map has no background or missing pixel (all foreground)")
    return codes, template


def _holes(mask: np.ndarray, structure: np.ndarray, touch: np.ndarray | None = None) -> np.ndarray:
    """Pixels of ``mask`` in components (``structure``) with no ``touch`` pixel (default: any) on the map border."""
    lab, n = ndi.label(mask, structure)
    if n == 0:
        return np.zeros_like(mask)
    lab_t = np.where(touch, lab, 0) if touch is not None else lab
    border = np.zeros(n + 1, bool)
    border[lab_t[0]] = border[lab_t[-1]] = border[lab_t[:, 0]] = border[lab_t[:, -1]] = True
    border[0] = True
    return ~border[lab]


def _island_rings(core: np.ndarray, klab: np.ndarray, holes: np.ndarray, ew: int) -> tuple[np.ndarray, np.ndarray]:
    """Core inside a hole of the core (internal core) and the pixels within the disk of core islands.

    An island is an 8-connected core component whose 4-neighbours outside it all lie in holes; its boundary
    faces the hole from outside: an (internal) edge, not a perforation. Internal core is the same test on
    4-connected core components (a core pixel touching the enclosing core only diagonally is internal).
    """
    none = np.zeros(core.shape, bool)
    if not holes.any():
        return none, none
    touch = ndi.binary_dilation(~core & ~holes, _S4) & core  # core pixels with a 4-neighbour outside the holes

    def inside(lab: np.ndarray, n: int) -> np.ndarray:
        outside = np.zeros(n + 1, bool)
        outside[lab[touch]] = True
        outside[lab[0]] = outside[lab[-1]] = outside[lab[:, 0]] = outside[lab[:, -1]] = True  # on the map border
        outside[0] = True
        return ~outside[lab]

    islands = inside(klab, int(klab.max()))
    lab4, n4 = ndi.label(core, _S4)
    internal = inside(lab4, n4)
    return internal, (_dilate_disk(islands, ew) if islands.any() else none)


def _openings(mask: np.ndarray) -> np.ndarray:
    """Enclosed background: 4-connected components of ``mask`` not open to the outside of the map.

    As in GTB (measured), the outside seals a component touching a map border along at most 2 pixels; a
    component on a map corner is open.
    """
    lab, n = ndi.label(mask, _S4)
    if n == 0:
        return np.zeros_like(mask)
    open_ = np.zeros(n + 1, bool)
    for line, limit in ((lab[0], 2), (lab[:, 0], 2), (lab[-1], 2), (lab[:, -1], 2)):
        open_ |= np.bincount(line, minlength=n + 1) > limit
    open_[[lab[0, 0], lab[0, -1], lab[-1, 0], lab[-1, -1]]] = True
    open_[0] = True
    return ~open_[lab]


def _disk_rectangles(ew: int) -> list[tuple[int, int]]:
    """The disk x^2 + y^2 < (ew + 1)^2 as a union of centred rectangles (half-height, half-width)."""
    r2 = (ew + 1) ** 2
    rects = []
    for dy in range(ew + 1):
        dx = int(np.floor(np.sqrt(r2 - 1 - dy * dy)))
        if dy < ew and dx == int(np.floor(np.sqrt(r2 - 1 - (dy + 1) ** 2))):
            continue  # the next row is as wide: same rectangle, taller
        rects.append((dy, dx))
    return rects


def _erode_disk(mask: np.ndarray, ew: int) -> np.ndarray:
    """Erosion by the disk (outside = False), as the AND of separable rectangle erosions."""
    m = mask.view(np.uint8)
    out = None
    for hy, hx in _disk_rectangles(ew):
        e = ndi.minimum_filter(m, size=(2 * hy + 1, 2 * hx + 1), mode="constant", cval=0)
        out = e if out is None else np.minimum(out, e, out=out)
    return out.astype(bool)


def _dilate_disk(mask: np.ndarray, ew: int) -> np.ndarray:
    """Dilation by the disk, as the OR of separable rectangle dilations."""
    m = mask.view(np.uint8)
    out = None
    for hy, hx in _disk_rectangles(ew):
        d = ndi.maximum_filter(m, size=(2 * hy + 1, 2 * hx + 1), mode="constant", cval=0)
        out = d if out is None else np.maximum(out, d, out=out)
    return out.astype(bool)


def _core_and_opening(codes: np.ndarray, ew: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Core (erosion by the disk) and opening (its dilation) with GTB's border handling.

    The outside of the map counts as foreground except its four corner quadrants; for the
    dilation only the outside core within 2 pixels above / left and 1 pixel below / right is used.
    """
    fg = codes == 2
    h, w = codes.shape
    p = ew + 2
    ext = np.ones((h + 2 * p, w + 2 * p), bool)
    ext[p : p + h, p : p + w] = codes != 1
    ext[:p, :p] = ext[:p, -p:] = ext[-p:, :p] = ext[-p:, -p:] = False
    core_ext = _erode_disk(ext, ew)
    core = core_ext[p : p + h, p : p + w] & fg
    seed = np.zeros_like(core_ext)
    seed[p - 2 : p + h + 1, p - 2 : p + w + 1] = core_ext[p - 2 : p + h + 1, p - 2 : p + w + 1]
    seed[p : p + h, p : p + w] = core
    opened = _dilate_disk(seed, ew)[p : p + h, p : p + w] & fg
    # holes of the core, the core outside the map included
    # a hole of the core cut by the map border is open where background reaches the border, and at the
    # map corners (the outside's corner quadrants are background)
    touch = codes == 1
    touch[0, 0] = touch[0, -1] = touch[-1, 0] = touch[-1, -1] = True
    holes = _holes(~core, _S4, touch=touch)
    # ... and where the outside core (2 pixels deep above / left, 1 below / right) has a gap in front of it
    lab, n = ndi.label(holes, _S4)
    if n:
        leak = np.zeros(n + 1, bool)
        oc = core_ext
        leak[lab[0][~(oc[p - 1, p : p + w] | oc[p - 2, p : p + w])]] = True
        leak[lab[:, 0][~(oc[p : p + h, p - 1] | oc[p : p + h, p - 2])]] = True
        leak[lab[-1][~oc[p + h, p : p + w]]] = True
        leak[lab[:, -1][~oc[p : p + h, p + w]]] = True
        leak[0] = False
        holes &= ~leak[lab]
    return core, opened, holes


_OFF8 = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])


def _neighbours(ys: np.ndarray, xs: np.ndarray, shape: tuple[int, int], offsets: np.ndarray) -> tuple:
    """Coordinates of the neighbours (``offsets``) of pixels ``ys, xs`` inside the map, and whose they are."""
    ny = ys[:, None] + offsets[None, :, 0]
    nx = xs[:, None] + offsets[None, :, 1]
    inside = (ny >= 0) & (ny < shape[0]) & (nx >= 0) & (nx < shape[1])
    who = np.broadcast_to(np.arange(len(ys))[:, None], ny.shape)
    return ny[inside], nx[inside], who[inside]


def _count_distinct(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct ``values`` > 0 per group id (0..n)."""
    sel = values > 0
    if not sel.any():
        return np.zeros(n + 1, np.int64)
    key = np.unique(groups[sel].astype(np.int64) * (int(values.max()) + 1) + values[sel])
    return np.bincount(key // (int(values.max()) + 1), minlength=n + 1)


def _classify_connectors(klab: np.ndarray, opened: np.ndarray, conn: np.ndarray, ew: int) -> np.ndarray:
    """Loop (65), bridge (33) or branch (1) per connector component (0 elsewhere).

    A connector touching the opening (core + boundary) in one place is a branch; in two or more places it
    is a bridge when the cores within the disk of its contact pixels are two or more, else a loop.
    """
    clab, nc = ndi.label(conn, _S8)
    if nc == 0:
        return np.zeros(conn.shape, np.uint8)
    h, w = conn.shape
    contact = opened & (ndi.maximum_filter(conn.view(np.uint8), size=3) > 0)
    cy, cx = np.nonzero(contact)
    cid = np.zeros(len(cy), clab.dtype)  # (a contact between two connectors: the larger id)
    for dy, dx in _OFF8:
        np.maximum(cid, clab[np.clip(cy + dy, 0, h - 1), np.clip(cx + dx, 0, w - 1)], out=cid)
    ctlab, _ = ndi.label(contact, _S8)
    ngroup = _count_distinct(cid, ctlab[cy, cx], nc)
    # cores within the disk of the contact pixels: the smallest and largest core label there is enough
    # to tell one core from two or more
    big = np.iinfo(klab.dtype).max
    lo = np.full(len(cy), big, klab.dtype)
    hi = np.zeros(len(cy), klab.dtype)
    for dy, dx in np.argwhere(_disk(ew)) - ew:
        yy, xx = cy + dy, cx + dx
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        v = np.where(ok, klab[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], 0)
        hi = np.maximum(hi, v, out=hi)
        lo = np.minimum(lo, np.where(v > 0, v, big), out=lo)
    lo = np.where(lo == big, 0, lo)
    ncore = _count_distinct(np.concatenate([cid, cid]), np.concatenate([lo, hi]), nc)
    cls = np.where(ngroup < 2, 1, np.where(ncore >= 2, 33, 65)).astype(np.uint8)
    cls[0] = 0
    return cls[clab]


def _split_branches(skel: np.ndarray, opened: np.ndarray, conn: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Spurs of loops / bridges become branches (1): the skeleton of each loop / bridge is pruned of its free
    ends (ends not touching the core or its boundary); connector pixels nearest a pruned spur are branches."""
    multi = (cc == 33) | (cc == 65)
    s = skel & multi
    if not s.any():
        return cc
    ys, xs = np.nonzero(s)
    ny, nx, who = _neighbours(ys, xs, s.shape, _OFF8)
    terminal = np.zeros(len(ys), bool)
    np.logical_or.at(terminal, who, opened[ny, nx])
    # leaf pruning on the sparse skeleton: index map of skeleton pixels
    lin = ys.astype(np.int64) * s.shape[1] + xs  # sorted (row-major nonzero)
    nlin = ny.astype(np.int64) * s.shape[1] + nx
    pos = np.minimum(np.searchsorted(lin, nlin), len(lin) - 1)
    keep_edge = lin[pos] == nlin
    nbr = pos
    a, b = who[keep_edge], nbr[keep_edge]
    alive = np.ones(len(ys), bool)
    deg = np.bincount(a, minlength=len(ys))
    leaf = np.nonzero(~terminal & (deg <= 1))[0]
    # edges as CSR (pixel -> neighbours) to update degrees as leaves are removed
    order = np.argsort(a, kind="stable")
    a_s, b_s = a[order], b[order]
    start = np.searchsorted(a_s, np.arange(len(ys) + 1))
    while len(leaf):
        alive[leaf] = False
        counts = start[leaf + 1] - start[leaf]
        rows = np.repeat(start[leaf], counts) + (
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        nb = b_s[rows]
        nb = nb[alive[nb]]
        np.subtract.at(deg, nb, 1)
        cand = np.unique(nb)
        leaf = cand[~terminal[cand] & (deg[cand] <= 1)]
    spur = np.zeros(s.shape, bool)
    spur[ys[~alive], xs[~alive]] = True
    if not spur.any():
        return cc
    # connector pixels take the side (path 1 / spur 2) of the nearer skeleton, growing both in the connector
    side = np.zeros(s.shape, np.uint8)
    side[s] = 1
    side[spur] = 2
    ty, tx = np.nonzero(multi & ~s)
    while len(ty):
        ny, nx, who = _neighbours(ty, tx, s.shape, _OFF8)
        v = side[ny, nx]
        got = np.zeros(len(ty), np.uint8)
        np.maximum.at(got, who[v == 2], 2)
        np.maximum.at(got, who[v == 1], 1)  # path wins a tie: 1 overwrites below
        has_path = np.zeros(len(ty), bool)
        has_path[who[v == 1]] = True
        got = np.where(has_path, 1, got)
        done = got > 0
        if not done.any():
            break
        side[ty[done], tx[done]] = got[done]
        ty, tx = ty[~done], tx[~done]
    out = cc.copy()
    out[(side == 2) & multi] = 1
    return out


def _transitions(skeleton: np.ndarray, klab: np.ndarray, boundary: np.ndarray, cc: np.ndarray, ew: int) -> np.ndarray:
    """Loop / bridge crossings of the edge (33 / 65 where a connector or a neck crosses the boundary, else 0).

    Approximation: the foreground skeleton inside the boundary, kept where it joins a loop / bridge or two
    cores, widened by a disk of radius ``ew - 0.5``.
    """
    fg = skeleton
    out = np.zeros(fg.shape, np.uint8)
    skel = skeleton & boundary
    lab, n = ndi.label(skel, _S8)
    if n == 0:
        return out
    ys, xs = np.nonzero(skel)
    ny, nx, who = _neighbours(ys, xs, fg.shape, _OFF8)
    sid = lab[ys[who], xs[who]]
    ncore = _count_distinct(sid, klab[ny, nx], n)
    cls = np.where(ncore >= 2, 2, 0).astype(np.uint8)
    nb = cc[ny, nx]
    for code, val in ((65, 1), (33, 2)):
        hit = np.zeros(n + 1, bool)
        hit[sid[nb == code]] = True
        cls = np.where(hit, np.maximum(cls, val), cls)
    cls[0] = 0
    seeds = np.zeros(fg.shape, np.uint8)
    seeds[ys, xs] = cls[lab[ys, xs]]
    if ew == 1:
        # a boundary pixel between a loop / bridge and the core (4-neighbour of both) is a crossing too
        by, bx = np.nonzero(boundary)
        h, w = fg.shape
        near_core = np.zeros(len(by), bool)
        near = np.zeros(len(by), np.uint8)
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            yy, xx = np.clip(by + dy, 0, h - 1), np.clip(bx + dx, 0, w - 1)
            near_core |= klab[yy, xx] > 0
            v = cc[yy, xx]
            near = np.maximum(near, np.where(v == 33, 2, np.where(v == 65, 1, 0)).astype(np.uint8))
        cross = near_core & (near > 0)
        seeds[by[cross], bx[cross]] = np.maximum(seeds[by[cross], bx[cross]], near[cross])
    if ew > 1:
        y, x = np.mgrid[-ew : ew + 1, -ew : ew + 1]
        seeds = ndi.grey_dilation(seeds, footprint=(x * x + y * y) <= (ew - 0.5) ** 2)
    seeds = np.where(boundary, seeds, 0)
    out[seeds == 2] = 33
    out[seeds == 1] = 65
    return out


def _mspa_codes(codes: np.ndarray, ew: int, intext: bool) -> np.ndarray:
    fg = codes == 2
    bg = codes == 1
    core, opened, core_holes = _core_and_opening(codes, ew)
    # islets: foreground components without core
    lab, n = ndi.label(codes != 1, _S8)
    has_core = np.zeros(n + 1, bool)
    has_core[lab[opened]] = True  # core, or an edge of the core outside the map
    has_core[0] = False
    islet = fg & ~has_core[lab]
    boundary = opened & ~core
    klab, _ = ndi.label(core, _S8)
    core_islands, island_rings = _island_rings(core, klab, core_holes, ew)
    perforation = boundary & core_holes & ~island_rings
    conn = fg & ~opened & ~islet
    out = np.zeros(codes.shape, np.uint8)
    out[core] = 17
    out[islet] = 9
    out[boundary] = 3
    out[perforation] = 5
    cc = _classify_connectors(klab, opened, conn, ew)
    skeleton = skeletonize(fg)
    cc = _split_branches(skeleton, opened, conn, cc)
    out[conn] = cc[conn]
    tr = _transitions(skeleton, klab, boundary, cc, ew)
    t = tr > 0
    out[t] = tr[t] + np.where(perforation[t], 4, 2).astype(np.uint8)
    out[codes == 0] = 129
    if intext:
        internal = (core_holes | core_islands) & fg
        out[internal] += 100
        opening = _openings(codes != 2)
        out[opening & bg] = 220
        out[opening & bg & core_holes] = 100
    return out


def mspa(
    foreground: Any,
    edge_width: int = 1,
    connectivity: int = 8,
    transition: bool = True,
    intext: bool = True,
    nodata: Any = None,
    engine: str = "auto",
) -> Any:
    """Morphological Spatial Pattern Analysis with GuidosToolbox semantics and class codes.

    Parameters
    ----------
    foreground : numpy.ndarray or xarray.DataArray
        Either a boolean mask (True = foreground, False = background) or a map coded like
        GuidosToolbox's input: 0 = missing, 1 = background, 2 = foreground (NaN counts as missing).
    edge_width : int
        Edge width in pixels (GTB "EdgeWidth"), >= 1.
    connectivity : {8, 4}
        Foreground connectivity (GTB "FGconn"). Only 8 is implemented.
    transition : bool
        GTB "Transition". As in GuidosToolbox it does not change the class values (only GTB's colour
        table), so it is accepted for compatibility and has no effect.
    intext : bool
        GTB "Intext": internal features (inside perforations) get +100 and enclosed background is
        coded core-opening (100) or border-opening (220).
    nodata : numpy.ndarray of bool, optional
        Extra mask of missing pixels (True = missing), coded 129 in the result.
    engine : {"auto", "landschaft", "native"}
        ``landschaft``: GTB-exact (GPL-3 optional extra ``linfen_geo[mspa]``); ``native``: this
        module (connector classes approximate, see the module docstring); ``auto``: landschaft when
        installed, else native with a :class:`~linfen_geo.errors.LinfenGeoWarning`.

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        ``uint8`` class codes (see :data:`MSPA_CLASSES`); a DataArray input gives a DataArray with
        the same coordinates, attributes and CRS.

    Raises
    ------
    InputError
        Not 2-D, values other than 0/1/2 in a non-boolean map, no foreground, only foreground,
        bad ``edge_width`` or ``connectivity``.

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.connectivity.morphology import mspa
    >>> m = np.zeros((9, 9), bool); m[1:8, 1:8] = True
    >>> mspa(m, engine="native")[1:8, 4].tolist()
    [3, 17, 17, 17, 17, 17, 3]
    """
    del transition  # GTB: colour table only
    if int(edge_width) != edge_width or edge_width < 1:
        raise InputError(f"mspa: edge_width must be a whole number >= 1, got {edge_width!r}")
    if connectivity != 8:
        raise InputError(f"mspa: only connectivity=8 is implemented, got {connectivity!r}")
    if engine not in ("auto", "landschaft", "native"):
        raise InputError(f"mspa: engine must be auto, landschaft or native, not {engine!r}")
    codes, template = _gtb_codes(foreground, nodata)
    lib = _landschaft() if engine != "native" else None
    if engine == "landschaft" and lib is None:
        raise InputError("mspa: engine='landschaft' needs landschaft (GPL-3): pip install 'linfen_geo[mspa]'")
    if lib is not None:
        out = np.asarray(lib.mspa(codes, edge_width=int(edge_width), internal=bool(intext), n_threads=1), np.uint8)
    else:
        if engine == "auto":
            from linfen_geo.errors import LinfenGeoWarning

            warnings.warn(
                "mspa: landschaft is not installed, using the native engine (core, perforation, edge exact; "
                "loop/bridge/branch approximate). pip install 'linfen_geo[mspa]' (GPL-3) for GTB-exact classes",
                LinfenGeoWarning,
                stacklevel=2,
            )
        out = _mspa_codes(codes, int(edge_width), bool(intext))
    if template is not None:
        return template.copy(data=out)
    return out


def _landschaft() -> Any:
    """landschaft (GPL-3, optional extra), or None when it is not installed."""
    try:
        import landschaft
    except ImportError:
        return None
    return landschaft
