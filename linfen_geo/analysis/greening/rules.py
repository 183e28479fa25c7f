"""The plan's greening rules (``[greening]``, ``[terrain]``, ``[targets]``), parsed into typed dataclasses.

:meth:`GreeningRules.from_plan` checks every key it reads: a missing or unknown key, or a value
of the wrong type, raises :class:`~linfen_geo.errors.PlanError` naming its key path
(``greening.suitability[1].max_slope_deg``; list indices from 0, as in the TOML file's order).
The vectorised helpers turn rasters into the combined categorical code one exactextract pass
tabulates: ``code = common_class * K + steep * (S + 1) + suitability``.

Examples
--------
>>> from linfen_geo.plan.loader import load_plan
>>> rules = GreeningRules.from_plan(load_plan())
>>> rules.suitability[0]
SuitabilityRule(name='tree', name_zh='宜乔', max_slope_deg=25.0, max_elevation_m=1800.0, aspects=('N', 'NE', 'E', 'W', 'NW', 'flat'))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from linfen_geo.errors import PlanError
from linfen_geo.terrain import gradient

__all__ = ["ASPECT_SECTORS", "GreeningRules", "SuitabilityRule", "aspect_class"]

#: aspect classes: the 8 compass sectors (index 0-7), then flat (8) and unknown (9)
ASPECT_SECTORS: tuple[str, ...] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW", "flat")
ASPECT_UNKNOWN = 9
TERRAIN_UNKNOWN = 255  # terrain code of analysis cells the DEM does not reach

#: keys of ``[greening]``
GREENING_KEYS = frozenset(
    {
        "classes",
        "classes_zh",
        "green_cover",
        "greenable_always",
        "grass_hill_min_slope_deg",
        "flat_max_slope_deg",
        "sloping_cropland_deg",
        "steep_cropland_deg",
        "target_mu_key",
        "suitability",
        "class_maps",
        "note",
    }
)
_BOUNDS = ("min_slope_deg", "max_slope_deg", "min_elevation_m", "max_elevation_m")
#: keys of a ``[[greening.suitability]]`` rule
RULE_KEYS = frozenset({"class", "class_zh", "class_en", "note", *_BOUNDS, "aspects"})


# ----------------------------------------------------------------------------------- parsing helpers
class _Reader:
    """Reads keys of one plan file, raising :class:`PlanError` with the key path."""

    def __init__(self, plan: Mapping[str, Any]):
        self.where = plan.get("meta", {}).get("path", "the plan file")

    def error(self, path: str, what: str) -> PlanError:
        return PlanError(f"plan file {self.where}: {path} {what} (see [greening] in plan.toml)")

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = self.get(parent, key, path)
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a table, not {value!r}")
        return value

    def get(self, parent: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
        if key in parent:
            return parent[key]
        if default is ...:
            raise PlanError(f"plan file {self.where} lacks the key {path!r}")
        return default

    def number(self, parent: Mapping[str, Any], key: str, path: str, default: Any = ...) -> float:
        value = self.get(parent, key, path, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path, f"must be a number, not {value!r}")
        return float(value)

    def names(self, parent: Mapping[str, Any], key: str, path: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(parent, key, path, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.error(path, f"must be a list of names, not {value!r}")
        return tuple(value)

    def no_unknown(self, table: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        bad = sorted(set(table) - allowed)
        if bad:
            keys = ", ".join(f"{path}.{k}" for k in bad)
            raise PlanError(
                f"plan file {self.where}: unknown key{'s' if len(bad) > 1 else ''} {keys} "
                f"(allowed in {path}: {', '.join(sorted(allowed))})"
            )


# ----------------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class SuitabilityRule:
    """One ``[[greening.suitability]]`` rule: a suitability class and the terrain it accepts.

    Bounds left as None are not checked; ``aspects`` None accepts every aspect.

    Examples
    --------
    >>> SuitabilityRule("grass").unconditional, SuitabilityRule("tree", max_slope_deg=25.0).unconditional
    (True, False)
    """

    name: str
    name_zh: str | None = field(default=None, compare=False)
    name_en: str | None = field(default=None, repr=False, compare=False)
    note: str | None = field(default=None, repr=False, compare=False)
    min_slope_deg: float | None = None
    max_slope_deg: float | None = None
    min_elevation_m: float | None = None
    max_elevation_m: float | None = None
    aspects: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        shown = [f"name={self.name!r}"]
        shown += [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.repr and f.name != "name" and getattr(self, f.name) is not None
        ]
        return f"SuitabilityRule({', '.join(shown)})"

    @property
    def unconditional(self) -> bool:
        """True for a catch-all rule (no bound, no aspect list)."""
        return all(getattr(self, k) is None for k in _BOUNDS) and self.aspects is None

    def conditions(self) -> str:
        """The rule's conditions in words."""
        cond = []
        if self.min_slope_deg is not None:
            cond.append(f"slope >= {self.min_slope_deg:g}°")
        if self.max_slope_deg is not None:
            cond.append(f"slope <= {self.max_slope_deg:g}°")
        if self.min_elevation_m is not None:
            cond.append(f"elevation >= {self.min_elevation_m:g} m")
        if self.max_elevation_m is not None:
            cond.append(f"elevation <= {self.max_elevation_m:g} m")
        if self.aspects:
            cond.append("aspect " + "/".join(self.aspects))
        return ", ".join(cond) or "any remaining"

    @classmethod
    def parse(cls, raw: Any, path: str, reader: _Reader) -> SuitabilityRule:
        if not isinstance(raw, Mapping):
            raise reader.error(path, f"must be a table, not {raw!r}")
        reader.no_unknown(raw, RULE_KEYS, path)
        name = reader.get(raw, "class", f"{path}.class")
        if not isinstance(name, str):
            raise reader.error(f"{path}.class", f"must be a name, not {name!r}")
        bounds = {k: reader.number(raw, k, f"{path}.{k}") if k in raw else None for k in _BOUNDS}
        aspects = reader.names(raw, "aspects", f"{path}.aspects") if "aspects" in raw else None
        bad = sorted(set(aspects or ()) - set(ASPECT_SECTORS))
        if bad:
            raise reader.error(f"{path}.aspects", f"names unknown aspects {bad} (use {', '.join(ASPECT_SECTORS)})")
        return cls(
            name=name,
            name_zh=raw.get("class_zh"),
            name_en=raw.get("class_en"),
            note=raw.get("note"),
            aspects=aspects,
            **bounds,
        )


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
    suitability: tuple[SuitabilityRule, ...]
    class_maps: dict[str, dict[str, tuple[int, ...]]]
    target_key: str
    target_mu: float

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> GreeningRules:
        """Read and check ``[greening]``, ``[terrain] basin_max_elevation_m`` and ``[targets]`` of a plan.

        Raises
        ------
        PlanError
            A key missing, unknown or of the wrong type, or values that contradict each other;
            the message names the key path (``greening.suitability[1].max_slope_deg``).

        Examples
        --------
        >>> from linfen_geo.plan.loader import load_plan
        >>> plan = load_plan()
        >>> plan["greening"]["suitability"][1]["max_slop_deg"] = 30
        >>> GreeningRules.from_plan(plan)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        linfen_geo.errors.PlanError: plan file ...: unknown key greening.suitability[1].max_slop_deg (allowed in ...)
        """
        rd = _Reader(plan)
        g = rd.table(plan, "greening", "greening")
        rd.no_unknown(g, GREENING_KEYS, "greening")
        classes = rd.names(g, "classes", "greening.classes")
        classes_zh = rd.names(g, "classes_zh", "greening.classes_zh", classes)
        if len(classes_zh) != len(classes):
            raise rd.error("greening.classes_zh", "and greening.classes differ in length")
        cover = {}
        for key in ("green_cover", "greenable_always"):
            cover[key] = rd.names(g, key, f"greening.{key}", ())
            unknown = set(cover[key]) - set(classes)
            if unknown:
                raise rd.error(f"greening.{key}", f"names unknown classes {sorted(unknown)}")
        raw_rules = rd.get(g, "suitability", "greening.suitability")
        if not isinstance(raw_rules, list | tuple) or not raw_rules:
            raise rd.error("greening.suitability", "has no rules ([[greening.suitability]] tables)")
        rules = tuple(SuitabilityRule.parse(r, f"greening.suitability[{i}]", rd) for i, r in enumerate(raw_rules))
        names = [r.name for r in rules]
        if len(set(names)) != len(names):
            raise rd.error("greening.suitability", f"repeats classes: {names}")
        class_maps: dict[str, dict[str, tuple[int, ...]]] = {}
        for scheme, mapping in rd.table(g, "class_maps", "greening.class_maps").items():
            path = f"greening.class_maps.{scheme}"
            if not isinstance(mapping, Mapping):
                raise rd.error(path, f"must be a table, not {mapping!r}")
            seen: dict[int, str] = {}
            for common, values in mapping.items():
                if common not in classes:
                    raise rd.error(f"{path}.{common}", f"maps to unknown class {common!r}")
                if not isinstance(values, list | tuple) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in values
                ):
                    raise rd.error(f"{path}.{common}", f"must be a list of whole numbers, not {values!r}")
                for v in values:
                    if v in seen:
                        raise rd.error(f"{path}.{common}", f"puts value {v} in both {seen[v]!r} and {common!r}")
                    seen[v] = common
            class_maps[str(scheme)] = {c: tuple(vals) for c, vals in mapping.items()}
        if (len(classes) + 1) * 2 * (len(rules) + 1) > 65535:
            raise rd.error("greening", "has too many classes or suitability rules")
        basin = rd.number(
            rd.table(plan, "terrain", "terrain"), "basin_max_elevation_m", "terrain.basin_max_elevation_m"
        )
        target_key = rd.get(g, "target_mu_key", "greening.target_mu_key", "new_public_welfare_forest_mu")
        target_mu = rd.number(rd.table(plan, "targets", "targets"), target_key, f"targets.{target_key}")
        sloping = rd.number(g, "sloping_cropland_deg", "greening.sloping_cropland_deg")
        return cls(
            classes=classes,
            classes_zh=classes_zh,
            green_cover=cover["green_cover"],
            greenable_always=cover["greenable_always"],
            grass_hill_min_slope_deg=rd.number(g, "grass_hill_min_slope_deg", "greening.grass_hill_min_slope_deg"),
            sloping_cropland_deg=sloping,
            steep_cropland_deg=rd.number(g, "steep_cropland_deg", "greening.steep_cropland_deg", sloping),
            basin_max_elevation_m=basin,
            flat_max_slope_deg=rd.number(g, "flat_max_slope_deg", "greening.flat_max_slope_deg", 2.0),
            suitability=rules,
            class_maps=class_maps,
            target_key=target_key,
            target_mu=target_mu,
        )

    # ------------------------------------------------------------ derived constants
    @property
    def suitability_names(self) -> tuple[str, ...]:
        """Suitability classes in rule order (``tree``, ``shrub``, ``grass``)."""
        return tuple(r.name for r in self.suitability)

    @property
    def suitability_zh(self) -> tuple[str, ...]:
        """Chinese names of the suitability classes (宜乔, 宜灌, 宜草)."""
        return tuple(r.name if r.name_zh is None else r.name_zh for r in self.suitability)

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
        return tuple(c for c in self.classes if c in self.greenable_always or c in ("grass", "cropland"))

    def describe(self) -> list[str]:
        """The rules in words (for the report)."""
        always = ", ".join(self.greenable_always) or "none"
        parts = [f"{r.name_zh or ''} {r.name}: {r.conditions()}" for r in self.suitability]
        return [
            f"greenable 宜绿化: {always} always; grassland on hills (elevation > {self.basin_max_elevation_m:g} m "
            f"or slope >= {self.grass_hill_min_slope_deg:g}°); cropland steeper than {self.sloping_cropland_deg:g}° "
            f"(坡耕地; >= {self.steep_cropland_deg:g}° reported as steep 陡坡耕地). Never: built-up, water, wetland, "
            f"existing {'/'.join(self.green_cover)}.",
            "suitability 适宜性 (first matching rule, plan [[greening.suitability]]): "
            + "; ".join(parts)
            + f". Slopes under {self.flat_max_slope_deg:g}° count as flat.",
        ]

    # ------------------------------------------------------------ vectorised helpers
    def class_map(self, scheme: str) -> dict[int, int]:
        """Raw land-cover value -> index of its common class, for a class scheme.

        Raises
        ------
        InputError
            If the scheme has no class map in the plan.

        Examples
        --------
        >>> from linfen_geo.plan.loader import load_plan
        >>> GreeningRules.from_plan(load_plan()).class_map("clcd")[7]  # 7 = barren in CLCD
        7
        """
        from linfen_geo.landcover import class_lookup  # the one scheme -> common class mapping

        return class_lookup(self.classes, self.class_maps, scheme)

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

        Slope and aspect come from :func:`linfen_geo.terrain.gradient` (as
        :func:`~linfen_geo.terrain.slope_deg` / :func:`~linfen_geo.terrain.aspect_deg`, in float32);
        thresholds are compared on the gradient (tan of the slope), which skips the per-cell trigonometry.

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
            gx, gn = gradient(z, np.float32(res), np.float32(res))
            grad = np.hypot(gx, gn)
            turn = np.arctan2(-gx, -gn)  # radians clockwise from north, (-pi, pi]
            sector = (np.floor((turn + np.pi / 8) / (np.pi / 4)).astype(np.int8)) % 8
            flat = (grad < math.tan(math.radians(self.flat_max_slope_deg))) | (grad < 1e-9)
            sector[flat] = ASPECT_SECTORS.index("flat")
            sector[~np.isfinite(grad)] = ASPECT_UNKNOWN
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
                if rule.min_slope_deg is not None:
                    m &= grad >= tan(rule.min_slope_deg)
                if rule.max_slope_deg is not None:
                    m &= grad <= tan(rule.max_slope_deg)
                if rule.min_elevation_m is not None:
                    m &= elev >= rule.min_elevation_m
                if rule.max_elevation_m is not None:
                    m &= elev <= rule.max_elevation_m
                if rule.aspects:
                    ok = np.zeros(ASPECT_UNKNOWN + 1, dtype=bool)
                    ok[[ASPECT_SECTORS.index(a) for a in rule.aspects]] = True
                    m &= ok[sector]
                code[m] |= np.uint8(i << 3)
                free &= ~m
        return code

    def _unknown_suitability(self) -> int:
        """Suitability of a cell without terrain: the first rule with no condition, else 0."""
        return next((i for i, r in enumerate(self.suitability, start=1) if r.unconditional), 0)

    def code_table(self) -> np.ndarray:
        """Look-up table ``[class index, terrain code] -> combined code`` (last row: no data)."""
        n, S, K = len(self.classes), self.S, self.K
        t = np.arange(256)
        hill, sloping, steep, suit = (t & 1) > 0, (t & 2) > 0, (t & 4) > 0, t >> 3
        unknown = t == TERRAIN_UNKNOWN
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
        """(class index, steep flag, suitability) of combined codes (codes < 0 are no data).

        Examples
        --------
        >>> from linfen_geo.plan.loader import load_plan
        >>> r = GreeningRules.from_plan(load_plan())
        >>> [int(v[0]) for v in r.decode([7 * r.K + 1 * (r.S + 1) + 2])]  # barren, steep, shrub
        [7, 1, 2]
        """
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
    out[~np.isfinite(slope)] = ASPECT_UNKNOWN
    return out
