"""Connectivity engine: circuit theory, cost distance, corridors, barriers, MSPA, graph metrics.

General tools on 2-D grids (numpy arrays, or xarray DataArrays with a projected
CRS); nothing here knows about Linfen.
"""

from linfen_geo.connectivity.circuit import (
    AdvancedResult,
    FocalResult,
    PairwiseResult,
    circuit_advanced,
    circuit_all_to_one,
    circuit_one_to_all,
    circuit_pairwise,
    conductance_grid,
)

__all__ = [
    "AdvancedResult",
    "FocalResult",
    "PairwiseResult",
    "circuit_advanced",
    "circuit_all_to_one",
    "circuit_one_to_all",
    "circuit_pairwise",
    "conductance_grid",
]
