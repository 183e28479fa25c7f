"""Circuitscape job files: the INI, its input rasters and lists, and the output files, as Circuitscape.jl reads and writes them.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "job.ini"
>>> _ = p.write_text("[Circuitscape mode]\\nscenario = pairwise\\n")
>>> read_ini(p)["scenario"], read_ini(p)["connect_four_neighbors_only"]
('pairwise', 'False')
>>> format_number(2.0), format_number(-1.0), format_number(0.125)
('2', '-1', '0.125')
"""

from __future__ import annotations

import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from linfen_geo.errors import DataMissingError, GeographicCRSError, InputError
from linfen_geo.files import write_file

__all__ = [
    "DEFAULTS",
    "Raster",
    "format_number",
    "is_true",
    "read_included_pairs",
    "read_ini",
    "read_point_grid",
    "read_raster",
    "read_strengths",
    "write_map",
    "write_table",
]

#: Circuitscape.jl's defaults (``init_config`` in src/config.jl)
DEFAULTS: dict[str, str] = {
    "version": "unknown",
    "connect_four_neighbors_only": "False",
    "connect_using_avg_resistances": "False",
    "use_polygons": "False",
    "polygon_file": "(Browse for a short-circuit region file)",
    "source_file": "(Browse for a current source file)",
    "ground_file": "(Browse for a ground point file)",
    "ground_file_is_resistances": "True",
    "use_unit_currents": "False",
    "use_direct_grounds": "False",
    "remove_src_or_gnd": "keepall",
    "mask_file": "None",
    "use_mask": "False",
    "preemptive_memory_release": "False",
    "low_memory_mode": "False",
    "parallelize": "False",
    "print_timings": "False",
    "print_rusages": "False",
    "solver": "cg+amg",
    "use_variable_source_strengths": "False",
    "variable_source_file": "None",
    "set_null_currents_to_nodata": "False",
    "output_file": "(Choose a base name for output files)",
    "write_cum_cur_map_only": "False",
    "log_transform_maps": "False",
    "write_max_cur_maps": "False",
    "compress_grids": "False",
    "set_null_voltages_to_nodata": "False",
    "set_focal_node_currents_to_zero": "False",
    "write_volt_maps": "False",
    "write_cur_maps": "False",
    "habitat_map_is_resistances": "True",
    "habitat_file": "(Browse for a resistance file)",
    "scenario": "not entered",
    "data_type": "raster",
    "use_included_pairs": "False",
    "included_pairs_file": "(Browse for a file with pairs to include or exclude)",
    "point_file": "(Browse for file with locations of focal points or regions)",
    "use_reclass_table": "False",
    "reclass_file": "(Browse for file with reclassification data)",
    "profiler_log_file": "None",
    "log_file": "None",
    "log_level": "INFO",
    "screenprint_log": "False",
    "precision": "Double",
    "cholmod_batch_size": "1000",
    "use_64bit_indexing": "true",
    "write_as_tif": "false",
    "suppress_messages": "false",
    "max_parallel": "0",
}


def is_true(value: str) -> bool:
    """Circuitscape's boolean: ``True``, ``true`` or ``1``."""
    return value in ("True", "true", "1")


def read_ini(path: str | os.PathLike[str]) -> dict[str, str]:
    """Options of a Circuitscape INI over its defaults; parsed as Circuitscape.jl does (``key = value``, sections ignored)."""
    path = Path(path)
    if not path.is_file():
        raise DataMissingError(f"job file {path} does not exist")
    cfg = dict(DEFAULTS)
    for line in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith(("[", "#", ";")) or "=" not in line:
            continue
        key, _, val = line.partition("=")
        cfg[key.strip()] = val.strip()
    return cfg


@dataclass(frozen=True)
class Raster:
    """A grid as Circuitscape reads it: float64 values with -9999 for nodata, and its georeferencing."""

    values: np.ndarray
    transform: Any
    crs: Any
    path: str

    @property
    def cellsize(self) -> float:
        return float(self.transform.a)

    @property
    def xll(self) -> float:
        return float(self.transform.c)

    @property
    def yll(self) -> float:
        return float(self.transform.f + self.transform.e * self.values.shape[0])


def _check_exists(path: str, what: str) -> None:
    if not Path(path).is_file():
        raise DataMissingError(f"{what} {path} does not exist")


def _open_head(path: str) -> bytes:
    opener = gzip.open if path.lower().endswith("gz") else open
    with opener(path, "rb") as fh:
        return fh.read(64)


def file_kind(path: str) -> str:
    """``"raster"`` (GeoTIFF / ASCII grid) or ``"list"`` (text), guessed as Circuitscape guesses."""
    head = _open_head(path)
    if head[2:4] == b"\x2a\x00" or head[:4] == b"MM\x00\x2a" or head.lower().startswith(b"ncols"):
        return "raster"
    return "list"


def read_raster(path: str, what: str, like: Raster | None = None) -> Raster:
    """Read a GeoTIFF or ASCII grid (optionally gzipped); nodata and NaN become -9999; geographic CRSs are refused."""
    import rasterio

    _check_exists(path, what)
    src = f"/vsigzip/{os.path.abspath(path)}" if path.endswith(".gz") else path
    try:
        with rasterio.open(src) as ds:
            a = ds.read(1).astype("float64")
            nod = ds.nodata
            transform, crs = ds.transform, ds.crs
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{what} {path}: cannot read it as a raster ({exc})") from None
    if nod is not None and not math.isnan(nod):
        a[a == nod] = -9999.0
    a[np.isnan(a)] = -9999.0
    if crs is not None and crs.is_geographic:
        raise GeographicCRSError(
            f"{what} {path} is in a geographic CRS ({crs.to_string()}); circuit resistances need metres: reproject it first"
        )
    if abs(abs(transform.a) - abs(transform.e)) > 1e-9 * abs(transform.a):
        raise InputError(f"{what} {path}: cells are not square")
    if like is not None and a.shape != like.values.shape:
        raise InputError(
            f"{what} {path}: {a.shape[0]} x {a.shape[1]} cells, the habitat map has {like.values.shape[0]} x {like.values.shape[1]}"
        )
    return Raster(a, transform, crs, path)


def _list_cells(path: str, hab: Raster) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``value x y`` rows of a text list, located on the habitat grid (0-based rows and columns)."""
    try:
        t = np.atleast_2d(np.loadtxt(path, dtype="float64", ndmin=2))
    except ValueError as exc:
        raise InputError(f"{path}: not a list of 'value x y' rows ({exc})") from None
    if t.shape[1] < 3:
        raise InputError(f"{path}: expected 3 columns (value, x, y), found {t.shape[1]}")
    ny, nx = hab.values.shape
    rows = np.ceil(ny - (t[:, 2] - hab.yll) / hab.cellsize).astype(np.int64) - 1
    cols = np.ceil((t[:, 1] - hab.xll) / hab.cellsize).astype(np.int64) - 1
    if np.any((rows < 0) | (rows >= ny) | (cols < 0) | (cols >= nx)):
        raise InputError(f"{path}: at least one location falls outside of the habitat map")
    return t[:, 0], rows, cols


def read_point_grid(path: str, hab: Raster, what: str = "point_file") -> np.ndarray | tuple[np.ndarray, ...]:
    """Focal ids as a grid (0 = none) from a raster, or ``(ids, rows, cols)`` from a text list (``id x y``)."""
    _check_exists(path, what)
    if file_kind(path) == "list":
        ids, rows, cols = _list_cells(path, hab)
        if np.any(ids != np.round(ids)):
            raise InputError(f"{what} {path}: focal ids must be whole numbers")
        return ids.astype(np.int64), rows, cols
    else:
        g = read_raster(path, what, like=hab).values
        g = np.where(g == -9999.0, 0.0, g)
    if np.any(g != np.round(g)):
        raise InputError(f"{what} {path}: focal ids must be whole numbers")
    return np.where(g > 0, g, 0.0)


def read_value_grid(path: str, hab: Raster, what: str) -> np.ndarray:
    """Source or ground values as a grid (-9999 = none) from a raster or a text list (``value x y``)."""
    _check_exists(path, what)
    if file_kind(path) == "list":
        vals, rows, cols = _list_cells(path, hab)
        g = np.full(hab.values.shape, -9999.0)
        g[rows, cols] = vals
        return g
    return read_raster(path, what, like=hab).values


def read_strengths(path: str) -> dict[int, float]:
    """``id strength`` rows (ids counted from 1; a list starting at id 0 is shifted, as in Circuitscape)."""
    _check_exists(path, "variable_source_file")
    t = np.loadtxt(path, dtype="float64", ndmin=2)
    ids = t[:, 0].astype(np.int64)
    if ids.min() == 0:
        ids = ids + 1
    return {int(i): float(s) for i, s in zip(ids, t[:, 1], strict=True)}


def read_included_pairs(path: str) -> tuple[str, list[int], set[tuple[int, int]]]:
    """Mode (``include``/``exclude``), the ids named, and the pairs of an include/exclude file (list or matrix form)."""
    _check_exists(path, "included_pairs_file")
    lines = [ln.split() for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    if lines and lines[0][0] == "min":
        lo, hi = float(lines[0][1]), float(lines[1][1])
        body = [[float(x) for x in ln] for ln in lines[3:]]
        ids = [int(r[0]) for r in body]
        pairs = set()
        for i, r in enumerate(body):
            for j, x in enumerate(r[1 : len(ids) + 1]):
                x = 0.0 if x > hi else x
                if x >= lo and i != j:
                    pairs.add((ids[i], ids[j]))
        return "include", ids, pairs | {(b, a) for a, b in pairs}  # Circuitscape: either triangle includes a pair
    if lines and lines[0][0] == "mode":
        mode = lines[0][1]
        if mode not in ("include", "exclude"):
            raise InputError(f"included_pairs_file {path}: mode must be include or exclude, got {mode!r}")
        rows = [(int(float(a)), int(float(b))) for a, b, *_ in lines[1:]]
        ids = sorted({x for r in rows for x in r} - {0})
        pairs = {(a, b) for a, b in rows if a and b} | {(b, a) for a, b in rows if a and b}
        return mode, ids, pairs
    raise InputError(f"included_pairs_file {path}: neither a 'mode include|exclude' list nor a 'min/max' matrix")


def format_number(x: float) -> str:
    """Shortest text that reads back as ``x``; whole numbers without a decimal point."""
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def write_table(path: str | Path, rows: np.ndarray, *, overwrite: bool) -> Path:
    """Space-separated table (Circuitscape's ``_resistances.out`` family)."""
    text = "\n".join(" ".join(format_number(v) for v in r) for r in np.atleast_2d(rows)) + "\n"
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)


def write_map(path_stem: str, values: np.ndarray, hab: Raster, *, tif: bool, overwrite: bool) -> Path:
    """Write a map as ``<stem>.asc`` (ASCII grid, nodata -9999) or ``<stem>.tif`` (GeoTIFF, LZW)."""
    if tif:

        def _tif(tmp: Path) -> None:
            import rasterio

            profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1, "dtype": "float64",
                           "transform": hab.transform, "nodata": -9999.0, "compress": "lzw"}  # fmt: skip
            if hab.crs is not None:
                profile["crs"] = hab.crs
            with rasterio.open(tmp, "w", **profile) as ds:
                ds.write(values, 1)

        return write_file(f"{path_stem}.tif", _tif, overwrite=overwrite)
    ny, nx = values.shape
    head = (
        f"ncols         {nx}\nnrows         {ny}\nxllcorner     {hab.xll!r}\nyllcorner     {hab.yll!r}\n"
        f"cellsize      {hab.cellsize!r}\nNODATA_value  -9999\n"
    )

    def _asc(tmp: Path) -> None:
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(head)
            np.savetxt(fh, values, fmt="%.12g", delimiter=" ")

    return write_file(f"{path_stem}.asc", _asc, overwrite=overwrite)
