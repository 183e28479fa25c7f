"""The plan file: the ecological plan's spatial content as data.

``plan.toml`` (inside the package) holds barrier membership, corridor roads and
waypoints, buffer widths, siting rules, greening thresholds and indicator
targets. Builders and analyses read it through :func:`load_plan`; nothing in
code repeats it. Point ``LINFEN_GEO_PLAN`` (or ``plan = ...`` in the config
file, or :func:`linfen_geo.use_plan`) at an edited copy to change the layers.

Examples
--------
>>> from linfen_geo.plan.loader import load_plan
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
from linfen_geo.errors import InputError, PlanError
from linfen_geo.io.textfiles import read_text_capped

__all__ = ["DEFAULT_PLAN", "load_plan", "plan_section_digest"]


class _PlanTable(dict):
    """A table of the plan file: a missing key raises :class:`PlanError` naming its key path and file."""

    __slots__ = ("_file", "_key_path", "model")

    def __init__(self, data: dict[str, Any], file: str, key_path: str = "") -> None:
        super().__init__({k: _wrap(v, file, f"{key_path}.{k}" if key_path else str(k)) for k, v in data.items()})
        self._file = file
        self._key_path = key_path
        self.model: Any = None  # the typed plan (linfen_geo.plan.model.Plan), on the top-level table

    def __missing__(self, key: str) -> Any:
        where = f"{self._key_path}.{key}" if self._key_path else str(key)
        raise PlanError(f"plan file {self._file} lacks the key {where!r}")


def _wrap(value: Any, file: str, key_path: str) -> Any:
    if isinstance(value, dict):
        return _PlanTable(value, file, key_path)
    if isinstance(value, list):
        return [_wrap(v, file, f"{key_path}[{i}]") for i, v in enumerate(value)]
    return value


DEFAULT_PLAN = PACKAGE_DIR / "plan" / "plan.toml"


def load_plan(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a plan file (the packaged ``plan.toml`` by default).

    Parameters
    ----------
    path
        A TOML file with the same structure as the packaged plan.

    Returns
    -------
    dict
        The plan's tables (a missing key raises :class:`PlanError` naming its path); the typed,
        validated model is ``plan.model`` (:class:`linfen_geo.plan.model.Plan`).

    Raises
    ------
    InputError
        If the file is missing or not valid TOML.
    PlanError
        An unknown or missing key, or a value of the wrong type (named with its key path).
    """
    path = Path(path or os.environ.get("LINFEN_GEO_PLAN") or DEFAULT_PLAN)
    try:
        text = read_text_capped(path, 16 << 20, encoding="utf-8", where=f"plan file {path}", hint="check the path")
    except OSError as exc:
        raise InputError(f"cannot read plan file {path}: {exc.strerror}") from None
    try:
        plan = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"plan file {path} is not valid TOML: {exc}") from None
    from linfen_geo.plan.model import parse_plan

    plan.setdefault("meta", {})["path"] = str(path)
    model = parse_plan(plan, str(path))  # validate before anything reads it
    table = _PlanTable(plan, str(path))
    table.model = model
    return table


def plan_section_digest(plan: dict[str, Any], sections: list[str]) -> str:
    """Canonical JSON of the named plan sections (keys a build cache)."""
    missing = [s for s in sections if s not in plan]
    if missing:
        raise InputError(f"plan file {plan.get('meta', {}).get('path')} lacks section(s) {missing}")
    return json.dumps({s: plan[s] for s in sections}, sort_keys=True, ensure_ascii=False)
