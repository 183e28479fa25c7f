"""The siting check's entry points: :func:`check_siting` and :func:`check_siting_dask`.

This is the one place that reads the session's catalog and plan for a
siting check: it turns catalog layer names into layers
(:func:`resolve_layer_inputs`), loads the default plan when no catalog is
used, validates the rules (:mod:`.rules`), prepares the layers (:mod:`.layers`),
runs the engine (:mod:`.engine`) and assembles the :class:`~.report.SitingReport`.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> check_siting(box(501100, 3995000, 501200, 3995100), crs=4546, layers={"redlines": red}).verdicts.tolist()
['review']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from linfen_geo.analysis.siting.engine import SitingResult, evaluate
from linfen_geo.analysis.siting.layers import LayerInput, SitingLayer, prepare_layers
from linfen_geo.analysis.siting.outside import outside_layers
from linfen_geo.analysis.siting.pieces import DEFAULT_MAX_VERTICES
from linfen_geo.analysis.siting.project import assign_project_types
from linfen_geo.analysis.siting.report import SitingReport
from linfen_geo.analysis.siting.rules import SitingConfig, parse_siting
from linfen_geo.crs import AREA_CRS_NAME, STORAGE_CRS, WORK_CRS_NAME, as_crs, crs_label
from linfen_geo.errors import InputError
from linfen_geo.io.sites import read_sites
from linfen_geo.io.sites.normalise import REPAIR_TOLERANCE

__all__ = ["build_report", "check_siting", "resolve_layer_inputs"]


def _spec_id(catalog: Any, name: str | None) -> str | None:
    """The id column the catalog declares for a layer (None without a catalog or such a layer)."""
    if catalog is None or name not in getattr(catalog, "specs", {}):
        return None
    return catalog.spec(name).id


def _from_catalog(catalog: Any, name: str, as_name: str) -> LayerInput:
    return LayerInput(
        name=as_name,
        frame=catalog.load(name),
        status=catalog.status(name),
        source=catalog.provenance(name)["source"],
        id_column=_spec_id(catalog, name),
    )


def resolve_layer_inputs(
    layers: Mapping[str, Any] | None, cfg: SitingConfig, catalog: Any
) -> tuple[list[LayerInput], list[str]]:
    """The layers the rules need, as frames with their status, source and declared id column.

    Parameters
    ----------
    layers
        ``{name: GeoDataFrame, GeoSeries or catalog layer name}``, or None for
        the catalog's layers of the names the rules use.
    cfg
        The validated rules.
    catalog
        The catalog (may be None when every layer is a frame).

    Returns
    -------
    inputs : list of LayerInput
    notes : list of str
        One note per layer the rules need that was not given.
    """
    out: list[LayerInput] = []
    notes: list[str] = []
    for name in cfg.layer_names:
        if layers is None:
            if name not in catalog.specs:  # a preset's layer the office has not registered
                ids = [r.id for r in cfg.rules if r.layer == name]
                notes.append(
                    f"layer {name!r} is not in the catalog: rules {', '.join(ids)} not checked / 未登记图层 {name}，"
                    f"相关规则未核查 (register it: [layers.{name}] in linfen_geo.toml or lg.register)"
                )
                continue
            out.append(_from_catalog(catalog, name, name))
            continue
        if name not in layers:
            ids = [r.id for r in cfg.rules if r.layer == name]
            what = f"rules {', '.join(ids)}" if ids else "the nearest-feature distance"
            notes.append(f"layer {name!r} was not given: {what} not checked / 未提供图层 {name}，相关规则未核查")
            continue
        obj = layers[name]
        if isinstance(obj, str):
            out.append(_from_catalog(catalog, obj, name))
            continue
        if len(obj) == 0 or bool(getattr(obj, "geometry", obj).is_empty.all()):
            # an empty layer would make every site "clear": nothing was checked, so say so loudly
            raise InputError(f"layer {name!r} given to check_siting has no features: nothing to check against")
        attrs = getattr(obj, "attrs", {})
        cat_name = attrs.get("layer") if attrs.get("layer") in getattr(catalog, "specs", {}) else None
        source = str(attrs.get("source", "") or "GeoDataFrame given to check_siting")
        out.append(
            LayerInput(
                name=name,
                frame=obj,
                status=str(attrs.get("status", "user")),
                source=catalog.provenance(cat_name)["source"] if cat_name else source,
                id_column=_spec_id(catalog, cat_name or name),
                user=True,
            )
        )
    return out, notes


def _setup(
    layers: Mapping[str, Any] | None, rules: Any, catalog: Any, max_vertices: int, preset: str | None = None
) -> tuple[SitingConfig, dict[str, SitingLayer], list[str]]:
    """Rules and prepared layers: the session's catalog when layers or rules are not all given.

    Rules: ``rules`` if given, else the plan's (or the ``preset``'s) merged with the config file's
    ``[siting]`` rules. A layer the rules name that the catalog does not hold is "not checked" (a note).
    A rule with ``contact = "outside"`` is judged on the layer's complement in the study area.
    """
    if catalog is None and (layers is None or rules is None or any(isinstance(v, str) for v in layers.values())):
        from linfen_geo.layer_catalog import get_catalog

        catalog = get_catalog()
    if catalog is not None:
        plan = catalog.plan
    else:
        from linfen_geo.plan.loader import load_plan

        plan = load_plan()
    overrides = getattr(catalog, "siting_overrides", None) if rules is None else None
    cfg = parse_siting(rules, plan, preset=preset, overrides=overrides)
    inputs, notes = resolve_layer_inputs(layers, cfg, catalog)
    cfg, inputs = outside_layers(cfg, inputs, catalog)
    return cfg, prepare_layers(inputs, cfg, max_vertices), notes


def build_report(
    sites: gpd.GeoDataFrame,
    result: SitingResult,
    cfg: SitingConfig,
    prepared: dict[str, SitingLayer],
    notes: list[str],
) -> SitingReport:
    """Assemble the report: layer and rule tables, notes (illustrative layers, input warnings), CRSs.

    Parameters
    ----------
    sites
        The sites as read (``site_id``, ``name``, geometry in EPSG:4326).
    result
        The engine's result for them, in the same order.
    cfg
        The rules applied.
    prepared
        The layers checked.
    notes
        Notes from the set-up (layers not given ...).

    Returns
    -------
    SitingReport
    """
    rows = []
    for name, lay in prepared.items():
        rows.append(
            {
                "name": name,
                "title_zh": lay.title_zh,
                "title_en": lay.title_en,
                "status": lay.status,
                "source": lay.source,
                "features": len(lay.features),
                "pieces": len(lay.pieces.work),
                "rules": ", ".join(r.id for r in cfg.rules if r.layer == name)
                + (" (nearest)" if name == cfg.nearest_layer else ""),
            }
        )
    layer_table = pd.DataFrame(
        rows, columns=["name", "title_zh", "title_en", "status", "source", "features", "pieces", "rules"]
    )
    illustrative = bool((layer_table["status"] == "illustrative").any())
    all_notes = list(notes)
    if illustrative:
        names = ", ".join(layer_table.loc[layer_table["status"] == "illustrative", "name"])
        all_notes.insert(
            0,
            f"示意图层 ILLUSTRATIVE layers used: {names} - not official data; verdicts are indicative only. "
            "Replace them with official files (linfen_geo.use(name, path)) before relying on a verdict.",
        )
    for w in sites.attrs.get("warnings", []) or []:
        all_notes.append(f"input: {w}")
    if sites.attrs.get("crs_assumed"):
        all_notes.append(f"input CRS not declared: assumed {sites.attrs.get('source_crs')} from the coordinates")
    rules_table = pd.DataFrame(
        [
            {
                "rule": r.id,
                "layer": r.layer,
                "where": "; ".join(f"{c} in {list(v)}" for c, v in r.where),
                "contact": r.contact,
                "distance_m": r.distance_m if r.contact == "within" else np.nan,
                "verdict": r.verdict,
                "verdict_zh": cfg.levels_zh[r.level],
                "text_zh": r.text_zh,
                "text_en": r.text_en,
                "when": "; ".join(f"{c} in {list(v)}" for c, v in r.when),
                "unless": "; ".join(f"{c} in {list(v)}" for c, v in r.unless),
                "basis": r.basis,
                "checked": r.layer in prepared,
            }
            for r in cfg.rules
        ]
    )
    crs = {
        "area": AREA_CRS_NAME,
        "distance": WORK_CRS_NAME,
        "geometry": crs_label(STORAGE_CRS),
        "input": str(sites.attrs.get("source_crs", "")),
    }
    not_checked = [n for n in cfg.layer_names if n not in prepared]
    cols = ["site_id", "name", *(["project_type"] if "project_type" in sites.columns else []), "geometry"]
    return SitingReport(
        sites=sites[cols].copy(),
        layers=layer_table,
        rules=rules_table,
        levels=list(cfg.levels),
        levels_zh=list(cfg.levels_zh),
        illustrative=illustrative,
        notes=all_notes,
        crs=crs,
        _result=result,
        _layers=prepared,
        _cfg=cfg,
        not_checked=not_checked,
    )


def _is_read(sites: Any, crs: Any) -> bool:
    """True for a GeoDataFrame that :func:`read_sites` returned (used as is: already validated)."""
    return (
        crs is None
        and isinstance(sites, gpd.GeoDataFrame)
        and "source_crs" in sites.attrs
        and "format" in sites.attrs
        and sites.crs is not None
        and as_crs(sites.crs) == STORAGE_CRS
        and "site_id" in sites.columns
        and "name" in sites.columns
        and sites.geometry.name == "geometry"
    )


def check_siting(
    sites: Any,
    *,
    layers: Mapping[str, Any] | None = None,
    rules: Any = None,
    crs: Any = None,
    catalog: Any = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    repair_tolerance: float = REPAIR_TOLERANCE,
    project_type: str | None = None,
    preset: str | None = None,
) -> SitingReport:
    """Check proposed project sites against red lines and protected zones.

    Parameters
    ----------
    sites
        Anything :func:`linfen_geo.io.sites.read_sites` accepts: a path (GeoJSON,
        GeoPackage, shapefile, KML, CSV, WKT, 界址点 TXT ...), a GeoDataFrame,
        GeoSeries, shapely geometry or list of geometries. A GeoDataFrame that
        ``read_sites`` returned is used as is (it was validated when read).
    layers
        ``{layer name: GeoDataFrame (or catalog layer name)}`` to check against
        instead of the catalog's layers. Only the layers given are checked;
        rules on other layers are skipped and the report's notes say so.
    rules
        The siting rules: a list of rule tables, or a mapping like the plan's
        ``[siting]`` section (``levels``, ``levels_zh``, ``nearest_layer``,
        ``rules``). Default: ``catalog.plan["siting"]``.
    crs
        CRS of ``sites`` when they carry none (``4546``, ``"gcj02"``, ``"bd09"`` ...).
    catalog
        A :class:`~linfen_geo.layer_catalog.core.Catalog` (default: the session's).
    max_vertices
        Vertex budget of the subdivided layer pieces.
    repair_tolerance
        Largest relative area change repairing an invalid site may make (default 0.5 %);
        see :func:`~linfen_geo.io.sites.read_sites`.
    project_type
        The project type of every site (a code of the plan's ``[siting.project_types]`` or its
        Chinese name). Without it a ``project_type`` column, else a 界址点 ``use`` (地块用途)
        naming a type, gives each site's type; rules with ``when``/``unless`` conditions use it.
    preset
        A shipped rule set used instead of the plan's rules: ``"sanqu"`` (三区三线 and the other
        control lines, with legal bases); layers it names that the catalog does not hold are
        reported in ``report.not_checked``.

    Returns
    -------
    SitingReport
        A site outside the study area (the city outline) gets the verdict ``outside``,
        never ``clear``; the notes say where it lies and which CRS would place it.

    Raises
    ------
    InputError, CRSError
        Unreadable sites, unknown CRS, bad layers.
    PlanError
        Bad rules: unknown or missing keys, wrong types (names the key path, e.g. ``siting.rules[2].verdict``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
    >>> site = box(500800, 3995400, 501200, 3995600)   # 200 m x 200 m, half inside
    >>> r = check_siting(site, crs=4546, layers={"redlines": red})
    >>> s = r.summary().iloc[0]
    >>> s["verdict"], round(float(s["area_m2"]) / 1e4, 2), round(float(s["conflict_free_m2"] / s["area_m2"]), 3)
    ('prohibited', 8.0, 0.5)
    """
    site_gdf = (
        sites if _is_read(sites, crs) else read_sites(sites, crs=crs, repair_tolerance=repair_tolerance)
    )  # bad input fails before any layer loads
    cfg, prepared, notes = _setup(layers, rules, catalog, max_vertices, preset)
    site_gdf = assign_project_types(site_gdf, project_type, cfg.project_types)
    result = evaluate(np.asarray(site_gdf.geometry.values, dtype=object), prepared, cfg, site_gdf)
    report = build_report(site_gdf, result, cfg, prepared, notes)
    return _mark_outside(report, site_gdf, catalog)


def outside_study_area(sites: gpd.GeoDataFrame, area: Any) -> tuple[np.ndarray, str]:
    """Which sites miss the study area, and a clause saying where they are and which CRS would fix them.

    Parameters
    ----------
    sites
        Sites as :func:`~linfen_geo.io.sites.read_sites` returns them (EPSG:4326, ``attrs["source_crs"]``).
    area
        The study area (one lon/lat geometry).

    Returns
    -------
    mask : numpy.ndarray of bool
        True for a site that does not touch the study area.
    hint : str
        Empty when every site is inside; else e.g. ``"lie 126 km east of Linfen (...) when read as
        EPSG:4547; as EPSG:4546 they would lie in Linfen"``.
    """
    from pyproj import Transformer

    from linfen_geo.placement import describe, placement

    geoms = np.asarray(sites.geometry.values, dtype=object)
    mask = ~shapely.intersects(area, geoms)
    if not mask.any():
        return mask, ""
    lonlat = tuple(float(v) for v in shapely.total_bounds(geoms[mask]))
    src = sites.attrs.get("source_crs")
    bounds: Any = lonlat
    if not src or src in ("gcj02", "bd09"):
        src = None
    else:
        try:
            bounds = Transformer.from_crs(STORAGE_CRS, as_crs(src), always_xy=True).transform_bounds(*lonlat)
        except Exception:  # a CRS that cannot take these numbers back: judge by the lon/lat alone
            src = None
    return mask, describe(placement(bounds, src, area, lonlat_bounds=lonlat), src)


def _mark_outside(report: SitingReport, sites: gpd.GeoDataFrame, catalog: Any) -> SitingReport:
    """Give sites outside the study area the verdict ``outside`` (never ``clear``) and say so in the notes."""
    if catalog is None:
        from linfen_geo.layer_catalog import get_catalog

        catalog = get_catalog()
    mask, hint = outside_study_area(sites, catalog.study_area())
    report.outside = mask
    if mask.any():
        ids = sites["site_id"].to_numpy(dtype=object)[mask].tolist()
        report.outside_hint = hint
        report.notes.insert(
            0,
            f"{len(ids)} site(s) outside Linfen, not checked (verdict 'outside'): {', '.join(map(str, ids[:10]))}"
            f"{' ...' if len(ids) > 10 else ''}; they {hint}",
        )
    return report
