"""Import a user's raster (land cover or DEM) into the data directory: clip, reproject, validate.

A user brings a large raster - a province-wide 10 m ESA WorldCover mosaic, a 30 m CLCD tile, a
30 m SRTM/ALOS DEM - in any CRS. :func:`import_raster` turns it into what the analyses expect:

- **clipped** to Linfen (the counties' bounding box in EPSG:4546, plus a margin);
- **reprojected** to :data:`~linfen_geo.crs.WORK_CRS` (EPSG:4546, metres) on a grid aligned to
  whole cells - nearest neighbour for land cover (classes are never blended), bilinear for a DEM;
- **windowed**: a :class:`rasterio.vrt.WarpedVRT` is read block by block, so a raster far larger
  than memory streams through (memory ~ ``block_size``² cells);
- **validated**: a CRS is present, the raster covers Linfen, every land-cover value is known to
  the plan's class map for the given scheme (unknown values are named), DEM values are metres;
- **written atomically** as a tiled, compressed GeoTIFF in ``<data_dir>/user/`` (by default) with a
  ``.PROVENANCE.txt`` beside it, never replacing a file unless ``overwrite=True``.

The result plugs into the catalog: ``lg.use("landcover", path, classes="worldcover")`` or
``linfen-geo greening --landcover PATH`` (the class scheme is stored in the file's tags and read by
:func:`raster_class_scheme`).

Examples
--------
>>> from linfen_geo.io.rasters import import_raster
>>> path = import_raster("ESA_WorldCover_10m_2021_N36E111.tif", "worldcover_2021",
...                      kind="landcover", classes="worldcover")  # doctest: +SKIP
>>> import linfen_geo as lg
>>> lg.use("landcover", path, classes="worldcover")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from linfen_geo.crs import WORK_CRS, WORK_CRS_NAME, as_crs, crs_label
from linfen_geo.errors import CRSError, InputError
from linfen_geo.files import sha256_file
from linfen_geo.grid import aligned_grid, cell_size_m
from linfen_geo.io.textfiles import check_regular_file
from linfen_geo.landcover import scheme_codes
from linfen_geo.layer_catalog.core import CLASS_SCHEME_TAG, recorded_class_scheme
from linfen_geo.layer_catalog.rasterkind import DEM_RANGE_M as _DEM_RANGE_M
from linfen_geo.layer_catalog.rasterkind import TAG_KIND as _TAG_KIND

__all__ = ["KINDS", "NICE_RESOLUTIONS_M", "import_raster", "raster_class_scheme"]

KINDS = ("landcover", "dem")
#: cell sizes (m) a geographic raster is reprojected to: the nearest to its own cell size
NICE_RESOLUTIONS_M = (1, 2, 2.5, 5, 10, 20, 25, 30, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
_TAG_SOURCE = "LINFEN_GEO_SOURCE"


def raster_class_scheme(path: str | os.PathLike[str]) -> str | None:
    """The land-cover class scheme an imported raster was validated against (its GeoTIFF tag), if any.

    Examples
    --------
    >>> raster_class_scheme("data/user/worldcover_2021.tif")  # doctest: +SKIP
    'worldcover'
    """
    return recorded_class_scheme(check_regular_file(Path(path)))


def _native_resolution_m(src: Any) -> float:
    """The source's cell size in metres: its own when projected, else a nice value near it (:func:`cell_size_m`)."""
    dx, dy = cell_size_m(src)
    m = math.sqrt(dx * dy)
    if as_crs(src.crs).is_projected:
        return float(m)
    return float(min(NICE_RESOLUTIONS_M, key=lambda v: abs(math.log(v / m))))


def _unit(crs: Any) -> str:
    crs = as_crs(crs)
    if crs.is_geographic:
        return "deg"
    name = crs.axis_info[0].unit_name if crs.axis_info else "units"
    return "m" if name in ("metre", "meter") else name


def _city(catalog: Any) -> Any:
    """Linfen (union of the counties) in WORK_CRS."""
    import shapely

    counties = catalog.load("counties").to_crs(WORK_CRS)
    return shapely.union_all(counties.geometry.values)


def _footprint(src: Any) -> Any:
    """The source raster's extent as a polygon in WORK_CRS (edges densified)."""
    import shapely
    from pyproj import Transformer

    b = src.bounds
    n = 64
    xs = np.concatenate(
        [np.linspace(b.left, b.right, n), np.full(n, b.right), np.linspace(b.right, b.left, n), np.full(n, b.left)]
    )
    ys = np.concatenate(
        [np.full(n, b.bottom), np.linspace(b.bottom, b.top, n), np.full(n, b.top), np.linspace(b.top, b.bottom, n)]
    )
    tx, ty = Transformer.from_crs(as_crs(src.crs), WORK_CRS, always_xy=True).transform(xs, ys)
    ring = np.column_stack([tx, ty])
    ring = ring[np.isfinite(ring).all(axis=1)]
    return shapely.make_valid(shapely.Polygon(ring)) if len(ring) >= 4 else shapely.Polygon()


def import_raster(
    path: str | os.PathLike[str],
    name: str,
    *,
    kind: str = "landcover",
    classes: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    resolution_m: float | None = None,
    margin_m: float = 5000.0,
    allow_partial: bool = False,
    block_size: int = 2048,
    catalog: Any = None,
) -> Path:
    """Clip a user's raster to Linfen, reproject it to EPSG:4546, validate it, write it to the data directory.

    Parameters
    ----------
    path
        The source raster (GeoTIFF, VRT mosaic, anything GDAL reads), single band, any CRS.
    name
        Output name: ``<dest>/<name>.tif`` (letters, digits, ``_ - .``).
    kind
        ``"landcover"`` (categorical: nearest neighbour, classes validated) or ``"dem"``
        (elevation in metres: bilinear, written as float32 with NaN for no data).
    classes
        Land-cover class scheme (``igbp``, ``worldcover``, ``clcd`` - a key of the plan's
        ``[greening.class_maps]``); required for land cover.
    dest
        Target folder (default ``<data_dir>/user``).
    overwrite
        Replace an existing ``<name>.tif`` (never done otherwise).
    resolution_m
        Output cell size; default: the source's own (projected in metres), else the value of
        :data:`NICE_RESOLUTIONS_M` nearest to the source's cell size (10 m for WorldCover's 0.0000833°).
    margin_m
        Margin around Linfen's bounding box kept in the output (terrain at the edge needs neighbours).
    allow_partial
        Accept a raster that covers only part of Linfen.
    block_size
        Cells per side of the blocks read and written (memory ~ 8 bytes x block_size²).
    catalog
        The catalog giving the counties, the plan and the data directory (default: the session's).

    Returns
    -------
    pathlib.Path
        The written GeoTIFF (its provenance is ``<name>.tif.PROVENANCE.txt``).

    Raises
    ------
    InputError
        Unreadable file, several bands, no overlap with Linfen, partial coverage, unknown class
        scheme or values (named), implausible DEM values, existing output without ``overwrite``.
    CRSError
        The raster has no CRS.

    Examples
    --------
    >>> p = import_raster("srtm_30m_shanxi.tif", "srtm30", kind="dem")  # doctest: +SKIP
    >>> p.name  # doctest: +SKIP
    'srtm30.tif'
    """
    import rasterio
    import shapely
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT
    from rasterio.windows import Window

    from linfen_geo import __version__
    from linfen_geo.files import atomic_write
    from linfen_geo.layer_catalog.core import get_catalog

    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, not {kind!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name or "") or name.startswith("."):
        raise InputError(f"name {name!r} must be letters, digits, '_', '-' or '.' (it becomes <name>.tif)")
    cat = catalog if catalog is not None else get_catalog()
    class_values: set[int] = set()
    if kind == "landcover":
        maps = cat.plan.get("greening", {}).get("class_maps", {})
        if not classes:
            raise InputError(f"a land cover needs its class scheme: classes= one of {sorted(maps)} (CLI: --classes)")
        if classes not in maps:
            raise InputError(
                f"no class map {classes!r} in the plan's [greening.class_maps] (known: {', '.join(sorted(maps))})"
            )
        class_values = scheme_codes(maps, classes) or set()
    elif classes:
        raise InputError("classes= applies to land cover, not to a DEM")
    src_path = Path(path).expanduser()
    if not src_path.exists():
        raise InputError(f"cannot import {src_path}: no such file")
    check_regular_file(src_path)
    folder = Path(dest).expanduser() if dest is not None else cat.data_dir / "user"
    out_path = folder / f"{name}.tif"
    prov_path = folder / f"{name}.tif.PROVENANCE.txt"
    for target in (out_path, prov_path):  # both checked before anything is written
        if target.exists() and not overwrite:
            raise InputError(f"{target} exists; pass overwrite=True (CLI: --force) to replace it")

    try:
        src = rasterio.open(src_path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot read raster {src_path.name}: {exc}") from None
    with src:
        if src.count != 1:
            raise InputError(f"{src_path.name} has {src.count} bands; import a single-band raster")
        if src.crs is None:
            raise CRSError(f"{src_path.name} has no CRS: assign one first (gdal_edit.py -a_srs EPSG:4326 ...)")
        dtype = np.dtype(src.dtypes[0])
        if kind == "landcover" and dtype.kind not in "ui":
            raise InputError(f"{src_path.name} holds {dtype} values: a land cover must hold integer class codes")
        # ---------------------------------------------------------------- coverage of Linfen
        city = _city(cat)
        foot = _footprint(src)
        covered = shapely.intersection(city, foot).area / city.area if not foot.is_empty else 0.0
        if covered <= 0:
            raise InputError(
                f"{src_path.name} ({crs_label(src.crs)}, bounds {tuple(round(v, 4) for v in src.bounds)}) "
                "does not cover Linfen"
            )
        if covered < 1 - 1e-6 and not allow_partial:
            raise InputError(
                f"{src_path.name} covers only {covered * 100:.1f}% of Linfen; mosaic the tiles first "
                "(gdalbuildvrt) or pass allow_partial=True (CLI: --allow-partial)"
            )
        # ---------------------------------------------------------------- target grid
        res = float(resolution_m) if resolution_m is not None else _native_resolution_m(src)
        if not (math.isfinite(res) and res > 0):
            raise InputError(f"resolution_m must be a positive number of metres, not {resolution_m!r}")
        minx, miny, maxx, maxy = city.bounds
        dst_t, height, width = aligned_grid((minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m), res)
        x0, y1 = dst_t.c, dst_t.f
        if kind == "landcover":
            out_dtype = dtype
            nodata = src.nodata if src.nodata is not None else (255 if dtype == np.uint8 else np.iinfo(dtype).max)
            resampling, predictor = Resampling.nearest, 1
        else:
            out_dtype, nodata, resampling, predictor = np.dtype("float32"), float("nan"), Resampling.bilinear, 3
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": 1,
            "dtype": out_dtype.name,
            "crs": WORK_CRS,
            "transform": dst_t,
            "nodata": nodata,
            "tiled": True,
            "blockxsize": 512,
            "blockysize": 512,
            "compress": "deflate",
            "predictor": predictor,
            "BIGTIFF": "IF_SAFER",
        }
        stats: dict[str, Any] = {"cells": width * height, "nodata": 0}
        counts: dict[int, int] = {}

        def write(tmp: Path) -> None:
            vrt_opts = {
                "crs": WORK_CRS,
                "transform": dst_t,
                "width": width,
                "height": height,
                "resampling": resampling,
                "src_nodata": src.nodata,
                "nodata": nodata,
                "dtype": out_dtype.name,
                "warp_mem_limit": 256,
                # (near-)exact coordinate transformation per cell (GDAL's default approximates to 1/8 cell,
                # which would move class borders)
                "tolerance": 1e-6,
            }
            lo, hi = math.inf, -math.inf
            with WarpedVRT(src, **vrt_opts) as vrt, rasterio.open(tmp, "w", **profile) as dst:
                dst.update_tags(
                    **{_TAG_KIND: kind, CLASS_SCHEME_TAG: classes or "", _TAG_SOURCE: str(src_path.resolve())}
                )
                for r0 in range(0, height, block_size):  # block by block: bounded memory
                    for c0 in range(0, width, block_size):
                        win = Window(c0, r0, min(block_size, width - c0), min(block_size, height - r0))
                        block = vrt.read(1, window=win)
                        if kind == "landcover":
                            if block.dtype.kind == "u" and block.dtype.itemsize <= 2:  # fast: a histogram
                                hist = np.bincount(block.ravel(), minlength=1 << (8 * block.dtype.itemsize))
                                vals = np.flatnonzero(hist)
                                n = hist[vals]
                            else:
                                vals, n = np.unique(block, return_counts=True)
                            for v, c in zip(vals.tolist(), n.tolist(), strict=True):
                                if v == nodata:
                                    stats["nodata"] += c
                                else:
                                    counts[v] = counts.get(v, 0) + c
                        else:
                            ok = np.isfinite(block)
                            stats["nodata"] += int(block.size - np.count_nonzero(ok))
                            if ok.any():
                                lo, hi = min(lo, float(block[ok].min())), max(hi, float(block[ok].max()))
                        dst.write(block, 1, window=win)
            # ------------------------------------------------------------ validation of the content
            if stats["nodata"] == stats["cells"]:
                raise InputError(f"{src_path.name} has no data over Linfen")
            if kind == "landcover":
                unknown = sorted(set(counts) - class_values)
                if unknown:
                    raise InputError(
                        f"{src_path.name}: values {unknown} are not in the plan's class map "
                        f"[greening.class_maps.{classes}] (it knows {sorted(class_values)}); wrong class scheme?"
                    )
            else:
                if lo < _DEM_RANGE_M[0] or hi > _DEM_RANGE_M[1]:
                    raise InputError(
                        f"{src_path.name}: elevations {lo:.1f}..{hi:.1f} are not plausible metres for Linfen "
                        f"(expected {_DEM_RANGE_M[0]:g}..{_DEM_RANGE_M[1]:g}); is it scaled or in feet?"
                    )
                stats["min"], stats["max"] = lo, hi

        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(out_path, write)
        src_desc = (
            f"{crs_label(src.crs)}; cell {abs(src.transform.a):.6g} x {abs(src.transform.e):.6g} "
            f"{_unit(src.crs)}; {src.width} x {src.height} cells; "
            f"bounds {tuple(round(v, 6) for v in src.bounds)}; {dtype}; nodata {src.nodata}"
        )
    size = src_path.stat().st_size
    lines = [
        f"Imported by linfen_geo {__version__} (linfen_geo.rasterdata.import_raster) on "
        f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}.",
        "",
        f"Source file : {src_path.resolve()} ({size:,} bytes, sha256 {sha256_file(src_path)})",
        f"Source grid : {src_desc}",
        f"Kind        : {kind}" + (f" (classes '{classes}', plan [greening.class_maps.{classes}])" if classes else ""),
        f"Output      : {out_path.name}: {WORK_CRS_NAME}; cell {res:g} m; {width} x {height} cells; "
        f"bounds {tuple(round(v, 1) for v in (x0, y1 - height * res, x0 + width * res, y1))}",
        f"Clip        : Linfen counties' bounding box + {margin_m:g} m; source covers {covered * 100:.2f}% of Linfen",
        f"Resampling  : {'nearest (categorical: classes never blended)' if kind == 'landcover' else 'bilinear'}; "
        f"windowed WarpedVRT reads of {block_size} x {block_size} cells",
        f"No data     : {stats['nodata'] / stats['cells'] * 100:.2f}% of the output cells",
    ]
    if kind == "landcover":
        total = sum(counts.values())
        shares = ", ".join(f"{v}: {n / total * 100:.2f}%" for v, n in sorted(counts.items()))
        lines.append(f"Classes     : {shares}")
        use = f'lg.use("landcover", "{out_path}", classes="{classes}")  |  linfen-geo greening --landcover {out_path}'
    else:
        lines.append(f"Elevation   : {stats['min']:.1f} .. {stats['max']:.1f} m")
        use = f'lg.use("dem", "{out_path}")  |  linfen-geo greening --dem {out_path}'
    lines += [f"Use         : {use}", ""]
    atomic_write(prov_path, lambda tmp: tmp.write_text("\n".join(lines), encoding="utf-8"))
    return out_path
