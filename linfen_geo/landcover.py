"""Land-cover class schemes mapped to the plan's common classes: one path for every consumer.

A land-cover raster's codes mean nothing without its class scheme: 10 is
"grasslands" in IGBP, "tree cover" in ESA WorldCover and not a class in CLCD.
The plan (``[greening] classes`` and ``[greening.class_maps.<scheme>]``) names
common classes (forest, shrub, grass, cropland, ...) and, per scheme, which
codes fall in each. Every consumer (indicator 22, the red-line model, corridor
greening) reads land cover through :func:`common_classes`, so the same land
gives the same answer whichever scheme it is coded in.

Examples
--------
>>> import numpy as np, xarray as xr
>>> classes = ["forest", "shrub", "grass", "water"]
>>> maps = {"igbp": {"forest": [1, 2, 3, 4, 5, 8], "shrub": [6, 7, 9], "grass": [10], "water": [0, 17]},
...         "worldcover": {"forest": [10], "shrub": [20], "grass": [30], "water": [80]}}
>>> igbp = xr.DataArray(np.array([[4, 10], [0, 7]], dtype="uint8"), dims=("y", "x"), attrs={"class_scheme": "igbp"})
>>> wc = xr.DataArray(np.array([[10, 30], [80, 20]], dtype="uint8"), dims=("y", "x"), attrs={"class_scheme": "worldcover"})
>>> (common_classes(igbp, classes, maps).values == common_classes(wc, classes, maps).values).all()
np.True_
>>> common_classes(wc, classes, maps).attrs["class_names"]
['forest', 'shrub', 'grass', 'water']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from linfen_geo.errors import InputError

__all__ = ["COMMON", "NODATA", "class_lookup", "class_scheme", "common_classes", "scheme_codes"]

#: ``attrs["class_scheme"]`` of a raster already in the plan's common classes
COMMON = "common"
#: code of cells without data in a common-class raster
NODATA = 255


def class_scheme(da: Any, scheme: str | None = None) -> str:
    """The class scheme of a land-cover raster: ``scheme`` if given, else ``attrs["class_scheme"]``.

    Raises
    ------
    InputError
        Neither says which scheme the codes follow.
    """
    found = scheme or getattr(da, "attrs", {}).get("class_scheme")
    if not found:
        raise InputError(
            "which class scheme does this land cover use? give classes= (igbp, worldcover, clcd ...) "
            "or set attrs['class_scheme']"
        )
    return str(found).lower()


def class_lookup(
    classes: Sequence[str], class_maps: Mapping[str, Mapping[str, Sequence[int]]], scheme: str
) -> dict[int, int]:
    """``{raw code: common class index}`` for ``scheme``.

    Raises
    ------
    InputError
        No map for ``scheme``, a map naming a class the plan does not list, or one code in two classes.
    """
    if scheme not in class_maps:
        known = ", ".join(sorted(class_maps))
        raise InputError(
            f"no class map for land-cover class scheme {scheme!r} in the plan's [greening.class_maps] "
            f"(known: {known}); pass classes=... (CLI: --classes) or add a map to the plan file"
        )
    lut: dict[int, int] = {}
    for name, codes in class_maps[scheme].items():
        if name not in classes:
            raise InputError(
                f"[greening.class_maps.{scheme}] maps to {name!r}, not one of the plan's classes {list(classes)}"
            )
        for code in codes:
            if int(code) in lut:
                raise InputError(f"[greening.class_maps.{scheme}] puts code {code} in two classes")
            lut[int(code)] = list(classes).index(name)
    return lut


def scheme_codes(class_maps: Mapping[str, Mapping[str, Sequence[int]]], scheme: str | None) -> set[int] | None:
    """Every raw code the plan's map of ``scheme`` knows (None when the plan has no map for it).

    Examples
    --------
    >>> sorted(scheme_codes({"x": {"forest": [1, 2], "water": [0]}}, "x"))
    [0, 1, 2]
    """
    if scheme not in class_maps:
        return None
    return {int(v) for codes in class_maps[scheme].values() for v in codes}


def common_classes(
    da: Any,
    classes: Sequence[str],
    class_maps: Mapping[str, Mapping[str, Sequence[int]]],
    scheme: str | None = None,
) -> Any:
    """Recode a land-cover raster to the plan's common classes (codes ``0..len(classes)-1``, nodata 255).

    Parameters
    ----------
    da
        Land-cover DataArray (integer codes; NaN or ``_FillValue``/``nodata`` for no data).
    classes
        The plan's common classes in order (``[greening] classes``).
    class_maps
        ``{scheme: {common class: [codes]}}`` (``[greening.class_maps]``).
    scheme
        The raster's scheme, overriding ``attrs["class_scheme"]``.

    Returns
    -------
    xarray.DataArray
        ``uint8`` codes, same grid and CRS; ``attrs`` carry ``class_scheme="common"``,
        ``class_names`` and ``source_scheme``.

    Raises
    ------
    InputError
        Unknown scheme, or codes in the raster that the scheme's map does not list (named).
    """
    scheme = class_scheme(da, scheme)
    if scheme == COMMON:
        return da
    lut = class_lookup(classes, class_maps, scheme)
    values = np.asarray(da.values)
    valid = np.isfinite(values) if values.dtype.kind == "f" else np.ones(values.shape, dtype=bool)
    for key in ("_FillValue", "nodata"):
        fill = da.attrs.get(key, getattr(da, "encoding", {}).get(key))
        if fill is not None and np.isfinite(fill):
            valid &= values != fill
    rio = getattr(da, "rio", None)
    if rio is not None and rio.nodata is not None and np.isfinite(rio.nodata):
        valid &= values != rio.nodata
    codes = values[valid].astype(np.int64)
    present = np.unique(codes)
    unknown = [int(c) for c in present if int(c) not in lut]
    if unknown:
        raise InputError(
            f"land cover coded as {scheme!r} holds code(s) {unknown[:10]} that [greening.class_maps.{scheme}] "
            "does not list: wrong class scheme, or add them to the plan's class map"
        )
    table = np.full(int(max(present.max(initial=0), max(lut, default=0))) + 1, NODATA, dtype=np.uint8)
    for code, idx in lut.items():
        table[code] = idx
    out = np.full(values.shape, NODATA, dtype=np.uint8)
    out[valid] = table[codes]
    res = da.copy(data=out)
    res.attrs = {
        **{k: v for k, v in da.attrs.items() if k not in ("_FillValue", "scale_factor", "add_offset", "classes")},
        "class_scheme": COMMON,
        "class_names": list(classes),
        "source_scheme": scheme,
        "_FillValue": NODATA,
    }
    res.encoding = {}
    if rio is not None:
        res = res.rio.write_nodata(NODATA, encoded=False)
    return res
