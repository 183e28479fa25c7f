"""The siting report: verdicts per site, contacts, conflict-free remainders; tables, JSON, text, CSV.

:class:`SitingReport` is what :func:`~linfen_geo.analysis.siting.check_siting`
returns. Its map (:meth:`SitingReport.plot`) is drawn by
:func:`linfen_geo.viz.siting_map.plot_siting`, imported on first use.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from linfen_geo.analysis.siting import check_siting
>>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> report = check_siting([box(501100, 3995000, 501200, 3995100)], crs=4546, layers={"redlines": red})
>>> print(report.to_text().splitlines()[0])
选址核查 Siting check - 1 site(s): 需论证 review: 1
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis.siting.engine import SitingResult
from linfen_geo.analysis.siting.layers import SitingLayer
from linfen_geo.analysis.siting.rules import SitingConfig
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS, reproject
from linfen_geo.units import M2_PER_MU

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

__all__ = ["SitingReport"]

#: the verdict of a site outside the study area: never "clear", since nothing was checked there
OUTSIDE, OUTSIDE_ZH = "outside", "研究区外"


def _finite_or_none(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


@dataclass
class SitingReport:
    """Result of :func:`~linfen_geo.analysis.siting.check_siting`: verdicts, contacts, conflict-free remainders, maps.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        The sites as read (EPSG:4326), with ``site_id`` and ``name``.
    layers : pandas.DataFrame
        One row per layer used: ``name``, ``title_zh``, ``title_en``, ``status``
        (``official``/``real``/``derived``/``illustrative``/``user``), ``source``,
        ``features``, ``pieces`` and the ``rules`` applied.
    rules : pandas.DataFrame
        The rules applied, in plan order.
    levels, levels_zh : list of str
        Verdict levels, best first (English codes and Chinese).
    illustrative : bool
        True when any layer used is illustrative (not official data).
    notes : list of str
        Caveats: illustrative layers, layers not given, reader warnings.
    crs : dict
        The CRSs of areas, distances and output geometries.
    not_checked : list of str
        Layers the rules name that were not available (not registered, not given): their rules
        were not checked.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from linfen_geo.analysis.siting import check_siting
    >>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
    >>> report = check_siting([box(500900, 3995000, 501100, 3995100)], crs=4546, layers={"redlines": red})
    >>> report
    <SitingReport: 1 site(s): 1 prohibited; layers redlines>
    >>> row = report.to_frame().iloc[0]
    >>> row["rule"], round(float(row["share_of_site"]), 3), bool(report.has_contacts)
    ('R1', 0.5, True)
    >>> round(float(report.conflict_free.to_crs(4546).area.iloc[0]))
    10000
    """

    sites: gpd.GeoDataFrame
    layers: pd.DataFrame
    rules: pd.DataFrame
    levels: list[str]
    levels_zh: list[str]
    illustrative: bool
    notes: list[str]
    crs: dict[str, str]
    _result: SitingResult = field(repr=False)
    _layers: dict[str, SitingLayer] = field(repr=False)
    _cfg: SitingConfig = field(repr=False)
    outside: np.ndarray | None = field(default=None, repr=False)
    outside_hint: str = field(default="", repr=False)
    not_checked: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        counts = self.verdicts.value_counts()
        tally = ", ".join(f"{int(counts[v])} {v}" for v in [*self.levels, OUTSIDE] if v in counts)
        mark = "; ILLUSTRATIVE layers: " + ", ".join(self.illustrative_layers) if self.illustrative else ""
        return f"<SitingReport: {len(self.sites)} site(s): {tally}; layers {', '.join(self.layers['name'])}{mark}>"

    # ------------------------------------------------------------------ tables
    def _verdict_levels(self) -> np.ndarray:
        c = self._result.contacts
        lvl = np.zeros(len(self.sites), dtype=int)
        if len(c):
            rule_level = np.array([r.level for r in self._cfg.rules])
            np.maximum.at(lvl, c["site"].to_numpy(dtype=np.intp), rule_level[c["rule"].to_numpy(dtype=np.intp)])
        return lvl

    def _outside_mask(self) -> np.ndarray:
        if self.outside is None:
            return np.zeros(len(self.sites), dtype=bool)
        return np.asarray(self.outside, dtype=bool)

    def _verdict_names(self) -> tuple[np.ndarray, np.ndarray]:
        """Verdict per site (English, Chinese): the worst contact's level, or ``outside`` the study area."""
        lvl = self._verdict_levels()
        en = np.array(self.levels, dtype=object)[lvl]
        zh = np.array(self.levels_zh, dtype=object)[lvl]
        out = self._outside_mask()
        en[out], zh[out] = OUTSIDE, OUTSIDE_ZH
        return en, zh

    @property
    def has_outside(self) -> bool:
        """True when any site lies outside the study area: its verdict is ``outside``, never ``clear``."""
        return bool(self._outside_mask().any())

    @property
    def outside_sites(self) -> list[str]:
        """Ids of the sites outside the study area."""
        return self.sites["site_id"].to_numpy(dtype=object)[self._outside_mask()].tolist()

    @property
    def illustrative_layers(self) -> list[str]:
        """Names of the illustrative layers the verdicts rest on."""
        return self.layers.loc[self.layers["status"] == "illustrative", "name"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """One row per site-contact, worst first within a site.

        Returns
        -------
        pandas.DataFrame
            Columns ``site_id``, ``name``, ``verdict`` and ``verdict_zh`` (of the
            contact), ``layer``, ``feature_id``, ``feature_name``, ``rule``,
            ``contact`` (``intersects``/``within``), ``rule_text_zh``,
            ``rule_text_en``, ``basis`` (the rule's legal basis), ``waived`` (ids of
            rules waived for this site by a ``when``/``unless`` condition before this
            one applied), ``project_type``, ``overlap_m2``, ``overlap_mu`` (AREA_CRS),
            ``overlap_length_m`` (lines), ``share_of_site`` (0-1), ``distance_m``
            (WORK_CRS, 0 when touching or overlapping). ``attrs`` carry
            ``illustrative``, ``crs`` and ``notes``.
        """
        c = self._result.contacts
        rules = self._cfg.rules
        rule_idx = c["rule"].to_numpy(dtype=np.intp)
        site = c["site"].to_numpy(dtype=np.intp)
        feature = c["feature"].to_numpy(dtype=np.intp)
        layer = c["layer"].to_numpy(dtype=object)
        fid = np.empty(len(c), dtype=object)
        fname = np.empty(len(c), dtype=object)
        for name, lay in self._layers.items():  # a handful of layers
            m = layer == name
            fid[m] = lay.ids[feature[m]]
            fname[m] = lay.names[feature[m]]
        level = np.array([r.level for r in rules], dtype=int)[rule_idx] if len(c) else np.empty(0, int)

        def rule_attr(attr: str) -> np.ndarray:  # per contact, by lookup in the (few) rules
            return np.array([getattr(r, attr) for r in rules], dtype=object)[rule_idx]

        df = pd.DataFrame(
            {
                "site_id": self.sites["site_id"].to_numpy(dtype=object)[site],
                "name": self.sites["name"].to_numpy(dtype=object)[site],
                "verdict": rule_attr("verdict"),
                "verdict_zh": np.array([self.levels_zh[r.level] for r in rules], dtype=object)[rule_idx],
                "layer": layer,
                "feature_id": fid,
                "feature_name": fname,
                "rule": rule_attr("id"),
                "contact": rule_attr("contact"),
                "rule_text_zh": rule_attr("text_zh"),
                "rule_text_en": rule_attr("text_en"),
                "basis": rule_attr("basis"),
                "waived": c["waived"].to_numpy(dtype=object) if "waived" in c else np.full(len(c), "", dtype=object),
                "project_type": self._project_types()[site],
                "overlap_m2": c["overlap_m2"].to_numpy(dtype=float),
                "overlap_mu": c["overlap_m2"].to_numpy(dtype=float) / M2_PER_MU,
                "overlap_length_m": c["overlap_length_m"].to_numpy(dtype=float),
                "share_of_site": c["share"].to_numpy(dtype=float),
                "distance_m": c["distance_m"].to_numpy(dtype=float),
            }
        )
        df["_site"], df["_level"], df["_rule"] = site, level, rule_idx
        df = df.sort_values(["_site", "_level", "_rule", "feature_id"], ascending=[True, False, True, True])
        df = df.drop(columns=["_site", "_level", "_rule"]).reset_index(drop=True)
        self._stamp(df)
        return df

    def _project_types(self) -> np.ndarray:
        if "project_type" in self.sites.columns:
            return self.sites["project_type"].astype(str).to_numpy(dtype=object)
        return np.full(len(self.sites), "", dtype=object)

    @property
    def waived(self) -> pd.DataFrame:
        """Contacts that every matching rule waived for the site (``when``/``unless``): not in the verdict.

        Columns ``site_id``, ``project_type``, ``layer``, ``feature_id``, ``feature_name``, ``waived`` (rule ids).
        """
        from linfen_geo.analysis.siting.project import waived_table

        return waived_table(self._result.waived, self.sites, self._layers, self._project_types())

    def _stamp(self, df: pd.DataFrame) -> None:
        df.attrs.update(
            illustrative=self.illustrative,
            illustrative_layers=self.illustrative_layers,
            crs=dict(self.crs),
            notes=list(self.notes),
            area_crs=self.crs["area"],
            length_crs=self.crs["distance"],
            definitions=[
                "contact: a site intersects a control-line feature (overlap rules) or lies within the rule's "
                "distance of it (distance rules, checked after the overlap rules); the worst verdict wins",
                "control layers are not dissolved: each contact names one feature",
                "conflict_free = the site minus every feature it has a restricted or prohibited contact with",
                "nearest_redline_m: exact distance to the nearest red-line feature (GEOS)",
            ],
            status="illustrative" if self.illustrative else "",
        )

    def summary(self) -> pd.DataFrame:
        """One row per site: size, verdict, contacts, nearest red line, conflict-free remainder.

        Returns
        -------
        pandas.DataFrame
            Columns ``site_id``, ``name``, ``geometry_type``, ``area_m2``, ``area_mu``
            (AREA_CRS; 0 for points and lines), ``length_m`` (lines, WORK_CRS),
            ``verdict``, ``verdict_zh``, ``n_contacts``, ``worst_rule``,
            ``nearest_redline_m`` (WORK_CRS; NaN without the layer),
            ``nearest_redline_id``, ``conflict_free_m2``, ``conflict_free_mu``,
            ``conflict_free_share`` and ``illustrative`` (True when any layer
            used is illustrative, on every row).
        """
        res = self._result
        n = len(self.sites)
        verdict, verdict_zh = self._verdict_names()
        c = self._result.contacts
        counts = np.bincount(c["site"].to_numpy(dtype=np.intp), minlength=n) if len(c) else np.zeros(n, int)
        worst = np.full(n, "", dtype=object)
        if len(c):
            rules = self._cfg.rules
            rlevel = np.array([r.level for r in rules])[c["rule"].to_numpy(dtype=np.intp)]
            tmp = pd.DataFrame({"site": c["site"].to_numpy(dtype=np.intp), "lvl": rlevel, "rule": c["rule"]})
            tmp = tmp.sort_values(["site", "lvl", "rule"], ascending=[True, False, True]).drop_duplicates("site")
            worst[tmp["site"].to_numpy()] = np.array([r.id for r in rules], dtype=object)[tmp["rule"].to_numpy()]
        near_layer = self._layers.get(self._cfg.nearest_layer or "")
        near_id = np.full(n, "", dtype=object)
        if near_layer is not None:
            has = res.nearest_feature >= 0
            near_id[has] = near_layer.ids[res.nearest_feature[has]]
        types = shapely.get_type_id(np.asarray(self.sites.geometry.values, dtype=object))
        type_names = np.array(
            ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Other"],
            dtype=object,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            free_share = np.where(
                res.family == 2,
                np.where(res.area_m2 > 0, res.free_m2 / np.where(res.area_m2 > 0, res.area_m2, 1), np.nan),
                np.where(res.length_m > 0, res.free_length_m / np.where(res.length_m > 0, res.length_m, 1), np.nan),
            )
        df = pd.DataFrame(
            {
                "site_id": self.sites["site_id"].to_numpy(dtype=object),
                "name": self.sites["name"].to_numpy(dtype=object),
                "geometry_type": type_names[np.clip(types, 0, 7)],
                "area_m2": res.area_m2,
                "area_mu": res.area_m2 / M2_PER_MU,
                "length_m": res.length_m,
                "verdict": verdict,
                "verdict_zh": verdict_zh,
                "n_contacts": counts,
                "worst_rule": worst,
                "nearest_redline_m": res.nearest_m,
                "nearest_redline_id": near_id,
                "conflict_free_m2": res.free_m2,
                "conflict_free_mu": res.free_m2 / M2_PER_MU,
                "conflict_free_share": free_share,
                "illustrative": self.illustrative,
            }
        )
        self._stamp(df)
        return df

    @property
    def verdicts(self) -> pd.Series:
        """Verdict per site, indexed by ``site_id``."""
        return pd.Series(
            self._verdict_names()[0],
            index=pd.Index(self.sites["site_id"], name="site_id"),
            name="verdict",
        )

    @property
    def has_contacts(self) -> bool:
        """True when any site has at least one contact (the CLI then exits 1)."""
        return bool(len(self._result.contacts))

    @property
    def conflict_free(self) -> gpd.GeoSeries:
        """Each site minus every conflicting (prohibited/restricted) feature, in EPSG:4326.

        A site without conflicts is returned whole; one wholly inside a
        conflicting feature gives an empty geometry. Indexed by ``site_id``.
        """
        res = self._result
        out = np.asarray(self.sites.geometry.values, dtype=object).copy()
        cut = np.flatnonzero(np.array([g is not None for g in res.free_geom]))
        if len(cut):
            in_area = res.free_in_area_crs[cut]
            geoms = res.free_geom[cut]
            conv = np.empty(len(cut), dtype=object)
            if in_area.any():
                conv[in_area] = reproject(geoms[in_area], AREA_CRS, STORAGE_CRS)
            if (~in_area).any():
                conv[~in_area] = reproject(geoms[~in_area], WORK_CRS, STORAGE_CRS)
            out[cut] = conv
        return gpd.GeoSeries(out, index=pd.Index(self.sites["site_id"], name="site_id"), crs=STORAGE_CRS)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The report as plain Python data (see :meth:`to_json`)."""
        summ = self.summary()
        contacts = self.to_frame()
        by_site: dict[str, list[dict[str, Any]]] = {}
        cols = [
            "layer",
            "feature_id",
            "feature_name",
            "rule",
            "verdict",
            "contact",
            "overlap_m2",
            "overlap_mu",
            "overlap_length_m",
            "share_of_site",
            "distance_m",
            "rule_text_zh",
            "rule_text_en",
        ]
        for rec in contacts[["site_id", *cols]].to_dict("records"):
            sid = rec.pop("site_id")
            by_site.setdefault(sid, []).append({k: _finite_or_none(v) for k, v in rec.items()})
        sites = []
        for rec in summ.drop(columns=["illustrative"]).to_dict("records"):
            item = {k: _finite_or_none(v) for k, v in rec.items()}
            item["conflicts"] = by_site.get(rec["site_id"], [])
            sites.append(item)
        return {
            "sites": sites,
            "layers": [
                {k: _finite_or_none(v) for k, v in rec.items()}
                for rec in self.layers[["name", "status", "source", "title_zh", "title_en", "features"]].to_dict(
                    "records"
                )
            ],
            "crs": dict(self.crs),
            "illustrative": self.illustrative,
            "illustrative_layers": self.illustrative_layers,
            "levels": [{"verdict": v, "verdict_zh": z} for v, z in zip(self.levels, self.levels_zh, strict=True)],
            "rules": [
                {
                    "id": r.id,
                    "layer": r.layer,
                    "contact": r.contact,
                    "distance_m": r.distance_m if r.contact == "within" else None,
                    "verdict": r.verdict,
                    "text_zh": r.text_zh,
                    "text_en": r.text_en,
                }
                for r in self._cfg.rules
                if r.layer in self._layers
            ],
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 1) -> str:
        """The report as JSON text (UTF-8, Chinese kept as is).

        The top-level object has ``sites`` (each with ``site_id``, ``name``,
        ``verdict``, ``area_m2``, ``nearest_redline_m``, ``conflict_free_m2`` ...
        and ``conflicts``: ``layer``, ``feature_id``, ``overlap_m2``,
        ``distance_m``, ``rule`` ...), ``layers`` (``name``, ``status``,
        ``source``), ``crs``, ``illustrative``, ``rules`` and ``notes``.
        Missing numbers are ``null``.
        """
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def to_csv_frame(self) -> pd.DataFrame:
        """A flat table for CSV: one row per site-contact plus one row per site without contacts.

        Site columns (``site_verdict``, ``area_m2`` ...) repeat on each row;
        ``illustrative`` and ``illustrative_layers`` are on every row.
        """
        summ = self.summary().drop(columns=["illustrative"])
        summ = summ.rename(columns={"verdict": "site_verdict", "verdict_zh": "site_verdict_zh"})
        contacts = self.to_frame().drop(columns=["name"])
        contacts = contacts.rename(columns={"verdict": "contact_verdict", "verdict_zh": "contact_verdict_zh"})
        out = summ.merge(contacts, on="site_id", how="left", sort=False)
        out["illustrative"] = self.illustrative
        out["illustrative_layers"] = ";".join(self.illustrative_layers)
        out["area_crs"] = self.crs["area"]
        out["distance_crs"] = self.crs["distance"]
        self._stamp(out)
        return out

    # ------------------------------------------------------------------ text
    def to_text(self, *, max_contacts: int = 20) -> str:
        """A readable report: verdict per site in Chinese and English, then its contacts; layers footer."""
        from linfen_geo.analysis.siting.text import report_text

        return report_text(self, max_contacts=max_contacts)

    # ------------------------------------------------------------------ for maps
    @property
    def checked_layers(self) -> Mapping[str, SitingLayer]:
        """The prepared layers the sites were checked against (read-only), by name."""
        return MappingProxyType(self._layers)

    @property
    def nearest_layer(self) -> SitingLayer | None:
        """The layer of the nearest-feature distance (``nearest_layer`` of the rules), if it was checked."""
        return self._layers.get(self._cfg.nearest_layer or "")

    @property
    def nearest_feature(self) -> np.ndarray:
        """Per site, the position of its nearest feature in :attr:`nearest_layer` (-1 when none)."""
        return self._result.nearest_feature.copy()

    def plot(
        self,
        site_id: str | Sequence[str] | None = None,
        *,
        ax: plt.Axes | None = None,
        margin_m: float = 800.0,
        out: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        dpi: int = 150,
    ) -> plt.Figure:
        """Map of a site (or several), its contacts and the nearest red line, in WORK_CRS.

        Drawn by :func:`linfen_geo.viz.siting_map.plot_siting` (imported on
        first use), which documents the parameters.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> from linfen_geo.analysis.siting import check_siting
        >>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
        >>> fig = check_siting([box(500900, 3995000, 501100, 3995100)], crs=4546, layers={"redlines": red}).plot()
        >>> "prohibited" in fig.axes[0].get_title()
        True
        """
        from linfen_geo.viz.siting_map import plot_siting

        return plot_siting(self, site_id, ax=ax, margin_m=margin_m, out=out, overwrite=overwrite, dpi=dpi)
