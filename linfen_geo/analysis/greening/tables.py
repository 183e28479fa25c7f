"""Table assembly of the greening result: per-atom measures, pieces, corridors, counties, total; units, shares.

Examples
--------
>>> import pandas as pd
>>> _shares(pd.DataFrame({"area_m2": [4.0], "existing_green_m2": [1.0], "greenable_m2": [2.0]}), 8.0).iloc[0].tolist()
[4.0, 1.0, 2.0, 0.25, 0.5, 0.25]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from linfen_geo.analysis.greening.notes import greening_notes
from linfen_geo.analysis.greening.result import GreeningResult
from linfen_geo.analysis.greening.rules import GreeningRules
from linfen_geo.analysis.zonal import NODATA_CLASS
from linfen_geo.crs import AREA_CRS
from linfen_geo.units import convert_area

__all__ = ["UNITS", "assemble", "with_units"]

#: area units added beside every ``*_m2`` column
UNITS = ("ha", "mu", "wanmu")


def _names(df: gpd.GeoDataFrame, id_col: str, zh: Sequence[str], en: Sequence[str]) -> pd.DataFrame:
    zh_col = next((c for c in zh if c in df.columns), None)
    en_col = next((c for c in en if c in df.columns), None)
    out = pd.DataFrame({id_col: df[id_col].to_numpy()})
    out["zh"] = df[zh_col].astype(str).to_numpy() if zh_col else out[id_col].astype(str)
    out["en"] = df[en_col].astype(str).to_numpy() if en_col else out[id_col].astype(str)
    return out


def with_units(df: pd.DataFrame) -> pd.DataFrame:
    """Add ha / 亩 / 万亩 columns after every ``*_m2`` column (units as in :func:`~linfen_geo.units.add_area_columns`).

    Examples
    --------
    >>> import pandas as pd
    >>> with_units(pd.DataFrame({"area_m2": [10_000.0]})).columns.tolist()
    ['area_m2', 'area_ha', 'area_mu', 'area_wanmu']
    """
    cols: dict[str, pd.Series] = {}
    for c in df.columns:
        cols[c] = df[c]
        if c.endswith("_m2"):
            m2 = df[c].astype(float)
            for u in UNITS:
                cols[f"{c[:-3]}_{u}"] = convert_area(m2, "m2", u)
    out = pd.DataFrame(cols, index=df.index)
    out.attrs = dict(df.attrs)
    return out


def _measures(long: pd.DataFrame, zones: gpd.GeoDataFrame, rules: GreeningRules) -> pd.DataFrame:
    """Per atom: area by common class, green cover, greenable by suitability and by source class."""
    cls_idx, steep, suit = rules.decode(long["class"].clip(lower=0))
    nod = long["class"].to_numpy() == NODATA_CLASS
    names = np.array([*rules.classes, "nodata"], dtype=object)
    d = pd.DataFrame(
        {
            "atom_id": long["atom_id"].to_numpy(),
            "cls": np.where(nod, "nodata", names[np.minimum(cls_idx, len(rules.classes))]),
            "steep": (steep == 1) & ~nod,
            "suit": np.where(nod, 0, suit),
            "area_m2": long["area_m2"].to_numpy(),
        }
    )
    idx = pd.Index(zones["atom_id"], name="atom_id")
    m = pd.DataFrame(index=idx)
    m["area_m2"] = zones.set_index("atom_id")["area_m2"]
    by_cls = d.pivot_table(index="atom_id", columns="cls", values="area_m2", aggfunc="sum", fill_value=0.0)
    for c in [*rules.classes, "nodata"]:
        m[f"lc_{c}_m2"] = by_cls[c].reindex(idx, fill_value=0.0) if c in by_cls else 0.0
    m["existing_green_m2"] = sum((m[f"lc_{c}_m2"] for c in rules.green_cover), start=pd.Series(0.0, index=idx))
    g = d[d["suit"] > 0]
    by_suit = g.pivot_table(index="atom_id", columns="suit", values="area_m2", aggfunc="sum", fill_value=0.0)
    for i, s in enumerate(rules.suitability_names, start=1):
        m[f"greenable_{s}_m2"] = by_suit[i].reindex(idx, fill_value=0.0) if i in by_suit else 0.0
    m["greenable_m2"] = m[[f"greenable_{s}_m2" for s in rules.suitability_names]].sum(axis=1)
    by_src = g.pivot_table(index="atom_id", columns="cls", values="area_m2", aggfunc="sum", fill_value=0.0)
    for c in rules.greenable_sources():
        m[f"greenable_from_{c}_m2"] = by_src[c].reindex(idx, fill_value=0.0) if c in by_src else 0.0
    steep_crop = g[g["steep"] & (g["cls"] == "cropland")].groupby("atom_id")["area_m2"].sum()
    m["greenable_from_cropland_steep_m2"] = steep_crop.reindex(idx, fill_value=0.0)
    return m.astype(float)


def _shares(df: pd.DataFrame, target_m2: float) -> pd.DataFrame:
    out = df.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["existing_green_share"] = out["existing_green_m2"] / out["area_m2"]
        out["greenable_share"] = out["greenable_m2"] / out["area_m2"]
        out["target_share"] = out["greenable_m2"] / target_m2
    return out


def _order(df: pd.DataFrame, lead: list[str], rules: GreeningRules) -> pd.DataFrame:
    core = [
        "area_m2",
        "existing_green_m2",
        "existing_green_share",
        "greenable_m2",
        "greenable_share",
        *[f"greenable_{s}_m2" for s in rules.suitability_names],
        *[f"greenable_from_{c}_m2" for c in rules.greenable_sources()],
        "greenable_from_cropland_steep_m2",
        "target_share",
    ]
    rest = [c for c in df.columns if c not in lead and c not in core and not c.startswith("lc_")]
    return with_units(df[lead + core + rest])


def assemble(
    long: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    rules: GreeningRules,
    meta: dict[str, Any],
    code: xr.DataArray,
    plan: Mapping[str, Any],
) -> GreeningResult:
    """The result tables from the long tabulation ``atom_id, class, area_m2`` of the combined codes.

    Corridor x county pieces and corridors count every atom that lies in them (an atom where two
    corridors overlap counts in both); counties and the total count each atom once.
    """
    m = _measures(long, zones, rules)
    target_m2 = convert_area(rules.target_mu, "mu", "m2")
    order = zones.attrs["corridor_order"]
    cnames = _names(corridors, "corridor_id", ("name_zh", "name"), ("name_en",)).set_index("corridor_id")
    cnames.index = cnames.index.astype(str)
    knames = _names(counties, "adcode", ("name", "name_zh"), ("name_en",)).set_index("adcode")
    knames.loc[0] = ["县界外", "outside the county polygons"]
    atoms = zones[["atom_id", "corridors", "adcode"]].set_index("atom_id")
    cols = list(m.columns)

    # corridor x county pieces: each atom counts in every corridor covering it
    ex = atoms.assign(corridor_id=atoms["corridors"].str.split("+")).explode("corridor_id").join(m)
    piece = ex.groupby(["corridor_id", "adcode"], sort=False)[cols].sum().reset_index()
    piece["_o"] = piece["corridor_id"].map(order.index)
    piece = piece.sort_values(["_o", "adcode"]).drop(columns="_o").reset_index(drop=True)
    piece.insert(1, "corridor_zh", piece["corridor_id"].map(cnames["zh"]))
    piece.insert(2, "corridor_en", piece["corridor_id"].map(cnames["en"]))
    piece.insert(4, "county_zh", piece["adcode"].map(knames["zh"]))
    piece.insert(5, "county_en", piece["adcode"].map(knames["en"]))
    piece = _shares(piece, target_m2)

    corr = ex.groupby("corridor_id", sort=False)[cols].sum().reindex(order).reset_index()
    corr.insert(1, "corridor_zh", corr["corridor_id"].map(cnames["zh"]))
    corr.insert(2, "corridor_en", corr["corridor_id"].map(cnames["en"]))
    poly_area = corridors.assign(_a=corridors.to_crs(AREA_CRS).area.to_numpy())
    corr["corridor_polygon_m2"] = corr["corridor_id"].map(
        poly_area.set_index(poly_area["corridor_id"].astype(str))["_a"]
    )
    corr = _shares(corr, target_m2)

    # counties and the total: each atom once (overlapping corridors counted once)
    j = atoms.join(m)
    multi = j["corridors"].str.contains("+", regex=False)
    j["overlap_m2"] = np.where(multi, j["area_m2"] * (j["corridors"].str.count(r"\+")), 0.0)
    county = j.groupby("adcode", sort=True)[[*cols, "overlap_m2"]].sum().reset_index()
    in_county = ex.groupby("adcode")["corridor_id"].agg(lambda s: ", ".join(sorted(set(s), key=order.index)))
    county.insert(1, "county_zh", county["adcode"].map(knames["zh"]))
    county.insert(2, "county_en", county["adcode"].map(knames["en"]))
    county.insert(3, "corridors", county["adcode"].map(in_county))
    county = _shares(county, target_m2)

    tot = j[[*cols, "overlap_m2"]].sum().to_frame().T
    tot.insert(0, "zone", "all corridors")
    tot.insert(1, "zone_zh", "全部廊道（重叠只计一次）")
    tot.insert(2, "zone_en", "All corridors (overlaps counted once)")
    tot["corridor_sum_m2"] = corr["area_m2"].sum()
    tot["target_m2"] = target_m2
    tot = _shares(tot, target_m2)

    # land-cover breakdown per corridor (+ all corridors), long
    lc_cols = [f"lc_{c}_m2" for c in [*rules.classes, "nodata"]]
    zh_of = dict(zip(rules.classes, rules.classes_zh, strict=True)) | {"nodata": "无数据"}
    blocks = []
    for cid, grp in [*ex.groupby("corridor_id", sort=False), ("all", j)]:
        s = grp[lc_cols].sum()
        area = grp["area_m2"].sum()
        blocks.append(
            pd.DataFrame(
                {
                    "corridor_id": cid,
                    "corridor_zh": cnames["zh"].get(cid, "全部廊道（重叠只计一次）"),
                    "corridor_en": cnames["en"].get(cid, "All corridors (overlaps counted once)"),
                    "class": [c[3:-3] for c in lc_cols],
                    "class_zh": [zh_of[c[3:-3]] for c in lc_cols],
                    "green_cover": [c[3:-3] in rules.green_cover for c in lc_cols],
                    "area_m2": s.to_numpy(),
                    "share": s.to_numpy() / area if area else np.nan,
                }
            )
        )
    lcb = pd.concat(blocks, ignore_index=True)
    lcb["_o"] = lcb["corridor_id"].map(lambda c: order.index(c) if c in order else len(order))
    lcb = lcb.sort_values("_o", kind="stable").drop(columns="_o")
    lcb = lcb[(lcb["area_m2"] > 0) | (lcb["class"] != "nodata")].reset_index(drop=True)
    lcb = with_units(lcb)

    result = GreeningResult(
        by_piece=_order(
            piece, ["corridor_id", "corridor_zh", "corridor_en", "adcode", "county_zh", "county_en"], rules
        ),
        by_corridor=_order(corr, ["corridor_id", "corridor_zh", "corridor_en"], rules),
        by_county=_order(county, ["adcode", "county_zh", "county_en", "corridors"], rules),
        total=_order(tot, ["zone", "zone_zh", "zone_en"], rules),
        landcover_breakdown=lcb,
        code=code,
        zones=zones,
        corridors=corridors,
        counties=counties,
        rules=rules,
        meta=meta,
    )
    result.notes = greening_notes(result, plan)
    return result
