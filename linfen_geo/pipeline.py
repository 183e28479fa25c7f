"""The main job: build every layer, run the analyses, write tables, maps and reports.

``linfen-geo run --out out`` calls :func:`run_all`. Each step is a function of
``(catalog, out)`` that writes its files through :class:`~linfen_geo.outputs.OutputDir`
and returns a short Markdown section for ``out/REPORT.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linfen_geo.layer_catalog import Catalog, get_catalog
from linfen_geo.outputs import OutputDir, to_markdown

__all__ = ["STEPS", "run_all"]


def step_layers(cat: Catalog, out: OutputDir) -> str:
    """Build every layer; write the catalog table and the overview map."""
    from linfen_geo.plot import plot_layers

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
    return "\n".join(lines)


#: the main job's steps, in order
STEPS: list[tuple[str, Callable[[Catalog, OutputDir], str]]] = [
    ("layers", step_layers),
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
    for name, func in STEPS:
        if steps and name not in steps:
            continue
        t0 = time.perf_counter()
        sections.append(func(cat, out))
        log(f"[linfen-geo] {name}: done in {time.perf_counter() - t0:.1f} s")
    return out.text("\n".join(sections), "REPORT.md")
