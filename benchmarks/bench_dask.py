"""Benchmark of the partitioned siting path: check_siting_dask against check_siting on 1,000,000 sites.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_dask.py                      # 1,000,000 sites (about 6 min)
    .venv/bin/python benchmarks/bench_dask.py --sites 200000 --partitions 8

The same synthetic polygon sites as ``bench_siting.py`` (irregular 5-12-gons, 50-400 m across, inside
Linfen; seed 20231) are checked against the catalog's red lines with the plan's red-line rules, every
method in its own fresh process, one after the other:

* ``single``: ``check_siting`` (one process; GEOS work in threads where it pays);
* ``dask_threads``: ``check_siting_dask`` with dask's threaded scheduler;
* ``dask_distributed``: ``check_siting_dask`` on a ``dask.distributed.LocalCluster`` of worker
  processes (2 workers x 1 thread here), the layers scattered to the workers once.

Each run is timed from the GeoDataFrame in memory to ``summary()`` (reading and normalising the
sites, the spatial shuffle, the checks and the report). The peak memory of the run is the process's
VmHWM after a reset just before it (the caller's process; and for the cluster, each worker's peak).
The spatial partitioning alone is timed apart in the threaded run, both as check_siting_dask does
it (``hilbert_partitions``: Hilbert order of the sites in memory) and through dask's shuffle
(``from_geopandas`` + ``spatial_shuffle(by="hilbert")`` + ``persist``), which it used before. Every method's per-site summary (verdict, overlap, nearest
distance, conflict-free area) must equal ``single``'s exactly; the script says whether it does.
Results in ``benchmarks/results/dask.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

COLUMNS = ["site_id", "verdict", "area_m2", "n_contacts", "nearest_redline_m", "conflict_free_m2"]


def _hwm_reset() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child(method: str, n: int, partitions: int, out: str) -> dict:
    """One method on ``n`` sites in this fresh process; writes the summary to ``out`` (parquet)."""
    import numpy as np
    from bench_siting import _proc_kib, _setup, synthetic_sites

    from linfen_geo.analysis.siting import check_siting, check_siting_dask

    cat, _redlines, layers, rules, (bounds, area) = _setup()
    raw = synthetic_sites(n, bounds, area=area)
    check_siting(raw.iloc[:10], layers=layers, rules=rules, catalog=cat)  # warm: subdivision, trees, imports
    res: dict = {"method": method, "sites": n}
    cluster = client = None
    if method == "dask_distributed":
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        res["workers"] = "2 processes x 1 thread"
    if method == "dask_threads":  # the spatial partitioning alone: in memory (used) and through dask's shuffle
        import dask
        import dask_geopandas
        import geopandas as gpd

        from linfen_geo.analysis.siting.partitioned import hilbert_partitions

        t0 = time.perf_counter()
        hilbert_partitions(np.asarray(raw.geometry.values, dtype=object), partitions)
        res["hilbert_partitions_seconds"] = round(time.perf_counter() - t0, 2)
        frame = gpd.GeoDataFrame({"_order": np.arange(n)}, geometry=raw.geometry.values, crs=raw.crs)
        t0 = time.perf_counter()
        ddf = dask_geopandas.from_geopandas(frame, npartitions=partitions)
        ddf.spatial_shuffle(by="hilbert", npartitions=partitions, calculate_partitions=False).persist(
            scheduler="threads"
        )
        res["dask_spatial_shuffle_seconds"] = round(time.perf_counter() - t0, 2)
        del ddf, frame
        dask.config.set(scheduler="threads")
    rss0 = _proc_kib("VmRSS")
    reset = _hwm_reset()
    t0 = time.perf_counter()
    if method == "single":
        report = check_siting(raw, layers=layers, rules=rules, catalog=cat)
    else:
        report = check_siting_dask(raw, layers=layers, rules=rules, catalog=cat, npartitions=partitions)
    summary = report.summary()
    res["seconds"] = round(time.perf_counter() - t0, 2)
    hwm = _proc_kib("VmHWM") if reset else None
    res["rss_before_mb"] = round(rss0 / 1024) if rss0 else None
    res["run_peak_rss_mb"] = round(hwm / 1024) if hwm else None
    res["rss_increase_mb"] = round((hwm - rss0) / 1024) if hwm and rss0 else None
    if client is not None:
        import resource

        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        res["worker_peak_rss_mb"] = sorted(round(v) for v in peaks.values())
        client.close()
        cluster.close()
    summary[COLUMNS].to_parquet(out)
    res["verdicts"] = summary["verdict"].value_counts().to_dict()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--methods", nargs="+", default=["single", "dask_threads", "dask_distributed"])
    ap.add_argument("--out", default=str(HERE / "results" / "dask.json"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.sites, args.partitions, args.child_out)))
        return 0

    import pandas as pd

    load_before = os.getloadavg()
    runs, frames = [], {}
    with tempfile.TemporaryDirectory(prefix="lg_bench_dask_") as tmp:
        for m in args.methods:
            path = str(Path(tmp) / f"{m}.parquet")
            cmd = [sys.executable, __file__, "--child", m, "--child-out", path, "--sites", str(args.sites),
                   "--partitions", str(args.partitions)]  # fmt: skip
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode:
                print(f"{m} failed: {p.stderr.strip().splitlines()[-1:]}")
                runs.append({"method": m, "error": p.stderr.strip().splitlines()[-3:]})
                continue
            row = json.loads(p.stdout.strip().splitlines()[-1])
            row["process_wall_seconds"] = round(time.perf_counter() - t0, 1)
            runs.append(row)
            frames[m] = pd.read_parquet(path)
            print(f"{m:<18} {row['seconds']:>7.2f} s   peak {row['run_peak_rss_mb']} MB", flush=True)
    base = frames.get("single")
    for row in runs:
        if base is not None and row["method"] in frames and row["method"] != "single":
            other = frames[row["method"]]
            row["identical_to_single"] = bool(base.equals(other))
            row["over_single"] = round(row["seconds"] / next(r["seconds"] for r in runs if r["method"] == "single"), 2)
    load_after = os.getloadavg()
    result = {
        "what": "check_siting vs check_siting_dask on synthetic polygon sites vs the red lines (rules R1, R6), "
        "each in a fresh process; seconds from the GeoDataFrame in memory to summary(); memory: the run's "
        "peak RSS (VmHWM reset before it) and its increase over the RSS before",
        "sites": args.sites,
        "partitions": args.partitions,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_1min_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmpf = out.with_suffix(".tmp")
    tmpf.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmpf, out)
    for row in runs:
        if "seconds" in row:
            extra = (
                f"  x{row['over_single']} of single, identical: {row['identical_to_single']}"
                if "over_single" in row
                else ""
            )
            print(f"{row['method']:<18} {row['seconds']:>7.2f} s  +{row['rss_increase_mb']} MB over {row['rss_before_mb']} MB"
                  f"{'  workers ' + str(row['worker_peak_rss_mb']) + ' MB' if 'worker_peak_rss_mb' in row else ''}{extra}")  # fmt: skip
    print(f"load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
