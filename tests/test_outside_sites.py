"""Issue 12, family 1: a site outside the study area is never "clear": verdict ``outside``, CLI exit 2."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from linfen_geo.analysis.siting import check_siting
from linfen_geo.cli.app import main

X0, Y0 = 505_000.0, 3_995_000.0  # near 临汾 city in EPSG:4546


@pytest.fixture
def red():
    return gpd.GeoSeries([box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)], crs=4546)


def test_sites_elsewhere_get_the_verdict_outside(red, catalog):
    sites = [box(X0, Y0, X0 + 200, Y0 + 200), box(X0 + 400_000, Y0, X0 + 400_200, Y0 + 200)]  # 400 km east
    r = check_siting(sites, crs=4546, layers={"redlines": red}, catalog=catalog)
    assert r.verdicts.tolist() == ["clear", "outside"]
    assert r.has_outside and r.outside_sites == ["2"]
    summ = r.summary()
    assert summ["verdict_zh"].tolist()[1] == "研究区外"
    assert "outside Linfen" in r.notes[0] and "km east" in r.notes[0]
    text = r.to_text()
    assert "[研究区外 OUTSIDE] site 2" in text
    assert json.loads(r.to_json())["sites"][1]["verdict"] == "outside"


def _write_sites(path, crs, dx=0.0):
    gpd.GeoDataFrame(
        {"site_id": ["A", "B"], "name": ["甲", "乙"]},
        geometry=[box(X0 + dx, Y0, X0 + dx + 300, Y0 + 300), box(X0 + dx + 1000, Y0, X0 + dx + 1300, Y0 + 300)],
        crs=crs,
    ).to_file(path)


@pytest.mark.parametrize(
    ("case", "fix"),
    [("neighbouring_zone", "EPSG:4546"), ("project_elsewhere", "check the coordinates")],
)
def test_cli_exits_2_with_one_line_naming_the_sites_and_the_fix(tmp_path, capsys, case, fix):
    path = tmp_path / "sites.gpkg"
    if case == "neighbouring_zone":
        _write_sites(path, 4547)  # coordinates of 4546 labelled with the zone east of it
    else:
        gpd.GeoDataFrame({"site_id": ["A"]}, geometry=[box(116.3, 39.9, 116.31, 39.91)], crs=4326).to_file(path)
    out = tmp_path / "result.json"
    rc = main(["check-siting", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "outside Linfen (A" in lines[0] and fix in lines[0]
    assert not out.exists()  # nothing written on a refusal


def test_cli_wrong_crs_option_on_a_file_without_one(tmp_path, capsys):
    path = tmp_path / "sites.csv"
    path.write_text("site_id,x,y\nS1,505000,3995000\nS2,506000,3995500\n", encoding="utf-8")
    rc = main(["check-siting", str(path), "--crs", "4547"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "S1, S2" in err and "EPSG:4546" in err


def test_jzd_with_the_wrong_zone_number(tmp_path, capsys):
    """A 界址点 file whose 带号 (and easting prefix) says 38 while the parcel lies in zone 37."""
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "examples" / "sites_three_projects.txt").read_bytes()
    text = re.sub(r",37(\d{6}\.)", r",38\1", src.decode("gb18030").replace("带号=37", "带号=38"))
    path = tmp_path / "wrong_zone.txt"
    path.write_bytes(text.encode("gb18030"))
    rc = main(["check-siting", str(path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "outside Linfen" in err and "zone 37 (CM 111E)" in err


def test_sites_just_past_the_edge_are_not_said_to_be_0_km_away(catalog):
    """Outside sites whose extent meets Linfen (around its edge) get a clause that says so, not '0 km  of'."""
    from linfen_geo.analysis.siting.api import outside_study_area
    from linfen_geo.io.sites import read_sites

    area = catalog.study_area()
    c = shapely.centroid(area)
    ring = shapely.get_coordinates(shapely.boundary(area))
    far = ring[np.argmax(np.hypot(*(ring - ring[0]).T))]  # two points of the outline on opposite sides
    outs = [shapely.Point(e + (e - (c.x, c.y)) * 0.02).buffer(0.001) for e in (ring[0], far)]
    sites = read_sites([c.buffer(0.001), *outs], crs=4326)
    mask, hint = outside_study_area(sites, area)
    assert mask.tolist() == [False, True, True]  # the two outside sites' extent spans Linfen
    assert "0 km" not in hint and hint.startswith("lie beyond the outline of Linfen") and "the CRS fits" in hint
