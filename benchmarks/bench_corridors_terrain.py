"""Benchmark of the terrain corridors (to the first ridge line) on a 30 m DEM of the city's size.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_corridors_terrain.py              # 30 m, the whole city
    .venv/bin/python benchmarks/bench_corridors_terrain.py --cell 60    # a quicker, coarser run

The DEM is synthetic but shaped like Linfen: the shipped 1 km DEM resampled to ``--cell`` metres
in EPSG:4546 over the city's extent, plus fractal detail (spectral synthesis, power ~ k^-3,
wavelengths under 3 km, standard deviation ``--detail`` m, scaled down where the 1 km DEM's
relief within 5 km is under 400 m, so the Fen basin stays flat) standing in for the gullies a real
30 m DEM shows; cells farther than 5 km outside the city are nodata. The four corridor roads are
the catalog's (illustrative alignments along the real valleys). The plan's ``[corridor_terrain]``
rules apply, routed at the DEM's cell size.

Stages timed (seconds, wall clock): ``stretches`` (relief and slope windows, plain/mountain
segmentation of the four roads), ``fill`` (pit and depression filling with D8 directions,
priority flood), ``flowdir`` (downstream-to-upstream order of the flow network), ``catchment``
(drainage to the road cells, four corridors), ``vectorise`` (polygons, cap, plain buffers,
dissolve, clip, widths). numba's one-off compilation is done by a warm-up run on a small grid
first and reported separately. Results are printed as a table and written to
``benchmarks/results/corridors_terrain.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from linfen_geo.crs import AREA_CRS, WORK_CRS  # noqa: E402
from linfen_geo.grid import to_work_grid  # noqa: E402
from linfen_geo.layer_catalog.core import get_catalog  # noqa: E402
from linfen_geo.layers.corridors_terrain import terrain_corridors, terrain_rules  # noqa: E402

STAGES = ("stretches", "fill", "flowdir", "catchment", "vectorise")


def fractal_detail(shape: tuple[int, int], cell: float, std_m: float, seed: int = 4) -> np.ndarray:
    """Zero-mean fractal noise (power ~ k^-3) with wavelengths under 3 km, scaled to ``std_m``."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(shape, dtype=np.float32)
    spec = np.fft.rfft2(white)
    del white
    ky = np.fft.fftfreq(shape[0], d=cell).astype(np.float32)[:, None]
    kx = np.fft.rfftfreq(shape[1], d=cell).astype(np.float32)[None, :]
    k = np.sqrt(kx**2 + ky**2)
    k[0, 0] = 1.0
    gain = np.where(k > 1 / 3000.0, k**-1.5, 0.0).astype(np.float32)
    del k
    spec *= gain
    del gain
    out = np.fft.irfft2(spec, s=shape).astype(np.float32)
    del spec
    out *= std_m / out.std()
    return out


def synthetic_dem(cell: float, detail_m: float, catalog) -> tuple:
    """The city-shaped synthetic DEM (EPSG:4546, ``cell`` m) and the number of valid cells."""
    import rasterio.features
    from rasterio.enums import Resampling

    from linfen_geo.terrain import local_relief

    counties = catalog.load("counties").to_crs(WORK_CRS)
    city = counties.union_all()
    area = city.buffer(5000)
    bounds = np.asarray(area.bounds)
    base = to_work_grid(catalog.load("dem"), cell, bounds=tuple(bounds))
    z = base.values
    inside = rasterio.features.rasterize(
        [(area, 1)], out_shape=z.shape, transform=base.rio.transform(), fill=0, dtype="uint8"
    ).astype(bool)
    # detail where the land is hilly: scaled by the 1 km DEM's relief within 5 km (the Fen basin stays flat)
    coarse = to_work_grid(catalog.load("dem"), 1000, bounds=tuple(bounds))
    relief = local_relief(coarse, 5000).rio.reproject_match(base, resampling=Resampling.bilinear).values
    z += fractal_detail(z.shape, cell, detail_m) * np.clip(np.nan_to_num(relief) / 400.0, 0.05, 1.0)
    z[~inside] = np.nan
    return base.copy(data=z), int(np.isfinite(z).sum())


def warm_up(rules: dict) -> float:
    """Compile numba's functions on a small grid (cached on disk after the first run)."""
    import geopandas as gpd
    import xarray as xr
    from shapely.geometry import LineString

    t0 = time.perf_counter()
    x = 500_000 + np.arange(80) * 100.0
    y = 4_000_000 - np.arange(80) * 100.0
    z = 800 + 300 * np.abs(np.sin((x[None, :] - x.mean()) / 900)) + 0.01 * y[:, None]
    dem = xr.DataArray(z.astype("float32"), dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(WORK_CRS)
    road = gpd.GeoDataFrame(
        {"corridor_id": ["W"]}, geometry=[LineString([(x.mean(), y[5]), (x.mean(), y[-5])])], crs=WORK_CRS
    )
    terrain_corridors(road, dem, {**rules, "min_stretch_m": 0})
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", type=float, default=30.0, help="DEM cell size in metres (default 30)")
    p.add_argument("--detail", type=float, default=40.0, help="std of the fractal detail in metres (default 40)")
    p.add_argument("--out", default=str(HERE / "results" / "corridors_terrain.json"))
    args = p.parse_args(argv)

    cat = get_catalog()
    rules = {**terrain_rules(cat.plan), "resolution_m": args.cell}
    jit = warm_up(rules)
    t0 = time.perf_counter()
    dem, valid = synthetic_dem(args.cell, args.detail, cat)
    gen = time.perf_counter() - t0
    roads = cat.load("corridor_roads").to_crs(WORK_CRS)
    city = cat.load("counties").to_crs(WORK_CRS).union_all()
    print(
        f"synthetic DEM: {dem.shape[0]} x {dem.shape[1]} cells of {args.cell:g} m, {valid / 1e6:.1f} M valid ({gen:.1f} s)"
    )

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    corridors, stretches = terrain_corridors(roads, dem, rules, city=city, timings=timings)
    total = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    corridors["area_km2"] = corridors.to_crs(AREA_CRS).area / 1e6
    print(f"\n{'stage':<12}{'seconds':>10}{'share':>8}")
    for stage in STAGES:
        print(f"{stage:<12}{timings.get(stage, 0.0):>10.2f}{timings.get(stage, 0.0) / total:>8.0%}")
    print(f"{'total':<12}{total:>10.2f}")
    print(f"(numba warm-up {jit:.1f} s, DEM synthesis {gen:.1f} s, peak memory {peak_gb:.1f} GB)\n")
    cols = ["corridor_id", "length_km", "plain_km", "mountain_km", "mean_width_m", "max_width_m", "area_km2"]
    print(corridors[cols].round(1).to_string(index=False))

    result = {
        "what": "terrain corridors (first ridge line) of the four corridor roads on a synthetic city-sized DEM",
        "dem": {
            "cell_m": args.cell,
            "shape": list(dem.shape),
            "cells": int(dem.size),
            "valid_cells": valid,
            "crs": "EPSG:4546",
            "terrain": f"shipped 1 km DEM resampled + fractal detail (std {args.detail:g} m, wavelengths < 3 km)",
        },
        "rules": dict(rules),
        "seconds": {stage: round(timings.get(stage, 0.0), 2) for stage in STAGES} | {"total": round(total, 2)},
        "numba_warm_up_seconds": round(jit, 1),
        "dem_synthesis_seconds": round(gen, 1),
        "peak_memory_gb": round(peak_gb, 2),
        "corridors": corridors[cols].round(2).to_dict("records"),
        "stretches": len(stretches),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
