"""河流 and 河流绿化缓冲带 - the river lines, and the green buffers of plan line 352 along them.

``rivers`` (:func:`build_rivers`) is the national 1:4M lines (汾河, 黄河) plus the rivers the plan's
``[rivers] add`` list takes from the WDBII lines (GSHHG, ~1:3M: 沁河), each feature with its
``source`` and ``accuracy``.

The plan asks for green strips "50 m beyond the levee" along the Fen and the main tributaries of
the Yellow River and 30 m along other tributaries. No levee lines exist here, so the levee is
taken at a nominal channel half width from the river centre line (parameters in ``plan.toml``
``[river_buffers]``):

1. River features are dissolved by ``name``; a missing or blank name becomes ``未命名 unnamed``.
2. ``width_m`` is the ``width_m`` of the first rule whose ``rivers`` list holds the name, else
   ``default_width_m``; ``channel_half_width_m`` is the name's entry in the
   ``channel_half_width_m`` table, else ``default_channel_half_width_m``.
3. In EPSG:4546 the green strip is ``buffer(line, half + width)`` minus ``buffer(line, half)``
   (the channel up to the levee): a band of ``width_m`` on each bank, from ``half`` to
   ``half + width`` metres from the centre line. It is clipped to the city (union of the
   counties); a river with nothing inside the city is dropped.
4. ``rule`` is the matching rule's ``rule_zh / rule_en``; for the default width it is
   ``default_rule_zh / default_rule_en`` when the section has them, else
   "其他支流堤外<w>米 / other tributaries: <w> m beyond the levee".

Strips of different rivers may overlap at confluences (each river keeps its own rule).
Columns: ``river``, ``width_m``, ``channel_half_width_m``, ``rule`` (Chinese / English),
``length_km`` (centre line inside the city, EPSG:4546), ``area_ha`` (Albers equal-area),
``illustrative`` (False: it is the plan's rule applied to real lines; as accurate as those lines,
+-1-2 km for the shipped 1:4M rivers) and ``method``. Works for any river file with a ``name``
column (``linfen_geo.use("rivers", ...)``): a tributary the rules do not name gets the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, to_area_crs, to_storage_crs
from linfen_geo.errors import InputError

__all__ = ["UNNAMED", "build_buffers", "build_rivers", "merge_rivers", "river_buffers", "river_rule"]


UNNAMED = "未命名 unnamed"

QUAD_SEGS = 16

METHOD = (
    "plan rule applied to the river centre lines: band from channel_half_width_m to "
    "channel_half_width_m + width_m on each side (EPSG:4546), clipped to the city"
)


SOURCE_1TO4M = "China National Fundamental GIS 1:4,000,000 rivers (1999)"
ACCURACY_1TO4M = "1:4M, +-1-2 km"
SOURCE_WDBII = "CIA World Data Bank II via GSHHG 2.3.7 (LGPL-3.0+; WDBII public domain)"


def merge_rivers(base: gpd.GeoDataFrame, wdbii: gpd.GeoDataFrame, add: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The base river lines plus the WDBII rivers named in ``add``, with ``source`` and ``accuracy`` per feature.

    Parameters
    ----------
    base
        River lines with ``name`` and ``level`` (the 1:4M layer); kept as they are.
    wdbii
        WDBII lines with ``river`` (the name assigned by position in the shipped file).
    add
        ``[rivers] add`` entries: ``river`` (the WDBII ``river`` value), ``name``, ``level``, ``accuracy``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> base = gpd.GeoDataFrame({"name": ["汾河"], "level": [1]}, geometry=[LineString([(111.5, 36), (111.5, 36.1)])], crs=4326)
    >>> wd = gpd.GeoDataFrame({"river": ["Qin He", "Fen He"]},
    ...                       geometry=[LineString([(112.2, 36), (112.2, 36.1)])] * 2, crs=4326)
    >>> merge_rivers(base, wd, [{"river": "Qin He", "name": "沁河", "level": 2, "accuracy": "1:3M"}])[["name", "accuracy"]]
      name    accuracy
    0   汾河  1:4M, +-1-2 km
    1   沁河        1:3M
    """
    out = base.to_crs(STORAGE_CRS).copy()
    if "source" not in out.columns:
        out["source"] = SOURCE_1TO4M
    if "accuracy" not in out.columns:
        out["accuracy"] = ACCURACY_1TO4M
    parts = [out]
    wd = wdbii.to_crs(STORAGE_CRS)
    for a in add:
        sel = wd[wd["river"] == a["river"]]
        if sel.empty:
            raise InputError(f"[rivers] add: the WDBII layer has no river {a['river']!r}")
        parts.append(
            gpd.GeoDataFrame(
                {"name": a["name"], "level": int(a["level"]), "source": SOURCE_WDBII, "accuracy": a["accuracy"]},
                index=range(len(sel)),
                geometry=sel.geometry.values,
                crs=STORAGE_CRS,
            )
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=STORAGE_CRS)


def build_rivers(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``rivers``: :func:`merge_rivers` of ``rivers_1to4m`` and ``rivers_wdbii``."""
    return merge_rivers(ctx.load("rivers_1to4m"), ctx.load("rivers_wdbii"), ctx.plan.get("rivers", {}).get("add", []))


def river_rule(name: str, rules: Mapping[str, Any]) -> tuple[float, float, str]:
    """(width_m, channel_half_width_m, rule text) of a river under the ``[river_buffers]`` rules.

    Examples
    --------
    >>> rules = {"default_width_m": 30, "default_channel_half_width_m": 10, "channel_half_width_m": {"汾河": 50},
    ...          "rules": [{"rivers": ["汾河"], "width_m": 50, "rule_zh": "汾河50米", "rule_en": "Fen: 50 m"}]}
    >>> river_rule("汾河", rules)
    (50.0, 50.0, '汾河50米 / Fen: 50 m')
    >>> river_rule("浍河", rules)[:2]
    (30.0, 10.0)
    """
    half = float(dict(rules.get("channel_half_width_m", {})).get(name, rules["default_channel_half_width_m"]))
    for rule in rules.get("rules", []):
        if name in rule.get("rivers", []):
            return float(rule["width_m"]), half, f"{rule.get('rule_zh', '')} / {rule.get('rule_en', '')}"
    width = float(rules["default_width_m"])
    zh = rules.get("default_rule_zh") or f"其他支流堤外{width:g}米"
    en = rules.get("default_rule_en") or f"other tributaries: {width:g} m beyond the levee"
    return width, half, f"{zh} / {en}"


def river_buffers(rivers: gpd.GeoDataFrame, city: Any, rules: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Green strips along the rivers under the plan's rules (see the module docstring).

    Parameters
    ----------
    rivers
        River lines with a ``name`` column (any projected or geographic CRS).
    city
        The area the strips are clipped to: a GeoSeries/GeoDataFrame (any CRS, dissolved) or a
        shapely geometry in EPSG:4546.
    rules
        The ``[river_buffers]`` section: ``default_width_m``, ``default_channel_half_width_m``,
        ``channel_half_width_m`` (name -> m), ``rules`` (list of ``rivers``, ``width_m``,
        ``rule_zh``, ``rule_en``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per river with a strip inside the city, in EPSG:4326.
    """
    if "name" not in rivers.columns:
        raise InputError("river_buffers: the rivers layer needs a 'name' column")
    city_w = shapely.union_all(np.asarray(city.to_crs(WORK_CRS).geometry.values)) if hasattr(city, "crs") else city
    lines = rivers.to_crs(WORK_CRS)
    names = lines["name"].astype("string").str.strip().fillna("").replace("", UNNAMED)
    lines = gpd.GeoDataFrame({"river": names.to_numpy()}, geometry=lines.geometry.values, crs=WORK_CRS)
    merged = lines.dissolve(by="river", sort=True).reset_index()
    geoms = shapely.line_merge(np.asarray(merged.geometry.values))
    params = [river_rule(n, rules) for n in merged["river"]]
    width = np.array([p[0] for p in params])
    half = np.array([p[1] for p in params])
    outer = shapely.buffer(geoms, half + width, quad_segs=QUAD_SEGS)
    inner = shapely.buffer(geoms, half, quad_segs=QUAD_SEGS)
    strip = shapely.intersection(shapely.difference(outer, inner), city_w)
    mixed = ~np.isin(shapely.get_type_id(strip), (3, 6)) & ~shapely.is_empty(strip)
    strip[mixed] = shapely.buffer(strip[mixed], 0)  # drop lines where boundaries touch
    df = pd.DataFrame(
        {
            "river": merged["river"].to_numpy(),
            "width_m": width,
            "channel_half_width_m": half,
            "rule": [p[2] for p in params],
            "length_km": shapely.length(shapely.intersection(geoms, city_w)) / 1000.0,
            "illustrative": False,
            "method": METHOD,
        }
    )
    out = gpd.GeoDataFrame(df, geometry=strip, crs=WORK_CRS)
    out = out[~out.geometry.is_empty & (out.geometry.area > 0)].reset_index(drop=True)
    if out.empty:
        raise InputError("river_buffers: no river strip lies inside the city")
    out.insert(out.columns.get_loc("length_km") + 1, "area_ha", to_area_crs(out.geometry).area.to_numpy() / 1e4)
    return to_storage_crs(out)


def build_buffers(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``river_buffers``: :func:`river_buffers` on the rivers, counties and plan."""
    return river_buffers(ctx.load("rivers"), ctx.load("counties"), ctx.plan["river_buffers"])
