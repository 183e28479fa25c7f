"""Analyses: pure functions from GeoDataFrames / DataArrays to tables (and geometries)."""
