"""Plan indicators: red-line share (indicator 23, "not reduced") and forest coverage (indicator 22).

Targets and class definitions come from ``plan.toml`` ``[indicators.*]``. Areas are in
:data:`~linfen_geo.crs.AREA_CRS`; raster tabulation uses exact partial-pixel coverage
(:func:`~linfen_geo.analysis.zonal.tabulate_classes`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis._prep import as_layer, as_raster, check_same_crs, dissolved, plan_of
from linfen_geo.analysis.coverage import coverage, with_total
from linfen_geo.analysis.zonal import tabulate_classes
from linfen_geo.crs import AREA_CRS, AREA_CRS_NAME
from linfen_geo.errors import InputError
from linfen_geo.landcover import common_classes
from linfen_geo.plan.model import plan_model
from linfen_geo.units import add_area_columns, convert_area

__all__ = ["redline_share", "redline_change", "forest_coverage"]


def redline_share(redlines: Any = "redlines", counties: Any = "counties", *, catalog: Any = None) -> pd.DataFrame:
    """Indicator 23: red-line area and its share of the land area, per county and in total.

    Examples
    --------
    >>> import linfen_geo as lg
    >>> t = redline_share()  # doctest: +SKIP
    >>> t.iloc[-1][["name_zh", "share"]]  # doctest: +SKIP
    """
    out = with_total(coverage(redlines, counties, zone_id="adcode", catalog=catalog))
    out.attrs["indicator"] = "23 生态保护红线占国土面积比例 (not reduced)"
    return out


def redline_change(
    old: Any,
    new: Any,
    counties: Any = "counties",
    *,
    catalog: Any = None,
    tolerance_m2: float | None = None,
    reproject: bool = False,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Compare two versions of the red-line layer: area gained and lost per county.

    Parameters
    ----------
    old, new
        The earlier and the later red-line layers (catalog names or GeoDataFrames).
    counties
        County polygons for the breakdown.
    tolerance_m2
        Net losses smaller than this count as "not reduced" (numerical noise); default: the
        plan's ``[indicators.redline_share] tolerance_m2``.
    reproject
        Accept inputs given in different CRSs (else :class:`CRSMismatchError`).

    Returns
    -------
    table : pandas.DataFrame
        Per county and total: ``old_m2, new_m2, gained_m2, lost_m2, net_m2, not_reduced`` (+ units).
        ``new - old == gained - lost`` holds in every row.
    changes : geopandas.GeoDataFrame
        Polygons of the gained and lost areas (``change`` = "gained"/"lost"), in AREA_CRS, for a map.
    """
    old_l, new_l = as_layer(old, catalog, what="old red lines"), as_layer(new, catalog, what="new red lines")
    cty = as_layer(counties, catalog, what="counties")
    check_same_crs(
        [(old, old_l, "old red lines"), (new, new_l, "new red lines"), (counties, cty, "counties")], reproject
    )
    o, n = dissolved(old_l), dissolved(new_l)
    if tolerance_m2 is None:
        tolerance_m2 = plan_model(plan_of(catalog)).indicators.redline_share.tolerance_m2
    gained, lost = shapely.difference(n, o), shapely.difference(o, n)
    cty = cty.to_crs(AREA_CRS)
    cg = cty.geometry.values
    table = pd.DataFrame(
        {
            "adcode": cty["adcode"].astype(str).to_numpy(),
            "name_zh": cty["name"].to_numpy(),
            "name_en": cty["name_en"].to_numpy(),
            "old_m2": shapely.area(shapely.intersection(cg, o)),
            "new_m2": shapely.area(shapely.intersection(cg, n)),
            "gained_m2": shapely.area(shapely.intersection(cg, gained)),
            "lost_m2": shapely.area(shapely.intersection(cg, lost)),
        }
    )
    total = {
        "adcode": "total",
        "name_zh": "合计",
        "name_en": "Total",
        **{c: table[c].sum() for c in ("old_m2", "new_m2", "gained_m2", "lost_m2")},
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["net_m2"] = table["new_m2"] - table["old_m2"]
    table["not_reduced"] = table["net_m2"] >= -tolerance_m2
    for col in ("old_m2", "new_m2", "gained_m2", "lost_m2", "net_m2"):
        table = add_area_columns(table, col, units=("km2", "mu"))
    changes = gpd.GeoDataFrame(
        {"change": ["gained", "lost"], "change_zh": ["新增", "减少"]}, geometry=[gained, lost], crs=AREA_CRS
    )
    table.attrs.update({"area_crs": AREA_CRS_NAME, "indicator": "23 生态保护红线面积不减少"})
    return table, changes


def forest_coverage(
    landcover: Any = "landcover", zones: Any = "counties", *, plan: dict[str, Any] | None = None, catalog: Any = None
) -> pd.DataFrame:
    """Indicator 22: forest coverage from a land-cover raster, per zone and city, against the plan's target.

    The raster may be coded in any class scheme the plan maps (``attrs["class_scheme"]``:
    IGBP, WorldCover, CLCD ...): it is recoded to the plan's common classes first, so the
    same land gives the same coverage in every scheme. Two readings are given because a
    land-cover forest class rarely matches China's forest definition: ``strict`` (the plan
    file's ``classes_strict``: common class forest) and ``broad`` (``classes_broad``: forest
    and shrub, which reach China's >= 20 % canopy).
    The gap to the 2025 target is given in 亩 and 万亩 for the city total.

    Returns
    -------
    pandas.DataFrame
        One row per zone plus a total: zone area, forest area and share (strict and broad), and
        for the total the target share, target area and the gap (亩, 万亩; positive = to plant).
        ``attrs["caveat_zh"/"caveat_en"]`` states the class-definition and resolution caveat.
    """
    plan = plan or plan_of(catalog)
    cat = catalog
    spec = plan["indicators"]["forest_coverage"]
    lc = as_raster(landcover, cat)
    z = as_layer(zones, cat, what="zones")
    names = list(plan["greening"]["classes"])
    common = common_classes(lc, names, plan["greening"]["class_maps"])
    tab = tabulate_classes(common, z, zone_id="adcode")
    zone_area = z.assign(_a=z.to_crs(AREA_CRS).area.to_numpy()).set_index("adcode")["_a"]
    wide = tab.pivot_table(index="adcode", columns="class", values="area_m2", aggfunc="sum", fill_value=0.0)
    for key in ("classes_strict", "classes_broad"):
        unknown = sorted(set(spec[key]) - set(names))
        if unknown:
            raise InputError(f"[indicators.forest_coverage] {key} names unknown land-cover classes {unknown}")
    strict = wide.reindex(columns=[names.index(c) for c in spec["classes_strict"]], fill_value=0.0).sum(axis=1)
    broad = wide.reindex(columns=[names.index(c) for c in spec["classes_broad"]], fill_value=0.0).sum(axis=1)
    out = pd.DataFrame(
        {
            "adcode": zone_area.index.astype(str),
            "name_zh": z.set_index("adcode").loc[zone_area.index, "name"].to_numpy(),
            "name_en": z.set_index("adcode").loc[zone_area.index, "name_en"].to_numpy(),
            "zone_area_m2": zone_area.to_numpy(),
            "forest_strict_m2": strict.reindex(zone_area.index).to_numpy(),
            "forest_broad_m2": broad.reindex(zone_area.index).to_numpy(),
        }
    )
    total = {
        "adcode": "total",
        "name_zh": "合计",
        "name_en": "Total",
        **{c: out[c].sum() for c in ("zone_area_m2", "forest_strict_m2", "forest_broad_m2")},
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["share_strict"] = out["forest_strict_m2"] / out["zone_area_m2"]
    out["share_broad"] = out["forest_broad_m2"] / out["zone_area_m2"]
    is_total = out["adcode"] == "total"
    target_m2 = spec["target_share"] * out.loc[is_total, "zone_area_m2"].to_numpy()[0]
    out["target_share"] = np.where(is_total, spec["target_share"], np.nan)
    out["baseline_share"] = np.where(is_total, spec["baseline_share"], np.nan)
    out["target_m2"] = np.where(is_total, target_m2, np.nan)
    for reading in ("strict", "broad"):
        gap = np.where(is_total, target_m2 - out[f"forest_{reading}_m2"], np.nan)
        out[f"gap_{reading}_mu"] = convert_area(gap, "m2", "mu")
        out[f"gap_{reading}_wanmu"] = convert_area(gap, "m2", "wanmu")
    for col in ("zone_area_m2", "forest_strict_m2", "forest_broad_m2"):
        out = add_area_columns(out, col, units=("km2", "mu"))
    out.attrs.update(
        {
            "area_crs": AREA_CRS_NAME,
            "caveat_zh": spec["caveat_zh"],
            "caveat_en": spec["caveat_en"],
            "raster": lc.attrs.get("title_en", "land cover"),
            "class_scheme": common.attrs.get("source_scheme", "common"),
            "status": lc.attrs.get("status", "user"),
            "indicator": "22 森林覆盖率",
        }
    )
    return out
