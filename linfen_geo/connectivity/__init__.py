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
from linfen_geo.connectivity.corridors import (
    CorridorNetwork,
    barrier_improvement,
    corridor_network,
    gravity_model,
    pinch_points,
)
from linfen_geo.connectivity.cost import cost_allocation, cost_distance, least_cost_path
from linfen_geo.connectivity.graph import connectivity_indices, patch_importance
from linfen_geo.connectivity.morphology import mspa

__all__ = [
    "AdvancedResult",
    "CorridorNetwork",
    "FocalResult",
    "PairwiseResult",
    "circuit_advanced",
    "circuit_all_to_one",
    "circuit_one_to_all",
    "circuit_pairwise",
    "barrier_improvement",
    "conductance_grid",
    "connectivity_indices",
    "corridor_network",
    "cost_allocation",
    "cost_distance",
    "gravity_model",
    "least_cost_path",
    "mspa",
    "patch_importance",
    "pinch_points",
]
