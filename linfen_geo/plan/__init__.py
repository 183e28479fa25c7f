"""The plan as data: ``plan.toml`` and a typed, validated model of it."""

from linfen_geo.plan.loader import DEFAULT_PLAN, load_plan, plan_section_digest

__all__ = ["DEFAULT_PLAN", "load_plan", "plan_section_digest"]
