"""The resistance surface (阻力面): base resistance per common class x slope x relief x penalties.

``R = base[class] x slope_factor x relief_factor x prod(penalties)``, every weight from
``[pattern]`` of the plan: ``class_resistance`` (per common class), ``slope`` / ``relief`` step
factors (``factors[i]`` for values in ``[breaks[i-1], breaks[i])``) and ``penalties``: a cell a
layer crosses gets ``on_factor`` (lines: every cell the line touches; polygons: cells whose centre is
inside; with ``area_column``, sites smaller than a cell raise it by ``1 + (on_factor - 1) x covered
share``), a cell within ``near_m`` of it (centre to centre) ``near_factor``; the larger of the two
applies. A ``class`` penalty raises the surroundings of a land-cover class (built-up land).

:func:`perturb` draws the weights of a sensitivity run.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.pattern.landscape import Landscape
>>> from linfen_geo.plan.model import Factors, Pattern
>>> ls = Landscape.from_arrays(np.array([[0, 1]], np.uint8), ["forest", "cropland"])
>>> step_factor(np.array([3.0, 10.0, 30.0]), Factors((5.0, 20.0), (1.0, 1.5, 2.0))).tolist()
[1.0, 1.5, 2.0]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from linfen_geo.errors import PlanError
from linfen_geo.pattern.landscape import Landscape, distance_m, rasterize

__all__ = ["check_weights", "perturb", "resistance_surface", "restored_resistance", "step_factor"]


def step_factor(values: np.ndarray, f: Any) -> np.ndarray:
    """``f.factors[i]`` where ``f.breaks[i-1] <= value < f.breaks[i]`` (vectorised)."""
    return np.asarray(f.factors, float)[np.digitize(values, np.asarray(f.breaks, float), right=False)]


def check_weights(w: Any, class_names: list[str]) -> None:
    """Refuse weights that cannot make a resistance surface (named by their plan key).

    Raises
    ------
    PlanError
        A class without resistance, resistance <= 0, factor lists of the wrong length, unknown classes.
    """
    missing = [c for c in class_names if c not in w.class_resistance]
    if missing:
        raise PlanError(f"[pattern.class_resistance] lacks the class(es) {missing}")
    bad = [k for k, v in w.class_resistance.items() if not v > 0]
    if bad:
        raise PlanError(f"[pattern.class_resistance] must be > 0: {bad}")
    for key in ("slope", "relief"):
        f = getattr(w, key)
        if len(f.factors) != len(f.breaks) + 1 or min(f.factors) <= 0:
            raise PlanError(f"[pattern.{key}] needs len(factors) = len(breaks) + 1 and factors > 0")
    for name in (*w.habitat_classes, w.restored_class):
        if name not in class_names:
            raise PlanError(f"[pattern] names class {name!r}, not one of the plan's classes {class_names}")
    for k, p in w.penalties.items():
        if bool(p.layer) == bool(p.class_):
            raise PlanError(f"[pattern.penalties.{k}] needs either layer or class")
        if p.class_ and p.class_ not in class_names:
            raise PlanError(f"[pattern.penalties.{k}] class {p.class_!r} is not one of {class_names}")
        if p.on_factor <= 0 or p.near_factor <= 0 or p.near_m < 0:
            raise PlanError(f"[pattern.penalties.{k}]: factors must be > 0 and near_m >= 0")


def _features(gdf: Any, exclude: Mapping[str, tuple[str, ...]]) -> Any:
    keep = np.ones(len(gdf), bool)
    for col, vals in exclude.items():
        if col in gdf.columns:
            keep &= ~gdf[col].astype(str).isin(list(vals)).to_numpy()
    return gdf[keep]


def _on_cells(gdf: Any, ls: Landscape, area_column: str) -> np.ndarray:
    """Share of each cell the features occupy: 1 on crossed cells, or covered ha / cell ha for small sites."""
    import shapely

    geoms = gdf.geometry.values
    if area_column:
        c = shapely.centroid(geoms)
        inv = ~ls.transform
        col, row = inv * (shapely.get_x(c), shapely.get_y(c))
        r, k = np.floor(row).astype(int), np.floor(col).astype(int)
        ok = (r >= 0) & (r < ls.shape[0]) & (k >= 0) & (k < ls.shape[1])
        share = np.zeros(ls.shape)
        ha = gdf[area_column].to_numpy(float) * 1e4 / ls.cellsize**2
        np.add.at(share, (r[ok], k[ok]), ha[ok])
        return np.minimum(share, 1.0)
    kinds = set(shapely.get_type_id(geoms).tolist())
    lines = kinds <= {1, 2, 5}
    return rasterize(geoms, ls, all_touched=lines).astype(float)


def penalty_factor(ls: Landscape, p: Any) -> np.ndarray:
    """The factor of one penalty on every cell (1 where it does not apply)."""
    if p.class_:
        on = ls.classes == ls.class_names.index(p.class_)
        share = on.astype(float)
    else:
        gdf = ls.layers.get(p.layer)
        if gdf is None or not len(gdf):
            return np.ones(ls.shape)
        share = _on_cells(_features(gdf, p.exclude), ls, p.area_column)
    f = np.ones(ls.shape)
    if p.near_m > 0 and p.near_factor != 1:
        near = distance_m(share > 0, ls.cellsize) <= p.near_m
        f = np.where(near, p.near_factor, 1.0)
    on_f = 1.0 + (p.on_factor - 1.0) * share
    return np.where(share > 0, np.maximum(f, on_f) if p.on_factor >= 1 else on_f, f)


def resistance_surface(ls: Landscape, w: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Resistance per cell (NaN outside the study area) and its factors.

    Returns
    -------
    resistance : numpy.ndarray
    parts : dict
        ``base``, ``slope``, ``relief`` and ``penalty:<name>`` factor grids.

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.pattern.landscape import Landscape
    >>> from linfen_geo.plan.loader import load_plan
    >>> w = load_plan().model.pattern
    >>> names = list(load_plan().model.greening.classes)
    >>> ls = Landscape.from_arrays(np.array([[0, 3]], np.uint8), names)
    >>> r, parts = resistance_surface(ls, w)
    >>> r.tolist() == [[w.class_resistance["forest"], w.class_resistance["cropland"]]]
    True
    """
    check_weights(w, ls.class_names)
    lut = np.array([w.class_resistance[c] for c in ls.class_names] + [np.nan] * (256 - len(ls.class_names)))
    base = lut[ls.classes]
    parts = {"base": base, "slope": step_factor(ls.slope_deg, w.slope), "relief": step_factor(ls.relief_m, w.relief)}
    r = base * parts["slope"] * parts["relief"]
    for name, p in w.penalties.items():
        parts[f"penalty:{name}"] = pf = penalty_factor(ls, p)
        r = r * pf
    return np.where(ls.valid, r, np.nan), parts


def restored_resistance(ls: Landscape, w: Any) -> np.ndarray:
    """Resistance of every cell if restored: the ``restored_class`` base x its slope and relief factors."""
    r = w.class_resistance[w.restored_class] * step_factor(ls.slope_deg, w.slope) * step_factor(ls.relief_m, w.relief)
    return np.where(ls.valid, r, np.nan)


def perturb(w: Any, pct: float, rng: np.random.Generator) -> Any:
    """Weights of one sensitivity run: every weight x U(1 - pct/100, 1 + pct/100).

    Class resistances and ``near_m`` are multiplied; a factor f (slope, relief, penalties) becomes
    ``1 + (f - 1) u`` so that a neutral factor stays neutral and a penalty stays a penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.plan.loader import load_plan
    >>> w = load_plan().model.pattern
    >>> p = perturb(w, 20, np.random.default_rng(0))
    >>> 0.8 <= p.class_resistance["grass"] / w.class_resistance["grass"] <= 1.2
    True
    """
    if not 0 <= pct < 100:
        raise PlanError(f"sensitivity must be between 0 and 100 %, not {pct}")
    lo, hi = 1 - pct / 100, 1 + pct / 100

    def u(n: int | None = None) -> Any:
        return rng.uniform(lo, hi, n)

    def fac(f: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(float(1 + (x - 1) * v) for x, v in zip(f, u(len(f)), strict=True))

    cr = {k: float(v * u()) for k, v in w.class_resistance.items()}
    pens = {
        k: dataclasses.replace(p, on_factor=fac((p.on_factor,))[0], near_factor=fac((p.near_factor,))[0],
                               near_m=float(p.near_m * u()))
        for k, p in w.penalties.items()
    }  # fmt: skip
    return dataclasses.replace(
        w,
        class_resistance=cr,
        slope=dataclasses.replace(w.slope, factors=fac(w.slope.factors)),
        relief=dataclasses.replace(w.relief, factors=fac(w.relief.factors)),
        penalties=pens,
    )
