"""The rule engine: every site against every prepared layer, vectorised (no Python loop over sites or features).

:func:`evaluate` checks one batch of sites; per layer (:func:`_evaluate_layer`):

1. :func:`~linfen_geo.analysis.siting.contacts.touching_pairs`: one ``tree.query(sites, predicate="intersects")``
   finds every (site, piece) contact, aggregated to (site, feature) keys.
2. :func:`_near_pairs`: for "within" rules, one ``dwithin`` query at the
   largest distance, asked only for the sites whose lower distance bound
   (:func:`~linfen_geo.analysis.siting.nearest.distance_lower_bound`) is that
   close, and exact distances for the non-touching pairs.
3. :func:`_nearest`: distance to the nearest feature of ``nearest_layer``
   (0 for touching sites, exact for the others, see
   :mod:`~linfen_geo.analysis.siting.nearest`).
4. :func:`~linfen_geo.analysis.siting.contacts.overlaps`: the touching polygon sites are asked again of the layer's
   pieces cut in ``AREA_CRS`` (a partition of the layer there); pairs where the
   piece contains the site, or the site the piece, are taken without clipping
   (prepared ``contains``); exact intersections only for boundary-crossing
   pairs. A crossing thinner than 1 mm (a reprojection sliver along a shared
   edge) counts as touching, with overlap 0.
5. :func:`_assign_rules`: the first matching rule per (site, feature), by a
   loop over the (few) rules; :func:`_shares` measures lines and points.
6. :func:`_conflict_free`: each site minus the pieces of its conflicting
   features, one difference per rank within a site.

Examples
--------
>>> import numpy as np
>>> from shapely.geometry import box
>>> from linfen_geo.crs import STORAGE_CRS, WORK_CRS, reproject
>>> from linfen_geo.analysis.siting.layers import LayerInput, prepare_layers
>>> from linfen_geo.analysis.siting.rules import parse_siting
>>> import geopandas as gpd
>>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> cfg = parse_siting([{"id": "R1", "layer": "redlines", "verdict": "prohibited"}], {})
>>> layers = prepare_layers([LayerInput("redlines", red, "user", "test", user=True)], cfg, 64)
>>> res = evaluate(reproject([box(500900, 3995000, 501100, 3995100)], WORK_CRS, STORAGE_CRS), layers, cfg)
>>> res.contacts[["site", "feature", "rule"]].values.tolist(), round(float(res.free_m2[0]))
([[0, 0, 0]], 10000)
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis.siting.contacts import Sites, Touching, overlaps, touching_pairs
from linfen_geo.analysis.siting.layers import SitingLayer
from linfen_geo.analysis.siting.nearest import distance_lower_bound, nearest_far, nearest_of_touching
from linfen_geo.analysis.siting.parallel import chunked, threads
from linfen_geo.analysis.siting.pieces import Pieces, geometry_family
from linfen_geo.analysis.siting.project import site_conditions
from linfen_geo.analysis.siting.rules import SitingConfig, SitingRule
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS, reproject

__all__ = [
    "CONTACT_COLUMNS",
    "WAIVED_COLUMNS",
    "SitingResult",
    "concat_results",
    "evaluate",
    "site_conditions",
    "threads",
]

#: columns of :attr:`SitingResult.contacts`
CONTACT_COLUMNS = [
    "site", "layer", "feature", "rule", "overlap_m2", "overlap_length_m", "share", "distance_m", "waived",
]  # fmt: skip
#: columns of :attr:`SitingResult.waived`: contacts that every matching rule waived for the site
WAIVED_COLUMNS = ["site", "layer", "feature", "waived"]


@dataclass
class SitingResult:
    """Raw results for a batch of sites (positions 0..n-1 of that batch)."""

    family: np.ndarray
    area_m2: np.ndarray
    length_m: np.ndarray
    nearest_m: np.ndarray
    nearest_feature: np.ndarray  # position in the nearest layer, -1 when none
    free_geom: np.ndarray  # conflict-free remainder (None = the whole site)
    free_in_area_crs: np.ndarray  # bool: free_geom is in AREA_CRS (polygons) or WORK_CRS
    free_m2: np.ndarray
    free_length_m: np.ndarray
    contacts: pd.DataFrame  # CONTACT_COLUMNS: site, layer, feature, rule (position in cfg.rules) ...
    waived: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WAIVED_COLUMNS))


def _group_min(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the smallest value of each."""
    if not len(keys):
        return keys.astype(np.int64), values.astype(float)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    return sk[starts], np.minimum.reduceat(values[order], starts)


def _near_pairs(
    sites: Sites, pc: Pieces, nfeat: int, t: Touching, rest_sites: np.ndarray, within: list[SitingRule]
) -> tuple[np.ndarray, np.ndarray]:
    """(site, feature) keys within the largest rule distance but not touching, and their distances.

    Touching sites are asked too (they may be near other features of the layer).
    """
    if not within:
        return np.empty(0, dtype=np.int64), np.empty(0)
    dmax = max(r.distance_m for r in within)
    maybe = rest_sites[distance_lower_bound(sites.work[rest_sites], pc) <= dmax] if len(rest_sites) else rest_sites
    ask = np.union1d(t.hit_site, maybe)
    wi, wj = pc.tree.query(sites.work[ask], predicate="dwithin", distance=dmax)
    wi = ask[wi]
    wkey = wi.astype(np.int64) * nfeat + pc.owner[wj]
    far = ~np.isin(wkey, t.ukey)
    wkey, wi, wj = wkey[far], wi[far], wj[far]
    d = chunked(shapely.distance, sites.work[wi], pc.work[wj])
    return _group_min(wkey, d)


@dataclass
class _Candidates:
    """(site, feature) contacts of one layer with the rule that judged them (position in cfg.rules)."""

    site: np.ndarray
    feat: np.ndarray
    dist: np.ndarray
    overlap: np.ndarray
    touching: np.ndarray
    rule: np.ndarray
    waived: np.ndarray  # ids of rules waived for the site before the one that applied ("" none)
    w_site: np.ndarray  # contacts that every matching rule waived: site, feature, waived ids
    w_feat: np.ndarray
    w_rules: np.ndarray


def _assign_rules(
    layer: SitingLayer,
    lrules: list[SitingRule],
    rule_pos: dict[str, int],
    family: np.ndarray,
    t: Touching,
    hit_overlap: np.ndarray,
    near: tuple[np.ndarray, np.ndarray],
    site_ok: dict[str, np.ndarray] | None = None,
) -> _Candidates:
    """Touching and near (site, feature) pairs, each judged by its first matching rule; unjudged dropped.

    ``site_ok`` maps the id of a rule with a site condition (``when``/``unless``) to a per-site mask of
    where the condition holds; elsewhere the rule is waived (recorded) and the next rule may apply.
    """
    site_ok = site_ok or {}
    nfeat = len(layer.features)
    near_key, near_d = near
    site = np.concatenate([t.hit_site, (near_key // nfeat).astype(np.intp)])
    feat = np.concatenate([t.hit_feat, (near_key % nfeat).astype(np.intp)])
    dist = np.concatenate([np.zeros(len(t.ukey)), near_d])
    overlap = np.concatenate([hit_overlap, np.zeros(len(near_key))])
    touching = np.concatenate([np.ones(len(t.ukey), bool), np.zeros(len(near_key), bool)])
    assigned = np.full(len(site), -1, dtype=np.intp)
    waived = np.full(len(site), "", dtype=object)
    for r in lrules:
        ok = np.ones(nfeat, dtype=bool)
        for col, vals in r.where:
            ok &= layer.features[col].astype(str).isin(vals).to_numpy()
        if r.contact == "intersects":
            cond = touching
        elif r.contact == "overlaps":  # polygons: positive overlap area; lines and points: touching
            cond = touching & ((overlap > 0) | (family[site] < 2))
        else:
            cond = dist <= r.distance_m
        match = (assigned < 0) & ok[feat] & cond
        if r.id in site_ok:  # a condition on the site: waived where it does not hold
            holds = site_ok[r.id][site]
            waived[match & ~holds] = waived[match & ~holds] + f"{r.id},"
            match &= holds
        assigned[match] = rule_pos[r.id]
    keep = assigned >= 0
    waived = np.array([w.rstrip(",") for w in waived], dtype=object)
    return _Candidates(
        site[keep], feat[keep], dist[keep], overlap[keep], touching[keep], assigned[keep], waived[keep],
        site[~keep & (waived != "")], feat[~keep & (waived != "")], waived[~keep & (waived != "")],
    )  # fmt: skip


def _shares(sites: Sites, layer: SitingLayer, c: _Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Overlap length (lines) and share of the site (area, length or points) of each contact.

    Sets the overlap area of line and point contacts to 0.
    """
    ov_len = np.zeros(len(c.site))
    share = np.zeros(len(c.site))
    fam_c = sites.family[c.site]
    pc_mask = fam_c == 2
    area = sites.area_m2[c.site[pc_mask]]
    with np.errstate(invalid="ignore", divide="ignore"):
        share[pc_mask] = np.where(area > 0, c.overlap[pc_mask] / area, 0)
    lp = np.flatnonzero(c.touching & (fam_c < 2))
    if len(lp):
        inter = shapely.intersection(sites.work[c.site[lp]], layer.work[c.feat[lp]])
        is_line = fam_c[lp] == 1
        lens = shapely.length(inter)
        ov_len[lp[is_line]] = lens[is_line]
        site_len = sites.length_m[c.site[lp[is_line]]]
        with np.errstate(invalid="ignore", divide="ignore"):
            share[lp[is_line]] = np.where(site_len > 0, lens[is_line] / site_len, 0.0)
            pts = np.where(shapely.is_empty(inter[~is_line]), 0, shapely.get_num_geometries(inter[~is_line]))
            share[lp[~is_line]] = pts / np.maximum(sites.npoints[c.site[lp[~is_line]]], 1)
    c.overlap[~pc_mask] = 0.0
    return ov_len, np.clip(share, 0.0, 1.0)


@dataclass
class _Acc:
    """What the layers add up to: contact tables, conflicting pieces, nearest-feature results."""

    n: int
    site_ok: dict[str, np.ndarray] = field(default_factory=dict)
    frames: list[pd.DataFrame] = field(default_factory=list)
    waived: list[pd.DataFrame] = field(default_factory=list)
    conflict_pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    nearest_m: np.ndarray = field(init=False)
    nearest_feature: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.nearest_m = np.full(self.n, np.nan)
        self.nearest_feature = np.full(self.n, -1, dtype=np.intp)


def _nearest(acc: _Acc, sites: Sites, pc: Pieces, t: Touching, rest: np.ndarray, hit_overlap: np.ndarray) -> None:
    """Nearest feature: the touched one with the largest overlap (distance 0), else the exact nearest."""
    if len(rest):
        acc.nearest_m[rest], acc.nearest_feature[rest] = nearest_far(sites.work[rest], pc)
    s, f = nearest_of_touching(t.hit_site, t.hit_feat, hit_overlap)
    acc.nearest_m[s] = 0.0
    acc.nearest_feature[s] = f


def _evaluate_layer(acc: _Acc, sites: Sites, name: str, layer: SitingLayer, cfg: SitingConfig) -> None:
    """Add one layer's contacts, conflicting pieces and nearest-feature distances to ``acc``."""
    lrules = cfg.rules_for(name)
    pc = layer.pieces
    nfeat = len(layer.features)
    is_nearest = cfg.nearest_layer == name
    if not (lrules or is_nearest) or not acc.n or not len(pc.work):
        return
    t = touching_pairs(sites, pc, nfeat)
    site_hit = np.zeros(acc.n, dtype=bool)
    site_hit[t.hit_site] = True
    rest = np.flatnonzero(~site_hit & ~shapely.is_empty(sites.work))  # sites not touching the layer
    near = _near_pairs(sites, pc, nfeat, t, rest, [r for r in lrules if r.contact == "within"])
    apairs, hit_overlap = overlaps(sites, pc, t, nfeat)
    if is_nearest:
        _nearest(acc, sites, pc, t, rest, hit_overlap)
    if not lrules:
        return
    rule_pos = {r.id: i for i, r in enumerate(cfg.rules)}
    c = _assign_rules(layer, lrules, rule_pos, sites.family, t, hit_overlap, near, acc.site_ok)
    if len(c.w_site):
        acc.waived.append(pd.DataFrame({"site": c.w_site, "layer": name, "feature": c.w_feat, "waived": c.w_rules}))
    ov_len, share = _shares(sites, layer, c)
    acc.frames.append(
        pd.DataFrame(
            {
                "site": c.site,
                "layer": name,
                "feature": c.feat,
                "rule": c.rule,
                "overlap_m2": c.overlap,
                "overlap_length_m": ov_len,
                "share": share,
                "distance_m": c.dist,
                "waived": c.waived,
            }
        )
    )
    # pieces of conflicting features, for the conflict-free remainder
    is_conflict = np.array([r.verdict in cfg.conflict_levels for r in cfg.rules])
    conflict_keys = (c.site.astype(np.int64) * nfeat + c.feat)[c.touching & is_conflict[c.rule]]
    if len(conflict_keys):
        # polygon sites lose the AREA_CRS pieces of conflicting features; lines and points the WORK_CRS pieces
        a = apairs
        sel_a = np.isin(a.key, conflict_keys) & ~a.thin
        sel_w = np.flatnonzero(np.isin(t.key, conflict_keys) & ~sites.poly[t.si])
        inside_w = shapely.contains(pc.work[t.pj[sel_w]], sites.work[t.si[sel_w]])
        acc.conflict_pairs.append(
            (
                np.concatenate([a.si[sel_a], t.si[sel_w]]),
                np.concatenate([pc.area[a.pj[sel_a]], pc.work[t.pj[sel_w]]]),
                np.concatenate([a.inside[sel_a], inside_w]),
            )
        )


def _conflict_free(
    sites: Sites, pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each site minus its conflicting pieces (None: untouched), its area and its length."""
    n = len(sites.work)
    poly = sites.poly
    site_area = sites.area()
    free = np.full(n, None, dtype=object)
    free_m2 = sites.area_m2.copy()
    free_len = sites.length_m.copy()
    if not pairs:
        return free, free_m2, free_len
    csite = np.concatenate([c[0] for c in pairs])
    cgeom = np.concatenate([c[1] for c in pairs])
    cinside = np.concatenate([c[2] for c in pairs])
    touched = np.unique(csite)
    free[touched] = np.where(poly[touched], site_area[touched], sites.work[touched])
    swallowed = np.unique(csite[cinside])  # a conflicting piece covers the whole site
    free[swallowed] = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    todo = ~np.isin(csite, swallowed)
    csite, cgeom = csite[todo], cgeom[todo]
    order = np.argsort(csite, kind="stable")
    csite, cgeom = csite[order], cgeom[order]
    starts = np.r_[0, np.flatnonzero(np.diff(csite)) + 1]
    rank = np.arange(len(csite)) - np.repeat(starts, np.diff(np.r_[starts, len(csite)]))
    for r in range(int(rank.max()) + 1 if len(rank) else 0):  # one difference per rank within a site
        m = rank == r
        free[csite[m]] = chunked(shapely.difference, free[csite[m]], cgeom[m])
    free_m2[touched] = np.where(poly[touched], shapely.area(free[touched]), 0.0)
    free_len[touched] = np.where(sites.family[touched] == 1, shapely.length(free[touched]), 0.0)
    return free, free_m2, free_len


def evaluate(
    sites_4326: np.ndarray,
    layers: dict[str, SitingLayer],
    cfg: SitingConfig,
    site_attrs: pd.DataFrame | None = None,
) -> SitingResult:
    """Check one batch of site geometries (EPSG:4326) against prepared layers.

    Parameters
    ----------
    sites_4326
        Site geometries in STORAGE_CRS.
    layers
        The prepared layers (:func:`~linfen_geo.analysis.siting.layers.prepare_layers`).
    cfg
        The validated rules.
    site_attrs
        The sites' attributes (``project_type`` ...), row for row, for rules with ``when``/``unless``.

    Returns
    -------
    SitingResult
    """
    work = reproject(sites_4326, STORAGE_CRS, WORK_CRS)
    # the equal-area copy is made in the background while the queries run on WORK_CRS geometries
    with ThreadPoolExecutor(1) as pool:
        area_job = pool.submit(reproject, sites_4326, STORAGE_CRS, AREA_CRS)
        sites = Sites(work, geometry_family(shapely.get_type_id(work)), area_job)
        acc = _Acc(len(work), site_ok=site_conditions(cfg, site_attrs, len(work)))
        for name, layer in layers.items():
            _evaluate_layer(acc, sites, name, layer, cfg)
        contacts = pd.concat(acc.frames, ignore_index=True) if acc.frames else pd.DataFrame(columns=CONTACT_COLUMNS)
        free, free_m2, free_len = _conflict_free(sites, acc.conflict_pairs)
    waived = pd.concat(acc.waived, ignore_index=True) if acc.waived else pd.DataFrame(columns=WAIVED_COLUMNS)
    return SitingResult(
        family=sites.family,
        area_m2=sites.area_m2,
        length_m=sites.length_m,
        nearest_m=acc.nearest_m,
        nearest_feature=acc.nearest_feature,
        free_geom=free,
        free_in_area_crs=sites.poly.copy(),
        free_m2=free_m2,
        free_length_m=free_len,
        contacts=contacts,
        waived=waived,
    )


def concat_results(parts: Sequence[SitingResult], orders: Sequence[np.ndarray], n: int) -> SitingResult:
    """Merge batch results back into the original site order (``orders`` map batch positions to it)."""
    order = np.concatenate(orders) if orders else np.empty(0, dtype=np.intp)

    def cat(attr: str, dtype: Any = None) -> np.ndarray:
        values = np.concatenate([getattr(p, attr) for p in parts]) if parts else np.empty(0, dtype=dtype)
        out = np.empty(n, dtype=values.dtype)
        out[order] = values
        return out

    frames, wframes = [], []
    for p, o in zip(parts, orders, strict=True):
        for src, dst in ((p.contacts, frames), (p.waived, wframes)):
            if len(src):  # an empty part's frame has no dtypes: it would turn the columns to object
                c = src.copy()
                c["site"] = o[c["site"].to_numpy(dtype=np.intp)]
                dst.append(c)
    contacts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CONTACT_COLUMNS)
    waived = pd.concat(wframes, ignore_index=True) if wframes else pd.DataFrame(columns=WAIVED_COLUMNS)
    return SitingResult(
        family=cat("family"),
        area_m2=cat("area_m2"),
        length_m=cat("length_m"),
        nearest_m=cat("nearest_m"),
        nearest_feature=cat("nearest_feature"),
        free_geom=cat("free_geom", object),
        free_in_area_crs=cat("free_in_area_crs"),
        free_m2=cat("free_m2"),
        free_length_m=cat("free_length_m"),
        contacts=contacts,
        waived=waived,
    )
