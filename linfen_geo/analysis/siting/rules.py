"""The siting rules: the plan's ``[siting]`` section and its ``[[siting.rules]]``, validated.

:func:`parse_siting` turns the section (or the rules a caller gives) into a
frozen :class:`SitingConfig` of :class:`SitingRule` s. A key the code does not
know, a required key that is missing and a value of the wrong type raise
:class:`~linfen_geo.errors.PlanError` naming the key path, e.g.
``siting.rules[2].action`` (rule positions count from 0, as in the plan
loader's key paths).

Keys of ``[siting]``: ``levels`` (verdicts, best first; default clear, review,
restricted, prohibited), ``levels_zh`` (one per level), ``conflict_levels``
(verdicts whose features are cut out of a site for its conflict-free
remainder; default restricted and prohibited), ``nearest_layer`` (the layer of
the nearest-feature distance; default ``redlines``), ``project_types`` (``{code =
"中文名"}``: the known project types), ``rules`` (required).

Keys of a rule: ``layer`` and ``verdict`` (required), ``id`` (default
``rule<n>``, n counting from 1), ``contact`` (``intersects``, ``overlaps`` or
``within``; default ``intersects``), ``distance_m`` (> 0 for ``within``),
``where`` (``{column = [values]}``: which features of the layer the rule judges),
``when`` / ``unless`` (``{project_type = [types], column = [values]}``: conditions on
the *site* - its project type or its own attributes; a rule whose ``when`` does not
hold or whose ``unless`` holds is waived for that site, and the next matching rule
of the layer applies), ``basis`` (the legal basis, e.g. ``自然资发〔2022〕142号``),
``text_zh``, ``text_en``. ``contact = "outside"`` judges a site that is not wholly
inside the layer (e.g. building outside the urban development boundary).

Examples
--------
>>> cfg = parse_siting([{"id": "A", "layer": "redlines", "verdict": "prohibited"}], {})
>>> cfg.rules[0].contact, cfg.levels[-1], cfg.nearest_layer
('intersects', 'prohibited', 'redlines')
>>> parse_siting([{"layer": "redlines", "verdict": "review"}, {"layer": "x", "action": "ban"}], {})
Traceback (most recent call last):
...
linfen_geo.errors.PlanError: rules: siting.rules[1].action: unknown key; a rule's keys are ...
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linfen_geo.errors import PlanError

__all__ = [
    "CONTACTS",
    "PRESETS_DIR",
    "RULE_KEYS",
    "SECTION_KEYS",
    "SitingConfig",
    "SitingRule",
    "load_preset",
    "merge_rules",
    "parse_siting",
    "preset_names",
]

#: contact kinds a rule may use: touching or overlapping; overlapping with area (lines and points:
#: touching); within distance_m
CONTACTS = ("intersects", "overlaps", "within", "outside")
#: keys of the ``[siting]`` section
SECTION_KEYS = ("levels", "levels_zh", "conflict_levels", "nearest_layer", "project_types", "rules")
#: keys of one ``[[siting.rules]]`` table
RULE_KEYS = (
    "id", "layer", "contact", "verdict", "distance_m", "where", "when", "unless", "basis", "text_zh", "text_en",
)  # fmt: skip
_DEFAULT_LEVELS = ("clear", "review", "restricted", "prohibited")


@dataclass(frozen=True)
class SitingRule:
    """One ``[[siting.rules]]`` table, validated.

    ``level`` is the position of ``verdict`` in the levels; ``distance_m`` is 0
    unless ``contact`` is ``within``; ``where`` holds ``(column, values)``
    pairs; ``key`` is the rule's key path (``siting.rules[0]`` ...).
    """

    id: str
    layer: str
    contact: str
    verdict: str
    level: int
    distance_m: float
    where: tuple[tuple[str, tuple[str, ...]], ...]
    text_zh: str
    text_en: str
    key: str = ""
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unless: tuple[tuple[str, tuple[str, ...]], ...] = ()
    basis: str = ""

    @property
    def conditional(self) -> bool:
        """True when the rule depends on the site (``when`` / ``unless``)."""
        return bool(self.when or self.unless)


@dataclass(frozen=True)
class SitingConfig:
    """The ``[siting]`` section, validated: verdict levels, rules, nearest-feature layer."""

    levels: tuple[str, ...]
    levels_zh: tuple[str, ...]
    rules: tuple[SitingRule, ...]
    nearest_layer: str | None
    conflict_levels: frozenset[str]
    plan_path: str
    project_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def layer_names(self) -> list[str]:
        """The layers the check needs: those the rules name, then the nearest-feature layer."""
        names = [r.layer for r in self.rules] + ([self.nearest_layer] if self.nearest_layer else [])
        return list(dict.fromkeys(names))

    def rules_for(self, layer: str) -> list[SitingRule]:
        """The rules of one layer in the order they are tried.

        Contact rules (``intersects``/``overlaps``) first, in plan order, then
        the distance (``within``) rules in plan order; the first matching rule
        per (site, feature) wins.
        """
        return sorted((r for r in self.rules if r.layer == layer), key=lambda r: r.contact == "within")


def _strings(value: Any, source: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise PlanError(f"{source}: {key} must be a list of strings, not {value!r}")
    return tuple(value)


def _unknown(table: Mapping[str, Any], allowed: tuple[str, ...], source: str, key: str, what: str) -> None:
    for k in table:
        if k not in allowed:
            raise PlanError(f"{source}: {key}.{k}: unknown key; {what} keys are {', '.join(allowed)}")


def _conditions(r: Mapping[str, Any], name: str, key: str, rid: str, source: str) -> tuple:
    """A rule's ``where`` / ``when`` / ``unless`` table as ``((column, (values, ...)), ...)``."""
    filt = r.get(name, {}) or {}
    if not isinstance(filt, Mapping):
        raise PlanError(f"{source}: {key}.{name} (siting rule {rid}) must be a table of column = [values]")
    return tuple(
        (str(col), tuple(str(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])))
        for col, vals in filt.items()
    )


def _rule(
    r: Any, i: int, levels: tuple[str, ...], seen: set[str], source: str, types: Mapping[str, str] | None = None
) -> SitingRule:
    key = f"siting.rules[{i}]"
    if not isinstance(r, Mapping):
        raise PlanError(f"{source}: {key} must be a table, not {type(r).__name__}")
    _unknown(r, RULE_KEYS, source, key, "a rule's")
    rid = str(r.get("id") or f"rule{i + 1}")
    if rid in seen:
        raise PlanError(f"{source}: {key}.id: duplicate siting rule id {rid!r}")
    seen.add(rid)
    for required in ("layer", "verdict"):
        if not r.get(required):
            raise PlanError(f"{source}: {key}.{required} is missing (siting rule {rid})")
    layer, verdict = r["layer"], r["verdict"]
    contact = r.get("contact", "intersects")
    if contact not in CONTACTS:
        raise PlanError(
            f"{source}: {key}.contact (siting rule {rid}) must be one of {', '.join(CONTACTS)}, not {contact!r}"
        )
    if verdict not in levels:
        raise PlanError(f"{source}: {key}.verdict (siting rule {rid}): {verdict!r} is not one of {list(levels)}")
    if verdict == levels[0]:
        raise PlanError(f"{source}: {key}.verdict (siting rule {rid}): a contact cannot be judged {verdict!r}")
    dist = r.get("distance_m", 0.0)
    try:
        dist = float(dist)
    except (TypeError, ValueError):
        raise PlanError(f"{source}: {key}.distance_m (siting rule {rid}) must be a number, not {dist!r}") from None
    if contact == "within" and not (math.isfinite(dist) and dist > 0):
        raise PlanError(f"{source}: {key}.distance_m (siting rule {rid}): a 'within' rule needs distance_m > 0")
    where, when, unless = (_conditions(r, k, key, rid, source) for k in ("where", "when", "unless"))
    for col, vals in when + unless:
        bad = [v for v in vals if col == "project_type" and types and v not in types]
        if bad:
            raise PlanError(
                f"{source}: {key} (siting rule {rid}): project type(s) {bad} unknown; known: {', '.join(types)}"
            )
    return SitingRule(
        id=rid,
        layer=str(layer),
        contact=contact,
        verdict=str(verdict),
        level=levels.index(verdict),
        distance_m=dist if contact == "within" else 0.0,
        where=where,
        text_zh=str(r.get("text_zh", "")),
        text_en=str(r.get("text_en", "")),
        key=key,
        when=when,
        unless=unless,
        basis=str(r.get("basis", "")),
    )


#: folder of the shipped rule presets (``<name>.toml`` with ``[[rules]]``)
PRESETS_DIR = Path(__file__).resolve().parents[2] / "plan" / "presets"


def preset_names() -> list[str]:
    """Names of the shipped rule presets (``sanqu`` ...)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> list[dict[str, Any]]:
    """The rule tables of a shipped preset.

    Examples
    --------
    >>> [r["id"] for r in load_preset("sanqu")][:3]
    ['S1', 'S1a', 'S1b']
    >>> load_preset("sanq")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.PlanError: no rule preset 'sanq'; presets: sanqu
    """
    import tomllib

    path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise PlanError(f"no rule preset {name!r}; presets: {', '.join(preset_names())}")
    return list(tomllib.loads(path.read_text(encoding="utf-8"))["rules"])


def merge_rules(base: list[Any], user: list[Any], *, replace: bool = False) -> list[Any]:
    """The base rules with the user's merged in: a user rule with an existing id replaces it, new ones follow.

    Examples
    --------
    >>> [r["id"] + r["verdict"][0] for r in merge_rules(
    ...     [{"id": "R1", "verdict": "prohibited"}, {"id": "R2", "verdict": "review"}],
    ...     [{"id": "R2", "verdict": "restricted"}, {"id": "U1", "verdict": "review"}])]
    ['R1p', 'R2r', 'U1r']
    """
    out = [] if replace else [dict(r) if isinstance(r, Mapping) else r for r in base]
    pos = {r.get("id"): i for i, r in enumerate(out) if isinstance(r, Mapping)}
    for r in user:
        rid = r.get("id") if isinstance(r, Mapping) else None
        if rid is not None and rid in pos:
            out[pos[rid]] = r
        else:
            out.append(r)
    return out


def parse_siting(
    rules: Any,
    plan: Mapping[str, Any],
    *,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> SitingConfig:
    """Validate the plan's ``[siting]`` section, or the rules given instead, into a :class:`SitingConfig`.

    Parameters
    ----------
    rules
        None (the plan's section as is), a list of rule tables (replacing the
        plan's rules), or a mapping like the ``[siting]`` section (its keys
        replace the plan's).
    preset
        A shipped rule preset (``"sanqu"``) used instead of the plan's rules.
    overrides
        The ``[siting]`` table of ``linfen_geo.toml``: ``preset``, ``rules`` (merged
        with the plan's or the preset's by id, see :func:`merge_rules`) and
        ``replace_rules`` (drop the built-in rules first).
    plan
        The plan (:func:`~linfen_geo.plan.loader.load_plan`); only its
        ``siting`` section and ``meta.path`` are read.

    Returns
    -------
    SitingConfig

    Raises
    ------
    PlanError
        Unknown or missing keys, values of the wrong type, names the key path.

    Examples
    --------
    >>> from linfen_geo.plan.loader import load_plan
    >>> cfg = parse_siting(None, load_plan())
    >>> [r.id for r in cfg.rules_for("redlines")], sorted(cfg.conflict_levels)
    (['R1', 'R6'], ['prohibited', 'restricted'])
    """
    section = dict(plan.get("siting", {}))
    source = f"plan file {plan.get('meta', {}).get('path', '')}".strip()
    extra = dict(overrides or {})
    preset = preset or extra.get("preset")
    if preset:
        section["rules"] = load_preset(str(preset))
        source = f"rule preset {preset!r}"
    if extra.get("rules") or extra.get("replace_rules"):
        section["rules"] = merge_rules(
            list(section.get("rules", [])), list(extra.get("rules", [])), replace=bool(extra.get("replace_rules"))
        )
        source = f"{source} + linfen_geo.toml [siting]"
    if isinstance(rules, Mapping):
        section.update(rules)
        source = "rules"
    elif rules is not None:
        section["rules"] = list(rules)
        source = "rules"
    _unknown(section, SECTION_KEYS, source, "siting", "the [siting] section's")
    levels = _strings(section.get("levels", list(_DEFAULT_LEVELS)), source, "siting.levels")
    levels_zh = _strings(section.get("levels_zh", list(levels)), source, "siting.levels_zh")
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise PlanError(f"{source}: siting.levels must list at least two distinct verdicts, best first")
    if len(levels_zh) != len(levels):
        raise PlanError(f"{source}: siting.levels_zh must have one entry per level ({len(levels)})")
    raw = section.get("rules")
    if not raw:
        raise PlanError(f"{source}: siting.rules is missing: no [[siting.rules]], nothing to check against")
    if not isinstance(raw, (list, tuple)):
        raise PlanError(f"{source}: siting.rules must be a list of tables ([[siting.rules]])")
    seen: set[str] = set()
    types = section.get("project_types", {}) or {}
    if not isinstance(types, Mapping) or not all(isinstance(v, str) for v in types.values()):
        raise PlanError(f'{source}: siting.project_types must be a table of code = "中文名"')
    out = tuple(_rule(r, i, levels, seen, source, types) for i, r in enumerate(raw))
    conflict = section.get("conflict_levels")
    if conflict is None:
        conflict = [v for v in ("restricted", "prohibited") if v in levels] or list(levels[-1:])
    conflict = _strings(conflict, source, "siting.conflict_levels")
    unknown = [c for c in conflict if c not in levels]
    if unknown:
        raise PlanError(f"{source}: siting.conflict_levels {unknown} are not verdict levels {list(levels)}")
    nearest = section.get("nearest_layer", "redlines")
    if nearest is not None and not isinstance(nearest, str):
        raise PlanError(f"{source}: siting.nearest_layer must be a layer name, not {nearest!r}")
    return SitingConfig(
        levels=levels,
        levels_zh=levels_zh,
        rules=out,
        nearest_layer=nearest or None,
        conflict_levels=frozenset(conflict),
        plan_path=str(plan.get("meta", {}).get("path", "")),
        project_types=dict(types),
    )
