"""An adversarial sweep: bad or odd inputs as a careless or hurried user gives them (issue 12).

Each case builds its files in a fresh folder, runs one CLI command (or one API call) in a forked
child with a timeout, and is classified as

``error``      exit 2 with exactly one stderr line (API: a LinfenGeoError with a one-line message)
``correct``    the expected answer (checked by the case)
``traceback``  a traceback on stderr, exit 3 (internal error) or an API exception of another type
``wrong``      an answer where an error was due, a wrong answer, or a valid input refused
``clobbered``  a file the case protects (the user's) changed
``hang``       no result within the timeout

Run ``python tests/adversarial.py`` for the counts; ``tests/test_adversarial.py`` asserts that
no case ends in the last four. Build cache: a private copy of ``LINFEN_GEO_CACHE`` per case.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
RASTERS = REPO / "data" / "rasters"
X0, Y0 = 505_000.0, 3_995_000.0  # near 临汾 city in EPSG:4546


@dataclass
class Spec:
    """What a case runs and how its outcome is judged."""

    argv: list[str] | None = None
    expect: str = "error"  # or "correct"
    check: Callable[[Any], bool] | None = None  # on (rc, stdout, stderr) or the API result
    call: Callable[[], Any] | None = None
    protect: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    family: str
    name: str
    build: Callable[[Path], Spec]


CASES: list[Case] = []


def case(family: str, name: str) -> Callable[[Callable[[Path], Spec]], Callable[[Path], Spec]]:
    def deco(fn: Callable[[Path], Spec]) -> Callable[[Path], Spec]:
        CASES.append(Case(family, name, fn))
        return fn

    return deco


# --------------------------------------------------------------------------- helpers building inputs
def _gdf(geoms: list[Any], crs: Any, **cols: list[Any]) -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame(dict(cols), geometry=geoms, crs=crs)


def _box(dx: float = 0.0, dy: float = 0.0, w: float = 300.0) -> Any:
    from shapely.geometry import box

    return box(X0 + dx, Y0 + dy, X0 + dx + w, Y0 + dy + w)


def _red(d: Path, crs: Any = 4546, geoms: list[Any] | None = None, name: str = "red.gpkg") -> Path:
    geoms = geoms or [_box(2000, 0, 1000)]
    path = d / name
    _gdf(geoms, crs, redline_id=[f"R{i}" for i in range(len(geoms))], name=["测试"] * len(geoms)).to_file(path)
    return path


def _config(d: Path, text: str) -> dict[str, str]:
    (d / "linfen_geo.toml").write_text(text, encoding="utf-8")
    return {"LINFEN_GEO_CONFIG": str(d / "linfen_geo.toml")}


def _sites(d: Path, crs: Any = 4546, name: str = "sites.gpkg", dx: float = 0.0) -> Path:
    path = d / name
    _gdf([_box(dx), _box(dx + 1000)], crs, site_id=["A", "B"], name=["甲", "乙"]).to_file(path)
    return path


def _verdicts(out: Any) -> list[str]:
    rc, stdout, _ = out
    return [s["verdict"] for s in json.loads(stdout)["sites"]] if rc in (0, 1) else []


def _ok_json(expected: list[str] | None = None) -> Callable[[Any], bool]:
    return lambda out: out[0] in (0, 1) and (expected is None or _verdicts(out) == expected)


# --------------------------------------------------------------------------- family 1: wrong place
@case("place", "redlines labelled with the neighbouring GK zone (4547)")
def _(d):
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{_red(d, 4547)}"\n'))


@case("place", "redlines labelled 4545 (zone to the west)")
def _(d):
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{_red(d, 4545)}"\n'))


@case("place", "redlines with swapped lon/lat")
def _(d):
    import shapely

    g = _gdf([_box(2000, 0, 1000)], 4546).to_crs(4326).geometry.iloc[0]
    swapped = shapely.transform(g, lambda c: c[:, ::-1])
    path = d / "red.geojson"
    _gdf([swapped], 4326, redline_id=["R1"], name=["x"]).to_file(path)
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{path}"\n'))


@case("place", "redlines in Shaanxi, inside the old slack box")
def _(d):
    from shapely.geometry import box

    path = d / "red.geojson"
    _gdf([box(109.6, 36.0, 109.8, 36.1)], 4326, redline_id=["R1"], name=["x"]).to_file(path)
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{path}"\n'))


@case("place", "metres labelled as degrees (4326)")
def _(d):
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{_red(d, 4326)}"\n'))


@case("place", "sites labelled 4547")
def _(d):
    return Spec(["check-siting", str(_sites(d, 4547))])


@case("place", "sites CSV in metres with --crs 4547")
def _(d):
    p = d / "s.csv"
    p.write_text(f"site_id,x,y\nS1,{X0},{Y0}\n", encoding="utf-8")
    return Spec(["check-siting", str(p), "--crs", "4547"])


@case("place", "a project in Beijing")
def _(d):
    from shapely.geometry import box

    p = d / "s.geojson"
    _gdf([box(116.3, 39.9, 116.31, 39.91)], 4326, site_id=["BJ"]).to_file(p)
    return Spec(["check-siting", str(p)])


@case("place", "one site inside, one 300 km away")
def _(d):
    p = d / "s.gpkg"
    _gdf([_box(), _box(300_000)], 4546, site_id=["IN", "FAR"]).to_file(p)
    return Spec(["check-siting", str(p)], check=lambda out: "FAR" in out[2])


@case("place", "界址点 TXT with the wrong zone number (38)")
def _(d):
    src = (EXAMPLES / "sites_three_projects.txt").read_bytes().decode("gb18030")
    text = re.sub(r",37(\d{6}\.)", r",38\1", src.replace("带号=37", "带号=38"))
    p = d / "wz.txt"
    p.write_bytes(text.encode("gb18030"))
    return Spec(["check-siting", str(p)], check=lambda out: "zone 37" in out[2])


@case("place", "the example sites, given correctly")
def _(d):
    return Spec(
        ["check-siting", str(EXAMPLES / "sites_three_projects.geojson"), "--format", "json"],
        expect="correct",
        check=_ok_json(),
    )


# --------------------------------------------------------------------------- family 2: geometry repair
def _site_file(d: Path, geom: Any) -> Path:
    p = d / "s.geojson"
    _gdf([geom], 4546, site_id=["G"]).to_crs(4326).to_file(p)
    return p


def _scaled(coords: list[tuple[float, float]], holes: list[list[tuple[float, float]]] | None = None) -> Any:
    from shapely.geometry import Polygon

    f = lambda pts: [(X0 + 100 * x, Y0 + 100 * y) for x, y in pts]  # noqa: E731
    return Polygon(f(coords), [f(h) for h in holes or []])


SQ = [(0, 0), (10, 0), (10, 10), (0, 10)]
HOLE_OUT = [(12, 0), (16, 0), (16, 4), (12, 4)]


@case("repair", "site with its hole outside the shell")
def _(d):
    return Spec(["check-siting", str(_site_file(d, _scaled(SQ, [HOLE_OUT])))])


@case("repair", "same site, repair accepted: area is the shell's")
def _(d):
    def check(out):
        if out[0] not in (0, 1):
            return False
        s = json.loads(out[1])["sites"][0]
        return abs(s["area_m2"] - 1e6) / 1e6 < 1e-3

    p = _site_file(d, _scaled(SQ, [HOLE_OUT]))
    return Spec(["check-siting", str(p), "--repair-tolerance", "0.5", "--format", "json"], "correct", check=check)


@case("repair", "bow-tie site")
def _(d):
    return Spec(["check-siting", str(_site_file(d, _scaled([(0, 0), (10, 10), (10, 0), (0, 10)])))])


@case("repair", "zero-area site (GK coordinates)")
def _(d):
    p = d / "s.gpkg"
    _gdf([_scaled([(0, 0), (5, 5), (10, 10), (0, 0)])], 4546, site_id=["Z"]).to_file(p)
    return Spec(["check-siting", str(p)])


@case("repair", "zero-area site (lon/lat)")
def _(d):
    from shapely.geometry import Polygon

    p = d / "s.geojson"
    _gdf([Polygon([(111.5, 36.0), (111.51, 36.01), (111.52, 36.02)])], 4326, site_id=["Z"]).to_file(p)
    return Spec(["check-siting", str(p)])


@case("repair", "red line with its hole outside the shell keeps its area")
def _(d):
    def call():
        from linfen_geo.crs import AREA_CRS
        from linfen_geo.layer_catalog.core import Catalog

        cat = Catalog(config={})
        cat.use("redlines", _red(d, 4546, [_scaled(SQ, [HOLE_OUT]), _box(3000, 0, 500)]))
        return float(cat.load("redlines").to_crs(AREA_CRS).area.iloc[0])

    return Spec(call=call, expect="correct", check=lambda a: abs(a - 1e6) / 1e6 < 1e-3)


@case("repair", "zero-area red line")
def _(d):
    red = _red(d, 4546, [_scaled([(0, 0), (5, 5), (10, 10), (0, 0)]), _box(3000)])
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{red}"\n'))


@case("repair", "site with a tiny spike: repaired within tolerance")
def _(d):
    spiky = _scaled([(0, 0), (10, 0), (10, 10), (5, 10), (5, 10.0001), (5.0001, 9.9), (5, 10), (0, 10)])
    return Spec(["check-siting", str(_site_file(d, spiky)), "--format", "json"], "correct", check=_ok_json())


# --------------------------------------------------------------------------- family 3: wrong kind of file
def _greening(d: Path, *extra: str) -> list[str]:
    return ["greening", "--out", str(d / "g"), *extra]


@case("kind", "land cover given as --dem")
def _(d):
    return Spec(_greening(d, "--dem", str(RASTERS / "landcover_modis_igbp_2019_5km.tif")))


@case("kind", "DEM given as --landcover")
def _(d):
    return Spec(_greening(d, "--landcover", str(RASTERS / "dem_1km_vfp15.tif"), "--classes", "igbp"))


@case("kind", "land cover with the wrong --classes")
def _(d):
    lc = str(RASTERS / "landcover_modis_igbp_2019_5km.tif")
    return Spec(_greening(d, "--landcover", lc, "--classes", "worldcover"))


@case("kind", "DEM in decimetres")
def _(d):
    import rasterio

    src = RASTERS / "dem_1km_vfp15.tif"
    out = d / "dem_dm.tif"
    with rasterio.open(src) as s:
        prof = s.profile
        data = s.read(1).astype("float32") * 10
    prof.update(dtype="float32")
    with rasterio.open(out, "w", **prof) as t:
        t.write(data, 1)
    return Spec(_greening(d, "--dem", str(out)))


def _map_case(ext: str, magic: bytes) -> Callable[[Path], Spec]:
    def build(d: Path) -> Spec:
        target = d / f"m{ext}"

        def check(out):
            return out[0] in (0, 1) and target.exists() and target.read_bytes()[:16].lstrip().startswith(magic)

        sites = str(EXAMPLES / "sites_three_projects.geojson")
        return Spec(["check-siting", sites, "--format", "json", "--map", str(target)], "correct", check=check)

    return build


for _ext, _magic in ((".pdf", b"%PDF"), (".svg", b"<?xml"), (".jpg", b"\xff\xd8"), (".png", b"\x89PNG")):
    case("kind", f"--map x{_ext} writes {_ext[1:].upper()}")(_map_case(_ext, _magic))


@case("kind", "--map x.docx")
def _(d):
    return Spec(["check-siting", str(EXAMPLES / "sites_three_projects.geojson"), "--map", str(d / "m.docx")])


@case("kind", "a named pipe as the sites file")
def _(d):
    p = d / "sites.geojson"
    os.mkfifo(p)
    return Spec(["check-siting", str(p)])


@case("kind", "/dev/zero named .txt")
def _(d):
    p = d / "sites.txt"
    p.symlink_to("/dev/zero")
    return Spec(["check-siting", str(p)])


@case("kind", "a 2 GB sparse .csv")
def _(d):
    p = d / "big.csv"
    with p.open("wb") as fh:
        fh.write(b"x,y\n")
        fh.truncate(2 << 30)
    return Spec(["check-siting", str(p)])


@case("kind", "a folder as the sites file")
def _(d):
    (d / "folder.geojson").mkdir()
    return Spec(["check-siting", str(d / "folder.geojson")])


@case("kind", "an empty file")
def _(d):
    (d / "e.geojson").write_bytes(b"")
    return Spec(["check-siting", str(d / "e.geojson")])


@case("kind", "a PNG renamed .geojson")
def _(d):
    p = d / "x.geojson"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    return Spec(["check-siting", str(p)])


# --------------------------------------------------------------------------- family 4: encodings
NAMES = ["尧都区光伏电站", "乡宁县采石场"]


def _named_sites(d: Path) -> Any:
    return _gdf([_box(), _box(1000)], 4546, site_id=["A", "B"], name=NAMES).to_crs(4326)


def _names_back(out: Any) -> bool:
    return out[0] in (0, 1) and [s["name"] for s in json.loads(out[1])["sites"]] == NAMES


@case("encoding", "GeoJSON with GBK bytes")
def _(d):
    p = d / "s.geojson"
    p.write_bytes(_named_sites(d).to_json(ensure_ascii=False).encode("gbk"))
    return Spec(["check-siting", str(p), "--format", "json"], "correct", check=_names_back)


@case("encoding", "GeoJSON with a UTF-8 BOM")
def _(d):
    p = d / "s.geojson"
    p.write_bytes(_named_sites(d).to_json(ensure_ascii=False).encode("utf-8-sig"))
    return Spec(["check-siting", str(p), "--format", "json"], "correct", check=_names_back)


@case("encoding", 'KML declaring encoding="GBK"')
def _(d):
    g = _named_sites(d)
    marks = "".join(
        f"<Placemark><name>{n}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + " ".join(f"{x},{y}" for x, y in geom.exterior.coords)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        for n, geom in zip(NAMES, g.geometry, strict=True)
    )
    text = f'<?xml version="1.0" encoding="GBK"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{marks}</Document></kml>'
    p = d / "s.kml"
    p.write_bytes(text.encode("gbk"))

    def check(out):
        return out[0] in (0, 1) and sorted(s["name"] for s in json.loads(out[1])["sites"]) == sorted(NAMES)

    return Spec(["check-siting", str(p), "--format", "json"], "correct", check=check)


@case("encoding", "shapefile: .cpg says UTF-8 over GBK data")
def _(d):
    p = d / "s.shp"
    _named_sites(d).to_file(p, encoding="gbk")
    (d / "s.cpg").write_text("UTF-8")
    return Spec(["check-siting", str(p), "--format", "json"], "correct", check=_names_back)


@case("encoding", "GBK shapefile without .cpg via lg.use")
def _(d):
    def call():
        from linfen_geo.layer_catalog.core import Catalog

        p = d / "red.shp"
        _gdf([_box(2000, 0, 1000), _box(4000)], 4546, redline_id=["R1", "R2"], name=NAMES).to_file(p, encoding="gbk")
        for side in d.glob("red.cpg"):
            side.unlink()
        cat = Catalog(config={})
        cat.use("redlines", p)
        return cat.load("redlines")["name"].tolist()

    return Spec(call=call, expect="correct", check=lambda names: names == NAMES)


@case("encoding", "CSV in Big5")
def _(d):
    p = d / "s.csv"
    p.write_bytes(f"site_id,name,x,y\nA,鄉寧縣採石場,{X0},{Y0}\n".encode("big5"))
    return Spec(["check-siting", str(p), "--crs", "4546", "--format", "json"])


@case("encoding", "CSV in GB18030 with 4-byte characters")
def _(d):
    p = d / "s.csv"
    p.write_bytes(f"site_id,name,x,y\nA,𠀀乡宁{chr(0x20001)},{X0},{Y0}\n".encode("gb18030"))

    def check(out):
        return out[0] in (0, 1) and json.loads(out[1])["sites"][0]["name"] == f"𠀀乡宁{chr(0x20001)}"

    return Spec(["check-siting", str(p), "--crs", "4546", "--format", "json"], "correct", check=check)


# --------------------------------------------------------------------------- family 5: configuration
for _name, _text in {
    "misspelt key 'colums'": '[layers.redlines]\npath = "r.gpkg"\ncolums = { redline_id = "BSM" }\n',
    "missing path": '[layers.redlines]\nsource = "x"\n',
    "path = 5": "[layers.redlines]\npath = 5\n",
    'columns = "BSM"': '[layers.redlines]\npath = "r.gpkg"\ncolumns = "BSM"\n',
    "unknown layer name": '[layers.redline]\npath = "r.gpkg"\n',
    "broken TOML": "[layers.redlines\npath =",
    "path to a missing file": '[layers.redlines]\npath = "nowhere.gpkg"\n',
}.items():
    case("config", _name)(lambda d, t=_text: Spec(["layers"], env=_config(d, t)))


@case("config", "plan file with rules = 5")
def _(d):
    plan = (REPO / "linfen_geo" / "plan" / "plan.toml").read_text(encoding="utf-8")
    (d / "plan.toml").write_text(
        plan.partition("[[siting.rules]]")[0].replace("[siting]\n", "[siting]\nrules = 5\n", 1)
    )
    return Spec(["layers"], env=_config(d, 'plan = "plan.toml"\n'))


@case("config", "plan file that is not TOML")
def _(d):
    (d / "plan.toml").write_text("[meta\n")
    return Spec(["layers"], env=_config(d, 'plan = "plan.toml"\n'))


for _crs in ("EPSG:5714", "nonsense", "99999999", "nan"):
    case("config", f"--crs {_crs}")(lambda d, c=_crs: Spec(["check-siting", str(_write_csv(d)), "--crs", c]))


def _write_csv(d: Path) -> Path:
    p = d / "s.csv"
    p.write_text(f"x,y\n{X0},{Y0}\n", encoding="utf-8")
    return p


for _res in ("nan", "inf", "-5", "0"):
    case("config", f"data import --resolution {_res}")(
        lambda d, r=_res: Spec(
            ["data", "import", str(RASTERS / "dem_1km_vfp15.tif"), "--kind", "dem", "--dest", str(d), "--resolution", r]
        )
    )


# --------------------------------------------------------------------------- family 6: build cache
def _cache_case(damage: str) -> Callable[[Path], Spec]:
    def build(d: Path) -> Spec:
        from linfen_geo.layer_catalog.core import Catalog

        cache = d / "cache"
        shutil.copytree(os.environ["LINFEN_GEO_CACHE"], cache)
        cat = Catalog(cache_dir=cache, config={})
        cat.load("redlines")
        path = cat._cache_path("redlines")
        data = path.read_bytes()
        if damage == "truncated":
            path.write_bytes(data[: len(data) // 3])
        elif damage == "garbage":
            path.write_bytes(os.urandom(len(data)))
        elif damage == "four random bytes":
            buf = bytearray(data)
            buf[len(buf) // 2 : len(buf) // 2 + 4] = os.urandom(4)
            path.write_bytes(bytes(buf))
        elif damage == "half the rows":
            red = cat.load("redlines")
            red.iloc[: len(red) // 2].to_parquet(path, index=False)
        elif damage == "another layer":
            shutil.copy(cat._cache_path("reserves"), path) if cat.load("reserves") is not None else None
        elif damage == "shifted geometry":
            red = cat.load("redlines")
            red.set_geometry(red.geometry.translate(0.05, 0.0)).to_parquet(path, index=False)
        return Spec(
            ["check-siting", str(EXAMPLES / "sites_three_projects.geojson"), "--format", "json"],
            "correct",
            check=lambda out: _verdicts(out) == REFERENCE["verdicts"],
            env={"LINFEN_GEO_CACHE": str(cache)},
        )

    return build


for _damage in ("truncated", "garbage", "four random bytes", "half the rows", "another layer", "shifted geometry"):
    case("cache", f"cached red lines: {_damage}")(_cache_case(_damage))


# --------------------------------------------------------------------------- family 7: output folders
def _protected(d: Path, name: str, text: str = "the user's own file") -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


@case("outputs", "greening --out over the user's own MANIFEST.json")
def _(d):
    p = _protected(d, "g/MANIFEST.json", '{"mine": 1}')
    return Spec(_greening(d), protect=[p])


@case("outputs", "edited manifest lists the user's greening_total.csv")
def _(d):
    p = _protected(d, "g/greening_total.csv")
    (d / "g" / "MANIFEST.json").write_text(
        json.dumps({"written_by": "linfen-geo", "files": {"greening_total.csv": "0" * 64}})
    )
    return Spec(_greening(d), protect=[p])


@case("outputs", "manifest is a JSON list")
def _(d):
    p = _protected(d, "g/greening_total.csv")
    (d / "g" / "MANIFEST.json").write_text('["greening_total.csv"]')
    return Spec(_greening(d), protect=[p])


@case("outputs", "data import over an existing PROVENANCE.txt")
def _(d):
    p = _protected(d, "mine.tif.PROVENANCE.txt")
    argv = ["data", "import", str(RASTERS / "dem_1km_vfp15.tif"), "--kind", "dem", "--name", "mine", "--dest", str(d)]
    return Spec(argv, protect=[p])


@case("outputs", "check-siting --out X --map X")
def _(d):
    x = d / "x.png"
    return Spec(
        ["check-siting", str(EXAMPLES / "sites_three_projects.geojson"), "--out", str(x), "--map", str(x)],
        check=lambda out: not x.exists(),
    )


@case("outputs", "check-siting --out over the user's file")
def _(d):
    p = _protected(d, "result.json")
    return Spec(["check-siting", str(EXAMPLES / "sites_three_projects.geojson"), "--out", str(p)], protect=[p])


@case("outputs", "--out names an existing file, not a folder")
def _(d):
    p = _protected(d, "g")
    return Spec(_greening(d), protect=[p])


# --------------------------------------------------------------------------- family 8: API promises
@case("api", "area_m2 in Web Mercator")
def _(d):
    def call():
        import geopandas as gpd
        from pyproj import Geod
        from shapely.geometry import box

        import linfen_geo as lg

        g = gpd.GeoSeries([box(111.5, 36.0, 111.6, 36.1)], crs=4326).segmentize(0.001)
        true = abs(Geod(ellps="GRS80").geometry_area_perimeter(g.iloc[0])[0])
        return float(lg.area_m2(g.to_crs(3857)).iloc[0]) / true

    return Spec(call=call, expect="correct", check=lambda r: abs(r - 1) < 1e-6)


@case("api", "coverage with layers in two CRSs")
def _(d):
    def call():
        import linfen_geo as lg

        a = _gdf([_box(), _box(100)], 4546)
        return lg.coverage(a, a.to_crs(4326).assign(zone_id=["1", "2"]), zone_id="zone_id")

    return Spec(call=call)


@case("api", "redline_change with layers in two CRSs")
def _(d):
    def call():
        import linfen_geo as lg

        a = _gdf([_box()], 4546)
        return lg.redline_change(a, a.to_crs(4326))

    return Spec(call=call)


@case("api", "check_siting against an empty red-line layer")
def _(d):
    def call():
        from linfen_geo.analysis.siting import check_siting

        return check_siting(_box(), crs=4546, layers={"redlines": _gdf([], 4546)})

    return Spec(call=call)


@case("api", "--crs gcj02 on a file labelled WGS 84 is noted")
def _(d):
    p = d / "s.geojson"
    _named_sites(d).to_file(p)

    def check(out):
        return out[0] in (0, 1) and any("GCJ02" in n for n in json.loads(out[1])["notes"])

    return Spec(["check-siting", str(p), "--crs", "gcj02", "--format", "json"], "correct", check=check)


# --------------------------------------------------------------------------- more odd inputs (no family of their own)
def _text_case(name: str, suffix: str, content: bytes, *extra: str) -> None:
    def build(d: Path) -> Spec:
        p = d / f"s{suffix}"
        p.write_bytes(content)
        return Spec(["check-siting", str(p), *extra])

    case("kind", name)(build)


_text_case("CSV with a header only", ".csv", b"site_id,x,y\n", "--crs", "4546")
_text_case("CSV with NaN coordinates", ".csv", b"site_id,x,y\nA,nan,nan\n", "--crs", "4546")
_text_case("CSV with 1e300 coordinates", ".csv", b"site_id,x,y\nA,1e300,1e300\n", "--crs", "4546")
_text_case(
    "GeoJSON with a null geometry",
    ".geojson",
    b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}',
)
_text_case("GeoJSON that is a JSON list", ".geojson", b"[1, 2, 3]")
_text_case("KMZ that is not a zip", ".kmz", b"not a zip at all")
_text_case("an empty zip named .zip", ".zip", b"PK\x05\x06" + b"\x00" * 18)
_text_case("WKT with an unclosed ring", ".wkt", b"POLYGON ((111.5 36.0, 111.6 36.0, 111.6 36.1))")
_text_case(
    "界址点 TXT with no coordinates", ".txt", "[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n".encode("gbk")
)


@case("kind", "shapefile without its .shx")
def _(d):
    p = _sites(d, 4546, name="s.shp")
    (d / "s.shx").unlink()
    return Spec(["check-siting", str(p), "--format", "json"], check=lambda out: ".shx" in out[2])


@case("kind", "a vector file given as the DEM")
def _(d):
    return Spec(_greening(d, "--dem", str(EXAMPLES / "sites_three_projects.geojson")))


@case("kind", "a raster given for the red lines")
def _(d):
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{RASTERS / "dem_1km_vfp15.tif"}"\n'))


@case("kind", "red lines as points")
def _(d):
    from shapely.geometry import Point

    path = d / "red.gpkg"
    _gdf([Point(X0, Y0)], 4546, redline_id=["R1"], name=["x"]).to_file(path)
    return Spec(["layers"], env=_config(d, f'[layers.redlines]\npath = "{path}"\n'))


@case("config", "plan with a misspelt key")
def _(d):
    plan = (REPO / "linfen_geo" / "plan" / "plan.toml").read_text(encoding="utf-8")
    (d / "plan.toml").write_text(plan.replace("[terrain]\n", "[terrain]\nresolutoin_m = 5\n", 1), encoding="utf-8")
    return Spec(["layers"], env=_config(d, 'plan = "plan.toml"\n'), check=lambda out: "did you mean" in out[2])


@case("outputs", "--out in a folder that cannot be written")
def _(d):
    ro = d / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.access(ro, os.W_OK):  # root ignores permissions: use a path under a file instead
        (d / "afile").write_text("x")
        ro = d / "afile"
    sites = str(EXAMPLES / "sites_three_projects.geojson")
    return Spec(["check-siting", sites, "--out", str(ro / "r.json")])


@case("outputs", "run --out names an existing file")
def _(d):
    p = _protected(d, "out")
    return Spec(["run", "--out", str(p)], protect=[p])


@case("outputs", "map --out over the user's file")
def _(d):
    p = _protected(d, "map.html")
    return Spec(["map", "--out", str(p)], protect=[p])


# --------------------------------------------------------------------------- running
REFERENCE: dict[str, Any] = {}


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _child(spec: Spec, folder: Path) -> dict[str, Any]:
    os.chdir(folder)
    for k in ("LINFEN_GEO_CONFIG",):
        os.environ.pop(k, None)
    os.environ.update(spec.env)
    from linfen_geo.layer_catalog import core

    core._CATALOG = None
    if spec.call is not None:
        try:
            return {"api": True, "value": spec.call(), "error": None}
        except Exception as exc:
            from linfen_geo.errors import LinfenGeoError

            return {
                "api": True,
                "value": None,
                "error": str(exc),
                "ours": isinstance(exc, LinfenGeoError),
                "tb": traceback.format_exc(),
            }
    from linfen_geo.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(spec.argv)
        except SystemExit as exc:
            rc = int(exc.code or 0)
        except BaseException:
            traceback.print_exc()
            rc = 99
    return {"api": False, "rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}


def run_case(c: Case, timeout: float = 120.0) -> tuple[str, str]:
    """Build and run one case in a forked child; return (outcome, detail)."""
    import multiprocessing as mp

    folder = Path(tempfile.mkdtemp(prefix="lg-adv-"))
    try:
        spec = c.build(folder)
        before = {p: _sha(p) for p in spec.protect}
        ctx = mp.get_context("fork")
        q = ctx.SimpleQueue()
        proc = ctx.Process(target=lambda: q.put(_safe(_child, spec, folder)))
        proc.start()
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join()
            return "hang", f"no answer in {timeout:.0f} s"
        res = q.get() if not q.empty() else {"api": False, "rc": 98, "stdout": "", "stderr": "child died"}
        if any(_sha(p) != h for p, h in before.items()):
            return "clobbered", ", ".join(p.name for p, h in before.items() if _sha(p) != h)
        return _classify(spec, res)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _safe(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        res = fn(*args)
        json.dumps(res, default=str)
        return res
    except Exception as exc:  # a result that cannot be pickled still gets classified
        return {"api": True, "value": None, "error": f"{type(exc).__name__}: {exc}", "ours": False, "tb": ""}


def _classify(spec: Spec, res: dict[str, Any]) -> tuple[str, str]:
    if res["api"]:
        if res["error"] is not None:
            if not res["ours"] or "\n" in res["error"]:
                return "traceback", res["error"].splitlines()[0] if res["error"] else res.get("tb", "")[-200:]
            return ("error", res["error"]) if spec.expect == "error" else ("wrong", "refused: " + res["error"])
        if spec.expect == "error":
            return "wrong", f"accepted: {str(res['value'])[:120]}"
        ok = spec.check is None or spec.check(res["value"])
        return ("correct", "") if ok else ("wrong", str(res["value"])[:160])
    rc, err = res["rc"], res["stderr"]
    if "Traceback" in err or rc in (3, 98, 99):
        return "traceback", err.strip().splitlines()[-1] if err.strip() else f"exit {rc}"
    lines = err.strip().splitlines()
    if spec.expect == "error":
        if rc == 2 and len(lines) == 1 and (spec.check is None or spec.check((rc, res["stdout"], err))):
            return "error", lines[0]
        return "wrong", f"exit {rc}: {' | '.join(lines)[:200]}"
    out = (rc, res["stdout"], err)
    if spec.check is None or spec.check(out):
        return "correct", ""
    return "wrong", f"exit {rc}: {' | '.join(lines)[:200] or res['stdout'][:200]}"


def reference() -> None:
    """The example sites' verdicts with an intact cache (what the cache cases must reproduce)."""
    if "verdicts" not in REFERENCE:
        from linfen_geo.analysis.siting import check_siting
        from linfen_geo.layer_catalog.core import Catalog

        cat = Catalog(config={})
        r = check_siting(str(EXAMPLES / "sites_three_projects.geojson"), catalog=cat)
        REFERENCE["verdicts"] = r.verdicts.tolist()


def main() -> int:
    """Run every case and print one line per case and the counts."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "LINFEN_GEO_CACHE" not in os.environ:
        os.environ["LINFEN_GEO_CACHE"] = tempfile.mkdtemp(prefix="lg-adv-cache-")
    reference()
    counts: dict[str, int] = {}
    for c in CASES:
        outcome, detail = run_case(c)
        counts[outcome] = counts.get(outcome, 0) + 1
        print(f"{outcome:10s} [{c.family}] {c.name}: {detail[:150]}", flush=True)
    order = ["error", "correct", "traceback", "wrong", "clobbered", "hang"]
    print(f"tried {len(CASES)}: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in order))
    return 0 if not any(counts.get(k) for k in order[2:]) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
