"""What a raster is for: a DEM holds plausible metres, a land cover holds the codes of its class scheme.

Every raster that enters the catalog (shipped, ``use()``, ``greening --dem/--landcover``) goes
through :func:`check_raster_kind`, so a land cover given as a DEM (or the reverse) is refused
instead of giving "0 greenable land". The check reads at most about a million cells (a decimated
read through GDAL's overviews or nearest-neighbour resampling), so it costs little on big rasters.

Examples
--------
>>> import numpy as np
>>> looks_like_classes(np.array([[10, 20], [10, 30]], dtype="uint8"))
True
>>> looks_like_classes(np.linspace(400.0, 2500.0, 400).reshape(20, 20))
False
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from linfen_geo.errors import SchemaError

__all__ = ["DEM_RANGE_M", "TAG_KIND", "check_raster_kind", "looks_like_classes"]

#: GeoTIFF tag in which ``data import`` records what a raster is (``dem`` or ``landcover``)
TAG_KIND = "LINFEN_GEO_KIND"
#: plausible elevations in metres (Dead Sea shore .. above Everest)
DEM_RANGE_M = (-500.0, 9000.0)
_MAX_SAMPLE = 1_000_000


def looks_like_classes(values: np.ndarray, max_classes: int = 64) -> bool:
    """True when the valid values are few integers, as class codes are (not a continuous surface)."""
    v = np.asarray(values)
    v = v[np.isfinite(v)] if v.dtype.kind == "f" else v.ravel()
    if v.size == 0:
        return False
    if v.dtype.kind == "f" and not np.all(np.mod(v, 1) == 0):
        return False
    return len(np.unique(v)) <= max_classes


def _sample(path: Path) -> tuple[np.ndarray, dict[str, str], Any]:
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as src:
        step = max(1, int(np.ceil(np.sqrt(src.width * src.height / _MAX_SAMPLE))))
        shape = (max(1, src.height // step), max(1, src.width // step))
        data = src.read(1, out_shape=shape, resampling=Resampling.nearest, masked=True)
        return data, src.tags(), src.dtypes[0]


def check_raster_kind(path: Path, units: str | None, *, label: str, class_codes: Collection[int] | None = None) -> None:
    """Refuse a raster that is not what the layer needs.

    Parameters
    ----------
    path
        The raster file.
    units
        The catalog layer's units: ``"m"`` (elevation) or ``"class"`` (land cover).
    label
        Names the layer and file in messages.
    class_codes
        The codes the land cover's class scheme defines (from the plan's class map).

    Raises
    ------
    SchemaError
        A land cover given as a DEM or the reverse, elevations outside :data:`DEM_RANGE_M`,
        fractional class codes, codes the scheme does not know, or no valid cell.
    """
    if units not in ("m", "class"):
        return
    data, tags, dtype = _sample(path)
    recorded = (tags.get(TAG_KIND) or "").lower()
    valid = np.asarray(data.compressed())
    if valid.size == 0:
        raise SchemaError(f"{label}: the raster holds no valid cell (all nodata)")
    if units == "m":
        if recorded == "landcover":
            raise SchemaError(f"{label}: this is a land cover (imported with --kind landcover), not a DEM")
        if looks_like_classes(valid, max_classes=40) and np.dtype(dtype).kind in "ui":
            codes = sorted(int(c) for c in np.unique(valid))[:12]
            raise SchemaError(
                f"{label}: it holds {len(np.unique(valid))} integer codes ({codes}...), like a land cover, "
                "not elevations: give a DEM in metres"
            )
        lo, hi = float(valid.min()), float(valid.max())
        if lo < DEM_RANGE_M[0] or hi > DEM_RANGE_M[1]:
            raise SchemaError(
                f"{label}: elevations {lo:.1f}..{hi:.1f} are not plausible metres "
                f"(expected {DEM_RANGE_M[0]:g}..{DEM_RANGE_M[1]:g}); is it scaled, in feet or not a DEM?"
            )
        return
    if recorded == "dem":
        raise SchemaError(f"{label}: this is a DEM (imported with --kind dem), not a land cover")
    if np.dtype(dtype).kind == "f" and not np.all(np.mod(valid, 1) == 0):
        raise SchemaError(
            f"{label}: it holds fractional values ({valid.min():.4g}..{valid.max():.4g}), "
            "not class codes: is it a DEM or another continuous raster?"
        )
    if not looks_like_classes(valid, max_classes=256):
        raise SchemaError(
            f"{label}: it holds {len(np.unique(valid)):,} distinct values ({valid.min():.6g}..{valid.max():.6g}), "
            "a continuous surface like a DEM, not class codes"
        )
    if class_codes is not None:
        unknown = sorted(set(np.unique(valid).astype("int64").tolist()) - {int(c) for c in class_codes})
        if unknown:
            raise SchemaError(
                f"{label}: codes {unknown[:10]} are not in its class scheme (which knows {sorted(class_codes)}): "
                "wrong class scheme (classes=...), or not a land cover?"
            )
