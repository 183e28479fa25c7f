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
the nearest-feature distance; default ``redlines``), ``rules`` (required).

Keys of a rule: ``layer`` and ``verdict`` (required), ``id`` (default
``rule<n>``, n counting from 1), ``contact`` (``intersects``, ``overlaps`` or
``within``; default ``intersects``), ``distance_m`` (> 0 for ``within``),
``where`` (``{column = [values]}``), ``text_zh``, ``text_en``.

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
from dataclasses import dataclass
from typing import Any

from linfen_geo.errors import PlanError

__all__ = ["CONTACTS", "RULE_KEYS", "SECTION_KEYS", "SitingConfig", "SitingRule", "parse_siting"]

#: contact kinds a rule may use: touching or overlapping; overlapping with area (lines and points:
#: touching); within distance_m
CONTACTS = ("intersects", "overlaps", "within")
#: keys of the ``[siting]`` section
SECTION_KEYS = ("levels", "levels_zh", "conflict_levels", "nearest_layer", "rules")
#: keys of one ``[[siting.rules]]`` table
RULE_KEYS = ("id", "layer", "contact", "verdict", "distance_m", "where", "text_zh", "text_en")
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


@dataclass(frozen=True)
class SitingConfig:
    """The ``[siting]`` section, validated: verdict levels, rules, nearest-feature layer."""

    levels: tuple[str, ...]
    levels_zh: tuple[str, ...]
    rules: tuple[SitingRule, ...]
    nearest_layer: str | None
    conflict_levels: frozenset[str]
    plan_path: str

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


def _rule(r: Any, i: int, levels: tuple[str, ...], seen: set[str], source: str) -> SitingRule:
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
    filt = r.get("where", {}) or {}
    if not isinstance(filt, Mapping):
        raise PlanError(f"{source}: {key}.where (siting rule {rid}) must be a table of column = [values]")
    where = tuple(
        (str(col), tuple(str(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])))
        for col, vals in filt.items()
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
    )


def parse_siting(rules: Any, plan: Mapping[str, Any]) -> SitingConfig:
    """Validate the plan's ``[siting]`` section, or the rules given instead, into a :class:`SitingConfig`.

    Parameters
    ----------
    rules
        None (the plan's section as is), a list of rule tables (replacing the
        plan's rules), or a mapping like the ``[siting]`` section (its keys
        replace the plan's).
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
    out = tuple(_rule(r, i, levels, seen, source) for i, r in enumerate(raw))
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
    )
