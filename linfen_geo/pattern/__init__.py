"""Ecological security pattern (生态安全格局): sources -> resistance -> corridors -> pinch points -> barriers.

:func:`security_pattern` runs the whole job on the catalog's layers (or your rasters) with every
weight from the plan's ``[pattern]`` section and returns a :class:`PatternResult` (``.tables``,
``.rasters``, ``.layers``, ``.answers``); nothing here writes or draws (files:
:mod:`linfen_geo.reports.pattern`, maps: :mod:`linfen_geo.viz.pattern_maps`). See ``docs/pattern.md``.

Modules: :mod:`~.landscape` (the EPSG:4546 grid), :mod:`~.resistance`, :mod:`~.sources`,
:mod:`~.network`, :mod:`~.mines`, :mod:`~.answers`, :mod:`~.api`.

Examples
--------
>>> import linfen_geo as lg
>>> res = lg.security_pattern()  # doctest: +SKIP
>>> print(res.answers["plan_corridors"]["zh"])  # doctest: +SKIP
"""

from linfen_geo.pattern.api import PatternResult, run_pattern, security_pattern
from linfen_geo.pattern.landscape import Landscape, landscape

__all__ = ["Landscape", "PatternResult", "landscape", "run_pattern", "security_pattern"]
