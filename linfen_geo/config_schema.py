"""The schema of the user configuration file ``linfen_geo.toml``, checked before anything uses it.

A misspelt key, a missing ``path``, a number where a path belongs or a string where a table
belongs is one readable error naming the file, the key and what was expected (with a "did you
mean" for misspellings), never a traceback or a silently ignored setting.

Examples
--------
>>> validate_config({"layers": {"redlines": {"path": "r.shp", "colums": {"redline_id": "BSM"}}}}, "linfen_geo.toml")
Traceback (most recent call last):
...
linfen_geo.errors.InputError: linfen_geo.toml: unknown key 'layers.redlines.colums' (did you mean 'columns'?)
"""

from __future__ import annotations

import difflib
from typing import Any

from linfen_geo.errors import InputError

__all__ = ["LAYER_KEYS", "NEW_LAYER_KEYS", "SITING_KEYS", "TOP_KEYS", "validate_config"]

#: top-level keys and their types
TOP_KEYS: dict[str, tuple[type, ...]] = {
    "plan": (str,), "data_dir": (str,), "cache_dir": (str,), "layers": (dict,), "siting": (dict,),
}  # fmt: skip
#: keys of the ``[siting]`` table
SITING_KEYS: dict[str, tuple[type, ...]] = {"preset": (str,), "rules": (list,), "replace_rules": (bool,)}
#: keys only a new layer (one the catalog does not have) may carry: its declaration
NEW_LAYER_KEYS: dict[str, tuple[type, ...]] = {
    "title_zh": (str,), "title_en": (str,), "geometry": (str,), "id": (str,), "name": (str,),
}  # fmt: skip
#: keys of a ``[layers.NAME]`` table (the arguments of :meth:`Catalog.use`) and their types
LAYER_KEYS: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "status": (str,),
    "source": (str,),
    "licence": (str,),
    "accuracy": (str,),
    "crs": (int, str),
    "layer": (str, int),
    "columns": (dict,),
    "encoding": (str,),
    "classes": (str,),
    **NEW_LAYER_KEYS,
}
_TYPE_NAMES = {
    str: "a string", int: "an integer", dict: "a table", float: "a number", bool: "true/false", list: "a list",
}  # fmt: skip


def _expected(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _unknown(key: str, path: str, allowed: Any, where: str) -> InputError:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
    return InputError(f"{where}: unknown key '{path}'{hint}")


def _check_type(value: Any, types: tuple[type, ...], path: str, where: str) -> None:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        raise InputError(f"{where}: '{path}' must be {_expected(types)}, not {value!r}")


def validate_config(cfg: Any, where: str, layer_names: Any = None) -> None:
    """Check a parsed ``linfen_geo.toml`` against its schema.

    Parameters
    ----------
    cfg
        The parsed TOML (a dict).
    where
        The file, for messages.
    layer_names
        Layer names a ``[layers.NAME]`` table may replace (None: not checked here).

    Raises
    ------
    InputError
        Unknown key (with the closest known one), wrong type, missing ``path``, unknown layer.
    """
    for key, value in cfg.items():
        if key not in TOP_KEYS:
            raise _unknown(key, key, TOP_KEYS, where)
        _check_type(value, TOP_KEYS[key], key, where)
    for key, value in cfg.get("siting", {}).items():
        if key not in SITING_KEYS:
            raise _unknown(key, f"siting.{key}", SITING_KEYS, where)
        _check_type(value, SITING_KEYS[key], f"siting.{key}", where)
    for name, entry in cfg.get("layers", {}).items():
        base = f"layers.{name}"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: '{base}' must be a table ([{base}] with path = ...), not {entry!r}")
        declares = any(k in entry for k in NEW_LAYER_KEYS)
        if layer_names is not None and name not in layer_names and not declares:
            close = difflib.get_close_matches(name, list(layer_names), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known layers: {', '.join(layer_names)}"
            raise InputError(
                f"{where}: [{base}] names no catalog layer ({hint}); a new layer declares id = ... and geometry = ..."
            )
        if layer_names is not None and name in layer_names and declares:
            extra = [k for k in entry if k in NEW_LAYER_KEYS]
            raise InputError(
                f"{where}: [{base}] replaces the catalog layer {name!r}: {', '.join(extra)} only declare a new layer"
            )
        if layer_names is not None and name not in layer_names and "id" not in entry:
            raise InputError(f'{where}: the new layer [{base}] needs its id column: id = "BSM"')
        for key, value in entry.items():
            if key not in LAYER_KEYS:
                raise _unknown(key, f"{base}.{key}", LAYER_KEYS, where)
            _check_type(value, LAYER_KEYS[key], f"{base}.{key}", where)
        if "path" not in entry:
            raise InputError(f"{where}: [{base}] has no 'path': path = \"your/file.gpkg\"")
        if not entry["path"].strip():
            raise InputError(f"{where}: '{base}.path' is empty")
        for col, user in entry.get("columns", {}).items():
            if not isinstance(user, str):
                raise InputError(f"{where}: '{base}.columns.{col}' must be a string (your column name), not {user!r}")
