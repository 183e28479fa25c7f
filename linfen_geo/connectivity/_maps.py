"""Circuit result maps as the input came: numpy arrays, or DataArrays on the input's grid.

For a :class:`xarray.DataArray` habitat, every map of a circuit result becomes
a DataArray with the habitat's dims and coords (after squeezing a band axis),
its CRS and transform (rioxarray), NaN as ``_FillValue`` on cells where the
network has no node, a ``name`` and CF-style ``attrs`` (``units``: "A" for
currents, "V" for voltages, as Circuitscape; ``long_name``). Numpy input keeps
numpy maps, unchanged.

Examples
--------
>>> import numpy as np, xarray as xr, rioxarray  # noqa: F401
>>> from linfen_geo.connectivity._maps import map_template, to_dataarray
>>> hab = xr.DataArray(np.ones((1, 2)), dims=("y", "x"), coords={"y": [0.5], "x": [0.5, 1.5]}).rio.write_crs(
...     "EPSG:4546"
... )
>>> t = map_template(hab)
>>> da = to_dataarray(t, np.array([[2.0, 0.0]]), np.array([[True, False]]), "current", "current", "A")
>>> da.values.tolist(), da.attrs["units"], str(da.rio.crs), bool(np.isnan(da.rio.nodata))
([[2.0, nan]], 'A', 'EPSG:4546', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MapTemplate", "map_template", "to_dataarray", "wrap_maps"]


@dataclass(frozen=True)
class MapTemplate:
    """Dims, coords, CRS and transform of a DataArray input (no values kept)."""

    dims: tuple
    coords: Any  # xarray.Dataset of the coordinates only
    crs: Any = None
    transform: Any = None


def map_template(habitat: Any) -> MapTemplate | None:
    """The grid of a DataArray ``habitat`` (a band axis of length 1 squeezed); None for array input."""
    if not (hasattr(habitat, "dims") and hasattr(habitat, "coords")):
        return None
    da = habitat.squeeze(drop=True) if habitat.ndim > 2 else habitat
    crs = transform = None
    try:
        import rioxarray  # noqa: F401  (registers .rio)

        crs = da.rio.crs
        transform = da.rio.transform()
    except Exception:  # a DataArray without rioxarray georeferencing: dims and coords only
        pass
    return MapTemplate(dims=tuple(da.dims), coords=da.coords.to_dataset(), crs=crs, transform=transform)


def to_dataarray(
    t: MapTemplate, values: np.ndarray, has_node: np.ndarray, name: str, long_name: str, units: str
) -> Any:
    """One map as a DataArray on the template's grid; NaN (the ``_FillValue``) where ``has_node`` is False."""
    import xarray as xr

    data = np.where(has_node, values, np.nan)
    da = xr.DataArray(
        data, dims=t.dims, coords=t.coords.coords, name=name, attrs={"long_name": long_name, "units": units}
    )
    if t.crs is not None or t.transform is not None:
        import rioxarray  # noqa: F401

        if t.crs is not None:
            da = da.rio.write_crs(t.crs)
        if t.transform is not None:
            da = da.rio.write_transform(t.transform)
    else:
        da.attrs["_FillValue"] = np.nan
        return da
    return da.rio.write_nodata(np.nan, encoded=False)


def wrap_maps(result: Any, t: MapTemplate | None, has_node: np.ndarray, what: str) -> Any:
    """Replace the maps of a circuit result by DataArrays (in place; returns it). No-op when ``t`` is None.

    ``what`` names the pairs or points summed: "pairs" (pairwise), "focal nodes"
    (one-to-all, all-to-one), or "advanced". In ``max_current``, cells where no
    pair was solved (Circuitscape's -9999) are NaN as well.
    """
    if t is None:
        return result
    if what == "advanced":
        result.voltage = to_dataarray(t, result.voltage, has_node, "voltage", "voltage", "V")
        result.current = to_dataarray(t, result.current, has_node, "current", "current through each cell", "A")
        return result
    if result.cumulative_current is not None:
        result.cumulative_current = to_dataarray(
            t, result.cumulative_current, has_node, "cumulative_current", f"current summed over {what}", "A"
        )
    if result.max_current is not None:
        result.max_current = to_dataarray(
            t,
            result.max_current,
            has_node & (result.max_current != -9999.0),
            "max_current",
            f"maximum current over {what}",
            "A",
        )
    for maps, quantity, units in ((result.currents, "current", "A"), (result.voltages, "voltage", "V")):
        for key in list(maps):
            label = "_".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
            if what == "pairs":
                desc = f"{quantity}, 1 A from focal node {key[1]} to {key[0]}"
            else:
                desc = f"{quantity}, focal node {key}"
            maps[key] = to_dataarray(t, maps[key], has_node, f"{quantity}_{label}", desc, units)
    return result
