"""Rules with ``contact = "outside"``: a site not wholly inside a layer (e.g. outside the urban development boundary).

Such a rule is judged on the layer's *complement* within the study area: one feature, the study area
minus the union of the layer, checked with ``contact = "overlaps"``. The contact's overlap is then
the part of the site outside the layer. The complement is a layer of its own in the report, named
``<layer>_outside`` (以外).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from linfen_geo.analysis.siting.layers import LayerInput
from linfen_geo.analysis.siting.rules import SitingConfig
from linfen_geo.crs import STORAGE_CRS

__all__ = ["OUTSIDE_SUFFIX", "outside_layers"]

OUTSIDE_SUFFIX = "_outside"


def _study_area(catalog: Any, frame: gpd.GeoDataFrame) -> Any:
    if catalog is not None and hasattr(catalog, "study_area"):
        return catalog.study_area()
    return shapely.box(*shapely.total_bounds(frame.to_crs(STORAGE_CRS).geometry.values)).buffer(0.5)


def outside_layers(cfg: SitingConfig, inputs: list[LayerInput], catalog: Any) -> tuple[SitingConfig, list[LayerInput]]:
    """Replace every ``outside`` rule by an ``overlaps`` rule on the complement of its layer.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from linfen_geo.analysis.siting.rules import parse_siting
    >>> cfg = parse_siting([{"id": "U", "layer": "town", "contact": "outside", "verdict": "review"}], {})
    >>> town = gpd.GeoDataFrame({"id": ["t"]}, geometry=[box(111.5, 36.0, 111.6, 36.1)], crs=4326)
    >>> cfg2, inputs = outside_layers(cfg, [LayerInput("town", town, "user", "test")], None)
    >>> cfg2.rules[0].layer, cfg2.rules[0].contact, [i.name for i in inputs]
    ('town_outside', 'overlaps', ['town', 'town_outside'])
    """
    names = {r.layer for r in cfg.rules if r.contact == "outside"}
    if not names:
        return cfg, inputs
    by_name = {i.name: i for i in inputs}
    added = []
    for name in sorted(names):
        inp = by_name.get(name)
        if inp is None:  # not checked: the rule keeps its layer name, so it is listed as not checked
            continue
        frame = inp.frame.to_crs(STORAGE_CRS) if hasattr(inp.frame, "to_crs") else inp.frame
        inside = shapely.union_all(np.asarray(frame.geometry.values))
        rest = shapely.difference(_study_area(catalog, frame), inside)
        title_zh = str(getattr(frame, "attrs", {}).get("title_zh", name))
        comp = gpd.GeoDataFrame(
            {"id": [f"{name}{OUTSIDE_SUFFIX}"], "name": [f"{title_zh}以外 outside {name}"]},
            geometry=[rest],
            crs=STORAGE_CRS,
        )
        comp.attrs.update({"title_zh": f"{title_zh}以外", "title_en": f"outside {name}", "status": inp.status})
        added.append(dataclasses.replace(inp, name=f"{name}{OUTSIDE_SUFFIX}", frame=comp, id_column="id", user=True))
    done = {a.name[: -len(OUTSIDE_SUFFIX)] for a in added}
    rules = tuple(
        dataclasses.replace(r, layer=f"{r.layer}{OUTSIDE_SUFFIX}", contact="overlaps")
        if r.contact == "outside" and r.layer in done
        else r
        for r in cfg.rules
    )
    return dataclasses.replace(cfg, rules=rules), [*inputs, *added]
