"""The printable compliance report of a siting check: PDF (matplotlib) or one self-contained HTML file.

:func:`write_siting_report` writes a cover page (the summary of every site, the notes)
and one section per site: a map (the site, its conflicting part hatched, the contacts,
the nearest red line, CGCS2000 grid ticks, scale bar, north arrow), the verdict in large
type (Chinese and English), the contact table (layer, feature, overlap m2 / 亩 / share,
distance, rule id and text, and the legal basis when the rules carry one), the layers
checked (status, source) and those not checked, the illustrative warning when the
verdict rests on illustrative layers, the site's boundary as a 界址点 table in
Gauss-Kruger coordinates, the CRSs, the date and a signature block (审核人 / 日期).

The content is assembled once (:func:`report_document`) and drawn by two renderers:
:mod:`linfen_geo.reports.siting_report_pdf` (A4 pages with matplotlib's ``PdfPages``
and the bundled CJK font: no external programs) and :func:`render_html` here (tables
as HTML, maps as embedded PNGs). Files are written atomically and never over an
existing file without ``overwrite``.

Examples
--------
>>> import tempfile
>>> import geopandas as gpd
>>> from pathlib import Path
>>> from shapely.geometry import box
>>> from linfen_geo.analysis.siting import check_siting
>>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> report = check_siting([box(500800, 3995400, 501200, 3995600)], crs=4546, layers={"redlines": red})
>>> out = write_siting_report(report, Path(tempfile.mkdtemp()) / "report.html")
>>> "禁止 PROHIBITED" in out.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, as_crs, crs_label, reproject
from linfen_geo.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd
    import matplotlib.pyplot as plt

    from linfen_geo.analysis.siting import SitingReport

__all__ = ["SiteSection", "draw_site_map", "render_html", "report_document", "report_format", "write_siting_report"]

#: verdict colours (by English code); others grey
VERDICT_COLORS = {
    "clear": "#1a7f37",
    "review": "#b08800",
    "restricted": "#d15704",
    "prohibited": "#b31d28",
    "outside": "#57606a",
}
TITLE_ZH = "建设项目选址生态保护核查报告"
TITLE_EN = "Siting compliance report: ecological red lines and control lines"


def report_format(path: str | os.PathLike[str]) -> str:
    """``pdf`` or ``html`` from the file name, else an InputError."""
    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".html", ".htm"):
        return "html"
    raise InputError(f"--report {path}: use a .pdf or .html file name")


# --------------------------------------------------------------------------- content


@dataclass
class SiteSection:
    """What one site's page shows (plain data: both renderers take it)."""

    site_id: str
    name: str
    verdict: str
    verdict_zh: str
    facts: list[tuple[str, str]]
    contacts: pd.DataFrame
    jzd: pd.DataFrame
    jzd_crs: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportDocument:
    """The whole report's content."""

    title: str
    date: str
    source: str
    summary: pd.DataFrame
    layers: pd.DataFrame
    not_checked: pd.DataFrame
    crs_lines: list[str]
    illustrative: str
    notes: list[str]
    sites: list[SiteSection]


def _fmt(v: Any, digits: int = 0) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    if not np.isfinite(f):
        return "-"
    return f"{f:,.{digits}f}"


def _contacts_table(contacts: pd.DataFrame) -> pd.DataFrame:
    """The contact rows of one site as display strings (a ``basis`` column when the rules have one)."""
    rows = {
        "图层 Layer": contacts["layer"].astype(str),
        "要素 Feature": (contacts["feature_id"].astype(str) + " " + contacts["feature_name"].fillna("").astype(str)),
        "占用 m²": [_fmt(v) for v in contacts["overlap_m2"]],
        "亩 mu": [_fmt(v, 2) for v in contacts["overlap_mu"]],
        "占比 share": [_fmt(100 * v, 1) + " %" if np.isfinite(v) else "-" for v in contacts["share_of_site"]],
        "距离 m": [_fmt(v) for v in contacts["distance_m"]],
        "规则 Rule": [
            f"{r} {vz} {v}" + (f" ({w} 豁免 waived)" if w else "")
            for r, vz, v, w in zip(
                contacts["rule"].astype(str),
                contacts["verdict_zh"].astype(str),
                contacts["verdict"].astype(str),
                contacts["waived"].fillna("").astype(str) if "waived" in contacts else [""] * len(contacts),
                strict=True,
            )
        ],
        "条文 Rule text": (contacts["rule_text_zh"].astype(str) + " / " + contacts["rule_text_en"].astype(str)),
    }
    if "basis" in contacts.columns and (contacts["basis"].fillna("").astype(str).str.strip() != "").any():
        rows["依据 Legal basis"] = contacts["basis"].fillna("").astype(str)
    return pd.DataFrame(rows).reset_index(drop=True)


def _gk_target(sites: gpd.GeoDataFrame | None, geom_lonlat: Any) -> Any:
    """The GK CRS of a site's 界址点 table: the input's when it was a 界址点 file, else its zone's (prefixed)."""
    from linfen_geo.io.jzd import gk_crs
    from linfen_geo.reports.remainders import gk_zone

    if sites is not None and sites.attrs.get("format") == "界址点 TXT" and sites.attrs.get("source_crs"):
        return as_crs(sites.attrs["source_crs"])
    return gk_crs(gk_zone([geom_lonlat]), width=3, prefix=True)


def jzd_table(geom_lonlat: Any, crs: Any) -> pd.DataFrame:
    """A site's boundary points as a 界址点 table: 点号, 圈号, X (northing), Y (easting), in ``crs``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> t = jzd_table(box(111.0, 36.0, 111.001, 36.001), 4525)
    >>> t.columns.tolist(), len(t), t.iloc[0]["Y (东 E)"][:2]
    (['点号 No.', '圈号 Ring', 'X (北 N)', 'Y (东 E)'], 5, '37')
    """
    g = reproject(np.array([geom_lonlat], dtype=object), STORAGE_CRS, as_crs(crs))[0]
    if g.geom_type in ("Polygon", "MultiPolygon"):
        rings = [r for poly in shapely.get_parts(g) for r in (poly.exterior, *poly.interiors)]
    else:
        rings = list(shapely.get_parts(g))
    rows = []
    n = 0
    for ring_no, ring in enumerate(rings, start=1):
        xy = shapely.get_coordinates(ring)
        closed = len(xy) > 1 and np.array_equal(xy[0], xy[-1])
        first = n + 1
        for x, y in xy[:-1] if closed else xy:
            n += 1
            rows.append((f"J{n}", str(ring_no), f"{y:.3f}", f"{x:.3f}"))
        if closed:
            rows.append((f"J{first}", str(ring_no), f"{xy[0][1]:.3f}", f"{xy[0][0]:.3f}"))
    return pd.DataFrame(rows, columns=["点号 No.", "圈号 Ring", "X (北 N)", "Y (东 E)"])


def _not_checked(report: SitingReport) -> pd.DataFrame:
    """Layers the rules name that were not checked (``report.not_checked``; else the rules not checked)."""
    names = getattr(report, "not_checked", None)
    if names is None:  # a report of before ``not_checked``: the rules table says which were not checked
        rules = report.rules
        names = list(dict.fromkeys(rules.loc[~rules["checked"].astype(bool), "layer"])) if "checked" in rules else []
    rows = []
    catalog = None
    for name in names:
        status, source = "未核查 not checked", "not in the catalog: register it (lg.register) to check its rules"
        try:  # a catalog layer that was simply not given: its own status and source
            if catalog is None:
                from linfen_geo.layer_catalog import get_catalog

                catalog = get_catalog()
            if name in getattr(catalog, "specs", {}):
                status = f"未核查 not checked ({catalog.status(name)})"
                source = str(catalog.provenance(name).get("source", ""))
        except Exception:  # the catalog cannot say: the defaults above stand
            pass
        ids = report.rules.loc[report.rules["layer"] == name, "rule"].tolist() if "layer" in report.rules else []
        rows.append(
            {"图层 Layer": str(name), "规则 Rules": ", ".join(ids), "状态 Status": status, "来源 Source": source}
        )
    return pd.DataFrame(rows, columns=["图层 Layer", "规则 Rules", "状态 Status", "来源 Source"])


def report_document(report: SitingReport, *, sites: gpd.GeoDataFrame | None = None, date: str | None = None) -> Any:
    """Assemble the report's content (a :class:`ReportDocument`) from a siting report.

    Parameters
    ----------
    report
        The siting report.
    sites
        The sites as read (for a 界址点 input's CRS); default ``report.sites``.
    date
        The report's date (default: today, ISO).
    """
    summ = report.summary()
    contacts = report.to_frame()
    src = report.sites if sites is None else sites
    date = date or _dt.date.today().isoformat()
    summary = pd.DataFrame(
        {
            "编号 Site": summ["site_id"].astype(str),
            "名称 Name": summ["name"].fillna("").astype(str),
            "面积 m²": [_fmt(v) for v in summ["area_m2"]],
            "亩 mu": [_fmt(v, 2) for v in summ["area_mu"]],
            "结论 Verdict": summ["verdict_zh"].astype(str) + " " + summ["verdict"].str.upper(),
            "冲突数 Contacts": summ["n_contacts"].astype(str),
            "最严规则 Worst rule": summ["worst_rule"].astype(str),
            "至红线 m": [_fmt(v) for v in summ["nearest_redline_m"]],
            "无冲突 m²": [_fmt(v) for v in summ["conflict_free_m2"]],
        }
    )
    layers = pd.DataFrame(
        {
            "图层 Layer": report.layers["name"].astype(str),
            "名称 Title": report.layers["title_zh"].astype(str) + " / " + report.layers["title_en"].astype(str),
            "状态 Status": report.layers["status"].astype(str),
            "来源 Source": report.layers["source"].astype(str),
            "规则 Rules": report.layers["rules"].astype(str),
        }
    )
    crs_lines = [
        f"面积 Areas: {report.crs.get('area', '')}",
        f"距离 Distances, map: {report.crs.get('distance', '')}",
        f"输入 Input CRS: {report.crs.get('input', '')}",
    ]
    illustrative = report.notes[0] if report.illustrative and report.notes else ""
    sections = []
    geoms = np.asarray(report.sites.geometry.values, dtype=object)
    ptypes = (
        report.sites["project_type"].fillna("").astype(str).to_numpy(dtype=object)
        if "project_type" in report.sites.columns
        else np.full(len(geoms), "", dtype=object)
    )
    waived = getattr(report, "waived", None)
    waived = waived if isinstance(waived, pd.DataFrame) else pd.DataFrame(columns=["site_id"])
    for i, rec in enumerate(summ.itertuples(index=False)):
        sid = str(rec.site_id)
        crs = _gk_target(src, geoms[i])
        facts = [
            ("面积 Area", f"{_fmt(rec.area_m2)} m² ({_fmt(rec.area_mu, 2)} 亩)"),
            *([("项目类型 Project type", ptypes[i])] if ptypes[i] else []),
            ("冲突数 Contacts", str(rec.n_contacts)),
            ("至最近红线 Nearest red line", f"{_fmt(rec.nearest_redline_m)} m {rec.nearest_redline_id}".strip()),
            (
                "无冲突部分 Conflict-free part",
                f"{_fmt(rec.conflict_free_m2)} m² ({_fmt(rec.conflict_free_mu, 2)} 亩, "
                f"{_fmt(100 * rec.conflict_free_share, 1)} %)",
            ),
        ]
        sections.append(
            SiteSection(
                site_id=sid,
                name=str(rec.name or ""),
                verdict=str(rec.verdict),
                verdict_zh=str(rec.verdict_zh),
                facts=facts,
                contacts=_contacts_table(contacts[contacts["site_id"].astype(str) == sid]),
                jzd=jzd_table(geoms[i], crs),
                jzd_crs=crs_label(crs),
                notes=[
                    f"豁免 Waived: {w.layer} {w.feature_id} {w.feature_name or ''}: rule(s) {w.waived} do not apply "
                    f"to project type {w.project_type or '-'}, and no other rule does"
                    for w in waived[waived["site_id"].astype(str) == sid].itertuples(index=False)
                ],
            )
        )
    return ReportDocument(
        title=f"{TITLE_ZH}\n{TITLE_EN}",
        date=date,
        source=str(src.attrs.get("source", "")),
        summary=summary,
        layers=layers,
        not_checked=_not_checked(report),
        crs_lines=crs_lines,
        illustrative=illustrative,
        notes=[n for n in report.notes if n != illustrative],
        sites=sections,
    )


# --------------------------------------------------------------------------- the map


def draw_site_map(
    report: SitingReport, site_id: str, ax: plt.Axes, *, margin_m: float = 400.0, legend_width_in: float = 2.2
) -> None:
    """The site's map (:func:`~linfen_geo.viz.siting_map.plot_siting`) with CGCS2000 grid ticks, legend at the side.

    Ticks and grid are EPSG:4546 metres (the map's CRS: CGCS2000 3-degree Gauss-Kruger CM 111E);
    legend labels are wrapped to ``legend_width_in`` inches.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from linfen_geo.reports.siting_report_pdf import wrap_text
    from linfen_geo.viz.siting_map import plot_siting

    plot_siting(report, site_id, ax=ax, margin_m=margin_m)
    leg = ax.get_legend()
    if leg is not None:  # to the right of the map, where it hides nothing and leaves the page below free
        handles = leg.legend_handles
        labels = ["\n".join(wrap_text(t.get_text(), legend_width_in - 0.45, 6)) for t in leg.get_texts()]
        leg.remove()
        ax.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=6, title="图例 Legend",
            title_fontsize=7, framealpha=0.9, borderaxespad=0.0,
        )  # fmt: skip
    ax.set_title(ax.get_title().split("\n")[0].replace(f"选址核查 Siting check: {site_id}", "").strip(" -"), fontsize=8)
    fmt = FuncFormatter(lambda v, _p: f"{v:,.0f}".replace(",", " "))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(fmt)
    ax.tick_params(labelsize=6, direction="in", length=4, top=True, right=True)
    for lab in ax.get_yticklabels():
        lab.set_rotation(90)
        lab.set_va("center")
    ax.grid(True, color="#888888", linewidth=0.3, linestyle=":")
    ax.set_xlabel(f"Y 东 easting (m), {crs_label(WORK_CRS)} CGCS2000 3° GK CM 111E", fontsize=6)
    ax.set_ylabel("X 北 northing (m)", fontsize=6)


def map_png(report: SitingReport, site_id: str, *, dpi: int = 130) -> bytes:
    """The site's map as PNG bytes (for the HTML report)."""
    import matplotlib.pyplot as plt

    from linfen_geo.viz.fonts import set_cjk_font

    set_cjk_font()
    fig, ax = plt.subplots(figsize=(7.0, 5.6), dpi=dpi)
    try:
        draw_site_map(report, site_id, ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:60em;
color:#222;font-size:10.5pt}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:2px solid #333;padding-bottom:.2em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #999;padding:2px 5px;
vertical-align:top;font-size:9pt}th{background:#eee}td.num{text-align:right}
.verdict{font-size:2.2em;font-weight:bold;padding:.2em .5em;color:white;display:inline-block;border-radius:4px}
.warn{border:2px solid #b31d28;color:#b31d28;padding:.5em;font-weight:bold;margin:.5em 0}
.sign td{height:2.5em;border:none;border-bottom:1px solid #333}.sign th{border:none;background:none;text-align:left}
section.site{page-break-before:always}img.map{max-width:100%}.small{color:#555;font-size:8.5pt}
@media print{body{margin:0}}
"""


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _signature_html() -> str:
    return (
        '<h3>审核 Review</h3><table class="sign"><tr><th>审核人 Reviewer:</th><td></td>'
        "<th>日期 Date:</th><td></td></tr><tr><th>审核意见 Remarks:</th><td colspan=3></td></tr></table>"
    )


def render_html(report: SitingReport, doc: Any) -> str:
    """The report as one self-contained HTML page (maps embedded as PNG data)."""
    e = html.escape
    warn = f'<div class="warn">{e(doc.illustrative)}</div>' if doc.illustrative else ""
    parts = [
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(TITLE_ZH)}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(TITLE_ZH)}<br>{e(TITLE_EN)}</h1>",
        f"<p>日期 Date: {e(doc.date)} &nbsp; 输入 Input: {e(doc.source)} &nbsp; 地块数 Sites: {len(doc.sites)}</p>",
        warn,
        "<h2>汇总 Summary</h2>",
        _html_table(doc.summary),
        "<h3>核查图层 Layers checked</h3>",
        _html_table(doc.layers),
    ]
    if len(doc.not_checked):
        parts += ["<h3>未核查图层 Layers not checked</h3>", _html_table(doc.not_checked)]
    parts.append("<p class='small'>" + "<br>".join(e(s) for s in doc.crs_lines) + "</p>")
    if doc.notes:
        parts.append("<h3>说明 Notes</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in doc.notes) + "</ul>")
    for s in doc.sites:
        color = VERDICT_COLORS.get(s.verdict, "#57606a")
        png = base64.b64encode(map_png(report, s.site_id)).decode("ascii")
        parts += [
            f"<section class='site'><h2>地块 Site {e(s.site_id)} {e(s.name)}</h2>",
            f"<div class='verdict' style='background:{color}'>{e(s.verdict_zh)} {e(s.verdict.upper())}</div>",
            warn,
            "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.facts) + "</table>",
            f"<img class='map' alt='map of site {e(s.site_id)}' src='data:image/png;base64,{png}'>",
            "<h3>冲突与邻近 Contacts</h3>",
            _html_table(s.contacts)
            if len(s.contacts)
            else "<p>无 None: 未触及任何管控要素 no contact with any control line.</p>",
            "".join(f"<p class='small'>{e(n)}</p>" for n in s.notes),
            "<h3>核查图层 Layers checked</h3>",
            _html_table(doc.layers),
        ]
        if len(doc.not_checked):
            parts += ["<h3>未核查图层 Layers not checked</h3>", _html_table(doc.not_checked)]
        parts += [
            f"<h3>界址点坐标 Boundary points ({e(s.jzd_crs)})</h3>",
            _html_table(s.jzd),
            "<p class='small'>" + "<br>".join(e(x) for x in doc.crs_lines) + f"<br>日期 Date: {e(doc.date)}</p>",
            _signature_html(),
            "</section>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- entry point


def write_siting_report(
    report: SitingReport,
    path: str | os.PathLike[str],
    *,
    sites: gpd.GeoDataFrame | None = None,
    overwrite: bool = False,
    date: str | None = None,
) -> Path:
    """Write the printable compliance report: ``.pdf`` (A4 pages) or ``.html`` (one self-contained file).

    Parameters
    ----------
    report
        The siting report.
    path
        The output file; its extension picks the format.
    sites
        The sites as read (a 界址点 input's CRS is used for the boundary tables).
    overwrite
        Replace an existing file (never done without it). Written atomically.
    date
        The report's date (default today).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        Unknown extension, or ``path`` exists and ``overwrite`` is false.
    """
    from linfen_geo.files import check_writable, write_file

    fmt = report_format(path)
    check_writable(path, overwrite)
    doc = report_document(report, sites=sites, date=date)
    if fmt == "html":
        text = render_html(report, doc)
        return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    from linfen_geo.reports.siting_report_pdf import render_pdf

    return write_file(path, lambda tmp: render_pdf(report, doc, tmp), overwrite=overwrite)
