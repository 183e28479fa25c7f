"""linfen_geo: spatial analysis for Linfen city's ecological protection plan.

Load the plan's layers, measure coverage and overlaps, check a project's
siting against red lines and protected zones, and report corridor greening.

Importing the package is cheap: heavy modules load on first use.

Examples
--------
>>> import linfen_geo as lg
>>> "counties" in lg.catalog()["name"].tolist()
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from linfen_geo.errors import (
    CRSError,
    CRSMismatchError,
    DataMissingError,
    GeographicCRSError,
    InputError,
    LayerNotFoundError,
    LinfenGeoError,
    LinfenGeoWarning,
    PlanError,
    SchemaError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, on first attribute access)
_LAZY = {
    # catalog
    "catalog": "linfen_geo.layer_catalog.core",
    "load": "linfen_geo.layer_catalog.core",
    "use": "linfen_geo.layer_catalog.core",
    "register": "linfen_geo.layer_catalog.core",
    "reset": "linfen_geo.layer_catalog.core",
    "use_plan": "linfen_geo.layer_catalog.core",
    "get_catalog": "linfen_geo.layer_catalog.core",
    "Catalog": "linfen_geo.layer_catalog.core",
    "load_plan": "linfen_geo.plan.loader",
    # CRS and units
    "STORAGE_CRS": "linfen_geo.crs",
    "AREA_CRS": "linfen_geo.crs",
    "AREA_CRS_NAME": "linfen_geo.crs",
    "WORK_CRS": "linfen_geo.crs",
    "WORK_CRS_NAME": "linfen_geo.crs",
    "GK_ZONE_CRS": "linfen_geo.crs",
    "area_m2": "linfen_geo.crs",
    "length_m": "linfen_geo.crs",
    "buffer_m": "linfen_geo.crs",
    "to_area_crs": "linfen_geo.crs",
    "to_work_crs": "linfen_geo.crs",
    "ensure_same_crs": "linfen_geo.crs",
    "M2_PER_MU": "linfen_geo.units",
    "convert_area": "linfen_geo.units",
    "add_area_columns": "linfen_geo.units",
    # maps
    "plot_layers": "linfen_geo.viz.maps",
    "set_cjk_font": "linfen_geo.viz.fonts",
    "use_cjk_font": "linfen_geo.viz.fonts",
    "explore": "linfen_geo.viz.webmap",
    "corridor_layer": "linfen_geo.analysis.corridors",
    "corridor_stretches": "linfen_geo.analysis.corridors",
    "roads_from_osm": "linfen_geo.io.osm",
    "use_roads_from_osm": "linfen_geo.layer_catalog.roads",
    "use_osm_roads": "linfen_geo.layer_catalog.roads",  # deprecated alias of use_roads_from_osm
    "write_map": "linfen_geo.viz.webmap",
    "to_gpkg": "linfen_geo.reports.gpkg",
    # analyses
    "coverage": "linfen_geo.analysis.coverage",
    "with_total": "linfen_geo.analysis.coverage",
    "overlap_matrix": "linfen_geo.analysis.overlap",
    "overlap_by_county": "linfen_geo.analysis.overlap",
    "features_in_zones": "linfen_geo.analysis.overlap",
    "line_stretches_in": "linfen_geo.analysis.overlap",
    "pairwise_within": "linfen_geo.analysis.overlap",
    "redline_share": "linfen_geo.analysis.indicators",
    "redline_change": "linfen_geo.analysis.indicators",
    "forest_coverage": "linfen_geo.analysis.indicators",
    "tabulate_classes": "linfen_geo.analysis.zonal",
    "check_siting": "linfen_geo.analysis.siting",
    "check_siting_dask": "linfen_geo.analysis.siting",
    "corridor_greening": "linfen_geo.analysis.greening",
    "security_pattern": "linfen_geo.pattern",
    "GreeningResult": "linfen_geo.analysis.greening",
    "import_raster": "linfen_geo.io.rasters",
    "SitingReport": "linfen_geo.analysis.siting",
    "read_sites": "linfen_geo.io.sites",
    "read_jzd": "linfen_geo.io.jzd",
    "write_jzd": "linfen_geo.io.jzd",
}

__all__ = [
    "CRSError",
    "CRSMismatchError",
    "DataMissingError",
    "GeographicCRSError",
    "InputError",
    "LayerNotFoundError",
    "LinfenGeoError",
    "LinfenGeoWarning",
    "PlanError",
    "SchemaError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'linfen_geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs
    from linfen_geo.analysis.corridors import corridor_layer, corridor_stretches  # noqa: F401
    from linfen_geo.analysis.coverage import coverage, with_total  # noqa: F401
    from linfen_geo.analysis.greening import GreeningResult, corridor_greening  # noqa: F401
    from linfen_geo.analysis.indicators import forest_coverage, redline_change, redline_share  # noqa: F401
    from linfen_geo.analysis.overlap import (  # noqa: F401
        features_in_zones,
        line_stretches_in,
        overlap_by_county,
        overlap_matrix,
        pairwise_within,
    )
    from linfen_geo.analysis.siting import SitingReport, check_siting, check_siting_dask  # noqa: F401
    from linfen_geo.analysis.zonal import tabulate_classes  # noqa: F401
    from linfen_geo.crs import (  # noqa: F401
        AREA_CRS,
        AREA_CRS_NAME,
        GK_ZONE_CRS,
        STORAGE_CRS,
        WORK_CRS,
        WORK_CRS_NAME,
        area_m2,
        buffer_m,
        ensure_same_crs,
        length_m,
        to_area_crs,
        to_work_crs,
    )
    from linfen_geo.io.jzd import read_jzd, write_jzd  # noqa: F401
    from linfen_geo.io.osm import roads_from_osm  # noqa: F401
    from linfen_geo.io.rasters import import_raster  # noqa: F401
    from linfen_geo.io.sites import read_sites  # noqa: F401
    from linfen_geo.layer_catalog.core import (  # noqa: F401
        Catalog,
        catalog,
        get_catalog,
        load,
        register,
        reset,
        use,
        use_plan,
    )
    from linfen_geo.layer_catalog.roads import use_osm_roads, use_roads_from_osm  # noqa: F401
    from linfen_geo.pattern import security_pattern  # noqa: F401
    from linfen_geo.plan.loader import load_plan  # noqa: F401
    from linfen_geo.reports.gpkg import to_gpkg  # noqa: F401
    from linfen_geo.units import M2_PER_MU, add_area_columns, convert_area  # noqa: F401
    from linfen_geo.viz.fonts import set_cjk_font, use_cjk_font  # noqa: F401
    from linfen_geo.viz.maps import plot_layers  # noqa: F401
    from linfen_geo.viz.webmap import explore, write_map  # noqa: F401
