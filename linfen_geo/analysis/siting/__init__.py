"""Siting check: proposed projects against red lines and protected zones.

A planner's project sites (solar farms, quarries, roads ...) are checked
against the layers the plan's ``[siting]`` rules name (ecological protection
red lines, nature reserve zones, spring key protection zones, river green
buffers, ecological corridors). Each contact between a site and a protected
feature is judged by the first matching rule of the plan file and cites it; a
site's verdict is its worst contact, ``clear`` when nothing is within range.

How it is computed (vectorised; no Python loop over sites or features):

1. Sites are projected once to ``WORK_CRS`` (EPSG:4546, CGCS2000 3-degree
   Gauss-Kruger CM 111E) for predicates and distances, and to ``AREA_CRS``
   (CGCS2000 Albers equal-area tuned to Linfen) for areas.
2. Protected polygons are subdivided once into pieces of at most
   ``max_vertices`` vertices (recursive halving of the bounding box, like
   PostGIS ``ST_Subdivide``; 64 by default, which measured faster here than
   PostGIS's 256), once in each CRS (pieces cut in one CRS and reprojected
   do not tile the other: neighbours meet along a cut with different vertices),
   and cached in memory per layer content fingerprint with one
   :class:`shapely.STRtree` per set.
3. One ``tree.query(sites, predicate="intersects")`` per layer finds every
   (site, piece) contact; one ``query(..., predicate="dwithin", distance=d)``
   per layer with distance ("within") rules, asked only for the sites whose
   lower distance bound (from a KD-tree of points every <= 200 m along the
   outlines) is within ``d``.
4. The touching polygon sites are asked again of the ``AREA_CRS`` pieces; pairs
   where the piece contains the site, or the site contains the piece, are
   taken without clipping (prepared ``contains`` tests); exact intersections
   only for boundary-crossing pairs, on arrays. An overlap therefore equals
   ``area(site ∩ feature)`` in ``AREA_CRS`` (what geopandas ``overlay`` gives).
   A crossing thinner than 1 mm (a reprojection sliver along a shared edge)
   counts as touching, with overlap 0.
5. Pieces are aggregated back to features with numpy group-bys; the first
   matching rule per (site, feature) is chosen by a loop over the rules.
6. Distance to the nearest red line (``nearest_layer``): 0 for touching sites;
   for the others GEOS's ``STRtree.query_nearest`` over the outline segments
   with exact GEOS distances, in threads (see :mod:`.nearest`).

The package's modules: :mod:`.api` (:func:`check_siting`:
catalog, plan and set-up), :mod:`.rules` (the
``[siting]`` section, validated), :mod:`.layers` (control layers prepared),
:mod:`.pieces` (subdivision and its cache), :mod:`.contacts` (touching pairs and
overlaps), :mod:`.parallel` (threads), :mod:`.engine` (the rule engine),
:mod:`.nearest` (nearest-feature distances), :mod:`.partitioned` (:func:`check_siting_dask`), :mod:`.report`
(:class:`SitingReport`); its map is :func:`linfen_geo.viz.siting_map.plot_siting`.

Points, lines and polygons are all valid sites:

* polygons: overlap in m2 and 亩 (equal-area CRS); ``share_of_site`` is the
  overlap area over the site's area;
* lines: ``overlap_m2`` is 0; ``overlap_length_m`` is the length of the line
  inside the feature (WORK_CRS metres) and ``share_of_site`` is by length;
* points: ``overlap_m2`` is 0; ``share_of_site`` is the fraction of the
  site's points lying in or on the feature (1.0 for a single point).

The conflict-free remainder of a site is the site minus every feature whose
contact has a conflict verdict (``restricted`` or ``prohibited``; the plan
may set ``conflict_levels``), contacts by distance ("within" rules) removing
nothing.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> red = gpd.GeoDataFrame({"redline_id": ["HX1"], "name": ["示例红线"]},
...                        geometry=[box(500000, 3995000, 501000, 3996000)], crs=4546).to_crs(4326)
>>> sites = gpd.GeoDataFrame({"site_id": ["A", "B", "C"]}, geometry=[
...     box(500200, 3995200, 500400, 3995400),   # inside the red line
...     box(501100, 3995000, 501300, 3995200),   # 100 m east of it
...     box(505000, 3995000, 505200, 3995200),   # 4 km away
... ], crs=4546)
>>> report = check_siting(sites, layers={"redlines": red})
>>> report.summary()[["site_id", "verdict", "nearest_redline_m"]].round(1).to_dict("list")
{'site_id': ['A', 'B', 'C'], 'verdict': ['prohibited', 'review', 'clear'], 'nearest_redline_m': [0.0, 100.0, 4000.0]}
>>> report.to_frame()[["site_id", "rule", "feature_id", "distance_m"]].round(1).to_dict("list")
{'site_id': ['A', 'B'], 'rule': ['R1', 'R6'], 'feature_id': ['HX1', 'HX1'], 'distance_m': [0.0, 100.0]}
"""

from linfen_geo.analysis.siting.api import check_siting
from linfen_geo.analysis.siting.partitioned import check_siting_dask
from linfen_geo.analysis.siting.pieces import DEFAULT_MAX_VERTICES, clear_piece_cache, subdivide
from linfen_geo.analysis.siting.report import SitingReport

__all__ = [
    "DEFAULT_MAX_VERTICES",
    "SitingReport",
    "check_siting",
    "check_siting_dask",
    "clear_piece_cache",
    "subdivide",
]
