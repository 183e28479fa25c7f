"""Where linfen_geo finds its data, cache, plan file and user configuration.

Resolution order (first hit wins):

data directory
    ``LINFEN_GEO_DATA`` environment variable, ``data_dir`` in the config file,
    the ``data/`` folder beside the package (a source checkout), ``linfen_geo/_data``
    (an installed wheel: the build copies ``data/`` into the package).
cache directory (built layers)
    ``LINFEN_GEO_CACHE``, ``cache_dir`` in the config file, ``.cache/linfen_geo``
    beside the data directory when writable (a source checkout), else the user's
    cache folder (``platformdirs.user_cache_dir``: ``$XDG_CACHE_HOME/linfen_geo`` on Linux).
config file
    ``LINFEN_GEO_CONFIG``, else ``linfen_geo.toml`` in the working directory, if present.

The config file may also name a plan file (``plan = "my_plan.toml"``) and replace layers::

    [layers.redlines]
    path = "official/redlines_2023.shp"
    status = "official"
    source = "临汾市自然资源局, 生态保护红线 2023"
    columns = { redline_id = "BSM", name = "MC" }   # schema column = your column
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from linfen_geo.errors import DataMissingError, InputError

__all__ = ["PACKAGE_DIR", "cache_dir", "config_file", "data_dir", "read_config"]

PACKAGE_DIR = Path(__file__).resolve().parent


def config_file() -> Path | None:
    """Path of the active config file, or None."""
    env = os.environ.get("LINFEN_GEO_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise InputError(f"LINFEN_GEO_CONFIG points to {path}, which is not a file")
        return path
    local = Path.cwd() / "linfen_geo.toml"
    return local if local.is_file() else None


def read_config() -> dict[str, Any]:
    """Parse the active config file (empty dict when there is none).

    Relative paths in it are resolved against the file's folder.
    """
    from linfen_geo.io.textfiles import read_text_capped

    path = config_file()
    if path is None:
        return {}
    try:
        cfg = tomllib.loads(
            read_text_capped(path, 1 << 20, encoding="utf-8", where=f"config file {path}", hint="check the path")
        )
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse config file {path}: {exc}") from None
    from linfen_geo.config_schema import validate_config

    validate_config(cfg, str(path))
    base = path.parent
    for key in ("data_dir", "cache_dir", "plan"):
        if key in cfg:
            cfg[key] = str((base / Path(cfg[key]).expanduser()).resolve())
    for entry in cfg.get("layers", {}).values():
        if "path" in entry:
            entry["path"] = str((base / Path(entry["path"]).expanduser()).resolve())
    return cfg


def data_dir(cfg: dict[str, Any] | None = None) -> Path:
    """The data directory holding the shipped base layers."""
    cfg = {} if cfg is None else cfg
    candidates = [
        os.environ.get("LINFEN_GEO_DATA"),
        cfg.get("data_dir"),
        str(PACKAGE_DIR.parent / "data"),  # a source checkout (or an editable install)
        str(PACKAGE_DIR / "_data"),  # an installed wheel: the build copies data/ into the package
    ]
    for cand in candidates:
        if cand:
            path = Path(cand).expanduser()
            if (path / "sources.toml").is_file():
                return path
    raise DataMissingError(
        "linfen_geo's data directory was not found: set LINFEN_GEO_DATA to the folder holding sources.toml "
        "(the data/ folder of the source checkout; an installed wheel carries it as linfen_geo/_data)"
    )


def cache_dir(cfg: dict[str, Any] | None = None) -> Path:
    """The cache directory for built layers (created if needed)."""
    cfg = {} if cfg is None else cfg
    env = os.environ.get("LINFEN_GEO_CACHE") or cfg.get("cache_dir")
    if env:
        path = Path(env).expanduser()
    else:
        try:
            data = data_dir(cfg)
            if data == PACKAGE_DIR / "_data":
                raise PermissionError(data)  # an installed package's folder is not a cache
            path = data.parent / ".cache" / "linfen_geo"
            path.mkdir(parents=True, exist_ok=True)
            if not os.access(path, os.W_OK):
                raise PermissionError(path)
        except (OSError, DataMissingError):
            import platformdirs  # the user's cache folder: XDG on Linux, ~/Library/Caches, %LOCALAPPDATA%

            path = Path(platformdirs.user_cache_dir("linfen_geo", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
