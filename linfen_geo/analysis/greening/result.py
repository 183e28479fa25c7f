"""The result of a corridor-greening analysis: tables, the code raster and its suitability view, notes.

Files and figures live elsewhere - :mod:`linfen_geo.reports.greening` writes them,
:mod:`linfen_geo.viz.greening_maps` draws the maps - and :class:`GreeningResult` keeps thin
methods (:meth:`~GreeningResult.write`, :meth:`~GreeningResult.plot_suitability` ...) that import
those modules when called, as xarray's ``.plot`` does.

Examples
--------
>>> import linfen_geo as lg
>>> res = lg.corridor_greening()  # doctest: +SKIP
>>> res.greenable_by_suitability_m2  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from linfen_geo.analysis.greening.rules import GreeningRules
from linfen_geo.grid import window_of

__all__ = ["GreeningResult"]


@dataclass
class GreeningResult:
    """Tables, suitability raster and notes of a corridor-greening analysis.

    Attributes
    ----------
    by_piece, by_corridor, by_county, total
        Areas (``*_m2`` with ``*_ha``, ``*_mu`` (亩), ``*_wanmu`` (万亩)) of each corridor x county
        piece, corridor, county (corridor land counted once) and all corridors: ``area``,
        ``existing_green`` (+ share), ``greenable`` (+ share) split by suitability
        (``greenable_tree`` ...) and by source class (``greenable_from_barren`` ...), and
        ``target_share`` (greenable / the plan's 20万亩 target).
    landcover_breakdown
        Long table: area of each common land-cover class per corridor (and ``all``).
    code
        The combined code raster on the analysis grid (``class * K + steep * (S + 1) + suitability``,
        see :meth:`GreeningRules.decode`); file-backed (lazy) for large grids.
    suitability
        Raster on the analysis grid (property, computed from ``code``): 0 not greenable,
        1.. suitability classes (``rules.suitability_names``), 255 outside the corridors / no data.
    zones
        The disjoint atoms (corridor set x county) tabulated, in AREA_CRS.
    notes
        Data-honesty notes: sources and resolutions first, then flags and the rules.
    meta
        Sources, grids, timings.
    """

    by_piece: pd.DataFrame
    by_corridor: pd.DataFrame
    by_county: pd.DataFrame
    total: pd.DataFrame
    landcover_breakdown: pd.DataFrame
    code: xr.DataArray
    zones: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    rules: GreeningRules
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    _tmpdir: Path | None = field(default=None, repr=False)
    _code_path: Path | None = field(default=None, repr=False)
    _suitability: xr.DataArray | None = field(default=None, repr=False)

    # ------------------------------------------------ headline numbers
    @property
    def existing_green_m2(self) -> float:
        """Existing green cover (forest + shrub) in all corridors, m² (overlaps once)."""
        return float(self.total["existing_green_m2"].iloc[0])

    @property
    def existing_green_share(self) -> float:
        """Existing green cover as a share of the corridors' area."""
        return float(self.total["existing_green_share"].iloc[0])

    @property
    def greenable_m2(self) -> float:
        """Greenable land in all corridors, m² (overlaps once)."""
        return float(self.total["greenable_m2"].iloc[0])

    @property
    def greenable_by_suitability_m2(self) -> dict[str, float]:
        """Greenable land per suitability class (tree / shrub / grass), m²."""
        return {s: float(self.total[f"greenable_{s}_m2"].iloc[0]) for s in self.rules.suitability_names}

    @property
    def target_share(self) -> float:
        """Greenable area / the plan's afforestation target (20万亩)."""
        return float(self.total["target_share"].iloc[0])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five tables by name (as written to CSV and XLSX), each stating its area CRS and definitions."""
        tables = {
            "by_piece": self.by_piece,
            "by_corridor": self.by_corridor,
            "by_county": self.by_county,
            "total": self.total,
            "landcover_breakdown": self.landcover_breakdown,
        }
        flagged = self.illustrative_inputs()
        for df in tables.values():
            df.attrs.update(
                area_crs=self.meta.get("area_crs", ""),
                definitions=[
                    "pieces = corridor x county; the corridors are dissolved first (overlaps counted once)",
                    "areas: exact partial-pixel coverage of land-cover cells, scaled to ellipsoidal areas",
                    "greenable = barren land, grassland on hills and cropland steeper than the plan's threshold; "
                    "suitability (tree/shrub/grass) by slope, elevation and aspect, first matching rule",
                ],
                status="illustrative" if flagged else "derived",
            )
        return tables

    def greenable_sentence(self) -> str:
        """One sentence: greenable area per corridor in ha, 亩 and 万亩."""
        parts = [
            f"{r.corridor_id} {r.corridor_zh}: {r.greenable_ha:,.0f} ha = {r.greenable_mu:,.0f} 亩 = {r.greenable_wanmu:,.2f} 万亩"
            for r in self.by_corridor.itertuples()
        ]
        t = self.total.iloc[0]
        return (
            "Greenable land per corridor 各廊道宜绿化面积 - "
            + "; ".join(parts)
            + f". All corridors (overlaps once): {t['greenable_ha']:,.0f} ha = {t['greenable_wanmu']:,.2f} 万亩, "
            f"{t['target_share'] * 100:.1f}% of the {self.rules.target_mu / 10000:g} 万亩 target."
        )

    def close(self) -> None:
        """Delete the temporary code raster behind a large (file-backed) result."""
        if self._tmpdir is not None:
            self.code.close()
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # ------------------------------------------------ the suitability raster
    @property
    def suitability(self) -> xr.DataArray:
        """Greenable land by suitability on the analysis grid (see the class docstring).

        Computed from :attr:`code` on first access (for a large grid this loads it, 1 byte a cell).
        """
        if self._suitability is None:
            da = self.code
            arr, _ = self._suitability_array(0, da.rio.height, 0, da.rio.width)
            out = xr.DataArray(arr, dims=("y", "x"), coords={"y": da["y"].values, "x": da["x"].values})
            out = out.rio.write_crs(da.rio.crs).rio.write_transform(da.rio.transform()).rio.write_nodata(255)
            out.name = "suitability"
            rules = self.rules
            names = zip(rules.suitability_names, rules.suitability_zh, strict=True)
            out.attrs.update(
                {
                    "long_name": "greenable land by suitability 宜绿化土地适宜性",
                    "classes": "0=not greenable 不宜绿化; "
                    + "; ".join(f"{i}={n} {z}" for i, (n, z) in enumerate(names, 1))
                    + "; 255=outside the corridors or no data",
                }
            )
            self._suitability = out
        return self._suitability

    def _suit_lut(self) -> np.ndarray:
        nod = self.rules.nodata_code
        lut = np.full(int(nod) + 1, 255, dtype=np.uint8)
        codes = np.arange(len(self.rules.classes) * self.rules.K)
        lut[codes] = self.rules.decode(codes)[2]
        return lut

    def _suitability_array(
        self, r0: int, r1: int, c0: int, c1: int, step: int = 1, corridor: str | None = None
    ) -> tuple[np.ndarray, Any]:
        """Suitability of a window of the analysis grid (decimated by ``step``), 255 outside the corridors
        (outside ``corridor`` when given)."""
        arr, t = self._code_window(r0, r1, c0, c1, step)
        suit = self._suit_lut()[arr]
        import rasterio.features

        z = self.zones
        if corridor is not None:
            z = z[z["corridors"].str.split("+").map(lambda ids: corridor in ids)]
        geoms = [g for g in z.to_crs(self.code.rio.crs).geometry.values if not g.is_empty]
        inside = rasterio.features.rasterize([(g, 1) for g in geoms], out_shape=suit.shape, transform=t, dtype="uint8")
        suit[inside == 0] = 255
        return suit, t

    def _code_window(self, r0: int, r1: int, c0: int, c1: int, step: int) -> tuple[np.ndarray, Any]:
        """Codes of a window (decimated by nearest neighbour) and the window's transform."""
        t0 = self.code.rio.transform()
        shape = (math.ceil((r1 - r0) / step), math.ceil((c1 - c0) / step))
        t = t0 * t0.translation(c0, r0) * t0.scale((c1 - c0) / shape[1], (r1 - r0) / shape[0])
        if self._code_path is not None and step > 1:  # GDAL decimated read: no full-resolution load
            import rasterio
            from rasterio.enums import Resampling
            from rasterio.windows import Window

            with rasterio.open(self._code_path) as src:
                arr = src.read(
                    1, window=Window(c0, r0, c1 - c0, r1 - r0), out_shape=shape, resampling=Resampling.nearest
                )
            return arr, t
        sub = self.code.isel(y=slice(r0, r1, step), x=slice(c0, c1, step))
        return np.asarray(sub.values), t0 * t0.translation(c0, r0) * t0.scale(step)

    def summary_tables(self) -> dict[str, pd.DataFrame]:
        """Condensed tables for the Markdown/HTML report (ha, 亩, 万亩 of the key measures)."""
        s = self.rules.suitability_names
        key = [
            "area_ha",
            "existing_green_ha",
            "existing_green_share",
            *[f"greenable_{x}_ha" for x in s],
            "greenable_ha",
            "greenable_mu",
            "greenable_wanmu",
            "target_share",
        ]
        return {
            "corridors": self.by_corridor[["corridor_id", "corridor_zh", *key]],
            "counties": self.by_county[["adcode", "county_zh", "corridors", *key]],
            "pieces": self.by_piece[["corridor_id", "adcode", "county_zh", *key]],
            "total": self.total[["zone_zh", *key]],
        }

    # ------------------------------------------------ files and figures (thin: linfen_geo.reports / linfen_geo.viz)
    def write(
        self, out_dir: str | os.PathLike[str] | Any, *, overwrite: bool = False, prefix: str = "greening"
    ) -> list[Path]:
        """Write CSVs, an XLSX, the maps, the suitability GeoTIFF and the MD/HTML report.

        See :func:`linfen_geo.reports.greening.write_greening` (which this calls).
        """
        from linfen_geo.reports.greening import write_greening

        return write_greening(self, out_dir, overwrite=overwrite, prefix=prefix)

    def to_excel(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the tables (one sheet each) and the notes to an XLSX workbook, atomically.

        See :func:`linfen_geo.reports.greening.greening_to_excel`.
        """
        from linfen_geo.reports.greening import greening_to_excel

        return greening_to_excel(self, path, overwrite=overwrite)

    def markdown(self, files: Sequence[str] = (), *, level: int = 1) -> str:
        """The report as Markdown (notes first, then the tables); :func:`linfen_geo.reports.greening.greening_markdown`."""
        from linfen_geo.reports.greening import greening_markdown

        return greening_markdown(self, files, level=level)

    def html(self, images: Sequence[str] = (), files: Sequence[str] = ()) -> str:
        """The report as a standalone HTML page; :func:`linfen_geo.reports.greening.greening_html`."""
        from linfen_geo.reports.greening import greening_html

        return greening_html(self, images, files)

    def plot_suitability(self, *, dpi: int = 150) -> Any:
        """Map per corridor of greenable land by suitability; :func:`linfen_geo.viz.greening_maps.plot_suitability`."""
        from linfen_geo.viz.greening_maps import plot_suitability

        return plot_suitability(self, dpi=dpi)

    def plot_by_county(self) -> Any:
        """Stacked bars of greenable land per county; :func:`linfen_geo.viz.greening_maps.plot_by_county`."""
        from linfen_geo.viz.greening_maps import plot_by_county

        return plot_by_county(self)

    def suitability_window(
        self, bounds: Sequence[float], max_px: int = 1200, corridor: str | None = None
    ) -> xr.DataArray:
        """The suitability raster over ``bounds`` (in its CRS), decimated to at most ``max_px`` cells a side.

        Cells outside the corridors (outside ``corridor`` when given) are 255. A file-backed code
        raster is read decimated by GDAL, never whole.
        """
        da = self.code
        r0, r1, c0, c1 = window_of(bounds, da.rio.transform(), da.shape, margin=1)
        step = max(1, math.ceil(max(r1 - r0, c1 - c0) / max_px))
        arr, t = self._suitability_array(r0, r1, c0, c1, step, corridor)
        ys = t.f + (np.arange(arr.shape[0]) + 0.5) * t.e
        xs = t.c + (np.arange(arr.shape[1]) + 0.5) * t.a
        sub = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs}).rio.write_crs(da.rio.crs)
        return sub.rio.write_transform(t).rio.write_nodata(255)

    def illustrative_inputs(self) -> list[str]:
        """Names of the inputs that are illustrative (the corridors, land cover, DEM), for figure notes."""
        out = []
        if self.corridors.attrs.get("status") == "illustrative" or (
            "illustrative" in self.corridors.columns and self.corridors["illustrative"].astype(bool).any()
        ):
            out.append(str(self.corridors.attrs.get("layer", "corridors")))
        out += [n for n in ("landcover", "dem") if self.meta.get(f"{n}_status") == "illustrative"]
        return out
