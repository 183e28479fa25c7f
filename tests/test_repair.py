"""Issue 12, family 2: repair by structure, reported per feature; a site repair may not change its area silently."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from linfen_geo.crs import AREA_CRS
from linfen_geo.errors import InputError, LinfenGeoWarning, SchemaError
from linfen_geo.geometry import make_valid_structure
from linfen_geo.io.sites import read_sites

SQ = [(0, 0), (10, 0), (10, 10), (0, 10)]


@pytest.mark.parametrize(
    ("geom", "area"),
    [
        (Polygon(SQ, [[(12, 0), (16, 0), (16, 4), (12, 4)]]), 100.0),  # hole outside the shell: no extra land
        (Polygon(SQ, [[(8, 2), (14, 2), (14, 4), (8, 4)]]), 96.0),  # hole half outside: only its inside part
        (Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]), 2.0),  # bow-tie: the two triangles it encloses
        (MultiPolygon([Polygon(SQ, [box(2, 2, 8, 8).exterior.coords]), box(4, 4, 6, 6)]), 68.0),  # island kept
        (MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)]), 7.0),  # overlapping parts unioned, not counted twice
        (Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]), 0.0),  # zero area: nothing left
    ],
)
def test_structure_repair_known_answers(geom, area):
    fixed = make_valid_structure(np.array([geom], dtype=object))[0]
    assert fixed.is_valid and fixed.geom_type in ("Polygon", "MultiPolygon")
    assert fixed.area == pytest.approx(area, abs=1e-9)


def _gk(geom):
    """Place a 10 x 10 unit shape as a 1 km x 1 km site near 临汾 (EPSG:4546)."""
    return shapely.affinity.translate(shapely.affinity.scale(geom, 100, 100, origin=(0, 0)), 505_000, 3_995_000)


def test_a_site_with_its_hole_outside_is_refused_unless_asked():
    site = _gk(Polygon(SQ, [[(12, 0), (16, 0), (16, 4), (12, 4)]]))
    with pytest.raises(
        InputError, match=r"site '1' is invalid \(Hole lies outside shell.*repair would change its area by \+19"
    ):
        read_sites(site, crs=4546)
    s = read_sites(site, crs=4546, repair_tolerance=0.2)
    area = float(s.to_crs(AREA_CRS).area.iloc[0])
    assert area == pytest.approx(1e6, rel=1e-3)  # the shell: 1 km2, never 1.16 km2
    (rep,) = s.attrs["repairs"]
    assert rep["area_before_m2"] == pytest.approx(0.84e6, rel=1e-3) and rep["area_after_m2"] == pytest.approx(area)


def test_a_bowtie_site_has_no_drawn_area_and_is_refused():
    with pytest.raises(InputError, match=r"from no area.*repair_tolerance=inf"):
        read_sites(_gk(Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])), crs=4546)


def test_a_tiny_spike_is_repaired_within_tolerance_and_reported():
    spiky = Polygon([(0, 0), (10, 0), (10, 10), (5, 10), (5, 10.0001), (5.0001, 9.9), (5, 10), (0, 10)])
    s = read_sites(_gk(spiky), crs=4546)
    assert s.attrs["repaired"] == 1 and len(s.attrs["repairs"]) == 1
    assert any("by structure" in w for w in s.attrs["warnings"])


def test_cli_refuses_with_one_line_and_accepts_with_the_option(tmp_path, capsys):
    from linfen_geo.cli.app import main

    path = tmp_path / "site.geojson"
    gpd.GeoDataFrame(
        {"site_id": ["H"]}, geometry=[_gk(Polygon(SQ, [[(12, 0), (16, 0), (16, 4), (12, 4)]]))], crs=4546
    ).to_crs(4326).to_file(path)
    assert main(["check-siting", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--repair-tolerance" in err
    assert main(["check-siting", str(path), "--repair-tolerance", "0.2", "--format", "json"]) in (0, 1)
    assert main(["check-siting", str(path), "--repair-tolerance", "nan"]) == 2


def _red(geoms):
    return gpd.GeoDataFrame(
        {"redline_id": [f"R{i}" for i in range(len(geoms))], "name": ["x"] * len(geoms)},
        geometry=[_gk(g) for g in geoms],
        crs=4546,
    )


def test_a_red_line_with_its_hole_outside_keeps_its_area(fresh_catalog, tmp_path):
    path = tmp_path / "red.gpkg"
    _red([Polygon(SQ, [[(12, 0), (16, 0), (16, 4), (12, 4)]]), Polygon(SQ)]).to_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh_catalog.use("redlines", path)
    red = fresh_catalog.load("redlines")
    msgs = [str(w.message) for w in caught if issubclass(w.category, LinfenGeoWarning)]
    assert any("repaired 1 invalid geometry by structure" in m for m in msgs)
    areas = red.to_crs(AREA_CRS).area.to_numpy()
    assert areas[0] == pytest.approx(1e6, rel=1e-3)  # not +0.16 km2 of invented land
    assert red.attrs["repairs"][0]["area_before_m2"] == pytest.approx(0.84e6, rel=1e-3)


def test_a_zero_area_red_line_is_refused_not_emptied(fresh_catalog, tmp_path):
    path = tmp_path / "red.gpkg"
    _red([Polygon([(0, 0), (5, 5), (10, 10), (0, 0)]), Polygon(SQ)]).to_file(path)
    with pytest.raises(SchemaError, match="no area or length left after repair"):
        fresh_catalog.use("redlines", path)
