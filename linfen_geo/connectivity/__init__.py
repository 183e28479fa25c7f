"""Connectivity engine: circuit theory, cost distance, corridors, barriers, MSPA, graph metrics.

General tools on 2-D grids (numpy arrays, or xarray DataArrays with a projected
CRS); nothing here knows about Linfen.
"""
