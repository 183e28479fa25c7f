"""The plan file: the ecological plan's spatial content as data.

``plan.toml`` (inside the package) holds barrier membership, corridor roads and
waypoints, buffer widths, siting rules, greening thresholds and indicator
targets. Builders and analyses read it through :func:`load_plan`; nothing in
code repeats it. Point ``LINFEN_GEO_PLAN`` (or ``plan = ...`` in the config
file, or :func:`linfen_geo.use_plan`) at an edited copy to change the layers.

Examples
--------
>>> from linfen_geo.plan import load_plan
>>> plan = load_plan()
>>> plan["units"]["m2_per_mu"] == 10000 / 15
True
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from linfen_geo.config import PACKAGE_DIR
from linfen_geo.errors import InputError

__all__ = ["DEFAULT_PLAN", "load_plan", "plan_section_digest"]

DEFAULT_PLAN = PACKAGE_DIR / "plan.toml"


def load_plan(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a plan file (the packaged ``plan.toml`` by default).

    Parameters
    ----------
    path
        A TOML file with the same structure as the packaged plan.

    Raises
    ------
    InputError
        If the file is missing or not valid TOML.
    """
    path = Path(path or os.environ.get("LINFEN_GEO_PLAN") or DEFAULT_PLAN)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read plan file {path}: {exc.strerror}") from None
    try:
        plan = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"plan file {path} is not valid TOML: {exc}") from None
    plan.setdefault("meta", {})["path"] = str(path)
    return plan


def plan_section_digest(plan: dict[str, Any], sections: list[str]) -> str:
    """Canonical JSON of the named plan sections (keys a build cache)."""
    missing = [s for s in sections if s not in plan]
    if missing:
        raise InputError(f"plan file {plan.get('meta', {}).get('path')} lacks section(s) {missing}")
    return json.dumps({s: plan[s] for s in sections}, sort_keys=True, ensure_ascii=False)
