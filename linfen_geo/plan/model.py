"""A typed, validated model of the plan file: every section the code uses, declared once.

:func:`parse_plan` turns the TOML tables into frozen dataclasses. A key the
model does not know (a typo), a missing key, or a value of the wrong type
raises :class:`~linfen_geo.errors.PlanError` naming the key path and the file,
e.g. ``plan file my_plan.toml: unknown key 'terrain.resolutoin_m' (did you mean
'resolution_m'?)``. Optional keys have defaults here and nowhere else.

The dataclasses follow the file one to one (a ``[[barriers]]`` array is a
tuple of :class:`Barrier`); tables keyed by data (``[mines.county_weights]``,
``[greening.class_maps.*]``) are typed mappings.

Examples
--------
>>> from linfen_geo.plan.loader import load_plan
>>> plan = plan_model(load_plan())
>>> plan.city.adcode, plan.terrain.resolution_m, plan.barriers[2].rule
(141000, 500.0, 'valley')
>>> parse_plan({**load_plan(), "terrain": {"resolutoin_m": 500, "basin_max_elevation_m": 600}}, "x.toml")
Traceback (most recent call last):
...
linfen_geo.errors.PlanError: plan file x.toml: unknown key 'terrain.resolutoin_m' (did you mean 'resolution_m'?)
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from linfen_geo.errors import PlanError

__all__ = [
    "Barrier",
    "City",
    "Corridor",
    "Greening",
    "Plan",
    "RedlineModel",
    "SitingRule",
    "parse_plan",
    "plan_model",
]

M2_PER_MU_LEGAL = 10000.0 / 15.0


def _key(name: str) -> Any:
    """A field whose plan-file key is not a Python name (``class``)."""
    return field(metadata={"key": name})


# ---------------------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class Meta:
    title_zh: str
    title_en: str
    year: int
    path: str = ""


@dataclass(frozen=True)
class Units:
    m2_per_mu: float


@dataclass(frozen=True)
class City:
    adcode: int
    name_zh: str
    name_en: str
    official_area_km2: float


@dataclass(frozen=True)
class Terrain:
    resolution_m: float
    basin_max_elevation_m: float


@dataclass(frozen=True)
class Barrier:
    id: str
    name_zh: str
    name_en: str
    rule: str
    counties: tuple[int, ...]
    measures: str = ""
    rivers: tuple[str, ...] = ()
    max_elevation_m: float | None = None
    max_distance_m: float | None = None
    min_patch_km2: float | None = None


@dataclass(frozen=True)
class CorridorRules:
    mode: str
    buffer_m: float
    width_rule_zh: str
    width_rule_en: str
    clip_to_city: bool = True


@dataclass(frozen=True)
class CorridorTerrain:
    plain_width_m: float
    max_distance_m: float
    relief_window_m: float
    mountain_min_relief_m: float
    mountain_min_slope_deg: float
    min_stretch_m: float
    resolution_m: float | str
    outlet_width_m: float
    width_rule_zh: str
    width_rule_en: str
    basin_max_elevation_m: float | None = None


@dataclass(frozen=True)
class Routing:
    slope_ref_deg: float
    slope_weight: float
    relief_weight: float
    relief_ref_m: float
    relief_window_m: float
    simplify_m: float


@dataclass(frozen=True)
class OsmMatch:
    ref: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    highway: tuple[str, ...] = ()
    railway: tuple[str, ...] = ()


@dataclass(frozen=True)
class RailStretch:
    """The stretch of a ``[[railways.modelled]]`` railway between two of its stops (by label)."""

    railway: str
    start: str
    end: str


@dataclass(frozen=True)
class Corridor:
    id: str
    name_zh: str
    name_en: str
    roads_zh: tuple[str, ...]
    roads_en: tuple[str, ...]
    waypoints: tuple[int, ...]
    counties: tuple[int, ...]
    osm: OsmMatch = OsmMatch()
    rail_stretch: RailStretch | None = None


@dataclass(frozen=True)
class RailLine:
    """Names for VMAP0 railway pieces (by their ``fid``): the source carries no line names."""

    name_zh: str
    name_en: str
    fids: tuple[int, ...]


@dataclass(frozen=True)
class RouteStop:
    """A stop of a modelled railway: a real station (lon, lat; snapped to the station layer) or a county seat."""

    label: str
    station: tuple[float, ...] = ()
    county: int = 0


@dataclass(frozen=True)
class ModelledRailway:
    id: str
    name_zh: str
    name_en: str
    opened: int
    route: tuple[RouteStop, ...]
    note: str = ""


@dataclass(frozen=True)
class Railways:
    lines: tuple[RailLine, ...]
    unnamed_zh: str
    unnamed_en: str
    station_snap_m: float
    on_line_m: float
    modelled: tuple[ModelledRailway, ...] = ()


@dataclass(frozen=True)
class RiverAddition:
    """A river taken from the ``rivers_wdbii`` layer into ``rivers``."""

    river: str
    name: str
    level: int
    accuracy: str


@dataclass(frozen=True)
class Rivers:
    add: tuple[RiverAddition, ...] = ()


@dataclass(frozen=True)
class ReserveRules:
    core_share: float
    buffer_share: float
    descent_ref_m: float


@dataclass(frozen=True)
class Reserve:
    id: str
    name_zh: str
    name_en: str
    level: str
    counties: tuple[int, ...]
    registry_code: str = ""
    documented_area_ha: float | None = None
    summit_lon: float | None = None
    summit_lat: float | None = None
    seed_search_km: float = 5.0
    note: str = ""


@dataclass(frozen=True)
class SpringZone:
    id: str
    spring_zh: str
    name_zh: str
    name_en: str
    outlet_lon: float
    outlet_lat: float
    radius_km: float
    counties: tuple[int, ...]


@dataclass(frozen=True)
class WetlandStrip:
    river: str
    width_m: float


@dataclass(frozen=True)
class RedlineModel:
    target_share: float
    weight_elevation: float
    weight_slope: float
    weight_cover: float
    cover_weights: Mapping[str, float]
    min_patch_km2: float
    smooth_m: float
    category_by_barrier: Mapping[str, str]
    category_default: str
    category_reserve: str
    category_wetland: str
    include_reserves: bool = True
    wetland_strips: tuple[WetlandStrip, ...] = ()


@dataclass(frozen=True)
class Mines:
    seed: int
    total: int
    min_relief_m: float
    relief_window_m: float
    town_clearance_km: float
    river_clearance_m: float
    quarry_edge_km: float
    area_median_ha: float
    area_sigma: float
    area_min_ha: float
    area_max_ha: float
    status_shares: Mapping[str, float]
    coal_counties: tuple[int, ...]
    county_weights: Mapping[str, float]
    mineral_mix_coal: Mapping[str, float]
    mineral_mix_other: Mapping[str, float]
    quarry_minerals: tuple[str, ...]
    axis_ratio: tuple[float, ...]


@dataclass(frozen=True)
class RiverRule:
    rivers: tuple[str, ...]
    width_m: float
    rule_zh: str
    rule_en: str


@dataclass(frozen=True)
class RiverBuffers:
    default_width_m: float
    default_rule_zh: str
    default_rule_en: str
    channel_half_width_m: Mapping[str, float]
    default_channel_half_width_m: float
    rules: tuple[RiverRule, ...] = ()


@dataclass(frozen=True)
class SanquModel:
    urban_radius_km: float
    urban_search_km: float
    farmland_max_slope_deg: float
    farmland_town_clearance_m: float
    farmland_min_patch_km2: float
    urban_radius_km_by_county: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SitingRule:
    id: str
    layer: str
    contact: str
    verdict: str
    text_zh: str
    text_en: str
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    basis: str = ""
    distance_m: float | None = None


@dataclass(frozen=True)
class Siting:
    levels: tuple[str, ...]
    levels_zh: tuple[str, ...]
    conflict_levels: tuple[str, ...]
    rules: tuple[SitingRule, ...]
    nearest_layer: str = "redlines"
    project_types: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ForestCoverage:
    baseline_year: int
    baseline_share: float
    target_year: int
    target_share: float
    classes_strict: tuple[str, ...]
    classes_broad: tuple[str, ...]
    caveat_zh: str
    caveat_en: str


@dataclass(frozen=True)
class RedlineShare:
    rule: str
    tolerance_m2: float


@dataclass(frozen=True)
class Indicators:
    forest_coverage: ForestCoverage
    redline_share: RedlineShare


@dataclass(frozen=True)
class Suitability:
    class_: str = _key("class")
    class_zh: str = ""
    max_slope_deg: float | None = None
    max_elevation_m: float | None = None
    aspects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Greening:
    classes: tuple[str, ...]
    classes_zh: tuple[str, ...]
    green_cover: tuple[str, ...]
    greenable_always: tuple[str, ...]
    grass_hill_min_slope_deg: float
    flat_max_slope_deg: float
    sloping_cropland_deg: float
    steep_cropland_deg: float
    target_mu_key: str
    suitability: tuple[Suitability, ...]
    class_maps: Mapping[str, Mapping[str, tuple[int, ...]]]


@dataclass(frozen=True)
class Factors:
    """Step factors: ``factors[i]`` for values in ``[breaks[i-1], breaks[i])`` (``len(factors) = len(breaks) + 1``)."""

    breaks: tuple[float, ...]
    factors: tuple[float, ...]
    window_m: float | None = None


@dataclass(frozen=True)
class Penalty:
    """Resistance raised on (``on_factor``) and near (``near_factor`` within ``near_m``) a layer or class."""

    on_factor: float
    near_factor: float
    near_m: float
    layer: str = ""
    class_: str = field(default="", metadata={"key": "class"})
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    area_column: str = ""


@dataclass(frozen=True)
class Pattern:
    """``[pattern]``: every weight of the ecological security pattern (:mod:`linfen_geo.pattern`)."""

    resolution_m: float
    habitat_classes: tuple[str, ...]
    mspa_edge_width_m: float
    min_core_area_km2: float
    reserves_as_sources: bool
    dispersal_distance_m: float
    dispersal_probability: float
    source_min_dpc: float
    restored_class: str
    corridor_width_cost: float
    gravity_threshold: float
    barrier_radii_m: tuple[float, ...]
    barrier_min_score: float
    pinch_share: float
    covered_min_share: float
    sensitivity_pct: float
    sensitivity_runs: int
    sensitivity_seed: int
    class_resistance: Mapping[str, float]
    slope: Factors
    relief: Factors
    penalties: Mapping[str, Penalty]


@dataclass(frozen=True)
class Plan:
    """The whole plan file, typed. Build it with :func:`parse_plan` or :func:`plan_model`."""

    meta: Meta
    units: Units
    city: City
    terrain: Terrain
    barriers: tuple[Barrier, ...]
    corridor_rules: CorridorRules
    corridor_terrain: CorridorTerrain
    routing: Routing
    corridors: tuple[Corridor, ...]
    railways: Railways
    rivers: Rivers
    reserve_rules: ReserveRules
    reserves: tuple[Reserve, ...]
    spring_zones: tuple[SpringZone, ...]
    redline_model: RedlineModel
    mines: Mines
    river_buffers: RiverBuffers
    sanqu_model: SanquModel
    siting: Siting
    indicators: Indicators
    targets: Mapping[str, float]
    greening: Greening
    pattern: Pattern


# ---------------------------------------------------------------------------------------- parsing
_TYPE_WORDS = {str: "text", int: "an integer", float: "a number", bool: "true or false"}


class _Parser:
    def __init__(self, file: str):
        self.file = file

    def fail(self, msg: str) -> PlanError:
        return PlanError(f"plan file {self.file}: {msg}")

    def value(self, tp: Any, v: Any, path: str) -> Any:
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if v is None:
                return None
            errors = []
            for a in args:
                try:
                    return self.value(a, v, path)
                except PlanError as exc:
                    errors.append(exc)
            raise errors[0]
        if dataclasses.is_dataclass(tp):
            return self.table(tp, v, path)
        if origin is tuple:
            if not isinstance(v, list):
                raise self.fail(f"{path!r} must be a list, not {v!r}")
            item = typing.get_args(tp)[0]
            return tuple(self.value(item, x, f"{path}[{i}]") for i, x in enumerate(v))
        if origin in (Mapping, dict) or tp is Mapping:
            if not isinstance(v, Mapping):
                raise self.fail(f"{path!r} must be a table, not {v!r}")
            _, vt = typing.get_args(tp) or (str, Any)
            return {str(k): self.value(vt, x, f"{path}.{k}") for k, x in v.items()}
        if tp is Any:
            return v
        if tp is float:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise self.fail(f"{path!r} must be {_TYPE_WORDS[float]}, not {v!r}")
            return float(v)
        if tp is int:
            if isinstance(v, bool) or not isinstance(v, int):
                raise self.fail(f"{path!r} must be {_TYPE_WORDS[int]}, not {v!r}")
            return v
        if tp in (str, bool):
            if not isinstance(v, tp):
                raise self.fail(f"{path!r} must be {_TYPE_WORDS[tp]}, not {v!r}")
            return v
        raise TypeError(f"plan model: unsupported type {tp!r} at {path}")  # a bug in this module

    def table(self, cls: Any, raw: Any, path: str) -> Any:
        where = path or "the top level"
        if not isinstance(raw, Mapping):
            raise self.fail(f"{where!r} must be a table, not {raw!r}")
        hints = typing.get_type_hints(cls)
        fields = {f.metadata.get("key", f.name): f for f in dataclasses.fields(cls)}
        unknown = [k for k in raw if k not in fields]
        if unknown:
            k = unknown[0]
            near = difflib.get_close_matches(str(k), list(fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(fields)})"
            raise self.fail(f"unknown key {_join(path, k)!r}{hint}")
        kwargs = {}
        for key, f in fields.items():
            if key not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise self.fail(f"lacks the key {_join(path, key)!r}")
                continue
            kwargs[f.name] = self.value(hints[f.name], raw[key], _join(path, key))
        return cls(**kwargs)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _check(plan: Plan, p: _Parser) -> None:
    """Rules across keys: what one value says about another."""
    if abs(plan.units.m2_per_mu - M2_PER_MU_LEGAL) > 1e-9:
        raise p.fail(f"'units.m2_per_mu' is {plan.units.m2_per_mu}: 1 亩 is 10000/15 m2 by law, not a plan choice")
    classes = set(plan.greening.classes)
    for key in ("classes_strict", "classes_broad"):
        bad = sorted(set(getattr(plan.indicators.forest_coverage, key)) - classes)
        if bad:
            raise p.fail(f"'indicators.forest_coverage.{key}' names {bad}, not among greening.classes")
    bad = sorted(set(plan.redline_model.cover_weights) - classes)
    if bad:
        raise p.fail(f"'redline_model.cover_weights' names {bad}, not among greening.classes")
    for scheme, mapping in plan.greening.class_maps.items():
        bad = sorted(set(mapping) - classes)
        if bad:
            raise p.fail(f"'greening.class_maps.{scheme}' maps to {bad}, not among greening.classes")
    if plan.greening.target_mu_key not in plan.targets:
        raise p.fail(f"'greening.target_mu_key' is {plan.greening.target_mu_key!r}, not a key of [targets]")
    if len(plan.siting.levels) != len(plan.siting.levels_zh):
        raise p.fail("'siting.levels' and 'siting.levels_zh' differ in length")
    for i, r in enumerate(plan.siting.rules):
        if r.verdict not in plan.siting.levels:
            raise p.fail(
                f"'siting.rules[{i}].verdict' is {r.verdict!r}, not one of siting.levels {list(plan.siting.levels)}"
            )
    for r in plan.reserves:
        if not r.registry_code and (r.documented_area_ha is None or r.summit_lon is None or r.summit_lat is None):
            raise p.fail(f"reserve {r.id!r} needs a registry_code, or documented_area_ha, summit_lon and summit_lat")
    stops = {m.id: [s.label for s in m.route] for m in plan.railways.modelled}
    for m in plan.railways.modelled:
        for s in m.route:
            if (len(s.station) == 2) == bool(s.county):
                raise p.fail(f"railway {m.id!r} stop {s.label!r} needs either station = [lon, lat] or county")
    for c in plan.corridors:
        st = c.rail_stretch
        if st is None:
            continue
        if st.railway not in stops:
            raise p.fail(f"corridor {c.id!r} rail_stretch names railway {st.railway!r}, not in railways.modelled")
        bad = [x for x in (st.start, st.end) if x not in stops[st.railway]]
        if bad:
            raise p.fail(f"corridor {c.id!r} rail_stretch names stops {bad}, not among {stops[st.railway]}")
    ids = [b.id for b in plan.barriers] + [c.id for c in plan.corridors]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise p.fail(f"ids used twice: {dup}")


def parse_plan(raw: Mapping[str, Any], file: str = "<plan>") -> Plan:
    """Validate a plan's tables and return the typed :class:`Plan`.

    Raises
    ------
    PlanError
        Unknown key (with the nearest known one), missing key, wrong type, or a
        cross-key rule broken (e.g. a siting verdict not among the levels).
    """
    p = _Parser(file)
    plan = p.table(Plan, raw, "")
    _check(plan, p)
    return plan


def plan_model(plan: Mapping[str, Any]) -> Plan:
    """The typed model of a plan loaded by :func:`~linfen_geo.plan.loader.load_plan` (built once per plan)."""
    model = getattr(plan, "model", None)
    if isinstance(model, Plan):
        return model
    return parse_plan(plan, str(plan.get("meta", {}).get("path", "<plan>")))
