"""Notes of a greening result: where the data come from, how coarse they are, what was assumed.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> strip = gpd.GeoDataFrame(geometry=[box(500_000, 4_000_000, 560_000, 4_002_000)], crs=4546)
>>> round(strip_width_m(strip), -1)  # a 60 km x 2 km strip: about 2 km wide
1940.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from linfen_geo.crs import AREA_CRS, AREA_CRS_NAME
from linfen_geo.units import convert_area

if TYPE_CHECKING:
    from linfen_geo.analysis.greening.result import GreeningResult

__all__ = ["greening_notes", "strip_width_m"]


def strip_width_m(corridors: gpd.GeoDataFrame) -> float:
    """Typical strip width of the corridors: 2 x area / perimeter (a long strip: its width)."""
    g = corridors.to_crs(AREA_CRS)
    return float(2 * g.area.sum() / g.boundary.length.sum())


def greening_notes(res: GreeningResult, plan: Mapping[str, Any]) -> list[str]:
    """Data-honesty notes of a result: sources and resolutions first, then flags, the rules, the target.

    ``plan`` is the parsed plan the result was computed with (kept for rules read from it later).
    """
    meta, rules = res.meta, res.rules
    lc_m = max(meta["landcover_cell_m"])
    notes = [
        f"Land cover 土地覆被: {meta['landcover_title']} [{meta['landcover_status']}] - {meta['landcover_source']}; "
        f"cell {meta['landcover_resolution']}; classes '{meta['class_scheme']}' mapped to the plan's common classes "
        f"([greening.class_maps.{meta['class_scheme']}]).",
        f"DEM 高程: {meta['dem_title']} [{meta['dem_status']}] - {meta['dem_source']}; cell {meta['dem_resolution']}; "
        f"slope and aspect computed on {meta['terrain_grid']} (metres).",
    ]
    width = strip_width_m(res.corridors)
    if width < lc_m:
        notes.append(
            f"COARSE DATA 数据过粗: the corridor strips are about {width / 1000:.1f} km wide, narrower than one "
            f"land-cover cell (~{lc_m / 1000:.1f} km): each strip takes the class of the cells it crosses, so the "
            "land-cover breakdown and the greenable areas are rough estimates. A 10-30 m land cover (ESA WorldCover, "
            "CLCD) gives the real answer: `linfen-geo data import PATH --kind landcover --classes worldcover`, then "
            "`linfen-geo greening --landcover ...`."
        )
    if meta["terrain_resolution_m"] > 100:
        notes.append(
            f"Slopes from a {meta['terrain_resolution_m']:,.0f} m DEM are strongly underestimated (the steepest "
            f"corridor cell here is {meta['max_slope_deg']:.1f}°): little or no cropland reaches the "
            f"{rules.sloping_cropland_deg:g}°/{rules.steep_cropland_deg:g}° thresholds, so sloping-cropland greening "
            "is missed and suitability leans to trees. Use a 30 m DEM (`linfen-geo data import PATH --kind dem`)."
        )
    if meta["subdivide"] > 1:
        notes.append(
            f"Analysis grid: each land-cover cell split into {meta['subdivide']} x {meta['subdivide']} cells so terrain "
            "varies inside it; land-cover areas are unchanged by the split."
        )
    status = res.corridors.attrs.get("status")
    if status == "illustrative" or (
        "illustrative" in res.corridors.columns and res.corridors["illustrative"].astype(bool).any()
    ):
        notes.append(
            "ILLUSTRATIVE 示意: the corridors follow illustrative road alignments (least-cost routes between the "
            "county seats), not the real roads; official corridor or road lines replace them via lg.use(...)."
        )
    for what in ("landcover", "dem"):
        if meta[f"{what}_status"] == "illustrative":
            notes.append(f"ILLUSTRATIVE 示意: the {what} input is illustrative.")
    overlap = float(res.total["overlap_m2"].iloc[0])
    if overlap > 0:
        pairs = sorted({a for a in res.zones["corridors"] if "+" in a})
        notes.append(
            f"Corridors overlap ({', '.join(pairs)}) on {convert_area(overlap, 'm2', 'ha'):,.1f} ha: counted in full "
            "in each corridor's row, once in the county rows and the total."
        )
    dropped = res.zones.attrs.get("dropped_m2", 0.0)
    if dropped > 0:
        notes.append(
            f"{dropped:,.1f} m² of corridor lies outside every county polygon (boundary mismatch) and is not counted."
        )
    nod = float(res.landcover_breakdown.query("corridor_id == 'all' and `class` == 'nodata'")["area_m2"].sum())
    if nod > 0:
        notes.append(f"{convert_area(nod, 'm2', 'ha'):,.1f} ha of corridor has no land-cover data (not greenable).")
    if meta["missing_terrain_cells"]:
        notes.append(
            f"{meta['missing_terrain_cells']:,} analysis cells in or near the corridors have no DEM value: only "
            "always-greenable classes count there, with the catch-all suitability."
        )
    notes += rules.describe()
    notes.append(
        f"Target 目标: {rules.target_mu / 10000:g} 万亩 ({rules.target_key}, plan [targets]); 'target_share' = "
        "greenable area / target (an upper bound: greenable is not planted)."
    )
    notes.append(
        f"Areas: exact partial-pixel coverage (exactextract) scaled to ellipsoidal areas in {AREA_CRS_NAME}; "
        "1 ha = 15 亩, 1 万亩 = 666.67 ha."
    )
    return notes
