"""Benchmark of the siting check: vectorised check_siting against a naive per-site overlay loop.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_siting.py            # 10,000 and 100,000 sites
    .venv/bin/python benchmarks/bench_siting.py --sizes 10000 --naive 100

Synthetic polygon sites (irregular 5-12-gons, 50-400 m across, a realistic mix of project sizes)
are scattered at random over Linfen's extent and checked against the catalog's red lines (the
layer the plan's rules R1/R6 name) with the plan's rules, distances to the nearest red line
included. The naive baseline, measured in the same run on a random subsample, does per site
what a straightforward script does: ``geopandas.overlay`` of the site with the red lines, the
overlap area, and the distance to every red line. Its time per site is extrapolated to the full
batch. Results are printed as a table and written to ``benchmarks/results/siting.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from linfen_geo.analysis.siting import check_siting, check_siting_dask, clear_piece_cache  # noqa: E402
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS  # noqa: E402
from linfen_geo.io.sites import read_sites  # noqa: E402
from linfen_geo.layer_catalog.core import get_catalog  # noqa: E402


def synthetic_sites(n: int, bounds: np.ndarray, seed: int = 20231) -> gpd.GeoDataFrame:
    """``n`` irregular polygon sites in EPSG:4326, built in WORK_CRS inside ``bounds`` (WORK_CRS)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(5, 13, n)  # vertices per site
    cx = rng.uniform(bounds[0], bounds[2], n)
    cy = rng.uniform(bounds[1], bounds[3], n)
    radius = np.exp(rng.uniform(np.log(25.0), np.log(200.0), n))
    owner = np.repeat(np.arange(n), k)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(k) - k, k)
    angle = 2 * np.pi * step / k[owner] + rng.uniform(0, 0.5, len(owner))
    r = radius[owner] * rng.uniform(0.6, 1.0, len(owner))
    x = cx[owner] + r * np.cos(angle)
    y = cy[owner] + r * np.sin(angle)
    rings = shapely.linearrings(np.column_stack([x, y]), indices=owner)
    polys = shapely.polygons(rings)
    gdf = gpd.GeoDataFrame({"site_id": np.char.add("S", np.arange(1, n + 1).astype(str))}, geometry=polys, crs=WORK_CRS)
    return gdf.to_crs(STORAGE_CRS)


def naive_per_site(sites: gpd.GeoDataFrame, redlines: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    """The straightforward loop: one overlay and one distance scan per site."""
    red_area = redlines.to_crs(AREA_CRS)[["redline_id", "geometry"]]
    red_work = redlines.to_crs(WORK_CRS)
    out = []
    for i in range(len(sites)):
        one = sites.iloc[[i]]
        inter = gpd.overlay(one.to_crs(AREA_CRS)[["site_id", "geometry"]], red_area, how="intersection")
        overlap = float(inter.area.sum())
        dist = float(red_work.distance(one.to_crs(WORK_CRS).geometry.iloc[0]).min())
        out.append((overlap, dist))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--naive", type=int, default=200, help="sites in the naive subsample")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per size (best is reported)")
    ap.add_argument("--dask", action="store_true", help="also time check_siting_dask")
    ap.add_argument("--out", default=str(HERE / "results" / "siting.json"))
    args = ap.parse_args(argv)

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    cat = get_catalog()
    redlines = cat.load("redlines")
    layers = {"redlines": redlines}
    rules = [r for r in cat.plan["siting"]["rules"] if r["layer"] == "redlines"]
    bounds = redlines.to_crs(WORK_CRS).total_bounds

    # warm-up: imports, transformer set-up, subdivision and trees (cached per layer content)
    t0 = time.perf_counter()
    clear_piece_cache()
    check_siting(synthetic_sites(10, bounds, seed=1), layers=layers, rules=rules, catalog=cat)
    prepare_s = time.perf_counter() - t0

    naive_sites = synthetic_sites(args.naive, bounds, seed=7)
    t0 = time.perf_counter()
    naive = naive_per_site(naive_sites, redlines)
    naive_per = (time.perf_counter() - t0) / args.naive
    fast_report = check_siting(naive_sites, layers=layers, rules=rules, catalog=cat)
    fast = fast_report.summary()
    overlap_fast = (
        fast_report.to_frame().groupby("site_id")["overlap_m2"].sum().reindex(fast["site_id"]).fillna(0.0).to_numpy()
    )
    naive_overlap = np.array([o for o, _ in naive])
    naive_dist = np.array([d for _, d in naive])
    agree = bool(
        np.allclose(overlap_fast, naive_overlap, rtol=1e-6, atol=1e-3)
        and np.allclose(fast["nearest_redline_m"], naive_dist, rtol=1e-9, atol=1e-6)
    )

    rows = []
    for n in args.sizes:
        raw = synthetic_sites(n, bounds)
        t_read, t_check, t_total = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sites = read_sites(raw)
            t1 = time.perf_counter()
            report = check_siting(sites, layers=layers, rules=rules, catalog=cat)
            summary = report.summary()
            t2 = time.perf_counter()
            t_read.append(t1 - t0)
            t_check.append(t2 - t1)
            t_total.append(t2 - t0)
        check, total = min(t_check), min(t_total)
        row = {
            "sites": n,
            "read_seconds": round(min(t_read), 3),
            "check_seconds": round(check, 3),
            "total_seconds": round(total, 3),
            "sites_per_second_check": round(n / check),
            "sites_per_second_total": round(n / total),
            "naive_seconds_extrapolated": round(naive_per * n, 1),
            "speedup_vs_naive_check": round(naive_per * n / check, 1),
            "speedup_vs_naive_total": round(naive_per * n / total, 1),
            "sites_with_contacts": int((summary["verdict"] != "clear").sum()),
            "prohibited": int((summary["verdict"] == "prohibited").sum()),
        }
        if args.dask:
            t0 = time.perf_counter()
            check_siting_dask(sites, layers=layers, rules=rules, catalog=cat)
            row["dask_seconds"] = round(time.perf_counter() - t0, 3)
        rows.append(row)

    pieces = report.layers.loc[0, "pieces"]
    result = {
        "what": "check_siting on synthetic polygon sites against the red lines (rules R1, R6), nearest red-line "
        "distance of every site included; read = read_sites validation of the GeoDataFrame, check = check_siting "
        "on the read sites incl. summary()",
        "layer": {
            "name": "redlines",
            "features": len(redlines),
            "pieces": int(pieces),
            "vertices": int(shapely.get_num_coordinates(redlines.geometry.values).sum()),
            "status": cat.status("redlines"),
        },
        "rules": [r["id"] for r in rules],
        "prepare_seconds_first_call": round(prepare_s, 3),
        "naive": {
            "sites": args.naive,
            "seconds_per_site": round(naive_per, 5),
            "method": "per site: geopandas.overlay(site, redlines) + area + distance to every red line",
            "agrees_with_vectorised": agree,
        },
        "runs": rows,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "geopandas": gpd.__version__,
        },
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out)

    print(
        f"red lines: {len(redlines)} polygons, {result['layer']['vertices']} vertices -> {pieces} pieces "
        f"(status {result['layer']['status']}); first call incl. subdivision {prepare_s:.2f} s"
    )
    print(f"naive loop: {naive_per * 1000:.1f} ms/site on {args.naive} sites; results agree: {agree}")
    head = (
        f"{'sites':>9} {'read s':>7} {'check s':>8} {'total s':>8} {'sites/s check':>14} {'sites/s total':>14} "
        f"{'naive s (extrap.)':>18} {'x naive (check/total)':>22}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['sites']:>9,} {r['read_seconds']:>7.2f} {r['check_seconds']:>8.2f} {r['total_seconds']:>8.2f} "
            f"{r['sites_per_second_check']:>14,} {r['sites_per_second_total']:>14,} "
            f"{r['naive_seconds_extrapolated']:>18,.0f} {r['speedup_vs_naive_check']:>11.0f}x/{r['speedup_vs_naive_total']:.0f}x"
        )
    try:
        load = os.getloadavg()
        print(f"load average before/after: {load_before[0]:.2f} / {load[0]:.2f} on {os.cpu_count()} CPUs")
        result["load_average"] = {"before": load_before[0], "after": load[0]}
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
