"""Files of a corridor-greening result: CSV and XLSX tables, the suitability GeoTIFF, the maps, MD/HTML reports.

:class:`~linfen_geo.analysis.greening.GreeningResult` computes; this module writes (its
``write`` / ``to_excel`` / ``markdown`` / ``html`` methods call the functions here), and
:func:`step_greening` is the main job's greening step.

Examples
--------
>>> from linfen_geo.analysis.greening import corridor_greening
>>> res = corridor_greening()  # doctest: +SKIP
>>> paths = write_greening(res, "out")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from linfen_geo.reports.writers import OutputDir, to_markdown, write_tables_xlsx

if TYPE_CHECKING:
    from linfen_geo.analysis.greening import GreeningResult

__all__ = ["greening_html", "greening_markdown", "greening_to_excel", "step_greening", "write_greening"]


def greening_to_excel(res: GreeningResult, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the tables (one sheet each) and the notes to an XLSX workbook, atomically.

    Examples
    --------
    >>> greening_to_excel(corridor_greening(), "out/greening.xlsx").name  # doctest: +SKIP
    'greening.xlsx'
    """
    return write_tables_xlsx({**res.tables(), "notes": pd.DataFrame({"note": res.notes})}, path, overwrite=overwrite)


def greening_markdown(res: GreeningResult, files: Sequence[str] = (), *, level: int = 1) -> str:
    """The report as Markdown: notes first (data honesty), then the summary tables and the land cover.

    ``files`` are listed at the end; ``level`` is the level of the top heading.

    Examples
    --------
    >>> greening_markdown(corridor_greening()).splitlines()[0]  # doctest: +SKIP
    '# Corridor greening 廊道绿化面积报告'
    """

    h = "#" * level
    st = res.summary_tables()
    lines = [
        f"{h} Corridor greening 廊道绿化面积报告",
        "",
        "**Data and honesty 数据说明:**",
        "",
        *[f"- {n}" for n in res.notes],
        "",
        f"**{res.greenable_sentence()}**",
        "",
        f"{h}# By corridor 按廊道",
        "",
        to_markdown(_pct(st["corridors"])),
        f"{h}# By county 按县（廊道内）",
        "",
        to_markdown(_pct(st["counties"])),
        f"{h}# Corridor x county 廊道 x 县",
        "",
        to_markdown(_pct(st["pieces"])),
        f"{h}# Total 合计",
        "",
        to_markdown(_pct(st["total"])),
    ]
    lcb = res.landcover_breakdown
    wide = lcb.pivot_table(index=["class", "class_zh"], columns="corridor_id", values="area_ha", sort=False)
    lines += [f"{h}# Land cover per corridor 土地覆被 (ha)", "", to_markdown(wide.reset_index())]
    if files:
        lines += ["Files: " + ", ".join(f"`{f}`" for f in files), ""]
    return "\n".join(lines)


def greening_html(res: GreeningResult, images: Sequence[str] = (), files: Sequence[str] = ()) -> str:
    """The report as a standalone HTML page (images referenced by relative path).

    Examples
    --------
    >>> greening_html(corridor_greening()).startswith("<!DOCTYPE html>")  # doctest: +SKIP
    True
    """
    st = res.summary_tables()

    def tbl(df: pd.DataFrame) -> str:
        return _pct(df).to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0, classes="t")

    lcb = res.landcover_breakdown
    wide = lcb.pivot_table(index=["class", "class_zh"], columns="corridor_id", values="area_ha", sort=False)
    body = [
        "<h1>Corridor greening 廊道绿化面积报告</h1>",
        "<h3>Data and honesty 数据说明</h3><ul>",
        *[f"<li>{html.escape(n)}</li>" for n in res.notes],
        "</ul>",
        f"<p><b>{html.escape(res.greenable_sentence())}</b></p>",
        *[f'<p><img src="{html.escape(i)}" style="max-width:100%"></p>' for i in images],
        "<h2>By corridor 按廊道</h2>",
        tbl(st["corridors"]),
        "<h2>By county 按县（廊道内）</h2>",
        tbl(st["counties"]),
        "<h2>Corridor x county 廊道 x 县</h2>",
        tbl(st["pieces"]),
        "<h2>Total 合计</h2>",
        tbl(st["total"]),
        "<h2>Land cover per corridor 土地覆被 (ha)</h2>",
        tbl(wide.reset_index()),
    ]
    if files:
        body.append(
            "<p>Files: " + ", ".join(f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in files) + "</p>"
        )
    style = (
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:1200px;margin:2em auto;}"
        "table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th{padding:2px 6px;"
        "border-bottom:1px solid #ddd;text-align:right}li{margin:0.3em 0}"
    )
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>廊道绿化 Corridor greening</title>'
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_greening(
    res: GreeningResult, out_dir: str | os.PathLike[str] | Any, *, overwrite: bool = False, prefix: str = "greening"
) -> list[Path]:
    """Write CSVs, an XLSX (one sheet per table), the maps, the suitability GeoTIFF and the MD/HTML report.

    Parameters
    ----------
    out_dir
        A folder or an :class:`~linfen_geo.reports.writers.OutputDir`; files are named ``<prefix>_*``.
    overwrite
        Replace files linfen-geo did not write (CLI ``--force``).

    Returns
    -------
    list of Path
        The files written (the Markdown and HTML reports last).

    Examples
    --------
    >>> paths = write_greening(corridor_greening(), "out")  # doctest: +SKIP
    >>> [p.name for p in paths][-2:]  # doctest: +SKIP
    ['greening_report.md', 'greening_report.html']
    """
    from linfen_geo.viz.greening_maps import plot_by_county, plot_suitability

    if not isinstance(out_dir, OutputDir):
        with OutputDir(out_dir, overwrite=overwrite) as own:  # swapped in when every file is written
            return write_greening(res, own, prefix=prefix)
    out = out_dir
    paths: list[Path] = []
    for name, df in res.tables().items():
        paths.append(out.table(df, f"{prefix}_{name}.csv"))
    paths.append(out.tables_xlsx({**res.tables(), "notes": pd.DataFrame({"note": res.notes})}, f"{prefix}.xlsx"))
    paths.append(out.figure(plot_suitability(res), f"{prefix}_suitability_map.png"))
    paths.append(out.figure(plot_by_county(res), f"{prefix}_by_county.png"))
    paths.append(out.write(f"{prefix}_suitability.tif", lambda tmp: _write_suitability_tif(res, tmp)))
    names = [p.name for p in paths]
    md_name, html_name = f"{prefix}_report.md", f"{prefix}_report.html"
    paths.append(out.text(greening_markdown(res, [*names, html_name]), md_name))
    images = [n for n in names if n.endswith(".png")]
    paths.append(out.text(greening_html(res, images, [*names, md_name]), html_name))
    return paths


def _write_suitability_tif(res: GreeningResult, tmp: Path) -> None:
    """The suitability raster as a tiled, compressed GeoTIFF, written in row strips (bounded memory)."""
    import rasterio
    from rasterio.windows import Window

    da = res.code
    h, w = da.rio.height, da.rio.width
    profile = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "count": 1,
        "dtype": "uint8",
        "nodata": 255,
        "crs": da.rio.crs,
        "transform": da.rio.transform(),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    names = zip(res.rules.suitability_names, res.rules.suitability_zh, strict=True)
    step = 2048
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.update_tags(1, classes="0=not greenable; " + "; ".join(f"{i}={n} {z}" for i, (n, z) in enumerate(names, 1)))
        for y0 in range(0, h, step):  # row strips: bounded memory for large grids
            block, _ = res._suitability_array(y0, min(h, y0 + step), 0, w)
            dst.write(block, 1, window=Window(0, y0, w, block.shape[0]))


def _pct(df: pd.DataFrame) -> pd.DataFrame:
    """Shares as percent strings for the human-readable tables."""
    out = df.copy()
    for c in out.columns:
        if c.endswith("_share"):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v * 100:.1f}%")
    return out


def step_greening(cat: Any, out: Any) -> str:
    """Main-job step: corridor greening with the catalog's layers, files written to ``out``; returns the REPORT.md section.

    Examples
    --------
    >>> from linfen_geo.reports.writers import OutputDir
    >>> step_greening(lg.get_catalog(), OutputDir("out")).splitlines()[0]  # doctest: +SKIP
    '## Corridor greening 廊道绿化'
    """
    from linfen_geo.analysis.greening import corridor_greening

    res = corridor_greening(catalog=cat)
    paths = write_greening(res, out)
    st = res.summary_tables()
    lines = [
        "## Corridor greening 廊道绿化",
        "",
        *[f"- {n}" for n in res.notes[:2]],
        *[f"- **{n}**" for n in res.notes[2:] if n.startswith(("COARSE", "ILLUSTRATIVE"))],
        "",
        to_markdown(
            _pct(
                st["corridors"][
                    ["corridor_id", "corridor_zh", "greenable_ha", "greenable_mu", "greenable_wanmu", "target_share"]
                ]
            )
        ),
        res.greenable_sentence(),
        "",
        f"Full notes and tables: `{paths[-2].name}` / `{paths[-1].name}`; files: "
        + ", ".join(f"`{p.name}`" for p in paths[:-2])
        + ".",
        "",
    ]
    return "\n".join(lines)
