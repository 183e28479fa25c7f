"""Siting check: proposed projects against red lines and protected zones (see :mod:`.engine`)."""

from linfen_geo.analysis.siting.engine import (
    DEFAULT_MAX_VERTICES,
    SitingReport,
    check_siting,
    check_siting_dask,
    clear_piece_cache,
    subdivide,
)

__all__ = [
    "DEFAULT_MAX_VERTICES",
    "SitingReport",
    "check_siting",
    "check_siting_dask",
    "clear_piece_cache",
    "subdivide",
]
