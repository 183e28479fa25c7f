"""Corridor greening (廊道绿化): land cover, green cover and greenable land by suitability, per corridor.

The plan asks, inside each of the four ecological corridors, to green the barren hills and the
sloping farmland that can take it - 宜乔则乔、宜灌则灌、宜草则草 (trees where trees suit, shrubs
where shrubs suit, grass where grass suits). :func:`corridor_greening` answers, per corridor, per
county within it and in total: the land-cover breakdown, the existing green cover, the greenable
area split into tree / shrub / grass suitability, and the share of the plan's 20万亩
public-welfare-forest target that the greenable area could cover. Every rule lives in
``plan.toml`` (``[greening]``, ``[[greening.suitability]]``, ``[greening.class_maps.*]``,
``[terrain] basin_max_elevation_m``, ``[targets]``).

Method
------
1. **Zones.** The corridor polygons are cut into disjoint *atoms*: one per set of corridors
   covering a place (corridors may overlap) and per county. Corridor x county *pieces*, corridors,
   counties and the total are sums of atoms, so a hectare where two corridors overlap counts in
   both corridors but once in its county and once in the total.
2. **Analysis grid.** The land-cover grid itself (in its own CRS), cropped to the corridors'
   bounding box. When the land cover is much coarser than the DEM (the shipped 5 km MODIS land
   cover with the 1 km DEM) each land-cover cell is split into ``k x k`` sub-cells of the same class
   (``k`` = land-cover cell / DEM cell, rounded), so terrain may vary inside a land-cover cell;
   splitting a cell changes no land-cover area.
3. **Terrain.** The DEM is reprojected (bilinear) to :data:`~linfen_geo.crs.WORK_CRS`
   (EPSG:4546, metres) at its own resolution on a grid aligned to whole cells, window by window
   (:class:`linfen_geo.grid.WorkDEM`; a DEM already on a square EPSG:4546 grid is used as is);
   slope and aspect come from :func:`linfen_geo.terrain.gradient` (central differences, as
   :func:`~linfen_geo.terrain.slope_deg` / :func:`~linfen_geo.terrain.aspect_deg`) there - in
   metres, never degrees. Each terrain cell gets a *terrain code* (on a hill? steeper than the
   sloping / steep cropland thresholds? first matching suitability rule), which is sampled onto the
   analysis grid by nearest neighbour: classes are never averaged and aspect needs no circular
   interpolation. This is the documented choice: the land cover keeps its own grid and values, the
   terrain comes to it.
4. **One categorical raster.** Land-cover values are mapped to the plan's common classes through
   the class map of the raster's ``class_scheme`` (unknown values are refused by name), and
   ``code = common_class * K + steep * (S + 1) + suitability`` is built with one look-up table
   (``S`` suitability classes; suitability 0 = not greenable; ``K = 2 (S + 1)``). This runs
   tile by tile (threads), only on the tiles the corridors touch, reading windows of the inputs
   (a lazily opened raster is never loaded whole) into an in-memory array for small grids or a
   sparse tiled temporary GeoTIFF for large ones, so a province-sized raster never has to fit in
   memory.
5. **Exact areas.** :func:`~linfen_geo.analysis.zonal.tabulate_classes` (exactextract, exact
   partial-pixel coverage, scaled to each atom's ellipsoidal area in
   :data:`~linfen_geo.crs.AREA_CRS`) runs once over all atoms; the tables are sums of decoded
   codes. On a projected grid the atoms are cut into 1000-cell squares for exactextract (it scans
   each zone's bounding box, mostly empty for a diagonal strip) and recombined by their planar
   areas - the same weights exactextract uses - which gives the whole atoms' answer.

Greenable land (plan ``[greening]``): the ``greenable_always`` classes (barren); grassland on
hills (elevation above ``[terrain] basin_max_elevation_m`` or slope >= ``grass_hill_min_slope_deg``);
cropland steeper than ``sloping_cropland_deg`` (of which the part at or above
``steep_cropland_deg`` is reported separately). Built-up, water, wetland, snow, other and the
existing green cover are never greenable. A greenable cell takes the class of the first
``[[greening.suitability]]`` rule it matches (slope <= ``max_slope_deg``, elevation <=
``max_elevation_m``, aspect in ``aspects``; ``min_*`` bounds are honoured too); a cell matching no
rule is not counted as greenable. Aspect sectors are the 8 compass points (45 degrees each, N =
337.5-22.5); slopes gentler than ``flat_max_slope_deg`` (default 2) are ``flat``.

Modules
-------
:mod:`~.rules` (the plan's rules, typed; :class:`GreeningRules`), :mod:`~.zones` (the atoms,
:func:`corridor_zones`), :mod:`~.compute` (:func:`corridor_greening`: the code raster and its
tabulation), :mod:`~.tables` (table assembly, units, shares), :mod:`~.notes`, :mod:`~.result`
(:class:`GreeningResult`). The raster machinery is :mod:`linfen_geo.grid`; files are written by
:mod:`linfen_geo.reports.greening` (also the main-job step ``step_greening``), maps drawn by
:mod:`linfen_geo.viz.greening_maps`.

Examples
--------
>>> from linfen_geo.analysis.greening import corridor_greening
>>> res = corridor_greening()  # doctest: +SKIP
>>> res.by_corridor[["corridor_id", "greenable_ha", "greenable_wanmu"]]  # doctest: +SKIP
>>> res.write("out")  # doctest: +SKIP
"""

from __future__ import annotations

from linfen_geo.analysis.greening.compute import corridor_greening
from linfen_geo.analysis.greening.result import GreeningResult
from linfen_geo.analysis.greening.rules import ASPECT_SECTORS, GreeningRules, SuitabilityRule, aspect_class
from linfen_geo.analysis.greening.zones import corridor_zones
from linfen_geo.grid import cell_size_m

__all__ = [
    "ASPECT_SECTORS",
    "GreeningResult",
    "GreeningRules",
    "SuitabilityRule",
    "aspect_class",
    "cell_size_m",
    "corridor_greening",
    "corridor_zones",
]
