"""Benchmark: the corridor-greening report vs a bare exactextract tabulation of the same zones.

A synthetic 10 m land cover (ESA WorldCover codes) covering Linfen's bounding box in EPSG:4546
(19,795 x 17,196 = 340 million cells; the city itself is ~203 million) and a synthetic 30 m DEM
are written once as tiled, compressed GeoTIFFs. Then, alternating, in fresh processes:

``bare``
    :func:`~linfen_geo.analysis.zonal.tabulate_classes` of the land cover over the report's zones
    (the disjoint corridor x county atoms) - one exactextract pass, nothing else.
``bare_pieces``
    The same over the zones cut into 10 km squares - what the report hands exactextract on a
    projected grid (it recombines the pieces exactly) - so that the speed-up from cutting is shown
    on its own and not mistaken for a cheap report.
``report``
    :func:`~linfen_geo.analysis.greening.corridor_greening` on the same rasters: class mapping,
    terrain (slope/aspect on the 30 m DEM in EPSG:4546), the combined code raster and its
    tabulation, all tables and notes. Writing the files (maps, XLSX, GeoTIFF) is timed
    separately (``write``).

Each timed phase reports wall time and peak resident memory (``resource.getrusage``: the whole
process incl. GDAL/exactextract). Peak Python-heap memory (``tracemalloc``) comes from separate,
untimed runs (tracing slows allocation-heavy code), and writing the files from one more run.
The target is report <= 1.5 x bare: the ratio of the fastest runs and the median of the per-round
ratios are both given (the machine may be shared). Results go to ``benchmarks/results/greening.json``.

Usage::

    .venv/bin/python benchmarks/bench_greening.py [--data DIR] [--repeat 2] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RES_LC = 10.0
RES_DEM = 30.0
#: WorldCover codes and their shares in the synthetic land cover
PHASES = ("bare", "report", "bare_pieces")
CLASSES = np.array([10, 20, 30, 40, 50, 60, 80, 90], dtype=np.uint8)
SHARES = np.array([0.20, 0.08, 0.27, 0.33, 0.05, 0.04, 0.02, 0.01])


def _grid(res: float) -> tuple[object, int, int]:
    """Transform and shape of a ``res`` grid over Linfen's bounding box (EPSG:4546), km-aligned."""
    from rasterio.transform import from_origin

    import linfen_geo as lg
    from linfen_geo.crs import WORK_CRS

    b = lg.load("counties").to_crs(WORK_CRS).total_bounds
    x0, y1 = np.floor(b[0] / 1000) * 1000, np.ceil(b[3] / 1000) * 1000
    x1, y0 = np.ceil(b[2] / 1000) * 1000, np.floor(b[1] / 1000) * 1000
    return from_origin(x0, y1, res, res), round((y1 - y0) / res), round((x1 - x0) / res)


def make_data(folder: Path) -> tuple[Path, Path]:
    """Write the synthetic 10 m land cover and 30 m DEM (once; reused when present)."""
    import rasterio
    from rasterio.windows import Window

    from linfen_geo.crs import WORK_CRS

    folder.mkdir(parents=True, exist_ok=True)
    lc_path, dem_path = folder / "landcover_10m_worldcover.tif", folder / "dem_30m.tif"
    common = {"driver": "GTiff", "count": 1, "crs": WORK_CRS, "tiled": True, "blockxsize": 512, "blockysize": 512}
    if not lc_path.exists():
        t, h, w = _grid(RES_LC)
        rng = np.random.default_rng(7)
        tmp = lc_path.with_suffix(".part.tif")
        prof = {**common, "width": w, "height": h, "dtype": "uint8", "nodata": 0, "transform": t}
        with rasterio.open(tmp, "w", compress="deflate", zlevel=1, BIGTIFF="YES", **prof) as dst:
            step = 2000  # row strips: 40 MB at a time
            for r0 in range(0, h, step):
                hh = min(step, h - r0)
                # 50 m patches of one class, plus 10 % single-cell noise (WorldCover-like texture)
                patches = rng.choice(CLASSES, size=((hh + 4) // 5, (w + 4) // 5), p=SHARES)
                a = np.repeat(np.repeat(patches, 5, axis=0), 5, axis=1)[:hh, :w]
                noise = rng.random((hh, w)) < 0.10
                a[noise] = rng.choice(CLASSES, size=int(noise.sum()), p=SHARES)
                dst.write(a, 1, window=Window(0, r0, w, hh))
        os.replace(tmp, lc_path)
    if not dem_path.exists():
        t, h, w = _grid(RES_DEM)
        tmp = dem_path.with_suffix(".part.tif")
        prof = {**common, "width": w, "height": h, "dtype": "float32", "nodata": np.nan, "transform": t}
        with rasterio.open(tmp, "w", compress="deflate", predictor=3, BIGTIFF="YES", **prof) as dst:
            step = 1000
            x = t.c + (np.arange(w) + 0.5) * RES_DEM
            for r0 in range(0, h, step):
                hh = min(step, h - r0)
                y = t.f - (np.arange(r0, r0 + hh) + 0.5) * RES_DEM
                X, Y = np.meshgrid(x, y)
                z = (
                    1100
                    + 500 * np.sin(X / 9000.0) * np.cos(Y / 7000.0)
                    + 250 * np.sin(X / 2300.0 + Y / 3100.0)
                    + 120 * np.sin(X / 700.0) * np.sin(Y / 900.0)
                )
                dst.write(z.astype(np.float32), 1, window=Window(0, r0, w, hh))
        os.replace(tmp, dem_path)
    return lc_path, dem_path


def _open(path: Path, scheme: str | None = None):
    import rioxarray

    da = rioxarray.open_rasterio(path).squeeze("band", drop=True)  # lazy: windows are read on demand
    if scheme:
        da.attrs["class_scheme"] = scheme
    da.attrs["source"] = f"synthetic benchmark raster {path.name}"
    return da


def run_phase(phase: str, folder: Path, write: bool = False, trace: bool = False) -> dict:
    """One measured phase in this process (``trace``: Python-heap peak by tracemalloc, which slows
    allocation-heavy code down - so traced runs are not the timed ones)."""
    import linfen_geo as lg
    from linfen_geo.analysis.greening import corridor_greening, corridor_zones
    from linfen_geo.analysis.zonal import tabulate_classes

    cat = lg.get_catalog()
    lc_path, dem_path = folder / "landcover_10m_worldcover.tif", folder / "dem_30m.tif"
    corridors, counties = cat.load("corridors"), cat.load("counties")
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    out: dict = {"phase": phase}
    if phase == "bare":
        zones = corridor_zones(corridors, counties)
        t = tabulate_classes(_open(lc_path), zones[["atom_id", "geometry"]], zone_id="atom_id")
        out["rows"] = len(t)
        out["zones"] = len(zones)
    elif phase == "bare_pieces":  # the zones cut as the report cuts them for exactextract (10 km squares)
        from linfen_geo.analysis.greening.compute import _split

        pieces = _split(corridor_zones(corridors, counties), 1000 * RES_LC)
        t = tabulate_classes(_open(lc_path), pieces[["piece_id", "geometry"]], zone_id="piece_id")
        out["rows"] = len(t)
        out["zones"] = len(pieces)
    else:
        res = corridor_greening(
            landcover=_open(lc_path, "worldcover"),
            dem=_open(dem_path),
            corridors=corridors,
            counties=counties,
            catalog=cat,
        )
        out["greenable_ha"] = float(res.total["greenable_ha"].iloc[0])
        out["zones"] = len(res.zones)
        out["analysis_grid"] = res.meta["analysis_grid"]
        out["inner_seconds"] = res.meta["seconds"]
    out["seconds"] = time.perf_counter() - t0
    if trace:
        out["python_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    if phase == "report" and write:
        import tempfile

        tw = time.perf_counter()
        from linfen_geo.reports.greening import write_greening

        with tempfile.TemporaryDirectory() as d:
            write_greening(res, d)
        out["write_seconds"] = time.perf_counter() - tw
    out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "linfen_geo_bench")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--no-write", action="store_true", help="do not time writing the report files")
    p.add_argument("--no-trace", action="store_true", help="skip the tracemalloc (Python heap) runs")
    p.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:  # child process: one measurement, JSON on stdout
        print(json.dumps(run_phase(args.phase, args.data, args.write, args.trace)))
        return 0

    t0 = time.perf_counter()
    lc_path, dem_path = make_data(args.data)
    gen_s = time.perf_counter() - t0
    import rasterio

    with rasterio.open(lc_path) as s:
        lc_shape = (s.height, s.width)
    with rasterio.open(dem_path) as s:
        dem_shape = (s.height, s.width)

    def child(phase: str, *flags: str) -> dict:
        cmd = [sys.executable, __file__, "--phase", phase, "--data", str(args.data), *flags]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    runs: list[dict] = []
    for i in range(args.repeat):  # timed rounds, phases alternating, each in a fresh process
        for phase in PHASES:
            r = child(phase)
            r["round"] = i
            runs.append(r)
            print(f"[bench] round {i} {phase}: {r['seconds']:.2f} s, peak RSS {r['rss_peak_mb']:.0f} MB", flush=True)
    traced = {} if args.no_trace else {ph: child(ph, "--trace") for ph in PHASES}
    written = None if args.no_write else child("report", "--write")
    bare = min(r["seconds"] for r in runs if r["phase"] == "bare")
    bare_pieces = min(r["seconds"] for r in runs if r["phase"] == "bare_pieces")
    report = min(r["seconds"] for r in runs if r["phase"] == "report")
    per_round = [
        next(r["seconds"] for r in runs if r["round"] == i and r["phase"] == "report")
        / next(r["seconds"] for r in runs if r["round"] == i and r["phase"] == "bare")
        for i in range(args.repeat)
    ]
    result = {
        "benchmark": "corridor greening report vs bare exactextract tabulation of the same zones",
        "landcover": {
            "path": str(lc_path),
            "cells": lc_shape[0] * lc_shape[1],
            "shape": lc_shape,
            "resolution_m": RES_LC,
        },
        "dem": {
            "path": str(dem_path),
            "cells": dem_shape[0] * dem_shape[1],
            "shape": dem_shape,
            "resolution_m": RES_DEM,
        },
        "data_generation_seconds": gen_s,
        "bare_tabulation_seconds": bare,
        "bare_tabulation_of_cut_zones_seconds": bare_pieces,
        "report_seconds": report,
        "ratio_report_to_bare": report / bare,
        "ratio_per_round": per_round,
        "ratio_median_of_rounds": float(np.median(per_round)),
        "ratio_report_to_bare_cut_zones": report / bare_pieces,
        "target_ratio": 1.5,
        "meets_target": report / bare <= 1.5,
        "write_seconds": written["write_seconds"] if written else None,
        "peak_rss_mb": {ph: max(r["rss_peak_mb"] for r in runs if r["phase"] == ph) for ph in PHASES},
        "peak_rss_mb_report_and_write": written["rss_peak_mb"] if written else None,
        "peak_python_heap_mb": {ph: r["python_peak_mb"] for ph, r in traced.items()},
        "traced_runs": traced,
        "write_run": written,
        "runs": runs,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    (HERE / "results").mkdir(exist_ok=True)
    path = HERE / "results" / "greening.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(
        f"[bench] bare {bare:.2f} s (cut zones {bare_pieces:.2f} s), report {report:.2f} s, ratio "
        f"{report / bare:.2f} (target <= 1.5; {report / bare_pieces:.2f} against the cut zones); "
        f"median of rounds {result['ratio_median_of_rounds']:.2f}; "
        f"write {result['write_seconds'] or float('nan'):.2f} s; peak RSS bare "
        f"{result['peak_rss_mb']['bare']:.0f} MB, report {result['peak_rss_mb']['report']:.0f} MB -> {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
