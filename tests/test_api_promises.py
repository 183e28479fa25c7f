"""Issue 12, family 8: the API keeps its promises (true areas, CRSMismatchError, no silent "clear")."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import box

import linfen_geo as lg
from linfen_geo.analysis.siting import check_siting
from linfen_geo.errors import CRSMismatchError, InputError


def test_area_m2_in_web_mercator_is_the_true_area():
    sq = gpd.GeoSeries([box(111.5, 36.0, 111.6, 36.1)], crs=4326).segmentize(0.001)
    geodesic = abs(Geod(ellps="GRS80").geometry_area_perimeter(sq.iloc[0])[0])
    merc = sq.to_crs(3857)
    assert merc.area.iloc[0] / geodesic > 1.5  # what a planar area would say
    assert float(lg.area_m2(merc).iloc[0]) == pytest.approx(geodesic, rel=1e-6)


@pytest.fixture
def two_crs(squares_gk):
    return squares_gk, squares_gk.to_crs(4326)


def test_coverage_refuses_mismatched_crs_unless_asked(two_crs):
    a, b = two_crs
    zones = b.assign(zone_id=["z1", "z2"])
    with pytest.raises(CRSMismatchError, match="reproject=True"):
        lg.coverage(a, zones, zone_id="zone_id")
    t = lg.coverage(a, zones, zone_id="zone_id", reproject=True)
    assert t["covered_m2"].sum() == pytest.approx(2e6, rel=1e-3)  # each zone wholly covered by the union


def test_redline_change_refuses_mismatched_crs(two_crs, catalog):
    a, b = two_crs
    with pytest.raises(CRSMismatchError):
        lg.redline_change(a, b.iloc[:1], catalog=catalog)
    table, _ = lg.redline_change(a, b.iloc[:1], catalog=catalog, reproject=True)
    assert table["net_m2"].iloc[-1] == pytest.approx(-0.75e6, rel=1e-3)


def test_an_empty_layer_is_not_a_clear_verdict(catalog):
    empty = gpd.GeoDataFrame(geometry=[], crs=4546)
    with pytest.raises(InputError, match="has no features"):
        check_siting(box(505000, 3995000, 505100, 3995100), crs=4546, layers={"redlines": empty}, catalog=catalog)


def test_gcj02_on_a_wgs84_labelled_file_is_noted(tmp_path, catalog):
    path = tmp_path / "s.geojson"
    gpd.GeoDataFrame({"site_id": ["A"]}, geometry=[box(111.5, 36.05, 111.501, 36.051)], crs=4326).to_file(path)
    red = gpd.GeoSeries([box(505000, 3990000, 506000, 3991000)], crs=4546)
    r = check_siting(str(path), crs="gcj02", layers={"redlines": red}, catalog=catalog)
    assert any("read as GCJ02 and shifted" in n for n in r.notes)
