"""Files of a security-pattern result (``out/pattern/``) and the main job's pattern step.

:func:`write_pattern` writes GeoTIFFs (rioxarray), one GeoPackage with the pattern's layers, CSV
(with CSVW definitions) and XLSX tables, the maps and ``pattern_report.md``; :func:`step_pattern`
runs :func:`linfen_geo.pattern.security_pattern` on the catalog and returns the REPORT.md section.

Examples
--------
>>> import linfen_geo as lg
>>> paths = write_pattern(lg.security_pattern(), "out/pattern")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import pandas as pd

from linfen_geo.crs import WORK_CRS_NAME
from linfen_geo.reports.writers import OutputDir, to_markdown

__all__ = ["pattern_markdown", "step_pattern", "write_pattern"]

#: rasters written as GeoTIFF
RASTERS = ("resistance", "cumulative_current", "cwd", "barrier_score", "pinch_current", "corridors", "sources")
#: tables that rest on illustrative layers (flagged in their notes)
_RESTS_ON = {
    "mines": ["mines", "redlines", "barriers", "corridors"],
    "plan_corridors": ["corridors", "corridors_terrain", "corridor_roads"],
    "plan_corridors_by_link": ["corridors", "corridors_terrain"],
    "reserves": ["reserves"],
    "barriers": ["barriers"],
    "sources": ["reserves"],
    "links": ["reserves", "corridor_roads", "railways", "mines"],
}


def _prepared(name: str, df: pd.DataFrame, res: Any) -> pd.DataFrame:
    """A copy with definitions as text lines, the CRS of lengths/areas and the status of the layers it rests on."""
    out = df.copy()
    defs = df.attrs.get("definitions", {})
    lines = [f"{k}: {v}" for k, v in defs.items()] if isinstance(defs, dict) else list(defs)
    lines += [n for n in res.notes if n.startswith("COARSE")]
    statuses = res.meta["landscape"].meta.get("statuses", {})
    out.attrs = {
        "definitions": lines,
        "area_crs": WORK_CRS_NAME + " (1 km grid cells)",
        "length_crs": WORK_CRS_NAME,
        "status": {k: statuses.get(k, "user") for k in _RESTS_ON.get(name, [])},
        "layer": f"pattern_{name}",
    }
    return out


def _write_tif(da: Any, tmp: Path, notes: list[str]) -> None:
    tags = {"notes": " | ".join(notes), "crs_name": WORK_CRS_NAME, "written_by": "linfen_geo pattern"}
    da.rio.to_raster(tmp, driver="GTiff", compress="deflate", tags=tags)


def _write_gpkg(layers: dict[str, Any], tmp: Path) -> None:
    tmp.unlink(missing_ok=True)
    for name, gdf in layers.items():
        if gdf is None or not len(gdf):
            continue
        g = gdf.copy()
        for c in g.columns:
            if c != g.geometry.name and g[c].dtype == object:
                g[c] = g[c].astype(str)
        g.to_file(tmp, layer=name, driver="GPKG")


def write_pattern(res: Any, out_dir: str | os.PathLike[str] | OutputDir, *, prefix: str = "pattern/",
                  overwrite: bool = False) -> list[Path]:  # fmt: skip
    """Write every output of a :class:`~linfen_geo.pattern.PatternResult`; return the paths (report last).

    Parameters
    ----------
    out_dir
        A folder or an :class:`~linfen_geo.reports.writers.OutputDir`; files go to ``<prefix>*``.
    overwrite
        Replace files linfen-geo did not write (CLI ``--force``).
    """
    from linfen_geo.viz.pattern_maps import plot_current, plot_mine_priority

    if not isinstance(out_dir, OutputDir):
        with OutputDir(out_dir, overwrite=overwrite) as own:
            return write_pattern(res, own, prefix=prefix)
    out = out_dir
    paths: list[Path] = []
    for name in RASTERS:
        da = res.rasters[name]
        paths.append(out.write(f"{prefix}{name}.tif", lambda tmp, da=da: _write_tif(da, tmp, res.notes)))
    paths.append(out.write(f"{prefix}pattern.gpkg", lambda tmp: _write_gpkg(res.layers, tmp)))
    tables = {k: _prepared(k, v, res) for k, v in res.tables.items() if len(v)}
    for name, df in tables.items():
        paths.append(out.table(df, f"{prefix}{name}.csv"))
    ans = pd.DataFrame([{"answer": k, "zh": v["zh"], "en": v["en"]} for k, v in res.answers.items()])
    notes = pd.DataFrame({"note": res.notes})
    paths.append(out.tables_xlsx({**tables, "answers": ans, "notes_pattern": notes}, f"{prefix}pattern.xlsx"))
    paths.append(out.figure(plot_current(res), f"{prefix}current_map.png"))
    paths.append(out.figure(plot_mine_priority(res), f"{prefix}mine_priority_map.png"))
    md = pattern_markdown(res, [p.name for p in paths], level=1)
    paths.append(out.text(md, f"{prefix}pattern_report.md"))
    return paths


def _fmt_share(v: float) -> str:
    return "" if pd.isna(v) else f"{v * 100:.1f}%"


def pattern_markdown(res: Any, files: list[str] | None = None, *, level: int = 2, prefix: str = "") -> str:
    """The pattern as Markdown: notes, answers, the headline tables; ``level`` is the top heading's level."""
    h = "#" * level
    t = res.tables
    share = t["plan_corridors"].copy()
    for c in ("length_share", "current_share", "area_share_of_city"):
        share[c] = share[c].map(_fmt_share)
    links = t["links"][["link_id", "a", "b", "rank", "level", "g", "lcd", "path_length", "r_eff", "r_corridor"]]
    mines = t["mines"].head(10)[["rank", "kind", "id", "county", "status", "dR_pct", "barrier_score", "barriers",
                                 "corridors", "redlines", "why"]]  # fmt: skip
    src = t["sources"][["source_id", "kind", "name_zh", "area_km2", "reserve_km2", "dPC", "dpc_rank", "kept"]]
    lines = [
        f"{h} Ecological security pattern 生态安全格局",
        "",
        *[f"> **{n}**\n" for n in res.notes],
        "**Answers 结论:**",
        "",
        *[f"- {v['zh']}\n  {v['en']}" for v in res.answers.values()],
        "",
        f"{h}# Plan corridors vs the modelled network 规划廊道与模拟廊道",
        "",
        to_markdown(share),
        "The plan corridors are buffers of the corridor roads, which the resistance raises (`[pattern.penalties.roads]`): "
        "the low share is partly by construction. Set the road factors to 1 in a copy of the plan to see the pattern "
        "without that penalty.",
        "",
        f"{h}# Sources 生态源地 (dPC)",
        "",
        to_markdown(src),
        f"{h}# Corridors 廊道 (gravity rank)",
        "",
        to_markdown(links),
        f"{h}# Mine-restoration priority 矿山修复优先级 (top 10; full table `{prefix}mines.csv`)",
        "",
        "> 示意 ILLUSTRATIVE: the 420 legacy sites are modelled positions; red lines are modelled.\n",
        to_markdown(mines),
        f"{h}# Reserves 保护区两两连通性",
        "",
        to_markdown(t["reserves"]) if len(t["reserves"]) else "(fewer than two reserves)\n",
        f"{h}# Plan barriers B1-B3 vs the pattern 屏障与格局",
        "",
        to_markdown(t["barriers"]) if len(t["barriers"]) else "(no barriers)\n",
        "Timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items()),
        "",
    ]
    if files:
        lines += ["Files: " + ", ".join(f"`{f}`" for f in files), ""]
    return "\n".join(lines)


#: the pattern result of each run's output folder, for the later map step (weakly held)
PATTERN_RESULTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: the pattern layers drawn on the interactive map: (layer key, title zh, title en)
MAP_LAYERS = (
    ("sources", "生态源地", "Ecological sources"),
    ("corridor_paths", "生态廊道（最小成本路径）", "Modelled corridors (least-cost paths)"),
    ("pinch_points", "夹点", "Pinch points"),
    ("mine_priority", "矿山修复优先级", "Mine restoration priority"),
)


def pattern_map_layers(res: Any) -> list[Any]:
    """The security pattern's layers as web-map layers (flagged illustrative: they rest on modelled inputs)."""
    from linfen_geo.viz.webmap import MapLayer

    out = []
    for key, zh, en in MAP_LAYERS:
        gdf = res.layers.get(key)
        if gdf is None or not len(gdf):
            continue
        status = "illustrative" if res.illustrative else "derived"
        mark = " [示意 illustrative]" if res.illustrative else ""
        out.append(MapLayer(f"pattern_{key}", gdf.to_crs(4326), f"{zh} {en} (pattern){mark}", status))
    return out


def step_pattern(cat: Any, out: OutputDir) -> str:
    """Main-job step: the security pattern on the catalog's layers into ``out/pattern/``; the REPORT.md section.

    Examples
    --------
    >>> step_pattern(lg.get_catalog(), OutputDir("out")).splitlines()[0]  # doctest: +SKIP
    '## Ecological security pattern 生态安全格局'
    """
    from linfen_geo.pattern import security_pattern

    res = security_pattern(catalog=cat)
    PATTERN_RESULTS[out] = res  # the interactive map of the same run draws its layers
    paths = write_pattern(res, out)
    md = pattern_markdown(res, level=2, prefix="pattern/")
    return (
        md
        + "\nFiles in `pattern/`: "
        + ", ".join(f"`{p.name}`" for p in paths)
        + ".\n\n![current map](pattern/current_map.png)\n"
    )
