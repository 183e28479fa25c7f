"""Corridor greening (廊道绿化): land cover, green cover and greenable land by suitability, per corridor.

The plan asks, inside each of the four ecological corridors, to green the barren hills and the
sloping farmland that can take it - 宜乔则乔、宜灌则灌、宜草则草 (trees where trees suit, shrubs
where shrubs suit, grass where grass suits). :func:`corridor_greening` answers, per corridor, per
county within it and in total: the land-cover breakdown, the existing green cover, the greenable
area split into tree / shrub / grass suitability, and the share of the plan's 20万亩
public-welfare-forest target that the greenable area could cover. Every rule lives in
``plan.toml`` (``[greening]``, ``[[greening.suitability]]``, ``[greening.class_maps.*]``,
``[terrain] basin_max_elevation_m``, ``[targets]``).

Method
------
1. **Zones.** The corridor polygons are cut into disjoint *atoms*: one per set of corridors
   covering a place (corridors may overlap) and per county. Corridor x county *pieces*, corridors,
   counties and the total are sums of atoms, so a hectare where two corridors overlap counts in
   both corridors but once in its county and once in the total.
2. **Analysis grid.** The land-cover grid itself (in its own CRS), cropped to the corridors'
   bounding box. When the land cover is much coarser than the DEM (the shipped 5 km MODIS land
   cover with the 1 km DEM) each land-cover cell is split into ``k x k`` sub-cells of the same class
   (``k`` = land-cover cell / DEM cell, rounded), so terrain may vary inside a land-cover cell;
   splitting a cell changes no land-cover area.
3. **Terrain.** The DEM is reprojected (bilinear) to :data:`~linfen_geo.crs.WORK_CRS`
   (EPSG:4546, metres) at its own resolution on a grid aligned to whole cells (a DEM already on a
   square EPSG:4546 grid is used as is); slope and aspect are the central differences of
   :func:`~linfen_geo.terrain.slope_deg` / :func:`~linfen_geo.terrain.aspect_deg` there - in
   metres, never degrees. Each terrain cell gets a *terrain code* (on a hill? steeper than the
   sloping / steep cropland thresholds? first matching suitability rule), which is sampled onto the
   analysis grid by nearest neighbour: classes are never averaged and aspect needs no circular
   interpolation. This is the documented choice: the land cover keeps its own grid and values, the
   terrain comes to it.
4. **One categorical raster.** Land-cover values are mapped to the plan's common classes through
   the class map of the raster's ``class_scheme`` (unknown values are refused by name), and
   ``code = common_class * K + steep * (S + 1) + suitability`` is built with one look-up table
   (``S`` suitability classes; suitability 0 = not greenable; ``K = 2 (S + 1)``). This runs
   tile by tile (threads), only on the tiles the corridors touch, reading windows of the inputs
   (a lazily opened raster is never loaded whole) into an in-memory array for small grids or a
   sparse tiled temporary GeoTIFF for large ones, so a province-sized raster never has to fit in
   memory.
5. **Exact areas.** :func:`~linfen_geo.analysis.zonal.tabulate_classes` (exactextract, exact
   partial-pixel coverage, scaled to each atom's ellipsoidal area in
   :data:`~linfen_geo.crs.AREA_CRS`) runs once over all atoms; the tables are sums of decoded
   codes. On a projected grid the atoms are cut into 1000-cell squares for exactextract (it scans
   each zone's bounding box, mostly empty for a diagonal strip) and recombined by their planar
   areas - the same weights exactextract uses - which gives the whole atoms' answer.

Greenable land (plan ``[greening]``): the ``greenable_always`` classes (barren); grassland on
hills (elevation above ``[terrain] basin_max_elevation_m`` or slope >= ``grass_hill_min_slope_deg``);
cropland steeper than ``sloping_cropland_deg`` (of which the part at or above
``steep_cropland_deg`` is reported separately). Built-up, water, wetland, snow, other and the
existing green cover are never greenable. A greenable cell takes the class of the first
``[[greening.suitability]]`` rule it matches (slope <= ``max_slope_deg``, elevation <=
``max_elevation_m``, aspect in ``aspects``; ``min_*`` bounds are honoured too); a cell matching no
rule is not counted as greenable. Aspect sectors are the 8 compass points (45 degrees each, N =
337.5-22.5); slopes gentler than ``flat_max_slope_deg`` (default 2) are ``flat``.

Examples
--------
>>> from linfen_geo.analysis.greening import corridor_greening
>>> res = corridor_greening()  # doctest: +SKIP
>>> res.by_corridor[["corridor_id", "greenable_ha", "greenable_wanmu"]]  # doctest: +SKIP
>>> res.write("out")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray
import shapely
import xarray as xr

from linfen_geo.analysis.zonal import NODATA_CLASS, tabulate_classes
from linfen_geo.crs import AREA_CRS, AREA_CRS_NAME, WORK_CRS, WORK_CRS_NAME, as_crs, crs_label, require_crs
from linfen_geo.errors import CRSError, InputError
from linfen_geo.units import convert_area

__all__ = [
    "ASPECT_SECTORS",
    "GreeningResult",
    "GreeningRules",
    "aspect_class",
    "cell_size_m",
    "corridor_greening",
    "corridor_zones",
    "step_greening",
]

#: aspect classes: the 8 compass sectors (index 0-7), then flat (8) and unknown (9)
ASPECT_SECTORS: tuple[str, ...] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW", "flat")
_ASPECT_UNKNOWN = 9
_TERRAIN_UNKNOWN = 255  # terrain code of analysis cells the DEM does not reach
_EARTH_RADIUS_M = 6_371_008.8
#: code rasters up to this size (bytes) are held in memory; larger ones go to a sparse temporary GeoTIFF
#: written tile by tile (measured: as fast, and memory stays flat - a 10 m Linfen grid is ~200 MB)
IN_MEMORY_BYTES = 64_000_000
#: corridor area outside every county polygon smaller than this is dropped (boundary mismatch)
SLIVER_M2 = 10_000.0
_UNITS = ("ha", "mu", "wanmu")

_SUIT_COLORS = ("#d9d9d9", "#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d7191c")
_RULE_KEYS = {
    "class",
    "class_zh",
    "class_en",
    "note",
    "min_slope_deg",
    "max_slope_deg",
    "min_elevation_m",
    "max_elevation_m",
    "aspects",
}


# ----------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class GreeningRules:
    """The plan's greening rules, validated: class maps, greenable rules, suitability rules.

    Build it with :meth:`from_plan`. The vectorised helpers (:meth:`class_lookup`,
    :meth:`terrain_code`, :meth:`code_table`, :meth:`decode`) turn rasters into the combined
    categorical code that one exactextract pass tabulates.

    Examples
    --------
    >>> from linfen_geo.plan.loader import load_plan
    >>> rules = GreeningRules.from_plan(load_plan())
    >>> rules.suitability_names, rules.K
    (('tree', 'shrub', 'grass'), 8)
    >>> rules.classes.index("barren")
    7
    """

    classes: tuple[str, ...]
    classes_zh: tuple[str, ...]
    green_cover: tuple[str, ...]
    greenable_always: tuple[str, ...]
    grass_hill_min_slope_deg: float
    sloping_cropland_deg: float
    steep_cropland_deg: float
    basin_max_elevation_m: float
    flat_max_slope_deg: float
    suitability: tuple[dict[str, Any], ...]
    class_maps: dict[str, dict[str, tuple[int, ...]]]
    target_key: str
    target_mu: float

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> GreeningRules:
        """Read and check ``[greening]``, ``[terrain]`` and ``[targets]`` of a plan.

        Raises
        ------
        InputError
            If a section or key is missing or inconsistent (names the key).
        """
        where = plan.get("meta", {}).get("path", "the plan file")
        try:
            g = plan["greening"]
            classes = tuple(g["classes"])
            classes_zh = tuple(g.get("classes_zh", classes))
            rules = tuple(dict(r) for r in g["suitability"])
            maps_raw = g["class_maps"]
            basin = float(plan["terrain"]["basin_max_elevation_m"])
            target_key = g.get("target_mu_key", "new_public_welfare_forest_mu")
            target_mu = float(plan["targets"][target_key])
            grass_slope = float(g["grass_hill_min_slope_deg"])
            sloping = float(g["sloping_cropland_deg"])
            steep = float(g.get("steep_cropland_deg", sloping))
        except KeyError as exc:
            raise InputError(
                f"{where}: the greening rules lack {exc.args[0]!r} (see [greening] in plan.toml)"
            ) from None
        if len(classes_zh) != len(classes):
            raise InputError(f"{where}: [greening] classes and classes_zh differ in length")
        for key in ("green_cover", "greenable_always"):
            unknown = set(g.get(key, ())) - set(classes)
            if unknown:
                raise InputError(f"{where}: [greening] {key} names unknown classes {sorted(unknown)}")
        if not rules:
            raise InputError(f"{where}: [[greening.suitability]] has no rules")
        for r in rules:
            bad = set(r) - _RULE_KEYS
            if bad or "class" not in r:
                raise InputError(
                    f"{where}: suitability rule {r.get('class', '?')!r} has unknown keys {sorted(bad)} "
                    f"(allowed: {sorted(_RULE_KEYS)})"
                    if bad
                    else f"{where}: a [[greening.suitability]] rule has no 'class'"
                )
            bad_aspects = set(r.get("aspects", ())) - set(ASPECT_SECTORS)
            if bad_aspects:
                raise InputError(
                    f"{where}: suitability rule {r['class']!r} has unknown aspects {sorted(bad_aspects)} "
                    f"(use {', '.join(ASPECT_SECTORS)})"
                )
        names = [r["class"] for r in rules]
        if len(set(names)) != len(names):
            raise InputError(f"{where}: suitability classes repeat: {names}")
        class_maps: dict[str, dict[str, tuple[int, ...]]] = {}
        for scheme, mapping in maps_raw.items():
            seen: dict[int, str] = {}
            for common, values in mapping.items():
                if common not in classes:
                    raise InputError(f"{where}: [greening.class_maps.{scheme}] maps to unknown class {common!r}")
                for v in values:
                    if int(v) in seen:
                        raise InputError(
                            f"{where}: [greening.class_maps.{scheme}] puts value {v} in both {seen[int(v)]!r} and {common!r}"
                        )
                    seen[int(v)] = common
            class_maps[scheme] = {c: tuple(int(v) for v in vals) for c, vals in mapping.items()}
        if (len(classes) + 1) * 2 * (len(rules) + 1) > 65535:
            raise InputError(f"{where}: too many greening classes or suitability rules")
        return cls(
            classes=classes,
            classes_zh=classes_zh,
            green_cover=tuple(g.get("green_cover", ())),
            greenable_always=tuple(g.get("greenable_always", ())),
            grass_hill_min_slope_deg=grass_slope,
            sloping_cropland_deg=sloping,
            steep_cropland_deg=steep,
            basin_max_elevation_m=basin,
            flat_max_slope_deg=float(g.get("flat_max_slope_deg", 2.0)),
            suitability=rules,
            class_maps=class_maps,
            target_key=target_key,
            target_mu=target_mu,
        )

    # ------------------------------------------------------------ derived constants
    @property
    def suitability_names(self) -> tuple[str, ...]:
        """Suitability classes in rule order (``tree``, ``shrub``, ``grass``)."""
        return tuple(r["class"] for r in self.suitability)

    @property
    def suitability_zh(self) -> tuple[str, ...]:
        """Chinese names of the suitability classes (宜乔, 宜灌, 宜草)."""
        return tuple(r.get("class_zh", r["class"]) for r in self.suitability)

    @property
    def S(self) -> int:
        """Number of suitability classes."""
        return len(self.suitability)

    @property
    def K(self) -> int:
        """Codes per land-cover class: ``2 * (S + 1)`` (steep bit x suitability 0..S)."""
        return 2 * (self.S + 1)

    @property
    def nodata_code(self) -> int:
        """Code of cells without land-cover data (255, or 65535 for a uint16 code raster)."""
        return 255 if self.code_dtype == np.uint8 else 65535

    @property
    def code_dtype(self) -> type:
        """uint8 when every code fits below 255, else uint16."""
        return np.uint8 if len(self.classes) * self.K <= 255 else np.uint16

    def greenable_sources(self) -> tuple[str, ...]:
        """Common classes that can be greenable (``greenable_always`` + grass + cropland)."""
        out = [c for c in self.classes if c in self.greenable_always or c in ("grass", "cropland")]
        return tuple(out)

    def describe(self) -> list[str]:
        """The rules in words (for the report)."""
        always = ", ".join(self.greenable_always) or "none"
        lines = [
            f"greenable 宜绿化: {always} always; grassland on hills (elevation > {self.basin_max_elevation_m:g} m "
            f"or slope >= {self.grass_hill_min_slope_deg:g}°); cropland steeper than {self.sloping_cropland_deg:g}° "
            f"(坡耕地; >= {self.steep_cropland_deg:g}° reported as steep 陡坡耕地). Never: built-up, water, wetland, "
            f"existing {'/'.join(self.green_cover)}.",
        ]
        parts = []
        for r in self.suitability:
            cond = []
            if "min_slope_deg" in r:
                cond.append(f"slope >= {r['min_slope_deg']:g}°")
            if "max_slope_deg" in r:
                cond.append(f"slope <= {r['max_slope_deg']:g}°")
            if "min_elevation_m" in r:
                cond.append(f"elevation >= {r['min_elevation_m']:g} m")
            if "max_elevation_m" in r:
                cond.append(f"elevation <= {r['max_elevation_m']:g} m")
            if r.get("aspects"):
                cond.append("aspect " + "/".join(r["aspects"]))
            parts.append(f"{r.get('class_zh', '')} {r['class']}: {', '.join(cond) or 'any remaining'}")
        lines.append(
            "suitability 适宜性 (first matching rule, plan [[greening.suitability]]): "
            + "; ".join(parts)
            + f". Slopes under {self.flat_max_slope_deg:g}° count as flat."
        )
        return lines

    # ------------------------------------------------------------ vectorised helpers
    def class_map(self, scheme: str) -> dict[int, int]:
        """Raw land-cover value -> index of its common class, for a class scheme.

        Raises
        ------
        InputError
            If the scheme has no class map in the plan.
        """
        if scheme not in self.class_maps:
            known = ", ".join(sorted(self.class_maps))
            raise InputError(
                f"no class map for land-cover class scheme {scheme!r} in the plan's [greening.class_maps] "
                f"(known: {known}); pass classes=... (CLI: --classes) or add a map to the plan file"
            )
        return {v: self.classes.index(c) for c, vals in self.class_maps[scheme].items() for v in vals}

    def class_lookup(self, raw: np.ndarray, scheme: str, nodata: float | None) -> tuple[np.ndarray, set[Any]]:
        """Map raw land-cover values to common-class indices (``len(classes)`` = no data).

        Returns
        -------
        (indices, unmapped)
            uint8 array of class indices; the set of raw values the class map does not know.

        Examples
        --------
        >>> import numpy as np
        >>> from linfen_geo.plan.loader import load_plan
        >>> r = GreeningRules.from_plan(load_plan())
        >>> idx, bad = r.class_lookup(np.array([[10, 60], [255, 77]], dtype="uint8"), "worldcover", 255)
        >>> [r.classes[i] if i < len(r.classes) else "nodata" for i in idx.ravel()], bad
        (['forest', 'barren', 'nodata', 'nodata'], {77})
        """
        mapping = self.class_map(scheme)
        n = len(self.classes)
        unmapped_flag = 254
        raw = np.asarray(raw)
        if raw.dtype.kind == "u" and raw.dtype.itemsize <= 2:
            lut = np.full(1 << (8 * raw.dtype.itemsize), unmapped_flag, dtype=np.uint8)
            for v, i in mapping.items():
                if 0 <= v < lut.size:
                    lut[v] = i
            if nodata is not None and np.isfinite(nodata) and 0 <= nodata < lut.size:
                lut[int(nodata)] = n
            idx = lut[raw]
        else:
            keys = np.array(sorted(mapping), dtype=np.float64)
            vals = np.array([mapping[int(k)] for k in keys], dtype=np.uint8)
            flat = raw.astype(np.float64, copy=False)
            pos = np.clip(np.searchsorted(keys, flat), 0, len(keys) - 1)
            idx = np.where(keys[pos] == flat, vals[pos], unmapped_flag).astype(np.uint8)
            missing = ~np.isfinite(flat)
            if nodata is not None:
                missing |= flat == nodata
            idx[missing] = n
        bad = idx == unmapped_flag
        unmapped: set[Any] = set()
        if bad.any():
            unmapped = {v.item() for v in np.unique(raw[bad])}
            idx[bad] = n
        return idx, unmapped

    def terrain_code(self, slope: np.ndarray, aspect: np.ndarray, elevation: np.ndarray) -> np.ndarray:
        """Terrain code per cell: bit 0 hill, bit 1 sloping cropland, bit 2 steep, bits 3+ suitability.

        ``slope`` and ``aspect`` in degrees (aspect clockwise from north, NaN where flat),
        ``elevation`` in metres. :meth:`terrain_code_from_dem` gives the same codes straight from a DEM.

        Examples
        --------
        >>> import numpy as np
        >>> from linfen_geo.plan.loader import load_plan
        >>> r = GreeningRules.from_plan(load_plan())
        >>> t = r.terrain_code(np.array([20.0, 30.0, 40.0]), np.array([0.0, 0.0, 180.0]), np.full(3, 1000.0))
        >>> [r.suitability_names[(v >> 3) - 1] for v in t]
        ['tree', 'shrub', 'grass']
        """
        slope = np.asarray(slope, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            grad = np.tan(np.radians(slope))
        return self._terrain_core(grad, aspect_class(aspect, slope, self.flat_max_slope_deg), elevation)

    def terrain_code_from_dem(self, z: np.ndarray, res: float) -> tuple[np.ndarray, float]:
        """Terrain codes of a north-up DEM array on square ``res``-metre cells, and its steepest slope (deg).

        Slope and aspect are the central differences of :func:`linfen_geo.terrain.slope_deg` /
        :func:`~linfen_geo.terrain.aspect_deg`; thresholds are compared on the gradient (tan of
        the slope), which skips the per-cell trigonometry.

        Examples
        --------
        >>> import numpy as np
        >>> from linfen_geo.plan.loader import load_plan
        >>> r = GreeningRules.from_plan(load_plan())
        >>> y = np.arange(50)[:, None] * 30.0  # rows run south: z rises southwards, the slope faces north
        >>> z = np.broadcast_to(500 + y * np.tan(np.radians(20)), (50, 50))
        >>> codes, steepest = r.terrain_code_from_dem(z, 30.0)
        >>> r.suitability_names[(int(codes[25, 25]) >> 3) - 1], round(steepest, 3)
        ('tree', 20.0)
        """
        z = np.asarray(z, dtype=np.float32)
        with np.errstate(invalid="ignore"):
            gy, gx = np.gradient(z, np.float32(res), np.float32(res))
            gn = -gy  # rows run north -> south
            grad = np.hypot(gx, gn)
            turn = np.arctan2(-gx, -gn)  # radians clockwise from north, (-pi, pi]
            sector = (np.floor((turn + np.pi / 8) / (np.pi / 4)).astype(np.int8)) % 8
            flat = (grad < math.tan(math.radians(self.flat_max_slope_deg))) | (grad < 1e-9)
            sector[flat] = ASPECT_SECTORS.index("flat")
            sector[~np.isfinite(grad)] = _ASPECT_UNKNOWN
            steepest = float(np.degrees(np.arctan(np.nanmax(grad)))) if np.isfinite(grad).any() else float("nan")
        return self._terrain_core(grad, sector, z), steepest

    def _terrain_core(self, grad: np.ndarray, sector: np.ndarray, elevation: np.ndarray) -> np.ndarray:
        """Terrain codes from the gradient (tan slope), the aspect sector and the elevation."""

        def tan(deg: float) -> float:
            return math.tan(math.radians(deg))

        elev = np.asarray(elevation)
        with np.errstate(invalid="ignore"):
            hill = (elev > self.basin_max_elevation_m) | (grad >= tan(self.grass_hill_min_slope_deg))
            code = hill.view(np.uint8) | ((grad > tan(self.sloping_cropland_deg)).view(np.uint8) << 1)
            code |= (grad >= tan(self.steep_cropland_deg)).view(np.uint8) << 2
            free = np.ones(grad.shape, dtype=bool)
            for i, rule in enumerate(self.suitability, start=1):  # one pass per rule (3), not per pixel
                m = free.copy()
                if "min_slope_deg" in rule:
                    m &= grad >= tan(rule["min_slope_deg"])
                if "max_slope_deg" in rule:
                    m &= grad <= tan(rule["max_slope_deg"])
                if "min_elevation_m" in rule:
                    m &= elev >= rule["min_elevation_m"]
                if "max_elevation_m" in rule:
                    m &= elev <= rule["max_elevation_m"]
                if rule.get("aspects"):
                    ok = np.zeros(_ASPECT_UNKNOWN + 1, dtype=bool)
                    ok[[ASPECT_SECTORS.index(a) for a in rule["aspects"]]] = True
                    m &= ok[sector]
                code[m] |= np.uint8(i << 3)
                free &= ~m
        return code

    def _unknown_suitability(self) -> int:
        """Suitability of a cell without terrain: the first rule with no condition, else 0."""
        for i, r in enumerate(self.suitability, start=1):
            if not (set(r) - {"class", "class_zh", "class_en", "note"}):
                return i
        return 0

    def code_table(self) -> np.ndarray:
        """Look-up table ``[class index, terrain code] -> combined code`` (last row: no data)."""
        n, S, K = len(self.classes), self.S, self.K
        t = np.arange(256)
        hill, sloping, steep, suit = (t & 1) > 0, (t & 2) > 0, (t & 4) > 0, t >> 3
        unknown = t == _TERRAIN_UNKNOWN
        hill, sloping, steep = hill & ~unknown, sloping & ~unknown, steep & ~unknown
        suit = np.where(unknown, self._unknown_suitability(), np.minimum(suit, S))
        table = np.empty((n + 1, 256), dtype=self.code_dtype)
        for ci, name in enumerate(self.classes):
            greenable = np.full(256, name in self.greenable_always)
            if name == "grass":
                greenable |= hill
            if name == "cropland":
                greenable |= sloping
            table[ci] = ci * K + steep * (S + 1) + np.where(greenable, suit, 0)
        table[n] = self.nodata_code
        return table

    def decode(self, code: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(class index, steep flag, suitability) of combined codes (codes < 0 are no data)."""
        code = np.asarray(code, dtype=np.int64)
        rem = code % self.K
        return code // self.K, rem // (self.S + 1), rem % (self.S + 1)


def aspect_class(aspect: np.ndarray, slope: np.ndarray, flat_max_slope_deg: float = 2.0) -> np.ndarray:
    """Aspect sector index (see :data:`ASPECT_SECTORS`): 0 = N ... 7 = NW, 8 = flat, 9 = unknown.

    Examples
    --------
    >>> import numpy as np
    >>> [ASPECT_SECTORS[i] if i < 9 else "?" for i in aspect_class(
    ...     np.array([0.0, 350.0, 90.0, 200.0, np.nan, 45.0]), np.array([10.0, 10, 10, 10, 0.0, np.nan]))]
    ['N', 'N', 'E', 'S', 'flat', '?']
    """
    aspect = np.asarray(aspect, dtype=np.float64)
    slope = np.asarray(slope, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        sector = np.floor(((np.nan_to_num(aspect) + 22.5) % 360.0) / 45.0).astype(np.int8) % 8
        flat = np.isfinite(slope) & ((slope < flat_max_slope_deg) | ~np.isfinite(aspect))
    out = np.where(flat, 8, sector).astype(np.int8)
    out[~np.isfinite(slope)] = _ASPECT_UNKNOWN
    return out


# ----------------------------------------------------------------------------------- zones
def _polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry (intersections may add lines and points)."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def corridor_zones(
    corridors: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    corridor_id: str = "corridor_id",
    county_id: str = "adcode",
    sliver_m2: float = SLIVER_M2,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Disjoint zones (atoms) from corridors x counties.

    Each atom is the land covered by one set of corridors (overlapping corridors make atoms
    covered by two) inside one county. Every corridor x county piece, corridor and county is a
    sum of atoms. Corridor land outside every county polygon becomes atoms of county ``0`` if it
    reaches ``sliver_m2``; smaller slivers (boundary mismatch) are dropped and their area is kept
    in ``attrs["dropped_m2"]``.

    Parameters
    ----------
    corridors, counties
        Polygon layers with ``corridor_id`` / ``county_id`` columns.
    crs
        CRS the polygon overlay runs in (default: AREA_CRS, where every area is measured: the
        atoms then sum exactly to each corridor's area as the other analyses report it).

    Returns
    -------
    geopandas.GeoDataFrame
        ``atom_id, corridors ("C2+C3"), adcode, area_m2, geometry`` in ``crs``; ``area_m2`` is
        the ellipsoidal area (AREA_CRS).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> def b(*xy):  # km boxes near Linfen in EPSG:4546
    ...     return box(*(500_000 + 1000 * v if i % 2 == 0 else 4_000_000 + 1000 * v for i, v in enumerate(xy)))
    >>> c = gpd.GeoDataFrame({"corridor_id": ["A", "B"]}, geometry=[b(0, 0, 4, 1), b(3, 0, 4, 3)], crs=4546)
    >>> k = gpd.GeoDataFrame({"adcode": [1, 2]}, geometry=[b(0, 0, 2, 3), b(2, 0, 4, 3)], crs=4546)
    >>> z = corridor_zones(c, k)
    >>> sorted(z["atom_id"])
    ['A+B|2', 'A|1', 'A|2', 'B|2']
    """
    require_crs(corridors, "the corridors")
    require_crs(counties, "the counties")
    for df, col, what in ((corridors, corridor_id, "corridors"), (counties, county_id, "counties")):
        if col not in df.columns:
            raise InputError(f"the {what} have no {col!r} column")
        if df[col].duplicated().any():
            raise InputError(f"the {what} repeat ids in {col!r}: dissolve them first")
    crs = as_crs(crs) if crs is not None else AREA_CRS
    c = corridors.to_crs(crs)
    ct = counties.to_crs(crs)
    order = [str(v) for v in c[corridor_id]]
    faces: list[tuple[frozenset[str], Any]] = []
    for cid, g in zip(order, c.geometry.values, strict=True):  # 4 corridors: polygon overlay, no pixels
        g = _polygonal(shapely.make_valid(g))
        new: list[tuple[frozenset[str], Any]] = []
        rest = g
        for s, f in faces:
            inter, diff = _polygonal(shapely.intersection(f, g)), _polygonal(shapely.difference(f, g))
            if inter.area > 1e-9 * f.area:
                new.append((s | {cid}, inter))
            if diff.area > 1e-9 * f.area:
                new.append((s, diff))
            rest = _polygonal(shapely.difference(rest, f))
        if rest.area > 1e-9 * g.area:
            new.append((frozenset({cid}), rest))
        faces = new
    cgeoms = np.array([_polygonal(shapely.make_valid(g)) for g in ct.geometry.values], dtype=object)
    cids = ct[county_id].to_numpy()
    all_counties = shapely.union_all(cgeoms)
    rows: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    crumbs = []
    for s, f in faces:
        key = "+".join(sorted(s, key=order.index))
        crumb = 1e-9 * f.area  # overlay noise
        for cid, p in zip(cids, shapely.intersection(cgeoms, f), strict=True):
            p = _polygonal(p)
            if p.area > crumb:
                rows.append({"corridors": key, county_id: cid, "geometry": p})
            elif p.area > 0:
                crumbs.append(p)
        rest = _polygonal(shapely.difference(f, all_counties))
        if rest.area > crumb:
            outside.append({"corridors": key, county_id: 0, "geometry": rest})
        elif rest.area > 0:
            crumbs.append(rest)
    dropped = float(gpd.GeoSeries(crumbs, crs=crs).to_crs(AREA_CRS).area.sum()) if crumbs else 0.0
    if outside:  # corridor land outside the county polygons: kept when it is more than a sliver
        out = gpd.GeoDataFrame(outside, geometry="geometry", crs=crs)
        a = out.to_crs(AREA_CRS).area.to_numpy()
        rows += [r for r, v in zip(outside, a, strict=True) if v >= sliver_m2]
        dropped += float(a[a < sliver_m2].sum())
    if not rows:
        raise InputError("the corridors do not overlap any county")
    z = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    z.insert(0, "atom_id", z["corridors"] + "|" + z[county_id].astype(str))
    z["area_m2"] = z.to_crs(AREA_CRS).area.to_numpy()
    z = z[["atom_id", "corridors", county_id, "area_m2", "geometry"]].reset_index(drop=True)
    z.attrs["dropped_m2"] = dropped
    z.attrs["corridor_order"] = order
    return z


# ----------------------------------------------------------------------------------- grids
def cell_size_m(da: xr.DataArray) -> tuple[float, float]:
    """(dx, dy) cell size of a raster in metres (at its centre latitude when geographic).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [36.01, 36.0], "x": [111.0, 111.01]})
    >>> [round(v) for v in cell_size_m(da.rio.write_crs(4326))]
    [900, 1112]
    """
    crs = da.rio.crs
    if crs is None:
        raise CRSError("the raster has no CRS")
    rx, ry = (abs(float(v)) for v in da.rio.resolution())
    crs = as_crs(crs)
    if crs.is_geographic:
        b = da.rio.bounds()
        lat = math.radians((b[1] + b[3]) / 2)
        k = math.pi / 180 * _EARTH_RADIUS_M
        return rx * k * math.cos(lat), ry * k
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return rx * factor, ry * factor


def _squeeze(da: xr.DataArray, what: str) -> xr.DataArray:
    if not isinstance(da, xr.DataArray):
        raise InputError(f"{what} must be an xarray DataArray (rioxarray), not {type(da).__name__}")
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise InputError(f"{what}: expected one band, found {da.sizes['band']}")
        da = da.isel(band=0, drop=True)
    if da.ndim != 2:
        raise InputError(f"{what}: expected a 2-D raster, found dims {da.dims}")
    if da.rio.crs is None:
        raise CRSError(f"{what} has no CRS: write one with .rio.write_crs(EPSG)")
    t = da.rio.transform()
    if t.b != 0 or t.d != 0:
        raise InputError(f"{what} is a rotated grid: warp it to a north-up grid first")
    if t.e > 0:
        da = da.isel({da.rio.y_dim: slice(None, None, -1)})
    if t.a < 0:
        da = da.isel({da.rio.x_dim: slice(None, None, -1)})
    return da.transpose(da.rio.y_dim, da.rio.x_dim)


def _file_blocks(da: xr.DataArray) -> tuple[int, int] | None:
    """Block (chunk) shape of a file-backed, north-up raster opened with rioxarray, if sensible."""
    chunks = da.encoding.get("preferred_chunks") or {}
    try:
        by, bx = int(chunks[da.rio.y_dim]), int(chunks[da.rio.x_dim])
        t = da.rio.transform()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if t.e > 0 or t.a < 0 or not (256 <= by <= 1024 and 256 <= bx <= 1024):
        return None
    return by, bx


class _Reader:
    """Windows of a 2-D raster by position.

    A DataArray that is an untouched lazy view of a single-band file (``rioxarray.open_rasterio``)
    is read straight from the file with one handle per thread, so tiles read in parallel
    (rioxarray serialises every read behind one global lock); anything else is read through
    xarray (lazy file-backed arrays still read only the window). ``nodata`` and ``dtype`` describe
    the values :meth:`read` returns.
    """

    def __init__(self, da: xr.DataArray):
        import threading

        self.var = da.variable
        self.nodata = da.rio.nodata
        self.dtype = da.dtype
        self.path: str | None = None
        self._local = threading.local()
        self._handles: list[Any] = []
        self._lock = threading.Lock()
        source = da.encoding.get("source")
        if source and not getattr(da.variable, "_in_memory", True):
            try:
                import rasterio

                with rasterio.open(source) as ds:
                    if (
                        ds.count == 1
                        and (ds.height, ds.width) == tuple(da.shape)
                        and ds.transform.almost_equals(da.rio.transform())
                        and ds.scales == (1.0,)
                        and ds.offsets == (0.0,)
                    ):
                        self.path, self.nodata, self.dtype = str(source), ds.nodata, np.dtype(ds.dtypes[0])
            except Exception:  # not a file rasterio reads: go through xarray
                self.path = None

    def read(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        if self.path is None:
            return np.asarray(self.var[r0:r1, c0:c1].values)
        from rasterio.windows import Window

        ds = getattr(self._local, "ds", None)
        if ds is None:
            import rasterio

            ds = self._local.ds = rasterio.open(self.path)
            with self._lock:
                self._handles.append(ds)
        return ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))

    def close(self) -> None:
        with self._lock:
            for ds in self._handles:
                ds.close()
            self._handles.clear()


def _window_of(
    bounds: Sequence[float], transform: Any, shape: tuple[int, int], margin: int
) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the cells touching ``bounds`` (+ margin), clipped to the grid."""
    inv = ~transform
    c0, r0 = inv * (bounds[0], bounds[3])
    c1, r1 = inv * (bounds[2], bounds[1])
    eps = 1e-9
    row0 = max(0, math.floor(r0 + eps) - margin)
    col0 = max(0, math.floor(c0 + eps) - margin)
    row1 = min(shape[0], math.ceil(r1 - eps) + margin)
    col1 = min(shape[1], math.ceil(c1 - eps) + margin)
    return row0, row1, col0, col1


def _covers(outer: Sequence[float], inner: Sequence[float], rel: float = 1e-9) -> bool:
    tol = rel * max(abs(v) for v in outer) + 1e-12
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


@dataclass
class _Terrain:
    """The DEM and the WORK_CRS grid its terrain is computed on."""

    dem: xr.DataArray  # north-up, 2-D
    res: float  # work-grid cell (m)
    origin: tuple[float, float]  # a grid corner (x, y) in WORK_CRS
    aligned: bool  # DEM already on the work grid (EPSG:4546): slice, no warp
    work_bounds: tuple[float, float, float, float]  # DEM extent in WORK_CRS (inner for warped DEMs)
    nodata: float | None
    max_slope: float = 0.0

    def __post_init__(self) -> None:
        self.transform = self.dem.rio.transform()  # cached: rioxarray recomputes it on every call
        self.crs = as_crs(self.dem.rio.crs)
        self.reader = _Reader(self.dem)
        self.shape = self.dem.shape
        import threading

        self._lock = threading.Lock()

    def _mask(self, z: np.ndarray) -> np.ndarray:
        z = z.astype(np.float32)
        for nd in {self.nodata, self.reader.nodata}:
            if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
                z[z == nd] = np.nan
        return z

    @classmethod
    def prepare(cls, dem: xr.DataArray, resolution_m: float | None) -> _Terrain:
        from rasterio.warp import transform_bounds

        crs = as_crs(dem.rio.crs)
        nodata = dem.rio.nodata
        nodata = None if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)) else float(nodata)
        b = dem.rio.bounds()
        rx, ry = (abs(float(v)) for v in dem.rio.resolution())
        if crs == WORK_CRS and resolution_m is None and math.isclose(rx, ry, rel_tol=1e-9):
            t = dem.rio.transform()  # already on a square EPSG:4546 grid: used as is
            return cls(dem, rx, (t.c, t.f), True, b, nodata)
        if resolution_m is None:
            dx, dy = cell_size_m(dem)
            resolution_m = float(round(math.sqrt(dx * dy)))
        res = float(resolution_m)
        wb = transform_bounds(crs, WORK_CRS, *b, densify_pts=51)
        if crs != WORK_CRS:  # the transformed extent is curved: keep the cells surely inside it
            wb = (wb[0] + res, wb[1] + res, wb[2] - res, wb[3] - res)
        return cls(dem, res, (0.0, 0.0), False, wb, nodata)

    def work_grid(self, bounds: Sequence[float], pad_cells: int = 3) -> tuple[Any, int, int] | None:
        """Transform and shape of the work-grid window covering ``bounds`` (WORK_CRS) + padding."""
        from rasterio.transform import Affine

        r, (ox, oy) = self.res, self.origin
        x0 = ox + (math.floor((bounds[0] - ox) / r) - pad_cells) * r
        x1 = ox + (math.ceil((bounds[2] - ox) / r) + pad_cells) * r
        y0 = oy + (math.floor((bounds[1] - oy) / r) - pad_cells) * r
        y1 = oy + (math.ceil((bounds[3] - oy) / r) + pad_cells) * r
        wb = self.work_bounds
        if self.aligned:
            x0, y0, x1, y1 = max(x0, wb[0]), max(y0, wb[1]), min(x1, wb[2]), min(y1, wb[3])
        else:  # snap the DEM's inner extent onto the grid
            x0 = max(x0, ox + math.ceil((wb[0] - ox) / r) * r)
            y0 = max(y0, oy + math.ceil((wb[1] - oy) / r) * r)
            x1 = min(x1, ox + math.floor((wb[2] - ox) / r) * r)
            y1 = min(y1, oy + math.floor((wb[3] - oy) / r) * r)
        w, h = round((x1 - x0) / r), round((y1 - y0) / r)
        if w < 2 or h < 2:
            return None
        return Affine(r, 0.0, x0, 0.0, -r, y1), h, w

    def elevation(self, transform: Any, h: int, w: int) -> np.ndarray:
        """DEM values (float32, NaN = no data) on a work-grid window."""
        from rasterio.enums import Resampling
        from rasterio.warp import reproject, transform_bounds

        dt = self.transform
        if self.aligned:
            col0 = round((transform.c - dt.c) / dt.a)
            row0 = round((transform.f - dt.f) / dt.e)
            return self._mask(self.reader.read(row0, row0 + h, col0, col0 + w))
        bounds = (transform.c, transform.f - h * self.res, transform.c + w * self.res, transform.f)
        sb = transform_bounds(WORK_CRS, self.crs, *bounds, densify_pts=21)
        r0, r1, c0, c1 = _window_of(sb, dt, self.shape, margin=2)
        src = self._mask(self.reader.read(r0, r1, c0, c1))
        out = np.full((h, w), np.nan, dtype=np.float32)
        reproject(
            src,
            out,
            src_transform=dt * dt.translation(c0, r0),
            src_crs=self.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=WORK_CRS,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        return out

    def code(self, rules: GreeningRules, bounds: Sequence[float]) -> tuple[np.ndarray, Any] | None:
        """Terrain codes on the work-grid window around ``bounds`` (WORK_CRS) and its transform."""
        grid = self.work_grid(bounds)
        if grid is None:
            return None
        transform, h, w = grid
        codes, steepest = rules.terrain_code_from_dem(self.elevation(transform, h, w), self.res)
        with self._lock:  # tiles run in threads
            if steepest > self.max_slope:
                self.max_slope = steepest
        return codes, transform


def _nearest_index(centres: np.ndarray, origin: float, step: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the cell containing each centre on a regular axis, and whether it is inside."""
    idx = np.floor((centres - origin) / step).astype(np.int64)
    ok = (idx >= 0) & (idx < n)
    return np.clip(idx, 0, n - 1), ok


# ----------------------------------------------------------------------------------- the analysis
def _load_corridors(mode: str | None, cat: Any) -> gpd.GeoDataFrame:
    """The corridor layer of ``mode`` (buffer / terrain), via layers.corridors_terrain when present."""
    import importlib

    try:
        module = importlib.import_module("linfen_geo.layers.corridors_terrain")
    except ModuleNotFoundError as exc:
        if exc.name != "linfen_geo.layers.corridors_terrain":
            raise
        module = None
    func = getattr(module, "corridor_layer", None)
    if func is not None:
        return func(mode=mode, catalog=cat)
    mode = mode or cat.plan.get("corridor_rules", {}).get("mode", "buffer")
    if mode == "buffer":
        return cat.load("corridors")
    if mode == "terrain":
        raise InputError(
            "corridor mode 'terrain' needs linfen_geo.layers.corridors_terrain, which is not available yet"
        )
    raise InputError(f"corridor mode must be 'buffer' or 'terrain', not {mode!r}")


def _describe_res(da: xr.DataArray) -> str:
    rx, ry = (abs(float(v)) for v in da.rio.resolution())
    dx, dy = cell_size_m(da)
    if da.rio.crs.is_geographic:
        return f"{rx:.6g}° x {ry:.6g}° (~{dx:,.0f} x {dy:,.0f} m) in {crs_label(da.rio.crs)}"
    return f"{dx:,.6g} x {dy:,.6g} m in {crs_label(da.rio.crs)}"


def _provenance(da: xr.DataArray, name: str, cat: Any) -> tuple[str, str, str]:
    """(title, source, status) of a raster from the catalog, or from its attrs when passed directly."""
    if da.attrs.get("layer") == name and cat is not None:
        try:
            prov = cat.provenance(name)
            return (
                f"{da.attrs.get('title_zh', '')} {da.attrs.get('title_en', '')}".strip(),
                prov["source"],
                cat.status(name),
            )
        except Exception:  # a catalog without that entry: fall back to the attrs
            pass
    title = f"{da.attrs.get('title_zh', '')} {da.attrs.get('title_en', '')}".strip() or f"user {name} raster"
    return title, str(da.attrs.get("source", "user-supplied raster (no source given)")), da.attrs.get("status", "user")


def corridor_greening(
    *,
    landcover: xr.DataArray | None = None,
    dem: xr.DataArray | None = None,
    corridor_mode: str | None = None,
    catalog: Any = None,
    corridors: gpd.GeoDataFrame | None = None,
    counties: gpd.GeoDataFrame | None = None,
    classes: str | None = None,
    plan: Mapping[str, Any] | None = None,
    subdivide: int | None = None,
    terrain_resolution_m: float | None = None,
    tile_size: int | None = None,
    workers: int = 2,
    split_cells: int | None = 1000,
    workdir: str | os.PathLike[str] | None = None,
) -> GreeningResult:
    """Corridor-greening areas: land cover, green cover and greenable land by suitability.

    Pure on its inputs; each input left as None comes from the catalog (``landcover``, ``dem``,
    the corridor layer of ``corridor_mode``, ``counties``) and the catalog's plan.

    Parameters
    ----------
    landcover
        Categorical land-cover raster (rioxarray DataArray, any CRS) with
        ``attrs["class_scheme"]`` (``igbp``, ``worldcover``, ``clcd`` ...) unless ``classes`` is given.
    dem
        Elevation raster (m), any CRS; reprojected to EPSG:4546 for slope and aspect.
    corridor_mode
        ``"buffer"`` (1 km each side, the ``corridors`` layer) or ``"terrain"`` (to the first ridge
        line, ``corridors_terrain``); default: the plan's ``[corridor_rules] mode``.
    catalog
        A :class:`~linfen_geo.layer_catalog.core.Catalog` (default: the session's).
    corridors, counties
        Zones to use instead of the catalog's (``corridor_id`` [+ ``name_zh``, ``name_en``];
        ``adcode`` [+ ``name``, ``name_en``]).
    classes
        Class scheme of ``landcover``, overriding ``attrs["class_scheme"]``.
    plan
        A parsed plan (default: the catalog's).
    subdivide
        Split each land-cover cell into ``k x k`` analysis cells (default: land-cover cell / DEM
        cell, rounded, at least 1).
    terrain_resolution_m
        Cell of the EPSG:4546 terrain grid (default: the DEM's own cell size).
    tile_size
        Analysis tile edge in cells (memory per tile ~ 30 bytes x tile_size²); default: the land-cover
        file's block size when it is 256-1024 (tiles then align with the file's blocks, so each
        compressed block is decoded once), else 512.
    workers
        Threads computing tiles (numpy and GDAL release the GIL).
    split_cells
        On a projected grid, exactextract runs over the zones cut into squares of this many cells
        (exactextract scans each zone's bounding box: long diagonal strips waste most of it); the
        pieces are recombined with their planar areas, so the answer is the same as for whole zones.
        None: no cutting.
    workdir
        Folder for the temporary code raster of a large grid (default: the system temp folder).

    Returns
    -------
    GreeningResult

    Raises
    ------
    InputError
        Unknown class scheme, land-cover values missing from the class map (named), rasters that
        do not cover the corridors, bad plan rules.
    CRSError
        A raster or layer without CRS.

    Examples
    --------
    >>> res = corridor_greening()  # doctest: +SKIP
    >>> res.total[["greenable_ha", "greenable_wanmu", "target_share"]]  # doctest: +SKIP
    """
    from linfen_geo.layer_catalog.core import get_catalog

    t_start = time.perf_counter()
    cat = catalog if catalog is not None else get_catalog()
    plan = plan if plan is not None else cat.plan
    rules = GreeningRules.from_plan(plan)

    lc = cat.load("landcover") if landcover is None else landcover
    scheme = classes or lc.attrs.get("class_scheme")
    if not scheme:
        raise InputError(
            "the land-cover raster has no class scheme: pass classes='igbp' | 'worldcover' | 'clcd' "
            "(CLI: --classes), or load it with catalog.use('landcover', path, classes=...)"
        )
    rules.class_map(scheme)  # unknown scheme: fail before any work
    dem_da = cat.load("dem") if dem is None else dem
    lc_title, lc_source, lc_status = _provenance(lc, "landcover", cat if landcover is None else None)
    dem_title, dem_source, dem_status = _provenance(dem_da, "dem", cat if dem is None else None)
    blocks = _file_blocks(lc)
    lc = _squeeze(lc, "the land-cover raster")
    dem_da = _squeeze(dem_da, "the DEM")
    if lc.dtype.kind not in "uif":
        raise InputError(f"the land-cover raster must hold class numbers, not {lc.dtype}")

    cor = _load_corridors(corridor_mode, cat) if corridors is None else corridors
    cty = cat.load("counties") if counties is None else counties
    zones = corridor_zones(cor, cty)

    # ------------------------------------------------ analysis grid: the land-cover grid, cropped (and split)
    lc_crs = as_crs(lc.rio.crs)
    zones_lc = zones.to_crs(lc_crs)
    zb = zones_lc.total_bounds
    if not _covers(lc.rio.bounds(), zb):
        raise InputError(
            f"the land-cover raster ({_describe_res(lc)}, bounds {tuple(round(v, 4) for v in lc.rio.bounds())}) "
            "does not cover the corridors: use a raster covering Linfen (see `linfen-geo data import`)"
        )
    zb_dem = zones.to_crs(dem_da.rio.crs).total_bounds
    if not _covers(dem_da.rio.bounds(), zb_dem):
        raise InputError(
            "the DEM does not cover the corridors: use a DEM covering Linfen (see `linfen-geo data import`)"
        )
    terrain = _Terrain.prepare(dem_da, terrain_resolution_m)
    lc_dx, lc_dy = cell_size_m(lc)
    if subdivide is None:
        subdivide = max(1, round(math.sqrt(lc_dx * lc_dy) / terrain.res))
    k = int(subdivide)
    if k < 1:
        raise InputError(f"subdivide must be >= 1, not {subdivide}")
    lt = lc.rio.transform()
    r0, r1, c0, c1 = _window_of(zb, lt, lc.shape, margin=1)
    ts = int(tile_size) if tile_size else (blocks[0] if blocks and blocks[0] == blocks[1] else 512)
    if k == 1 and blocks and ts % blocks[0] == 0 and ts % blocks[1] == 0:
        r0, c0 = r0 - r0 % blocks[0], c0 - c0 % blocks[1]  # tiles start on the file's blocks
    grid_t = lt * lt.translation(c0, r0) * lt.scale(1.0 / k)
    H, W = (r1 - r0) * k, (c1 - c0) * k

    # ------------------------------------------------ tiles the zones touch
    import rasterio
    import rasterio.features

    nty, ntx = math.ceil(H / ts), math.ceil(W / ts)
    zone_geoms = [g for g in zones_lc.geometry.values if not g.is_empty]
    touched = rasterio.features.rasterize(
        [(g, 1) for g in zone_geoms],
        out_shape=(nty, ntx),
        transform=grid_t * grid_t.scale(ts),
        all_touched=True,
        dtype="uint8",
    )
    tiles = [(int(ty) * ts, int(tx) * ts) for ty, tx in zip(*np.nonzero(touched), strict=True)]
    grid = _Grid(lc, scheme, rules, terrain, grid_t, k, r0, c0, H, W, ts)

    nod = rules.nodata_code
    in_memory = H * W * np.dtype(rules.code_dtype).itemsize <= IN_MEMORY_BYTES
    tmp = None if in_memory else Path(tempfile.mkdtemp(prefix="linfen_geo_greening_", dir=workdir))
    code_path = None if tmp is None else tmp / "code.tif"
    t_tiles = time.perf_counter()
    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, int(workers))) as pool:
            # numpy and GDAL release the GIL: tiles are computed in threads, stored here in order
            done = zip(tiles, pool.map(grid.tile, tiles), strict=True)
            if code_path is None:
                arr = np.full((H, W), nod, dtype=rules.code_dtype)
                for (y0, x0), code in done:
                    arr[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]] = code
                ys = grid_t.f + (np.arange(H) + 0.5) * grid_t.e
                xs = grid_t.c + (np.arange(W) + 0.5) * grid_t.a
                code_da = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs})
                code_da.rio.write_crs(lc_crs, inplace=True)  # inplace: no copies of the grid
                code_da.rio.write_transform(grid_t, inplace=True)
                code_da.rio.write_nodata(nod, inplace=True)
            else:
                from rasterio.windows import Window

                profile = {
                    "driver": "GTiff",
                    "width": W,
                    "height": H,
                    "count": 1,
                    "crs": lc_crs,
                    "transform": grid_t,
                    "tiled": True,
                    "blockxsize": 256,
                    "blockysize": 256,
                    "sparse_ok": True,  # tiles never written read as nodata: no cost away from the corridors
                    "BIGTIFF": "IF_SAFER",
                    "dtype": rules.code_dtype,
                    "nodata": nod,
                }
                with rasterio.open(code_path, "w", **profile) as code_ds:
                    for (y0, x0), code in done:
                        code_ds.write(code, 1, window=Window(x0, y0, code.shape[1], code.shape[0]))
                code_da = rioxarray.open_rasterio(code_path).squeeze("band", drop=True)
        if grid.unmapped:
            mapped = sorted(rules.class_map(scheme))
            raise InputError(
                f"land-cover values {sorted(grid.unmapped)} are not in the plan's class map "
                f"[greening.class_maps.{scheme}] (it knows {mapped}); is the raster another class scheme? "
                "pass classes='igbp' | 'worldcover' | 'clcd' (CLI: --classes), or add the values to the plan file"
            )
        t_tab = time.perf_counter()
        cell = math.sqrt(abs(grid_t.a * grid_t.e)) * (
            lc_crs.axis_info[0].unit_conversion_factor if lc_crs.axis_info else 1.0
        )
        split = None if lc_crs.is_geographic or not split_cells else split_cells * cell
        long = _tabulate(code_da, zones, split)
        t_done = time.perf_counter()
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        grid.reader.close()
        terrain.reader.close()

    meta = {
        "landcover_title": lc_title,
        "landcover_source": lc_source,
        "landcover_status": lc_status,
        "landcover_resolution": _describe_res(lc),
        "landcover_cell_m": (lc_dx, lc_dy),
        "class_scheme": scheme,
        "dem_title": dem_title,
        "dem_source": dem_source,
        "dem_status": dem_status,
        "dem_resolution": _describe_res(dem_da),
        "terrain_resolution_m": terrain.res,
        "terrain_grid": f"{WORK_CRS_NAME}, {terrain.res:g} m cells"
        + (" (the DEM's own grid)" if terrain.aligned else ""),
        "subdivide": k,
        "analysis_grid": {"crs": crs_label(lc_crs), "height": H, "width": W, "tiles": len(tiles), "tile_size": ts},
        "max_slope_deg": terrain.max_slope,
        "missing_terrain_cells": grid.missing_terrain,
        "area_crs": AREA_CRS_NAME,
        "seconds": {"tiles": t_tab - t_tiles, "tabulate": t_done - t_tab, "total": time.perf_counter() - t_start},
    }
    result = _assemble(long, zones, cor, cty, rules, meta, code_da, plan)
    if tmp is not None:
        result._tmpdir = tmp
        result._code_path = code_path
        weakref.finalize(result, shutil.rmtree, tmp, True)
    return result


def _split(zones: gpd.GeoDataFrame, size: float) -> gpd.GeoDataFrame:
    """Cut each zone by a grid of ``size`` squares (in the zones' CRS): ``piece_id, atom_id, geometry``."""
    x0, y0, x1, y1 = zones.total_bounds
    xs = np.arange(math.floor(x0 / size) * size, x1 + size, size)
    ys = np.arange(math.floor(y0 / size) * size, y1 + size, size)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    tree = shapely.STRtree(boxes)
    ids, geoms = [], []
    for atom, g in zip(zones["atom_id"], zones.geometry.values, strict=True):  # ~20 zones, polygon ops only
        hit = tree.query(g, predicate="intersects")
        for part in shapely.intersection(boxes[hit], g):
            part = _polygonal(part)
            if part.area > 0:
                ids.append(atom)
                geoms.append(part)
    out = gpd.GeoDataFrame({"atom_id": ids}, geometry=geoms, crs=zones.crs)
    out.insert(0, "piece_id", out["atom_id"] + "#" + out.index.astype(str))
    return out


def _tabulate(code: xr.DataArray, zones: gpd.GeoDataFrame, split: float | None) -> pd.DataFrame:
    """``atom_id, class, frac, area_m2`` of the code raster over the zones (one exactextract pass).

    With ``split`` (projected rasters), the zones are cut into squares first and the class
    fractions of a zone recombined from its pieces' fractions weighted by their planar areas in
    the raster's CRS - exactly the weights exactextract uses on a projected grid - so the result
    is the whole zones' tabulation.
    """
    if split is None or len(zones) == 0:
        return tabulate_classes(code, zones[["atom_id", "geometry"]], zone_id="atom_id")
    pieces = _split(zones, split)
    if len(pieces) <= len(zones):
        return tabulate_classes(code, zones[["atom_id", "geometry"]], zone_id="atom_id")
    tab = tabulate_classes(code, pieces[["piece_id", "geometry"]], zone_id="piece_id")
    planar = pd.Series(pieces.to_crs(code.rio.crs).area.to_numpy(), index=pieces["piece_id"])
    atom_of = pd.Series(pieces["atom_id"].to_numpy(), index=pieces["piece_id"])
    tab["w"] = tab["frac"] * tab["piece_id"].map(planar).to_numpy()
    tab["atom_id"] = tab["piece_id"].map(atom_of).to_numpy()
    long = tab.groupby(["atom_id", "class"], as_index=False, sort=True)["w"].sum()
    total = planar.groupby(atom_of).sum()
    long["frac"] = long["w"] / long["atom_id"].map(total).to_numpy()
    long["area_m2"] = long["frac"] * long["atom_id"].map(zones.set_index("atom_id")["area_m2"]).to_numpy()
    return long[["atom_id", "class", "frac", "area_m2"]]


class _Grid:
    """The analysis grid: land cover (split k x k) + terrain codes -> combined codes, tile by tile."""

    def __init__(
        self,
        lc: xr.DataArray,
        scheme: str,
        rules: GreeningRules,
        terrain: _Terrain,
        transform: Any,
        k: int,
        row0: int,
        col0: int,
        height: int,
        width: int,
        tile_size: int,
    ):
        import threading

        self.lc, self.scheme, self.rules, self.terrain = lc, scheme, rules, terrain
        self.transform, self.k, self.row0, self.col0 = transform, k, row0, col0
        self.height, self.width, self.tile_size = height, width, tile_size
        self.crs = as_crs(lc.rio.crs)
        self.reader = _Reader(lc)
        self.same_crs = self.crs == WORK_CRS
        table = rules.code_table()
        self.flat_table = table.ravel()  # [class << 8 | terrain code] -> code
        self.nodata = self.reader.nodata
        # uint8 land cover: one fused table [raw value << 8 | terrain code] -> code, and a histogram
        # per tile to find unmapped values (one gather per cell instead of a class look-up, then a code look-up)
        self.fused: np.ndarray | None = None
        if self.reader.dtype == np.uint8:
            idx, bad = rules.class_lookup(np.arange(256, dtype=np.uint8), scheme, self.nodata)
            self.fused = table[idx].ravel()
            self.bad_values = np.array(sorted(bad), dtype=np.int64)
        self.unmapped: set[Any] = set()
        self.missing_terrain = 0
        self._lock = threading.Lock()

    def tile(self, origin: tuple[int, int]) -> np.ndarray:
        """Combined codes of the tile whose top-left cell is ``origin`` (row, col)."""
        from rasterio.warp import transform_bounds

        y0, x0 = origin
        ts = self.tile_size
        h, w, k = min(ts, self.height - y0), min(ts, self.width - x0), self.k
        # land cover of the tile (each land-cover cell repeated k x k)
        ly0, ly1 = self.row0 + y0 // k, self.row0 + (y0 + h - 1) // k + 1
        lx0, lx1 = self.col0 + x0 // k, self.col0 + (x0 + w - 1) // k + 1
        raw = self.reader.read(ly0, ly1, lx0, lx1)
        if k > 1:
            oy, ox = y0 - (ly0 - self.row0) * k, x0 - (lx0 - self.col0) * k
            raw = np.repeat(np.repeat(raw, k, axis=0), k, axis=1)[oy : oy + h, ox : ox + w]
        # terrain codes on the work grid, sampled at the tile's cell centres (nearest neighbour)
        t = self.transform * self.transform.translation(x0, y0)
        tb = (t.c, t.f + h * t.e, t.c + w * t.a, t.f)
        wb = tb if self.same_crs else transform_bounds(self.crs, WORK_CRS, *tb, densify_pts=21)
        tcode = np.full((h, w), _TERRAIN_UNKNOWN, dtype=np.uint8)
        got = self.terrain.code(self.rules, wb)
        gaps = got is None or not self.same_crs
        if got is not None:
            tc, tt = got
            if self.same_crs:  # index arithmetic: exact nearest neighbour, no warp
                cols, okc = _nearest_index(t.c + (np.arange(w) + 0.5) * t.a, tt.c, tt.a, tc.shape[1])
                rows, okr = _nearest_index(t.f + (np.arange(h) + 0.5) * t.e, tt.f, tt.e, tc.shape[0])
                tcode = np.take(np.take(tc, rows, axis=0), cols, axis=1)
                if not (okr.all() and okc.all()):
                    tcode[~(okr[:, None] & okc[None, :])] = _TERRAIN_UNKNOWN
                    gaps = True
            else:
                from rasterio.enums import Resampling
                from rasterio.warp import reproject

                reproject(
                    tc,
                    tcode,
                    src_transform=tt,
                    src_crs=WORK_CRS,
                    src_nodata=None,
                    dst_transform=t,
                    dst_crs=self.crs,
                    dst_nodata=_TERRAIN_UNKNOWN,
                    resampling=Resampling.nearest,
                )
        n = len(self.rules.classes)
        if self.fused is not None:
            bad: set[Any] = set()
            if self.bad_values.size:
                hist = np.bincount(raw.ravel(), minlength=256)
                bad = {int(v) for v in self.bad_values[hist[self.bad_values] > 0]}
            code = self.fused[(raw.astype(np.uint16) << 8) | tcode]
            has_data = raw != self.nodata if gaps and self.nodata is not None else None
        else:
            ci, bad = self.rules.class_lookup(raw, self.scheme, self.nodata)
            code = self.flat_table[(ci.astype(np.intp) << 8) | tcode]
            has_data = ci < n
        missing = 0
        if gaps:
            unknown = tcode == _TERRAIN_UNKNOWN
            if unknown.any():
                missing = int(np.count_nonzero(unknown if has_data is None else unknown & has_data))
        with self._lock:
            self.unmapped |= bad
            self.missing_terrain += missing
        return code


# ----------------------------------------------------------------------------------- tables
def _names(df: gpd.GeoDataFrame, id_col: str, zh: Sequence[str], en: Sequence[str]) -> pd.DataFrame:
    zh_col = next((c for c in zh if c in df.columns), None)
    en_col = next((c for c in en if c in df.columns), None)
    out = pd.DataFrame({id_col: df[id_col].to_numpy()})
    out["zh"] = df[zh_col].astype(str).to_numpy() if zh_col else out[id_col].astype(str)
    out["en"] = df[en_col].astype(str).to_numpy() if en_col else out[id_col].astype(str)
    return out


def _with_units(df: pd.DataFrame) -> pd.DataFrame:
    """Add ha / 亩 / 万亩 columns after every ``*_m2`` column (units as in :func:`~linfen_geo.units.add_area_columns`)."""
    cols: dict[str, pd.Series] = {}
    for c in df.columns:
        cols[c] = df[c]
        if c.endswith("_m2"):
            m2 = df[c].astype(float)
            for u in _UNITS:
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
    return _with_units(df[lead + core + rest])


def _assemble(
    long: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    rules: GreeningRules,
    meta: dict[str, Any],
    code: xr.DataArray,
    plan: Mapping[str, Any],
) -> GreeningResult:
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
    lcb = _with_units(lcb)

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
    result.notes = _notes(result, plan)
    return result


def _strip_width_m(corridors: gpd.GeoDataFrame) -> float:
    """Typical strip width of the corridors: 2 x area / perimeter (a long strip: its width)."""
    g = corridors.to_crs(AREA_CRS)
    return float(2 * g.area.sum() / g.boundary.length.sum())


def _notes(res: GreeningResult, plan: Mapping[str, Any]) -> list[str]:
    meta, rules = res.meta, res.rules
    lc_m = max(meta["landcover_cell_m"])
    notes = [
        f"Land cover 土地覆被: {meta['landcover_title']} [{meta['landcover_status']}] - {meta['landcover_source']}; "
        f"cell {meta['landcover_resolution']}; classes '{meta['class_scheme']}' mapped to the plan's common classes "
        f"([greening.class_maps.{meta['class_scheme']}]).",
        f"DEM 高程: {meta['dem_title']} [{meta['dem_status']}] - {meta['dem_source']}; cell {meta['dem_resolution']}; "
        f"slope and aspect computed on {meta['terrain_grid']} (metres).",
    ]
    width = _strip_width_m(res.corridors)
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


# ----------------------------------------------------------------------------------- the result
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
        """The five tables by name (as written to CSV and XLSX)."""
        return {
            "by_piece": self.by_piece,
            "by_corridor": self.by_corridor,
            "by_county": self.by_county,
            "total": self.total,
            "landcover_breakdown": self.landcover_breakdown,
        }

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

    # ------------------------------------------------ writers
    def to_excel(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the tables (one sheet each) and the notes to an XLSX workbook, atomically."""
        from linfen_geo.reports.writers import write_tables_xlsx

        return write_tables_xlsx(
            {**self.tables(), "notes": pd.DataFrame({"note": self.notes})}, path, overwrite=overwrite
        )

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

    def markdown(self, files: Sequence[str] = (), *, level: int = 1) -> str:
        """The report as Markdown (notes first, then the tables)."""
        from linfen_geo.reports.writers import to_markdown

        h = "#" * level
        st = self.summary_tables()
        lines = [
            f"{h} Corridor greening 廊道绿化面积报告",
            "",
            "**Data and honesty 数据说明:**",
            "",
            *[f"- {n}" for n in self.notes],
            "",
            f"**{self.greenable_sentence()}**",
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
        lcb = self.landcover_breakdown
        wide = lcb.pivot_table(index=["class", "class_zh"], columns="corridor_id", values="area_ha", sort=False)
        lines += [f"{h}# Land cover per corridor 土地覆被 (ha)", "", to_markdown(wide.reset_index())]
        if files:
            lines += ["Files: " + ", ".join(f"`{f}`" for f in files), ""]
        return "\n".join(lines)

    def html(self, images: Sequence[str] = (), files: Sequence[str] = ()) -> str:
        """The report as a standalone HTML page (images referenced by relative path)."""
        st = self.summary_tables()

        def tbl(df: pd.DataFrame) -> str:
            return _pct(df).to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0, classes="t")

        lcb = self.landcover_breakdown
        wide = lcb.pivot_table(index=["class", "class_zh"], columns="corridor_id", values="area_ha", sort=False)
        body = [
            "<h1>Corridor greening 廊道绿化面积报告</h1>",
            "<h3>Data and honesty 数据说明</h3><ul>",
            *[f"<li>{html.escape(n)}</li>" for n in self.notes],
            "</ul>",
            f"<p><b>{html.escape(self.greenable_sentence())}</b></p>",
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

    def write(
        self, out_dir: str | os.PathLike[str] | Any, *, overwrite: bool = False, prefix: str = "greening"
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
            The files written.
        """
        from linfen_geo.reports.writers import OutputDir, atomic_write

        out = out_dir if isinstance(out_dir, OutputDir) else OutputDir(out_dir, overwrite=overwrite)
        paths: list[Path] = []
        for name, df in self.tables().items():
            paths.append(out.table(df, f"{prefix}_{name}.csv"))
        paths.append(out.tables_xlsx({**self.tables(), "notes": pd.DataFrame({"note": self.notes})}, f"{prefix}.xlsx"))
        paths.append(out.figure(self.plot_suitability(), f"{prefix}_suitability_map.png"))
        paths.append(out.figure(self.plot_by_county(), f"{prefix}_by_county.png"))
        tif = out.target(f"{prefix}_suitability.tif")
        paths.append(atomic_write(tif, self._write_suitability_tif))
        names = [p.name for p in paths]
        md_name, html_name = f"{prefix}_report.md", f"{prefix}_report.html"
        paths.append(out.text(self.markdown([*names, html_name]), md_name))
        images = [n for n in names if n.endswith(".png")]
        paths.append(out.text(self.html(images, [*names, md_name]), html_name))
        return paths

    def _write_suitability_tif(self, tmp: Path) -> None:
        import rasterio
        from rasterio.windows import Window

        da = self.code
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
        names = zip(self.rules.suitability_names, self.rules.suitability_zh, strict=True)
        step = 2048
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(
                1, classes="0=not greenable; " + "; ".join(f"{i}={n} {z}" for i, (n, z) in enumerate(names, 1))
            )
            for y0 in range(0, h, step):  # row strips: bounded memory for large grids
                block, _ = self._suitability_array(y0, min(h, y0 + step), 0, w)
                dst.write(block, 1, window=Window(0, y0, w, block.shape[0]))

    # ------------------------------------------------ figures
    def _suitability_window(
        self, bounds: Sequence[float], max_px: int = 1200, corridor: str | None = None
    ) -> xr.DataArray:
        """The suitability raster over ``bounds`` (its CRS), decimated to at most ``max_px`` cells a side."""
        da = self.code
        r0, r1, c0, c1 = _window_of(bounds, da.rio.transform(), da.shape, margin=1)
        step = max(1, math.ceil(max(r1 - r0, c1 - c0) / max_px))
        arr, t = self._suitability_array(r0, r1, c0, c1, step, corridor)
        ys = t.f + (np.arange(arr.shape[0]) + 0.5) * t.e
        xs = t.c + (np.arange(arr.shape[1]) + 0.5) * t.a
        sub = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs}).rio.write_crs(da.rio.crs)
        return sub.rio.write_transform(t).rio.write_nodata(255)

    def plot_suitability(self, *, dpi: int = 150) -> Any:
        """One panel per corridor: greenable land by suitability, with legend, scale bar and north arrow."""
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.patches import Patch
        from rasterio.enums import Resampling

        from linfen_geo.viz.charts import illustrative_note
        from linfen_geo.viz.maps import add_map_furniture, use_cjk_font

        use_cjk_font()
        rules = self.rules
        n = len(self.by_corridor)
        ncol = 2 if n > 1 else 1
        nrow = math.ceil(n / ncol)
        cor = self.corridors.to_crs(WORK_CRS)
        b = cor.bounds
        aspect = float(np.clip(((b["maxy"] - b["miny"]) / (b["maxx"] - b["minx"])).max(), 0.3, 1.5))
        fig, axes = plt.subplots(
            nrow, ncol, figsize=(6.5 * ncol, (6.5 * aspect + 1.3) * nrow + 1.2), dpi=dpi, squeeze=False
        )
        colors = list(_SUIT_COLORS[: rules.S + 1])
        cmap = ListedColormap(colors).with_extremes(bad=(0, 0, 0, 0))
        norm = BoundaryNorm(np.arange(-0.5, rules.S + 1.5), cmap.N)
        cty = self.counties.to_crs(WORK_CRS)
        cty_lines = _lines(cty.geometry.simplify(100).boundary)  # drawn as line collections: fast
        labels = [(k["name"], k.geometry.representative_point()) for _, k in cty.iterrows()]
        lc_crs = self.code.rio.crs
        for ax, row in zip(axes.ravel(), self.by_corridor.itertuples(), strict=False):
            c = cor[cor["corridor_id"].astype(str) == row.corridor_id]
            xmin, ymin, xmax, ymax = c.total_bounds
            pad = 0.04 * max(xmax - xmin, ymax - ymin)
            box_w = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
            sub = self._suitability_window(c.to_crs(lc_crs).total_bounds, corridor=row.corridor_id)
            sub_w = sub.rio.reproject(WORK_CRS, resampling=Resampling.nearest, nodata=255)
            v = np.ma.masked_equal(np.asarray(sub_w.values), 255)
            b = sub_w.rio.bounds()
            ax.set_facecolor("#fafafa")
            ax.add_collection(LineCollection(cty_lines, colors="#999999", linewidths=0.5, zorder=1))
            ax.imshow(v, cmap=cmap, norm=norm, extent=(b[0], b[2], b[1], b[3]), interpolation="nearest", zorder=2)
            ax.add_collection(LineCollection(_lines(c.boundary), colors="#d95f02", linewidths=0.7, zorder=3))
            for name, p in labels:  # county labels (17 at most)
                if box_w[0] < p.x < box_w[2] and box_w[1] < p.y < box_w[3]:
                    ax.annotate(name, (p.x, p.y), ha="center", fontsize=7, color="#555555", zorder=4)
            ax.set_xlim(box_w[0], box_w[2])
            ax.set_ylim(box_w[1], box_w[3])
            title = f"{row.corridor_id} {row.corridor_zh}"
            if len(title) > 26:
                title = title[:26] + "…"
            ax.set_title(
                f"{title}\n宜绿化 greenable {row.greenable_ha:,.0f} ha = {row.greenable_wanmu:,.2f} 万亩", fontsize=9
            )
            add_map_furniture(ax, legend_handles=None)
            ax.set_xlabel("")
            ax.set_ylabel("")
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        handles = [Patch(facecolor=colors[0], label="不宜绿化/已有林草等 not greenable")] + [
            Patch(facecolor=colors[i], label=f"{z} {s}")
            for i, (s, z) in enumerate(zip(rules.suitability_names, rules.suitability_zh, strict=True), 1)
        ]
        handles.append(Patch(facecolor="none", edgecolor="#d95f02", label="廊道 corridor"))
        fig.legend(
            handles=handles, loc="lower center", ncol=len(handles), fontsize=8, title="宜绿化土地适宜性 suitability"
        )
        fig.suptitle(
            f"廊道宜绿化土地 Greenable land in the corridors (land cover {self.meta['class_scheme']}, "
            f"{self.meta['landcover_resolution'].split(' in ')[0]})",
            fontsize=11,
        )
        h = fig.get_figheight()
        fig.subplots_adjust(
            left=0.02, right=0.98, bottom=0.9 / h, top=1 - 0.9 / h, wspace=0.05, hspace=0.9 / (h / nrow)
        )
        illustrative_note(fig, self._illustrative())
        return fig

    def plot_by_county(self) -> Any:
        """Stacked bars: greenable land by suitability per county (亩 or 万亩)."""
        import matplotlib.pyplot as plt

        from linfen_geo.viz.charts import illustrative_note
        from linfen_geo.viz.maps import use_cjk_font

        use_cjk_font()
        rules = self.rules
        d = self.by_county.sort_values("greenable_m2")
        unit, label = ("wanmu", "万亩") if self.greenable_m2 >= convert_area(1, "wanmu", "m2") else ("mu", "亩")
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(d) + 2))
        y = np.arange(len(d))
        left = np.zeros(len(d))
        for i, (s, z) in enumerate(zip(rules.suitability_names, rules.suitability_zh, strict=True), 1):
            v = d[f"greenable_{s}_{unit}"].to_numpy()
            ax.barh(y, v, left=left, color=_SUIT_COLORS[i], edgecolor="white", label=f"{z} {s}")
            left += v
        for yi, v in zip(y, left, strict=True):
            ax.text(v, yi, f" {v:,.2f}" if unit == "wanmu" else f" {v:,.0f}", va="center", fontsize=7)
        ax.set_yticks(y, (d["county_zh"] + " " + d["county_en"]).tolist())
        ax.set_xlabel(f"宜绿化面积 greenable area ({label})")
        ax.set_title("各县廊道内宜绿化土地 Greenable corridor land by county", fontsize=11)
        ax.legend(fontsize=8, loc="lower right")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        illustrative_note(fig, self._illustrative())
        return fig

    def _illustrative(self) -> list[str]:
        out = []
        if self.corridors.attrs.get("status") == "illustrative" or (
            "illustrative" in self.corridors.columns and self.corridors["illustrative"].astype(bool).any()
        ):
            out.append(str(self.corridors.attrs.get("layer", "corridors")))
        out += [n for n in ("landcover", "dem") if self.meta.get(f"{n}_status") == "illustrative"]
        return out


def _lines(boundaries: Any) -> list[np.ndarray]:
    """Coordinate arrays of every line part of a GeoSeries of boundaries (for a LineCollection)."""
    parts = shapely.get_parts(np.asarray(boundaries.values, dtype=object))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]


def _pct(df: pd.DataFrame) -> pd.DataFrame:
    """Shares as percent strings for the human-readable tables."""
    out = df.copy()
    for c in out.columns:
        if c.endswith("_share"):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v * 100:.1f}%")
    return out


# ----------------------------------------------------------------------------------- the main job
def step_greening(cat: Any, out: Any) -> str:
    """Main-job step: corridor greening with the catalog's layers; returns the REPORT.md section."""
    from linfen_geo.reports.writers import to_markdown

    res = corridor_greening(catalog=cat)
    paths = res.write(out)
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
