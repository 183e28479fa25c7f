"""What planners exchange with ``check-siting``: DXF input, folders, remainders (界址点/GeoJSON/GPKG), PDF/HTML reports."""

from __future__ import annotations

import json
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from linfen_geo.analysis.siting import check_siting
from linfen_geo.cli.app import main
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, reproject
from linfen_geo.io.jzd import read_jzd, write_jzd
from linfen_geo.io.sites import read_sites
from linfen_geo.reports.remainders import conflict_cut

ZONE = 37_000_000.0


@pytest.fixture(autouse=True)
def _test_catalog(monkeypatch, catalog):
    """The CLI's default catalog is the test session's (private build cache, no user config)."""
    monkeypatch.setattr("linfen_geo.layer_catalog.core._CATALOG", catalog)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["check-siting", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def parcels(catalog) -> gpd.GeoDataFrame:
    """Three parcels in EPSG:4546: A straddles a red line's edge, B lies 2 km off it, C is an L-shape across it."""
    red = catalog.load("redlines").to_crs(4546)
    rings = [r for g in red.geometry.iloc[:12] for r in shapely.get_exterior_ring(shapely.get_parts(g))]
    points = [r.interpolate(t, normalized=True) for r in rings for t in np.linspace(0.05, 0.95, 10)]
    boxes = [box(q.x - 150, q.y - 150, q.x + 150, q.y + 150) for q in points]
    summ = check_siting(boxes, crs=4546, catalog=catalog).summary()
    ok = np.flatnonzero(summ["conflict_free_share"].between(0.2, 0.8).to_numpy())  # a red line cuts it, not all
    if not len(ok):  # pragma: no cover - the shipped red lines always have such an edge
        pytest.skip("no straddling parcel found")
    p = points[int(ok[0])]
    x, y = round(p.x, 3), round(p.y, 3)
    a = box(x - 150.25, y - 150.125, x + 150.5, y + 150.375)
    c = shapely.Polygon([(x - 90, y - 240), (x + 60, y - 240), (x + 60, y - 80), (x + 10, y - 80), (x + 10, y + 90),
                         (x - 90, y + 90)])  # fmt: skip
    offsets = [(r * np.cos(k), r * np.sin(k)) for r in (3000.0, 6000.0, 9000.0) for k in np.linspace(0, 2 * np.pi, 12)]
    candidates = [box(x + dx - 50, y + dy - 50, x + dx + 50, y + dy + 50) for dx, dy in offsets]
    verdicts = check_siting(candidates, crs=4546, catalog=catalog).verdicts.to_numpy()
    b = candidates[int(np.flatnonzero(verdicts == "clear")[0])]  # a parcel nothing touches
    return gpd.GeoDataFrame(
        {"site_id": ["A", "B", "C"], "name": ["光伏", "仓库", "道班"]}, geometry=[a, b, c], crs=4546
    )


def _dxf(path: Path, parcels: gpd.GeoDataFrame, *, prefix: bool = True, version: str = "R2010") -> Path:
    """A CAD drawing of the parcels: A as an LWPOLYLINE with its id as TEXT, B a POLYLINE, C a HATCH."""
    doc = ezdxf.new(version)
    msp = doc.modelspace()
    shift = ZONE if prefix else 0.0

    def xy(g):
        return [(float(px) + shift, float(py)) for px, py in np.asarray(g.exterior.coords)[:-1]]

    a, b, c = parcels.geometry
    msp.add_lwpolyline(xy(a), close=True, dxfattribs={"layer": "红线"})
    msp.add_text("A", dxfattribs={"layer": "注记", "insert": (a.bounds[2] - 40 + shift, a.bounds[3] - 30)})
    msp.add_polyline2d(xy(b), close=True, dxfattribs={"layer": "红线"})
    hatch = msp.add_hatch(dxfattribs={"layer": "填充"})
    hatch.paths.add_polyline_path(xy(c), is_closed=True)
    msp.add_line((shift + 500000, 3990000), (shift + 500100, 3990000))  # ignored: not an outline
    doc.saveas(path)
    return path


def _same_ids(parcels: gpd.GeoDataFrame, dxf_sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = parcels.copy()
    out["site_id"] = dxf_sites["site_id"].to_numpy()
    out["name"] = dxf_sites["name"].to_numpy()
    return out


# ---------------------------------------------------------------------------------------------- DXF


def test_dxf_and_geojson_give_identical_results(tmp_path, parcels, catalog):
    dxf = _dxf(tmp_path / "红线图.dxf", parcels)
    sites = read_sites(dxf, crs=4546)
    assert sites["site_id"].iloc[0] == "A"  # the TEXT inside it
    assert sites["name"].tolist() == ["红线", "红线", "填充"]
    assert sites.attrs["format"] == "DXF" and sites.attrs["dxf_zone_prefix"] == 37
    gj = tmp_path / "same.geojson"
    _same_ids(parcels, sites).to_file(gj, driver="GeoJSON")
    r1 = check_siting(dxf, crs=4546, catalog=catalog)
    r2 = check_siting(gj, catalog=catalog)
    assert r1.verdicts.tolist() == r2.verdicts.tolist()
    assert "prohibited" in r1.verdicts.tolist() and "clear" in r1.verdicts.tolist()
    f1, f2 = r1.to_frame(), r2.to_frame()
    keys = ["site_id", "layer", "feature_id", "rule", "verdict"]
    assert f1[keys].equals(f2[keys]) and len(f1) >= 2
    for col in ("overlap_m2", "share_of_site", "distance_m"):
        np.testing.assert_allclose(f1[col], f2[col], rtol=1e-9, atol=1e-9)
    s1, s2 = r1.summary(), r2.summary()
    for col in ("area_m2", "conflict_free_m2", "nearest_redline_m"):
        np.testing.assert_allclose(s1[col], s2[col], rtol=1e-9, atol=1e-9)


def test_dxf_zone_less_crs_of_prefixed_zone_equals_prefixed_crs(tmp_path, parcels):
    dxf = _dxf(tmp_path / "a.dxf", parcels)
    a = read_sites(dxf, crs=4546)
    b = read_sites(dxf, crs=4525)  # the zone-prefixed CRS itself
    plain = read_sites(_dxf(tmp_path / "b.dxf", parcels, prefix=False), crs=4546)
    for other in (b, plain):
        assert shapely.equals_exact(a.geometry.values, other.geometry.values, tolerance=1e-9).all()


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        ((), "--crs"),  # a DXF has no CRS
        (("--crs", "4547"), "4546"),  # CM 114E against eastings of zone 37: names the right code
        (("--crs", "4490"), "zone prefix 37"),
    ],
)
def test_dxf_crs_errors_are_one_line(capsys, tmp_path, parcels, args, expect):
    dxf = _dxf(tmp_path / "plan.dxf", parcels)
    code, out, err = run(capsys, dxf, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expect in err and "plan.dxf" in err


def test_dxf_open_polyline_is_refused_naming_handle_and_layer(capsys, tmp_path):
    doc = ezdxf.new("R2010")
    e = doc.modelspace().add_lwpolyline(
        [(37500000, 3995000), (37500100, 3995000), (37500100, 3995100)], dxfattribs={"layer": "用地红线"}
    )
    doc.saveas(tmp_path / "open.dxf")
    code, _out, err = run(capsys, tmp_path / "open.dxf", "--crs", "4546")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"handle {e.dxf.handle}" in err and "用地红线" in err and "Traceback" not in err


def test_dxf_chinese_encodings_hatch_holes_and_duplicate_fills(tmp_path):
    """R2000 GBK (ANSI_936) and \\U+ escapes decode; a hatch with a hole has it; a fill of a polyline is not a 2nd site."""
    outer = [(37500000, 3995000), (37500300, 3995000), (37500300, 3995300), (37500000, 3995300)]
    inner = [(37500100, 3995100), (37500200, 3995100), (37500200, 3995200), (37500100, 3995200)]
    far = [(37501000, 3995000), (37501100, 3995000), (37501100, 3995100), (37501000, 3995100)]
    for enc in ("gbk", "escapes"):
        doc = ezdxf.new("R2000")
        msp = doc.modelspace()
        h = msp.add_hatch(dxfattribs={"layer": "用地范围"})
        h.paths.add_polyline_path(outer, is_closed=True)
        h.paths.add_polyline_path(inner, is_closed=True)
        msp.add_lwpolyline(far, close=True, dxfattribs={"layer": "用地范围"})
        fill = msp.add_hatch(dxfattribs={"layer": "填充"})
        fill.paths.add_polyline_path(far, is_closed=True)
        path = tmp_path / f"{enc}.dxf"
        if enc == "gbk":  # what Chinese AutoCAD writes: GBK bytes, code page ANSI_936
            doc.saveas(path, encoding="gbk")
            path.write_bytes(path.read_bytes().replace(b"ANSI_1252", b"ANSI_936"))
            assert "用地范围".encode("gbk") in path.read_bytes()
        else:
            doc.saveas(path)  # ezdxf escapes the Chinese as \U+7528 ...
            assert b"\\U+" in path.read_bytes()
        g = read_sites(path, crs=4546).to_crs(4546)
        assert g["name"].tolist() == ["用地范围", "用地范围"], enc
        assert g.geometry.iloc[0].area == pytest.approx(300 * 300 - 100 * 100, rel=1e-6)
        assert len(g.geometry.iloc[0].interiors) == 1


# ---------------------------------------------------------------------------------------------- remainders


def _cut_and_clean(report) -> tuple[list[str], list[str]]:
    cut = set(conflict_cut(report)["site_id"].astype(str))
    ids = report.sites["site_id"].astype(str).tolist()
    return [s for s in ids if s in cut], [s for s in ids if s not in cut]


def test_remainder_txt_keeps_the_input_header_reads_back_and_misses_the_red_line(capsys, tmp_path, parcels, catalog):
    src = write_jzd(parcels, tmp_path / "sites.txt", zone=37)
    rest = tmp_path / "rest.txt"
    result = tmp_path / "result.json"
    code, out, err = run(capsys, src, "--remainder-out", rest, "--out", result)
    assert code == 1, err
    assert "remainders of" in out and str(rest) in out
    report = check_siting(src, catalog=catalog)
    cut, clean = _cut_and_clean(report)
    assert cut and clean  # some sites are cut, some are not
    back = read_jzd(rest)
    assert back["site_id"].tolist() == cut  # sites nothing cuts are not written
    assert back.crs == read_jzd(src).crs and back.attrs["header"] == read_jzd(src).attrs["header"]
    # the same area as the engine's remainder, in the equal-area CRS
    summ = pd.DataFrame(json.loads(result.read_text(encoding="utf-8"))["sites"]).set_index("site_id")
    areas = shapely.area(reproject(read_sites(rest).geometry.values, STORAGE_CRS, AREA_CRS))
    np.testing.assert_allclose(areas, summ.loc[cut, "conflict_free_m2"].to_numpy(dtype=float), rtol=1e-6)
    # and no overlap with the conflicting features, in the file's own coordinates
    pairs = conflict_cut(report)
    for sid, grp in pairs.groupby("site_id"):
        layers, positions = grp["layer"], grp["feature"]
        feats = [report.checked_layers[n].features.geometry.values[f] for n, f in zip(layers, positions, strict=True)]
        feats_file = reproject(np.array(feats, dtype=object), STORAGE_CRS, back.crs)
        mine = back.geometry[back["site_id"] == sid].values[0]
        assert shapely.area(shapely.intersection(mine, feats_file)).sum() < 1e-6, sid


def test_remainder_txt_from_geojson_is_in_the_zone_of_the_sites(tmp_path, parcels, catalog):
    from linfen_geo.reports.remainders import write_remainders

    gj = tmp_path / "s.geojson"
    parcels.to_file(gj, driver="GeoJSON")
    report = check_siting(gj, catalog=catalog)
    res = write_remainders(report, tmp_path / "rest.txt")
    back = read_jzd(res.path)
    assert back.crs.to_epsg() == 4525 and back.attrs["header"]["带号"] == "37"
    assert res.max_area_change < 1e-6
    with pytest.raises(Exception, match="exists"):
        write_remainders(report, tmp_path / "rest.txt")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_remainder_geojson_and_gpkg(capsys, tmp_path, parcels, catalog, suffix):
    gj = tmp_path / "s.geojson"
    parcels.to_file(gj, driver="GeoJSON")
    out = tmp_path / f"rest{suffix}"
    code, _, err = run(capsys, gj, "--remainder-out", out)
    assert code == 1, err
    back = gpd.read_file(out)
    report = check_siting(gj, catalog=catalog)
    cut, _clean = _cut_and_clean(report)
    assert back["site_id"].tolist() == cut and back.crs.to_epsg() == 4326
    free = report.conflict_free.loc[cut]
    areas = shapely.area(reproject(back.geometry.values, STORAGE_CRS, AREA_CRS))
    np.testing.assert_allclose(areas, shapely.area(reproject(free.values, STORAGE_CRS, AREA_CRS)), rtol=1e-6)
    assert {"verdict", "conflict_free_m2", "conflict_free_mu"} <= set(back.columns)


# ---------------------------------------------------------------------------------------------- folders


def _folder(tmp: Path, parcels: gpd.GeoDataFrame) -> Path:
    d = tmp / "sites"
    d.mkdir()
    two = parcels.iloc[:2].copy()
    two["site_id"] = ["1", "A"]
    two.to_crs(4326).to_file(d / "a.geojson", driver="GeoJSON")
    third = parcels.iloc[[2]].copy()
    third["site_id"] = ["1"]
    write_jzd(third, d / "b.txt", zone=37)
    (d / "README.md").write_text("not a site file", encoding="utf-8")
    (d / "a.cpg").write_text("UTF-8", encoding="ascii")
    return d


def test_folder_one_combined_report_with_unique_ids(capsys, tmp_path, parcels):
    d = _folder(tmp_path, parcels)
    code, out, err = run(capsys, d, "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    assert [s["site_id"] for s in data["sites"]] == ["a:1", "A", "b:1"]  # prefixed only where ids collide
    code, out, _ = run(capsys, d)
    assert "3 site(s)" in out.splitlines()[0]
    # a DXF in the folder needs --crs; the files that declare their own CRS keep it
    _dxf(d / "c.dxf", parcels)
    code, out, err = run(capsys, d, "--crs", "4546", "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    ids = [s["site_id"] for s in data["sites"]]
    assert ids[:4] == ["a:1", "a:A", "b:1", "c:A"] and len(ids) == 6  # "A" now collides with the DXF text id
    assert any("--crs 4546 not used" in n and "a.geojson" in n for n in data["notes"])


def test_folder_with_a_bad_file_exits_2_naming_it_and_writes_nothing(capsys, tmp_path, parcels):
    d = _folder(tmp_path, parcels)
    (d / "c.csv").write_text("lon,lat\n36.08,111.52\n", encoding="utf-8")  # swapped axes
    outs = [tmp_path / "r.json", tmp_path / "rep.pdf", tmp_path / "rest.txt"]
    code, out, err = run(capsys, d, "--out", outs[0], "--report", outs[1], "--remainder-out", outs[2])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "c.csv" in err and "Traceback" not in err
    assert not any(p.exists() for p in outs)


# ---------------------------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory, parcels, catalog):
    import linfen_geo.layer_catalog.core as core

    d = tmp_path_factory.mktemp("pdf")
    gj = d / "s.geojson"
    parcels.to_file(gj, driver="GeoJSON")
    old, core._CATALOG = core._CATALOG, catalog
    try:
        assert main(["check-siting", str(gj), "--report", str(d / "report.pdf"), "--format", "json"]) == 1
    finally:
        core._CATALOG = old
    return d / "report.pdf", check_siting(gj, catalog=catalog)


def test_pdf_report_text_has_every_site_verdict_and_the_warning(pdf_report):
    import pypdf

    path, report = pdf_report
    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    text = "\n".join(pages)
    summ = report.summary()
    for sid, v, vz in zip(summ["site_id"], summ["verdict"], summ["verdict_zh"], strict=True):
        assert f"Site {sid}" in text
        assert vz in text and v.upper() in text
    assert "ILLUSTRATIVE" in text and report.illustrative
    for word in ("审核人", "界址点", "EPSG:4525", "R1", "Layers checked", "CGCS2000"):
        assert word in text, word
    assert len(pages) >= 1 + len(summ)  # a cover, then (at least) a page per site


def test_pdf_first_site_page_renders_to_a_non_trivial_png(pdf_report, tmp_path):
    import pypdf
    import pypdfium2 as pdfium
    from PIL import Image

    path, report = pdf_report
    first = report.sites["site_id"].iloc[0]
    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    index = next(i for i, t in enumerate(pages) if f"地块 Site {first}" in t)
    png = tmp_path / "page.png"
    pdfium.PdfDocument(str(path))[index].render(scale=1.5).to_pil().save(png)
    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert img.shape[0] > 1200 and img.shape[1] > 850  # A4 at 108 dpi
    assert (img < 200).mean() > 0.02 and img.std() > 20  # ink on the page: text, map, tables
    band = img[int(0.3 * img.shape[0]) : int(0.6 * img.shape[0])]  # where the map is
    assert len(np.unique(band.astype(int))) > 50


def test_html_report_is_self_contained(capsys, tmp_path, parcels):
    gj = tmp_path / "s.geojson"
    parcels.to_file(gj, driver="GeoJSON")
    out = tmp_path / "report.html"
    code, _, err = run(capsys, gj, "--report", out)
    assert code == 1, err
    text = out.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == len(parcels)
    assert "src='http" not in text and 'src="http' not in text and "<link" not in text
    for word in ("Site A", "PROHIBITED", "禁止", "ILLUSTRATIVE", "审核人"):
        assert word in text
    code, _, err = run(capsys, gj, "--report", out)  # never over an existing report without --force
    assert code == 2 and "exists" in err and out.read_text(encoding="utf-8") == text
    assert run(capsys, gj, "--report", tmp_path / "report.docx")[0] == 2


def test_report_shows_basis_and_layers_not_checked_when_the_report_has_them(parcels, catalog):
    from linfen_geo.reports.siting_report import report_document

    report = check_siting(parcels, catalog=catalog)
    plain = report.to_frame

    def with_basis():
        df = plain()
        df["basis"] = "《生态保护红线管理办法》第十条"
        return df

    report.to_frame = with_basis
    report.not_checked = ["wetlands"]
    doc = report_document(report)
    site = next(s for s in doc.sites if len(s.contacts))
    assert site.contacts["依据 Legal basis"].iloc[0].startswith("《生态保护红线")
    assert doc.not_checked["图层 Layer"].tolist() == ["wetlands"]


def test_rules_preset_and_project_type_reach_the_report(capsys, tmp_path, parcels):
    """``--rules sanqu --project-type transport``: legal bases, the project type and the layers not checked."""
    gj = tmp_path / "s.geojson"
    parcels.to_file(gj, driver="GeoJSON")
    out = tmp_path / "report.html"
    code, _, err = run(capsys, gj, "--rules", "sanqu", "--project-type", "transport", "--report", out)
    assert code == 1, err
    text = out.read_text(encoding="utf-8")
    assert "依据 Legal basis" in text and "自然资发" in text  # the preset rules carry their legal basis
    assert "Layers not checked" in text and "water_sources" in text  # named by the preset, not in the catalog
    assert "项目类型 Project type" in text and "transport" in text
    for bad in (("--rules", "nosuch"), ("--project-type", "nosuch")):
        code, _, err = run(capsys, gj, *bad)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "nosuch" in err
