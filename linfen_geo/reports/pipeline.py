"""The main job: build every layer, run the analyses, write tables, maps and reports.

``linfen-geo run --out out`` calls :func:`run_all`. Each step is a function of
``(catalog, out)`` that writes its files through :class:`~linfen_geo.reports.writers.OutputDir`
and returns a short Markdown section for ``out/REPORT.md``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linfen_geo.layer_catalog.core import Catalog, get_catalog
from linfen_geo.reports.pattern import step_pattern
from linfen_geo.reports.writers import OutputDir, to_markdown

__all__ = ["STEPS", "run_all"]


def step_layers(cat: Catalog, out: OutputDir) -> str:
    """Build every layer; write the catalog table and the overview map."""
    from linfen_geo.viz.maps import plot_layers

    table = cat.table(build=True)
    out.table(table, "catalog.csv")
    out.table(table, "catalog.xlsx")
    fig = plot_layers(catalog=cat)
    out.figure(fig, "overview_map.png")
    illustrative = table.loc[table["status"] == "illustrative", "name"].tolist()
    lines = [
        "## Layers 图层",
        "",
        to_markdown(table[["name", "title_zh", "title_en", "status", "features", "crs"]]),
        "Files: `catalog.csv`, `catalog.xlsx`, `overview_map.png`.",
        "",
    ]
    if illustrative:
        lines.insert(2, f"**Illustrative layers (示意, not official data):** {', '.join(illustrative)}.\n")
    mixed = _mixed_layers(cat, illustrative)
    if mixed:
        lines.insert(3, "Partly real (per feature in their `status` / `outline_status` column):\n\n" + mixed + "\n")
    credits = cat.attributions()
    if credits:
        lines.append("Data credits 数据来源: " + "; ".join(credits) + ".\n")
    return "\n".join(lines)


def _mixed_layers(cat: Catalog, names: list[str]) -> str:
    """Bullet lines for illustrative layers holding real features (or real outlines), with their source."""
    out = []
    for name in names:
        gdf = cat.load(name)
        for col in ("status", "outline_status"):
            if col in gdf.columns and {"real", "illustrative"} <= set(gdf[col]):
                real = gdf[gdf[col] == "real"]
                label = "name_zh" if "name_zh" in real.columns else real.columns[0]
                what = "、".join(dict.fromkeys(real[label].astype(str)))
                src = next((c for c in ("outline_source", "source") if c in real.columns), None)
                where = "; ".join(dict.fromkeys(real[src].astype(str))) if src else ""
                out.append(
                    f"- `{name}`: real {col.replace('_status', '') or 'feature'}s of {what} ({where}); the rest modelled"
                )
    return "\n".join(out)


def _illustrative(cat: Catalog, names: list[str]) -> list[str]:
    return [n for n in names if cat.status(n) == "illustrative"]


def _flag(cat: Catalog, names: list[str]) -> str:
    ill = _illustrative(cat, names)
    return f"> **Illustrative inputs (示意数据, not official):** {', '.join(ill)}.\n" if ill else ""


def step_coverage(cat: Catalog, out: OutputDir) -> str:
    """Coverage of barriers, corridors and red lines by county."""
    from linfen_geo.analysis.coverage import coverage, with_total
    from linfen_geo.viz.charts import bar_by_zone, illustrative_note

    layers = ["barriers", "corridors", "redlines"]
    tables = {}
    for name in layers:
        t = with_total(coverage(name, "counties", zone_id="adcode", catalog=cat))
        t.insert(0, "layer", name)
        tables[name] = t
        out.table(t, f"coverage_{name}_by_county.csv")
        fig = bar_by_zone(
            t[t["zone_id"] != "total"],
            "share",
            percent=True,
            title=f"{cat.spec(name).title_zh} 覆盖率 by county ({cat.spec(name).title_en})",
            xlabel="share of county area (%)",
        )
        illustrative_note(fig, _illustrative(cat, [name]))
        out.figure(fig, f"coverage_{name}_by_county.png")
    out.tables_xlsx(tables, "coverage_by_county.xlsx")
    rows = [
        f"| {n} | {tables[n].iloc[-1]['covered_km2']:,.1f} | {tables[n].iloc[-1]['share'] * 100:.1f}% |" for n in layers
    ]
    return "\n".join(
        [
            "## Coverage 覆盖率",
            "",
            _flag(cat, layers),
            "| layer | covered km2 | share of city |",
            "|---|---|---|",
            *rows,
            "",
            f"Areas in {tables['redlines'].attrs['area_crs']}. Files: `coverage_*_by_county.csv/png`, "
            "`coverage_by_county.xlsx`.",
            "",
        ]
    )


def step_overlap(cat: Catalog, out: OutputDir) -> str:
    """Overlap matrix, by county, mines in protected zones, corridor roads in red lines, barrier overlaps."""
    from linfen_geo.analysis.overlap import (
        DEFAULT_LAYERS,
        features_in_zones,
        line_stretches_in,
        overlap_by_county,
        overlap_matrix,
        pairwise_within,
    )
    from linfen_geo.viz.charts import illustrative_note, overlap_heatmap

    layers = list(DEFAULT_LAYERS)
    matrix = overlap_matrix(layers, catalog=cat)
    by_county = overlap_by_county(layers, catalog=cat)
    mines = features_in_zones(
        "mines", ["redlines", "reserves", "spring_zones", "coal_mines"], id_column="site_id", catalog=cat
    )
    roads = line_stretches_in("corridor_roads", "redlines", line_id="corridor_id", polygon_id="redline_id", catalog=cat)
    rails = line_stretches_in("railways", "redlines", line_id="railway_id", polygon_id="redline_id", catalog=cat)
    barriers = pairwise_within("barriers", id_column="barrier_id", name_column="name_zh", catalog=cat)
    tables = {
        "matrix": matrix,
        "by_county": by_county,
        "mines_in_zones": mines,
        "roads_in_redlines": roads,
        "railways_in_redlines": rails,
        "barrier_overlaps": barriers,
    }
    for k, t in tables.items():
        out.table(t, f"overlap_{k}.csv")
    out.tables_xlsx(tables, "overlap.xlsx")
    fig = overlap_heatmap(matrix)
    illustrative_note(fig, _illustrative(cat, layers))
    out.figure(fig, "overlap_matrix.png")
    n_mines = cat.load("mines")["site_id"].nunique()
    per_layer = mines.groupby("zone_layer")["feature_id"].nunique()
    m = matrix.set_index(["layer_a", "layer_b"])
    lines = [
        "## Overlaps 重叠分析",
        "",
        _flag(cat, layers),
        f"- Mine sites in red lines: {per_layer.get('redlines', 0)} of {n_mines}; in reserves: "
        f"{per_layer.get('reserves', 0)}; in spring key zones: {per_layer.get('spring_zones', 0)}.",
        f"- Legacy mine sites (illustrative) inside the real coal-mine boundaries (Global Energy Monitor, "
        f"王家岭/吉宁/腾晖): {per_layer.get('coal_mines', 0)} of {n_mines}"
        + (
            " (" + ", ".join(f"{k} {v}" for k, v in _per_mine(mines, cat).items()) + ")."
            if per_layer.get("coal_mines", 0)
            else "."
        ),
        f"- Railways inside red lines: {rails['length_km'].sum():,.1f} km "
        f"(real VMAP0 lines {_rail_km(rails, cat, 'real'):,.1f} km, modelled 瓦日 {_rail_km(rails, cat, 'illustrative'):,.1f} km).",
        f"- Corridors inside red lines: {m.loc[('corridors', 'redlines'), 'overlap_km2']:,.1f} km2 "
        f"({m.loc[('corridors', 'redlines'), 'share_of_a'] * 100:.1f}% of the corridors); corridor roads run "
        f"{roads['length_km'].sum():,.1f} km inside red lines.",
        *[f"- Barriers {r.a} ∩ {r.b}: {r.overlap_km2:,.1f} km2" for r in barriers.itertuples()],
        "",
        "Files: `overlap_*.csv`, `overlap.xlsx`, `overlap_matrix.png`.",
        "",
    ]
    return "\n".join(lines)


def _per_mine(mines: Any, cat: Catalog) -> dict[str, int]:
    """Legacy sites per real coal mine (Chinese name)."""
    coal = cat.load("coal_mines").set_index("mine_id")["name_zh"]
    hits = mines[mines["zone_layer"] == "coal_mines"]
    return {coal.get(k, k): int(v) for k, v in hits.groupby("zone_id")["feature_id"].nunique().items()}


def _rail_km(rails: Any, cat: Catalog, status: str) -> float:
    """Kilometres of ``rails`` (line_stretches_in rows) on railways of the given status."""
    st = cat.load("railways").set_index("railway_id")["status"]
    return float(rails.loc[rails["railway_id"].map(st) == status, "length_km"].sum()) if len(rails) else 0.0


def step_indicators(cat: Catalog, out: OutputDir) -> str:
    """Indicator 23 (red-line share, and change when a baseline is configured) and 22 (forest coverage)."""
    from linfen_geo.analysis.indicators import forest_coverage, redline_share
    from linfen_geo.viz.charts import bar_by_zone, forest_chart, illustrative_note

    share = redline_share(catalog=cat)
    out.table(share, "indicator23_redline_share.csv")
    fig = bar_by_zone(
        share[share["zone_id"] != "total"],
        "share",
        percent=True,
        title="指标23 生态保护红线占比 Red-line share by county",
        xlabel="%",
    )
    illustrative_note(fig, _illustrative(cat, ["redlines"]))
    out.figure(fig, "indicator23_redline_share.png")
    forest = forest_coverage(catalog=cat)
    out.table(forest, "indicator22_forest_coverage.csv")
    out.figure(forest_chart(forest), "indicator22_forest_coverage.png")
    out.tables_xlsx({"indicator23_redline_share": share, "indicator22_forest": forest}, "indicators.xlsx")
    t = forest.iloc[-1]
    red = share.iloc[-1]
    return "\n".join(
        [
            "## Plan indicators 规划指标",
            "",
            _flag(cat, ["redlines"]),
            f"- **Indicator 23** red-line share of the land area: {red['share'] * 100:.2f}% "
            f"({red['covered_km2']:,.1f} km2). A change table needs two versions of the layer "
            "(`lg.analysis.indicators.redline_change(old, new)`).",
            f"- **Indicator 22** forest coverage from {forest.attrs['raster']}: {t['share_strict'] * 100:.1f}% (strict) / "
            f"{t['share_broad'] * 100:.1f}% (broad) vs target {t['target_share'] * 100:.1f}% (2025); gap "
            f"{t['gap_strict_wanmu']:,.1f} / {t['gap_broad_wanmu']:,.1f} 万亩.",
            f"- Caveat: {forest.attrs['caveat_en']}",
            "",
            "Files: `indicator23_*`, `indicator22_*`, `indicators.xlsx`.",
            "",
        ]
    )


def step_greening(cat: Catalog, out: OutputDir) -> str:
    """Corridor greening: greenable land by suitability per corridor and county (greening_* files)."""
    from linfen_geo.reports.greening import step_greening as _step

    return _step(cat, out)


def _examples_dir() -> Path | None:
    from linfen_geo.config import PACKAGE_DIR

    for path in (PACKAGE_DIR.parent / "examples", PACKAGE_DIR / "_examples"):  # checkout, installed wheel
        if (path / "sites_three_projects.geojson").is_file():
            return path
    return None


#: the example projects' siting report of a run, shared by the siting, map and GeoPackage steps
_EXAMPLE_REPORTS: weakref.WeakKeyDictionary[OutputDir, tuple[Catalog, Any]] = weakref.WeakKeyDictionary()


def _example_report(cat: Catalog, out: OutputDir) -> Any:
    """The siting check of the example projects, computed once per run (None without examples)."""
    held = _EXAMPLE_REPORTS.get(out)
    if held is None or held[0] is not cat:
        from linfen_geo.analysis.siting import check_siting

        examples = _examples_dir()
        report = check_siting(examples / "sites_three_projects.geojson", catalog=cat) if examples else None
        held = _EXAMPLE_REPORTS[out] = (cat, report)
    return held[1]


def step_siting(cat: Catalog, out: OutputDir) -> str:
    """Siting check of the three example projects (examples/sites_three_projects.geojson)."""
    report = _example_report(cat, out)
    if report is None:
        return "## Siting check 选址核查\n\nNo example sites found (examples/ is part of the source checkout).\n"
    out.text(report.to_text(), "siting_examples.txt")
    out.text(report.to_json() + "\n", "siting_examples.json")
    out.table(report.to_csv_frame(), "siting_examples.csv")
    summary = report.summary()
    worst = summary.sort_values("n_contacts", ascending=False)["site_id"].iloc[0]
    report.plot(worst, out=out.target(f"siting_{worst}.png"), overwrite=True)
    rows = [
        f"| {r.site_id} | {r.name} | {r.area_mu:,.1f} | {r.verdict_zh} {r.verdict} | {r.nearest_redline_m:,.0f} |"
        for r in summary.itertuples()
    ]
    return "\n".join(
        [
            "## Siting check 选址核查 (example projects)",
            "",
            f"> {report.notes[0]}\n" if report.illustrative else "",
            "| site | name | area 亩 | verdict | nearest red line m |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Files: `siting_examples.txt/json/csv`, `siting_{worst}.png`. "
            "Check your own file: `linfen-geo check-siting FILE`.",
            "",
            _sanqu_section(cat, out),
        ]
    )


def _sanqu_section(cat: Catalog, out: OutputDir) -> str:
    """The example projects under the 三区三线 preset, by their project types."""
    from linfen_geo.analysis.siting import check_siting

    report = check_siting(_examples_dir() / "sites_three_projects.geojson", catalog=cat, preset="sanqu")
    out.text(report.to_text(), "siting_examples_sanqu.txt")
    frame = report.to_frame()
    rows = []
    for r in report.summary().itertuples():
        worst = frame[frame["site_id"] == r.site_id].head(1)
        rule = f"{worst['rule'].iloc[0]} ({worst['basis'].iloc[0]})" if len(worst) else "-"
        ptype = report.sites.set_index("site_id").loc[r.site_id, "project_type"]
        rows.append(f"| {r.site_id} | {r.name} | {ptype} | {r.verdict_zh} {r.verdict} | {rule} |")
    return "\n".join(
        [
            "### 三区三线 preset (`check-siting --rules sanqu`)",
            "",
            "| site | name | project type | verdict | deciding rule (basis) |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Not checked 未核查 (no such layer in the catalog): {', '.join(report.not_checked) or '-'}. "
            "The shipped 城镇开发边界 and 永久基本农田 are illustrative models. File: `siting_examples_sanqu.txt`.",
            "",
        ]
    )


def step_map(cat: Catalog, out: OutputDir) -> str:
    """The interactive offline map with every layer and the example sites by verdict."""
    from linfen_geo.reports.pattern import PATTERN_RESULTS, pattern_map_layers
    from linfen_geo.viz.webmap import write_map

    res = PATTERN_RESULTS.get(out)
    extra = pattern_map_layers(res) if res is not None else []
    path = write_map(out.target("map.html"), report=_example_report(cat, out), catalog=cat, overwrite=True, extra=extra)
    return "\n".join(
        [
            "## Interactive map 交互地图",
            "",
            f"`map.html` ({path.stat().st_size / 1e6:.1f} MB): every layer as a toggleable overlay, the "
            "example sites coloured by verdict"
            + (", and the security pattern's sources, corridors, pinch points and mine priority" if extra else "")
            + "; opens offline from disk; a click shows WGS 84 and CGCS2000 GK coordinates.",
            "",
        ]
    )


def step_gpkg(cat: Catalog, out: OutputDir) -> str:
    """Every vector layer and the example siting results in one styled GeoPackage for QGIS."""
    from linfen_geo.reports.gpkg import gpkg_summary, siting_layers, to_gpkg

    report = _example_report(cat, out)
    results = siting_layers(report) if report is not None else {}
    path = to_gpkg(out.target("linfen_geo.gpkg"), results=results, catalog=cat, overwrite=True)
    return "\n".join(
        [
            "## GeoPackage for QGIS",
            "",
            f"`linfen_geo.gpkg` ({path.stat().st_size / 1e6:.1f} MB, {gpkg_summary(path)}): open it in QGIS and "
            "every layer appears styled (same colours as the maps, Chinese labels, illustrative layers hatched "
            "and dashed); titles, status and source in each layer's description and attributes.",
            "",
        ]
    )


#: the main job's steps, in order
STEPS: list[tuple[str, Callable[[Catalog, OutputDir], str]]] = [
    ("layers", step_layers),
    ("coverage", step_coverage),
    ("overlap", step_overlap),
    ("indicators", step_indicators),
    ("greening", step_greening),
    ("pattern", step_pattern),
    ("siting", step_siting),
    ("map", step_map),
    ("gpkg", step_gpkg),
]


def run_all(
    out_dir: str | Path = "out",
    *,
    overwrite: bool = False,
    catalog: Catalog | None = None,
    steps: list[str] | None = None,
    log: Callable[[str], Any] = print,
) -> Path:
    """Run the main job and write everything into ``out_dir``; return the report's path."""
    cat = catalog or get_catalog()
    out = OutputDir(out_dir, overwrite=overwrite)
    sections = [
        "# linfen_geo report 临汾生态保护空间分析报告",
        "",
        f"Plan: {cat.plan['meta']['title_zh']} ({cat.plan['meta']['title_en']}).",
        "",
    ]
    try:
        for name, func in STEPS:
            if steps and name not in steps:
                continue
            t0 = time.perf_counter()
            sections.append(func(cat, out))
            log(f"[linfen-geo] {name}: done in {time.perf_counter() - t0:.1f} s")
        report = out.text("\n".join(sections), "REPORT.md")
    except BaseException:
        out.abort()  # the previous results stay as they were: never a folder mixing two runs
        raise
    out.finish()
    return report
