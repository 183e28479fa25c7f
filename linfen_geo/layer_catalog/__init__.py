"""The layer catalog: layer specs (``layers.toml``), file provenance (``data/sources.toml``), the build
cache and the readers; the one place that opens the shipped data files."""

from linfen_geo.layer_catalog.core import (
    BuildContext,
    Catalog,
    LayerSpec,
    catalog,
    get_catalog,
    load,
    register,
    reset,
    use,
    use_plan,
)

__all__ = [
    "BuildContext",
    "Catalog",
    "LayerSpec",
    "catalog",
    "get_catalog",
    "load",
    "register",
    "reset",
    "use",
    "use_plan",
]
