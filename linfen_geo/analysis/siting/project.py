"""Project types of sites: what a site is (a road, a quarry ...) decides which rules apply to it.

The plan's ``[siting.project_types]`` lists the known types (``code = "中文名"``). A site gets its type
from :func:`check_siting`'s ``project_type`` (the whole file), else from a ``project_type`` column,
else from a 界址点 ``use`` (地块用途) value that names a type (its code or Chinese name, or a use
that starts with the Chinese name, e.g. ``交通用地``); a blank ``project_type`` falls back to ``use`` too. Rules' ``when`` / ``unless`` conditions name
the codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from linfen_geo.analysis.siting.rules import SitingConfig
from linfen_geo.errors import InputError

__all__ = ["assign_project_types", "known_types_text", "project_type_code", "site_conditions", "waived_table"]


def known_types_text(types: Mapping[str, str]) -> str:
    """``transport (交通), energy (能源), ...`` for messages."""
    return ", ".join(f"{k} ({v})" for k, v in types.items())


def project_type_code(value: Any, types: Mapping[str, str], *, prefix: bool = False) -> str | None:
    """The code of a project type given as a code or a Chinese name (None when it names no type).

    Examples
    --------
    >>> types = {"transport": "交通", "mining": "采矿"}
    >>> project_type_code("交通", types), project_type_code("mining", types), project_type_code("x", types)
    ('transport', 'mining', None)
    >>> project_type_code("交通用地", types, prefix=True)
    'transport'
    """
    text = str(value).strip()
    if text in types:
        return text
    by_zh = {v: k for k, v in types.items()}
    if text in by_zh:
        return by_zh[text]
    if prefix:
        for zh, code in sorted(by_zh.items(), key=lambda kv: -len(kv[0])):  # the longest name first
            if zh and text.startswith(zh):
                return code
    return None


def assign_project_types(
    sites: gpd.GeoDataFrame, project_type: str | None, types: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """The sites with a ``project_type`` column of type codes (``""`` where none is known).

    Parameters
    ----------
    sites
        Sites as :func:`~linfen_geo.io.sites.read_sites` returns them.
    project_type
        One type (code or Chinese name) for every site, or None.
    types
        The known types, ``{code: 中文名}``.

    Raises
    ------
    InputError
        A type that is not known, naming the known ones (and the sites carrying it).
    """
    out = sites.copy()
    n = len(out)
    if project_type is not None:
        code = project_type_code(project_type, types)
        if code is None:
            raise InputError(f"unknown project type {project_type!r}; known: {known_types_text(types)}")
        out["project_type"] = code
        return out
    if "project_type" in out.columns:
        raw = out["project_type"].astype("string").fillna("").str.strip()
        codes = np.array([project_type_code(v, types) if v else "" for v in raw], dtype=object)
        bad = np.array([c is None for c in codes])
        if bad.any():
            ids = out.loc[bad, "site_id"].astype(str).tolist()
            vals = sorted(set(raw[bad]))
            raise InputError(
                f"site(s) {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}: unknown project_type "
                f"{', '.join(map(repr, vals[:5]))}; known: {known_types_text(types)}"
            )
        if "use" in out.columns:  # a blank type (e.g. a 界址点 file among GeoJSONs in a folder) from 地块用途
            blank = codes == ""
            codes[blank] = [project_type_code(v, types, prefix=True) or "" for v in out["use"].fillna("")[blank]]
        out["project_type"] = pd.Series(codes, index=out.index).astype(str)
        return out
    if "use" in out.columns:  # 界址点 地块用途: taken where it names a type
        out["project_type"] = [project_type_code(v, types, prefix=True) or "" for v in out["use"].fillna("")]
        return out
    out["project_type"] = [""] * n
    return out


def site_conditions(cfg: SitingConfig, attrs: pd.DataFrame | None, n: int) -> dict[str, np.ndarray]:
    """Per conditional rule, where its ``when`` holds and its ``unless`` does not (a site without the column: no).

    Examples
    --------
    >>> from linfen_geo.analysis.siting.rules import parse_siting
    >>> cfg = parse_siting([{"id": "A", "layer": "x", "verdict": "review", "unless": {"project_type": ["road"]}}], {})
    >>> site_conditions(cfg, pd.DataFrame({"project_type": ["road", "mine"]}), 2)["A"].tolist()
    [False, True]
    """
    out = {}
    for r in cfg.rules:
        if not r.conditional:
            continue
        ok = np.ones(n, dtype=bool)
        for col, vals in r.when:
            ok &= attrs[col].astype(str).isin(vals).to_numpy() if attrs is not None and col in attrs else False
        for col, vals in r.unless:
            if attrs is not None and col in attrs:
                ok &= ~attrs[col].astype(str).isin(vals).to_numpy()
        out[r.id] = ok
    return out


def waived_table(
    waived: pd.DataFrame, sites: gpd.GeoDataFrame, layers: Mapping[str, Any], types: np.ndarray
) -> pd.DataFrame:
    """The engine's waived-only contacts with site and feature ids (see ``SitingReport.waived``)."""
    site = waived["site"].to_numpy(dtype=np.intp)
    feature = waived["feature"].to_numpy(dtype=np.intp)
    layer = waived["layer"].to_numpy(dtype=object)
    fid = np.empty(len(waived), dtype=object)
    fname = np.empty(len(waived), dtype=object)
    for name, lay in layers.items():  # a handful of layers
        m = layer == name
        fid[m] = lay.ids[feature[m]]
        fname[m] = lay.names[feature[m]]
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].to_numpy(dtype=object)[site],
            "project_type": types[site],
            "layer": layer,
            "feature_id": fid,
            "feature_name": fname,
            "waived": waived["waived"].to_numpy(dtype=object),
        }
    )
