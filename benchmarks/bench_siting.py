"""Benchmark of the siting check: check_siting against a vectorised geopandas pipeline, PostGIS and a naive loop.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_siting.py            # 10,000 and 100,000 sites, 3 rounds
    .venv/bin/python benchmarks/bench_siting.py --sizes 10000 --naive 50 --repeat 1 --no-memory

Synthetic polygon sites (irregular 5-12-gons, 50-400 m across, a realistic mix of project sizes)
are scattered at random over Linfen's extent and checked against the catalog's red lines (the
layer the plan's rules R1/R6 name) with the plan's rules, distances to the nearest red line
included. The same sites, in the same process and the same rounds, go through

* ``check_siting`` (``read_sites`` + ``check_siting`` + ``summary()``);
* a vectorised geopandas pipeline as an experienced user writes it: ``sjoin`` (intersects, EPSG:4546)
  for the verdict, ``overlay`` (intersection, ``AREA_CRS``) for the overlap areas and
  ``sjoin_nearest`` (EPSG:4546) for the nearest red line;
* PostGIS (Debian ``postgresql`` + ``postgis`` and ``pip install "psycopg[binary]"``; skipped with a
  message without them): a private cluster in a temporary folder on a unix socket, the red lines
  ``ST_Subdivide``d to 256 vertices in EPSG:4546 and, apart, in AREA_CRS, each with a GiST index;
  the sites are stored in both CRSs; one query gives per site the verdict (``ST_Intersects``,
  ``ST_DWithin`` 500 m, in 4546), the overlap (``ST_Area(ST_Intersection(..))`` on the AREA_CRS
  pieces) and the nearest distance (KNN ``<->`` on geometry in 4546). Loading and querying are
  timed apart;
* the naive loop (per site ``geopandas.overlay`` + distance to every red line) on a random subsample,
  extrapolated.

Per site, verdicts, overlap areas (1e-6 relative, or 1 mm2) and nearest distances (1 mm) of every
baseline are compared with check_siting's. Peak memory is measured in separate fresh processes
(``ru_maxrss``; ``tracemalloc`` in further runs). Results are printed and written to
``benchmarks/results/siting.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from linfen_geo.analysis.siting import check_siting, check_siting_dask, clear_piece_cache  # noqa: E402
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS  # noqa: E402
from linfen_geo.io.sites import read_sites  # noqa: E402
from linfen_geo.layer_catalog.core import get_catalog  # noqa: E402


def synthetic_sites(n: int, bounds: np.ndarray, seed: int = 20231, area=None) -> gpd.GeoDataFrame:
    """``n`` irregular polygon sites in EPSG:4326, built in WORK_CRS inside ``bounds`` (WORK_CRS).

    With ``area`` (a WORK_CRS polygon, the study area), only centres inside it are kept, so every
    site is checked (sites that miss Linfen get the verdict ``outside``).
    """
    rng = np.random.default_rng(seed)
    k = rng.integers(5, 13, n)  # vertices per site
    if area is None:
        cx = rng.uniform(bounds[0], bounds[2], n)
        cy = rng.uniform(bounds[1], bounds[3], n)
    else:
        shapely.prepare(area)
        cx, cy = np.empty(0), np.empty(0)
        while len(cx) < n:
            x = rng.uniform(bounds[0], bounds[2], 2 * n)
            y = rng.uniform(bounds[1], bounds[3], 2 * n)
            inside = shapely.contains_xy(area, x, y)
            cx, cy = np.r_[cx, x[inside]], np.r_[cy, y[inside]]
        cx, cy = cx[:n], cy[:n]
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


# --------------------------------------------------------------------------------------------------
# what each method returns: one row per site_id with verdict, overlap_m2, nearest_m


def library_run(raw: gpd.GeoDataFrame, layers: dict, rules: list, cat) -> pd.DataFrame:
    """read_sites + check_siting + summary(), as the library's users call it."""
    sites = read_sites(raw)
    report = check_siting(sites, layers=layers, rules=rules, catalog=cat)
    summary = report.summary()
    frame = report.to_frame()
    overlap = frame.groupby("site_id")["overlap_m2"].sum()
    return pd.DataFrame(
        {
            "verdict": summary["verdict"].to_numpy(),
            "overlap_m2": overlap.reindex(summary["site_id"]).fillna(0.0).to_numpy(),
            "nearest_m": summary["nearest_redline_m"].to_numpy(dtype=float),
        },
        index=pd.Index(summary["site_id"].to_numpy(), name="site_id"),
    )


def geopandas_vectorised(raw: gpd.GeoDataFrame, redlines: gpd.GeoDataFrame, within_m: float = 500.0) -> pd.DataFrame:
    """The vectorised geopandas pipeline: sjoin (verdict), overlay (overlap, AREA_CRS), sjoin_nearest (4546)."""
    sites = raw[["site_id", "geometry"]]
    red = redlines[["redline_id", "geometry"]]
    s_work, r_work = sites.to_crs(WORK_CRS), red.to_crs(WORK_CRS)
    s_area, r_area = sites.to_crs(AREA_CRS), red.to_crs(AREA_CRS)
    hits = gpd.sjoin(s_work, r_work, how="inner", predicate="intersects")
    inter = gpd.overlay(s_area, r_area, how="intersection", keep_geom_type=True)
    overlap = inter.geometry.area.groupby(inter["site_id"].to_numpy()).sum()
    near = gpd.sjoin_nearest(s_work, r_work, how="left", distance_col="nearest_m")
    nearest = near.groupby("site_id")["nearest_m"].min()
    ids = sites["site_id"].to_numpy()
    touched = np.isin(ids, hits["site_id"].to_numpy())
    dist = nearest.reindex(ids).to_numpy()
    verdict = np.where(touched, "prohibited", np.where(dist <= within_m, "review", "clear"))
    return pd.DataFrame(
        {"verdict": verdict, "overlap_m2": overlap.reindex(ids).fillna(0.0).to_numpy(), "nearest_m": dist},
        index=pd.Index(ids, name="site_id"),
    )


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


# --------------------------------------------------------------------------------------------------
# PostGIS: a private cluster on a unix socket

AREA_SRID = 990001
PG_QUERY = """
SELECT s.id,
       CASE WHEN h.nhit > 0 THEN 'prohibited'
            WHEN EXISTS (SELECT 1 FROM red r WHERE ST_DWithin(s.geom, r.geom, %(within)s)) THEN 'review'
            ELSE 'clear' END AS verdict,
       COALESCE(o.overlap, 0) AS overlap_m2,
       n.d AS nearest_m
FROM {sites} s
CROSS JOIN LATERAL (
    SELECT count(*) AS nhit FROM red r WHERE ST_Intersects(s.geom, r.geom)
) h
CROSS JOIN LATERAL (
    SELECT sum(ST_Area(ST_Intersection(s.geom_area, a.geom))) AS overlap
    FROM red_area a WHERE h.nhit > 0 AND ST_Intersects(s.geom_area, a.geom)
) o
CROSS JOIN LATERAL (
    SELECT ST_Distance(s.geom, r.geom) AS d FROM red r ORDER BY r.geom <-> s.geom LIMIT 1
) n
ORDER BY s.id
"""


def _pg_bin() -> Path | None:
    base = Path("/usr/lib/postgresql")
    for d in sorted(
        base.glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    ):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostGIS:
    """A throw-away PostgreSQL cluster in a temporary folder, reached on a unix socket only."""

    def __init__(self) -> None:
        import psycopg  # noqa: F401  (raises ImportError when missing)

        bindir = _pg_bin()
        if bindir is None:
            raise RuntimeError("no initdb/pg_ctl found (apt-get install postgresql postgis)")
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="lg_bench_pg_"))
        self.data = self.dir / "data"
        self.sock = self.dir
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root and no 'postgres' user to run the server as") from exc
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C"])  # fmt: skip
        opts = f"-c listen_addresses='' -c unix_socket_directories='{self.sock}' -c fsync=off -c synchronous_commit=off"
        self._run(
            [str(bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"]
        )
        self.started = True
        self.conn = self.connect()
        with self.conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cur.execute(
                "SELECT postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ', PROJ ' || postgis_proj_version() || ')', version()"
            )
            self.postgis_version, self.pg_version = cur.fetchone()
            cur.execute(
                "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) VALUES (%s, 'linfen_geo', %s, %s, %s)",
                (AREA_SRID, AREA_SRID, AREA_CRS.to_wkt(), AREA_CRS.srs),  # srs: the proj string it was made from
            )
            cur.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'max_parallel_workers_per_gather', "
                "'shared_buffers', 'work_mem', 'fsync')"
            )
            self.settings = dict(cur.fetchall())

    def _run(self, cmd: list[str]) -> None:
        res = subprocess.run(self.prefix + cmd, capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(f"{' '.join(cmd[:1])} failed: {res.stderr.strip() or res.stdout.strip()}")

    def connect(self):
        import psycopg

        return psycopg.connect(host=str(self.sock), dbname="postgres", user="postgres", autocommit=True)

    def _copy_wkb(self, cur, table: str, ids, geoms) -> None:
        cur.execute(f"DROP TABLE IF EXISTS {table}_in")
        cur.execute(f"CREATE UNLOGGED TABLE {table}_in (id text, wkb bytea)")
        with cur.copy(f"COPY {table}_in (id, wkb) FROM STDIN") as cp:
            for i, w in zip(ids, shapely.to_wkb(np.asarray(geoms, dtype=object)), strict=False):
                cp.write_row((str(i), w))

    def load_redlines(self, redlines: gpd.GeoDataFrame, max_vertices: int = 256) -> float:
        """The red lines in EPSG:4546, ST_Subdivide'd, GiST-indexed; returns seconds."""
        t0 = time.perf_counter()
        with self.conn.cursor() as cur:
            self._copy_wkb(cur, "red", redlines["redline_id"], redlines.geometry.values)
            cur.execute("DROP TABLE IF EXISTS red")
            cur.execute(
                "CREATE TABLE red AS SELECT id, ST_Subdivide(ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), 4326), 4546), %s) "
                "AS geom FROM red_in",
                (max_vertices,),
            )
            cur.execute("CREATE INDEX red_gix ON red USING gist (geom)")
            cur.execute("ANALYZE red")
            # areas in AREA_CRS, on pieces cut there (pieces cut in 4546 and transformed do not tile AREA_CRS)
            cur.execute("DROP TABLE IF EXISTS red_area")
            cur.execute(
                f"CREATE TABLE red_area AS SELECT id, ST_Subdivide(ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), 4326), "
                f"{AREA_SRID}), %s) AS geom FROM red_in",
                (max_vertices,),
            )
            cur.execute("CREATE INDEX red_area_gix ON red_area USING gist (geom)")
            cur.execute("ANALYZE red_area")
            cur.execute("SELECT count(*), sum(ST_NPoints(geom)) FROM red")
            self.red_pieces, self.red_vertices = cur.fetchone()
        return time.perf_counter() - t0

    def load_sites(self, raw: gpd.GeoDataFrame, table: str) -> float:
        """The sites (EPSG:4326 WKB) into ``table`` in EPSG:4546; returns seconds."""
        t0 = time.perf_counter()
        with self.conn.cursor() as cur:
            self._copy_wkb(cur, table, raw["site_id"], raw.geometry.values)
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(
                f"CREATE TABLE {table} AS SELECT id, ST_Transform(g, 4546) AS geom, ST_Transform(g, {AREA_SRID}) "
                f"AS geom_area FROM (SELECT id, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) AS g FROM {table}_in) t"
            )
            cur.execute(f"DROP TABLE {table}_in")
            cur.execute(f"ANALYZE {table}")
        return time.perf_counter() - t0

    def query(self, table: str, within_m: float = 500.0, conn=None) -> pd.DataFrame:
        with (conn or self.conn).cursor() as cur:
            cur.execute(PG_QUERY.format(sites=table, area_srid=AREA_SRID), {"within": within_m})
            rows = cur.fetchall()
        df = pd.DataFrame(rows, columns=["site_id", "verdict", "overlap_m2", "nearest_m"]).set_index("site_id")
        return df.astype({"overlap_m2": float, "nearest_m": float})

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        if getattr(self, "started", False):
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def _proc_kib(field: str, pid: int | str = "self") -> int | None:
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM), None where there is none."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------------------------------
# agreement


def compare(ref: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Per-site agreement of ``other`` with ``ref`` (check_siting): verdicts, overlaps, nearest distances."""
    o = other.reindex(ref.index)
    a, b = ref["overlap_m2"].to_numpy(float), o["overlap_m2"].to_numpy(float)
    dov = np.abs(a - b)
    scale = np.maximum(np.abs(a), np.abs(b))
    ov_ok = (dov <= 1e-6 * scale) | (dov <= 1e-6)  # 1e-6 relative, or 1 mm2 absolute (touch-only slivers)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 1.0, dov / scale, 0.0)
    dd = np.abs(ref["nearest_m"].to_numpy(float) - o["nearest_m"].to_numpy(float))
    dd = np.where(np.isnan(dd), np.inf, dd)
    d_ok = dd <= 1e-3
    v_ok = ref["verdict"].to_numpy() == o["verdict"].to_numpy()
    bad = ~(ov_ok & d_ok & v_ok)
    return {
        "sites": len(ref),
        "agree": bool(not bad.any()),
        "verdict_mismatches": int((~v_ok).sum()),
        "overlap_mismatches": int((~ov_ok).sum()),
        "distance_mismatches": int((~d_ok).sum()),
        "worst_overlap_rel_diff": float(rel.max()) if len(rel) else 0.0,
        "worst_overlap_abs_diff_m2": float(dov.max()) if len(dov) else 0.0,
        "worst_nearest_diff_m": float(dd.max()) if len(dd) else 0.0,
        "examples": ref.index[bad][:5].tolist(),
    }


# --------------------------------------------------------------------------------------------------
# memory, in fresh processes


def _setup():
    cat = get_catalog()
    redlines = cat.load("redlines")
    rules = [r for r in cat.plan["siting"]["rules"] if r["layer"] == "redlines"]
    area = gpd.GeoSeries([cat.study_area()], crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]
    return cat, redlines, {"redlines": redlines}, rules, (area.bounds, area)


def child_memory(method: str, n: int, trace: bool, pg_sock: str | None) -> dict:
    """One run of ``method`` on ``n`` sites in this (fresh) process: peak RSS and its increase, or tracemalloc peak."""
    cat, redlines, layers, rules, (bounds, area) = _setup()
    raw = synthetic_sites(n, bounds, area=area)
    out: dict = {"method": method, "sites": n}
    conn = None
    if method == "postgis":
        import psycopg

        conn = psycopg.connect(host=pg_sock, dbname="postgres", user="postgres", autocommit=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
    rss0 = _proc_kib("VmRSS")
    try:  # reset the peak (VmHWM) to the current RSS, so the peak below is this run's
        Path("/proc/self/clear_refs").write_text("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    if method == "check_siting":
        library_run(raw, layers, rules, cat)
    elif method == "geopandas":
        geopandas_vectorised(raw, redlines)
    elif method == "postgis":
        pg = PostGIS.__new__(PostGIS)  # only the query method is used
        pg.query(f"sites_{n}", conn=conn)
    out["seconds"] = time.perf_counter() - t0
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        hwm = _proc_kib("VmHWM") if hwm_reset else None
        if hwm is None:  # no /proc: ru_maxrss (on Linux it keeps the parent's peak across exec: not used there)
            out["peak_rss_mb"] = maxrss / 1024
        out["rss_before_mb"] = rss0 / 1024 if rss0 is not None else None
        out["run_peak_rss_mb"] = hwm / 1024 if hwm is not None else None  # VmHWM after the reset: this run's peak
        out["rss_increase_mb"] = (hwm - rss0) / 1024 if hwm is not None and rss0 is not None else None
        if method == "postgis":
            hwm = _vm_hwm_kib(backend)
            out["backend_peak_rss_mb"] = hwm / 1024 if hwm is not None else None
    if conn is not None:
        conn.close()
    return out


def measure_memory(sizes: list[int], methods: list[str], pg_sock: str | None) -> list[dict]:
    rows = []
    for n in sizes:
        for m in methods:
            row: dict = {"method": m, "sites": n}
            for trace in (False, True):
                if trace and m == "postgis":
                    continue  # the work is in the server process
                cmd = [sys.executable, __file__, "--child", m, "--child-n", str(n)]
                if trace:
                    cmd.append("--child-trace")
                if pg_sock:
                    cmd += ["--pg-sock", pg_sock]
                res = subprocess.run(cmd, capture_output=True, text=True)
                if res.returncode:
                    row["error"] = res.stderr.strip().splitlines()[-1:]
                    break
                row.update({k: v for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items() if k != "seconds"})
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------


def _stats(xs: list[float]) -> dict:
    return {"best": round(min(xs), 4), "median": round(statistics.median(xs), 4), "all": [round(x, 4) for x in xs]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--naive", type=int, default=200, help="sites in the naive subsample")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds per size (best and median reported)")
    ap.add_argument("--dask", action="store_true", help="also time check_siting_dask")
    ap.add_argument("--no-postgis", action="store_true", help="skip the PostGIS baseline")
    ap.add_argument("--no-geopandas", action="store_true", help="skip the vectorised geopandas baseline")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs (fresh processes)")
    ap.add_argument("--out", default=str(HERE / "results" / "siting.json"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-trace", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--pg-sock", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child_memory(args.child, args.child_n, args.child_trace, args.pg_sock)))
        return 0

    load_before = os.getloadavg()
    cat, redlines, layers, rules, (bounds, area) = _setup()

    # warm-up: imports, transformer set-up, subdivision and trees (cached per layer content)
    t0 = time.perf_counter()
    clear_piece_cache()
    check_siting(synthetic_sites(10, bounds, seed=1, area=area), layers=layers, rules=rules, catalog=cat)
    prepare_s = time.perf_counter() - t0
    if not args.no_geopandas:
        geopandas_vectorised(synthetic_sites(10, bounds, seed=1, area=area), redlines)

    naive_info = None
    if args.naive:
        naive_sites = synthetic_sites(args.naive, bounds, seed=7, area=area)
        t0 = time.perf_counter()
        naive = naive_per_site(naive_sites, redlines)
        naive_per = (time.perf_counter() - t0) / args.naive
        ref = library_run(naive_sites, layers, rules, cat)
        naive_df = pd.DataFrame(
            {
                "verdict": ref["verdict"].to_numpy(),
                "overlap_m2": [o for o, _ in naive],
                "nearest_m": [d for _, d in naive],
            },
            index=ref.index,
        )
        naive_info = {
            "sites": args.naive,
            "seconds_per_site": round(naive_per, 5),
            "method": "per site: geopandas.overlay(site, redlines) + area + distance to every red line",
            "agreement_with_check_siting": compare(ref, naive_df),  # verdicts not computed by the loop
        }

    pg = None
    pg_info: dict = {}
    if not args.no_postgis:
        try:
            pg = PostGIS()
            pg_info = {
                "postgis": pg.postgis_version,
                "postgresql": pg.pg_version,
                "settings": pg.settings,
                "load_redlines_seconds": round(pg.load_redlines(redlines), 3),
            }
            pg_info.update({"pieces": pg.red_pieces, "vertices": int(pg.red_vertices)})
            pg.query_sites = None
        except Exception as exc:
            print(f"PostGIS baseline skipped: {type(exc).__name__}: {exc}")
            pg_info = {"skipped": f"{type(exc).__name__}: {exc}"}
            if pg is not None:
                pg.close()
            pg = None

    rows = []
    try:
        for n in args.sizes:
            raw = synthetic_sites(n, bounds, area=area)
            row: dict = {"sites": n}
            times: dict[str, list[float]] = {"check_siting": [], "geopandas": [], "postgis_query": []}
            if pg is not None:
                row["postgis_load_sites_seconds"] = round(pg.load_sites(raw, f"sites_{n}"), 3)
            results: dict[str, pd.DataFrame] = {}
            for _ in range(args.repeat):  # alternate the methods within a round: they share the load
                t0 = time.perf_counter()
                results["check_siting"] = library_run(raw, layers, rules, cat)
                times["check_siting"].append(time.perf_counter() - t0)
                if not args.no_geopandas:
                    t0 = time.perf_counter()
                    results["geopandas"] = geopandas_vectorised(raw, redlines)
                    times["geopandas"].append(time.perf_counter() - t0)
                if pg is not None:
                    t0 = time.perf_counter()
                    results["postgis"] = pg.query(f"sites_{n}")
                    times["postgis_query"].append(time.perf_counter() - t0)
            ref = results["check_siting"]
            row["seconds"] = {k: _stats(v) for k, v in times.items() if v}
            lib_best = min(times["check_siting"])
            lib_med = statistics.median(times["check_siting"])
            row["sites_per_second"] = {k: round(n / min(v)) for k, v in times.items() if v}
            ratios: dict = {}
            for k, v in times.items():
                if k != "check_siting" and v:
                    ratios[f"{k}_over_check_siting_best"] = round(min(v) / lib_best, 2)
                    ratios[f"{k}_over_check_siting_median"] = round(statistics.median(v) / lib_med, 2)
            if pg is not None:
                load_q = row["postgis_load_sites_seconds"] + min(times["postgis_query"])
                row["seconds"]["postgis_load_sites_plus_query_best"] = round(load_q, 4)
                ratios["postgis_load_sites_plus_query_over_check_siting_best"] = round(load_q / lib_best, 2)
            if naive_info:
                row["naive_seconds_extrapolated"] = round(naive_info["seconds_per_site"] * n, 1)
                ratios["naive_over_check_siting_best"] = round(naive_info["seconds_per_site"] * n / lib_best, 1)
            row["ratios"] = ratios
            row["agreement"] = {k: compare(ref, v) for k, v in results.items() if k != "check_siting"}
            if "geopandas" in results and "postgis" in results:
                row["agreement"]["postgis_vs_geopandas"] = compare(results["geopandas"], results["postgis"])
            row["verdicts"] = ref["verdict"].value_counts().to_dict()
            if args.dask:
                t0 = time.perf_counter()
                check_siting_dask(read_sites(raw), layers=layers, rules=rules, catalog=cat)
                row["seconds"]["dask"] = round(time.perf_counter() - t0, 3)
            rows.append(row)
            print(f"{n:,} sites done: {json.dumps(row['seconds'])}", flush=True)
        load_after_timing = os.getloadavg()
        memory = []
        if not args.no_memory:
            methods = ["check_siting"] + ([] if args.no_geopandas else ["geopandas"]) + (["postgis"] if pg else [])
            memory = measure_memory(args.sizes, methods, str(pg.sock) if pg else None)
    finally:
        if pg is not None:
            pg.close()

    pieces = check_siting(
        synthetic_sites(10, bounds, seed=1, area=area), layers=layers, rules=rules, catalog=cat
    ).layers.loc[0, "pieces"]
    result = {
        "what": "per site verdict (R1 intersects -> prohibited, R6 within 500 m -> review), overlap m2 (AREA_CRS) and "
        "nearest red-line distance (EPSG:4546) for synthetic polygon sites. check_siting = read_sites + check_siting + "
        "summary() + to_frame() from the EPSG:4326 GeoDataFrame; geopandas = to_crs + sjoin + overlay + sjoin_nearest "
        "from the same frame; postgis_query = the one SELECT on sites already loaded and transformed to 4546 "
        "(postgis_load_sites_seconds apart). Times are seconds per round; ratios are baseline time / check_siting time "
        "(> 1: check_siting faster).",
        "layer": {
            "name": "redlines",
            "features": len(redlines),
            "pieces": int(pieces),
            "vertices": int(shapely.get_num_coordinates(redlines.geometry.values).sum()),
            "status": cat.status("redlines"),
        },
        "rules": [r["id"] for r in rules],
        "prepare_seconds_first_call": round(prepare_s, 3),
        "naive": naive_info,
        "postgis": pg_info,
        "runs": rows,
        "memory": memory,
        "memory_note": "fresh process per method and size, after the catalog, red lines and sites are in memory: "
        "run_peak_rss_mb = VmHWM reset (clear_refs 5) just "
        "before the run; rss_increase_mb = run peak - RSS before the run; tracemalloc_peak_mb in a "
        "separate run (Python and numpy allocations only, not GEOS's); PostGIS: the client's and the server "
        "backend's VmHWM (parallel workers not counted)",
        "load_average": {"before": load_before, "after_timing": load_after_timing, "after": os.getloadavg()},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "geopandas": gpd.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "pyproj": pyproj.__version__,
            "proj": pyproj.proj_version_str,
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, out)

    lay = result["layer"]
    print(f"red lines: {lay['features']} polygons, {lay['vertices']} vertices -> {pieces} pieces (status {lay['status']}); "
          f"first call incl. subdivision {prepare_s:.2f} s")  # fmt: skip
    if naive_info:
        ag = naive_info["agreement_with_check_siting"]
        print(f"naive loop: {naive_info['seconds_per_site'] * 1000:.1f} ms/site on {args.naive} sites; overlaps and "
              f"distances agree: {ag['overlap_mismatches'] == 0 and ag['distance_mismatches'] == 0}")  # fmt: skip
    if pg_info.get("skipped"):
        print(f"PostGIS: skipped ({pg_info['skipped']})")
    elif pg_info:
        print(f"PostGIS {pg_info['postgis']}: red lines -> {pg_info['pieces']} "
              f"pieces (256 vertices) loaded in {pg_info['load_redlines_seconds']:.2f} s")  # fmt: skip
    print(
        f"{'sites':>8} {'method':<14} {'best s':>8} {'median s':>9} {'sites/s':>9} {'x check_siting (best/median)':>29}"
    )
    for r in rows:
        for k, v in r["seconds"].items():
            if not isinstance(v, dict):
                continue
            name = k.replace("_query", " query")
            rb = r["ratios"].get(f"{k}_over_check_siting_best")
            rm = r["ratios"].get(f"{k}_over_check_siting_median")
            rat = f"{rb:.2f} / {rm:.2f}" if rb is not None else "1"
            print(
                f"{r['sites']:>8,} {name:<14} {v['best']:>8.3f} {v['median']:>9.3f} {round(r['sites'] / v['best']):>9,} {rat:>29}"
            )
        if "postgis_load_sites_seconds" in r:
            print(f"{'':>8} postgis load sites {r['postgis_load_sites_seconds']:.3f} s; load + query "
                  f"{r['seconds']['postgis_load_sites_plus_query_best']:.3f} s "
                  f"({r['ratios']['postgis_load_sites_plus_query_over_check_siting_best']:.2f} x check_siting)")  # fmt: skip
        if "naive_seconds_extrapolated" in r:
            print(f"{'':>8} naive loop (extrapolated) {r['naive_seconds_extrapolated']:,.0f} s "
                  f"({r['ratios']['naive_over_check_siting_best']:.0f} x check_siting)")  # fmt: skip
        for k, ag in r["agreement"].items():
            print(f"{'':>8} {k} agrees{'' if '_vs_' in k else ' with check_siting'}: {ag['agree']} (verdicts differ {ag['verdict_mismatches']}, "
                  f"overlaps {ag['overlap_mismatches']}, distances {ag['distance_mismatches']}; worst overlap "
                  f"{ag['worst_overlap_rel_diff']:.1e} rel / {ag['worst_overlap_abs_diff_m2']:.2e} m2, worst distance "
                  f"{ag['worst_nearest_diff_m'] * 1000:.3g} mm)")  # fmt: skip
    for m in memory:
        print(f"memory {m['method']:<13} {m['sites']:>8,} sites: " + ", ".join(
            f"{k} {v:.0f}" for k, v in m.items() if k.endswith("_mb") and v is not None) + (f" {m['error']}" if "error" in m else ""))  # fmt: skip
    print(f"load average (1 min) before / after timing / end: {load_before[0]:.2f} / {load_after_timing[0]:.2f} / "
          f"{result['load_average']['after'][0]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
