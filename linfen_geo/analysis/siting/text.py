"""The siting report as readable text: verdict per site in Chinese and English, contacts, layers, CRSs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from linfen_geo.analysis.siting.report import SitingReport

__all__ = ["headline", "report_text"]


def headline(report: SitingReport, summary: pd.DataFrame | None = None) -> str:
    """The first line of the text report: how many sites got which verdict."""
    from linfen_geo.analysis.siting.report import OUTSIDE, OUTSIDE_ZH

    verdicts = report.verdicts if summary is None else summary["verdict"]
    counts = pd.Series(verdicts).value_counts()
    tally = ", ".join(
        f"{zh} {v}: {int(counts.get(v, 0))}"
        for v, zh in zip([*report.levels, OUTSIDE], [*report.levels_zh, OUTSIDE_ZH], strict=True)
        if counts.get(v, 0)
    )
    return f"选址核查 Siting check - {len(verdicts)} site(s): {tally}"


def report_text(report: SitingReport, *, max_contacts: int = 20) -> str:
    """Render :meth:`SitingReport.to_text` (see there)."""
    from linfen_geo.analysis.siting.report import OUTSIDE

    summ = report.summary()
    contacts = report.to_frame()
    # row access copies a frame's attrs (deep) each time: 10,000 sites took 14 s with them (issue 16)
    summ.attrs, contacts.attrs = {}, {}
    groups = {sid: g for sid, g in contacts.groupby("site_id", sort=False)}  # noqa: C416 (dict() would call .keys)
    lines: list[str] = []
    types = (
        dict(zip(report.sites["site_id"], report.sites["project_type"], strict=True))
        if "project_type" in report.sites.columns
        else {}
    )
    lines.append(headline(report, summ))
    lines.append("")
    for rec in summ.itertuples(index=False):
        label = f"{rec.site_id}" + (f" {rec.name}" if rec.name and rec.name != rec.site_id else "")
        if rec.geometry_type in ("Polygon", "MultiPolygon"):
            size = f"{rec.area_m2:,.0f} m2 = {rec.area_mu:,.2f} 亩"
        elif rec.geometry_type in ("LineString", "MultiLineString"):
            size = f"{rec.length_m:,.0f} m long"
        else:
            size = "point"
        near = (
            f"nearest red line 最近红线 {rec.nearest_redline_m:,.0f} m ({rec.nearest_redline_id})"
            if pd.notna(rec.nearest_redline_m)
            else "nearest red line: layer not checked"
        )
        if rec.verdict == OUTSIDE:
            near = f"outside the study area 不在研究区内: not checked (they {report.outside_hint})"
        ptype = f"; project type 项目类型 {types[rec.site_id]}" if types.get(rec.site_id) else ""
        lines.append(
            f"[{rec.verdict_zh} {rec.verdict.upper()}] site {label} ({rec.geometry_type}, {size}); {near}{ptype}"
        )
        g = groups.get(rec.site_id)
        if g is not None:
            for k, cr in enumerate(g.itertuples(index=False)):
                if k >= max_contacts:
                    lines.append(f"    ... {len(g) - max_contacts} more contact(s): use --format csv or json")
                    break
                if cr.contact == "within":
                    how = f"{cr.distance_m:,.0f} m away"
                elif cr.overlap_m2 > 0:
                    how = f"overlap {cr.overlap_m2:,.0f} m2 = {cr.overlap_mu:,.2f} 亩 ({cr.share_of_site:.1%} of site)"
                elif cr.overlap_length_m > 0:
                    how = f"overlap {cr.overlap_length_m:,.0f} m of line ({cr.share_of_site:.1%})"
                elif rec.geometry_type in ("Point", "MultiPoint"):
                    how = f"inside ({cr.share_of_site:.0%} of points)"
                else:
                    how = "touches, overlap 0 m2 (distance 0)"
                feat = f"{cr.feature_id}" + (f" {cr.feature_name}" if cr.feature_name else "")
                lines.append(f"    {cr.rule} {cr.verdict_zh} {cr.verdict}: {cr.layer} {feat}: {how}")
                lines.append(f"       {cr.rule_text_zh} / {cr.rule_text_en}")
                if cr.basis:
                    lines.append(f"       依据 basis: {cr.basis}")
                if cr.waived:
                    lines.append(f"       (rule {cr.waived} waived for project type {cr.project_type or '-'})")
            if rec.geometry_type in ("Polygon", "MultiPolygon") and rec.conflict_free_m2 < rec.area_m2 - 1e-6:
                lines.append(
                    f"    conflict-free remainder 无冲突部分: {rec.conflict_free_m2:,.0f} m2 = "
                    f"{rec.conflict_free_mu:,.2f} 亩 ({rec.conflict_free_share:.1%})"
                )
        lines.append("")
    lines.append("Layers 图层:")
    for rec in report.layers.itertuples(index=False):
        mark = "  <- 示意 ILLUSTRATIVE" if rec.status == "illustrative" else ""
        lines.append(f"  {rec.name} [{rec.status}] {rec.title_zh} {rec.title_en} - {rec.source}{mark}")
    for name in report.not_checked:
        lines.append(f"  {name} [not checked 未核查] - not in the catalog: register it to check its rules")
    waived = report.waived
    for rec in waived.itertuples(index=False):
        lines.append(
            f"WAIVED 豁免: site {rec.site_id} ({rec.project_type or '-'}) {rec.layer} {rec.feature_id}: "
            f"rule(s) {rec.waived} do not apply to this project type, and no other rule does"
        )
    lines.append(f"CRS: areas {report.crs['area']}; distances {report.crs['distance']}")
    for note in report.notes:
        lines.append(f"NOTE: {note}")
    return "\n".join(lines) + "\n"
