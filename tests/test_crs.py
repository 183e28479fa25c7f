import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, box

import linfen_geo as lg
from linfen_geo.crs import area_m2, buffer_m, crs_label, ensure_same_crs, length_m, require_projected


@pytest.mark.parametrize("func", [area_m2, length_m, lambda g: buffer_m(g, 10)])
def test_metric_operations_refuse_degrees(func):
    g = gpd.GeoSeries([box(111, 36, 111.1, 36.1)], crs=4326)
    with pytest.raises(lg.GeographicCRSError) as err:
        func(g)
    msg = str(err.value)
    assert "EPSG:4326" in msg
    assert "degrees" in msg
    assert "to_crs" in msg  # names the fix


def test_missing_crs_is_an_error():
    with pytest.raises(lg.CRSError, match="no CRS"):
        area_m2(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_known_areas_and_lengths(squares_gk):
    assert area_m2(squares_gk).to_numpy() == pytest.approx([1e6, 1e6], rel=1e-4)  # ellipsoidal: GK k~1 at the CM
    assert length_m(gpd.GeoSeries([LineString([(0, 0), (3, 4)])], crs=4546)).iloc[0] == 5.0
    buf = buffer_m(gpd.GeoSeries([Point(500_000, 4_000_000)], crs=4546), 1000)
    assert buf.area.iloc[0] == pytest.approx(np.pi * 1e6, rel=2e-3)  # a 64-gon


def test_mismatched_crs_raises_unless_asked(squares_gk):
    other = squares_gk.to_crs(4326)
    with pytest.raises(lg.CRSMismatchError, match="reproject=True"):
        ensure_same_crs(squares_gk, other)
    a, b = ensure_same_crs(squares_gk, other, reproject=True)
    assert b.crs == a.crs
    assert b.geometry.iloc[0].symmetric_difference(a.geometry.iloc[0]).area < 1e-3


def test_area_crs_matches_geodesic_area():
    """The equal-area CRS reproduces ellipsoidal (geodesic) areas; GK does not."""
    geod = Geod(ellps="GRS80")
    cells = gpd.GeoSeries(
        [box(x, y, x + 0.25, y + 0.25) for x in np.arange(110, 113, 0.5) for y in np.arange(35, 37, 0.5)], crs=4326
    )
    geodesic = np.array([abs(geod.geometry_area_perimeter(c.segmentize(0.01))[0]) for c in cells])
    albers = area_m2(lg.to_area_crs(cells.segmentize(0.01))).to_numpy()
    gk_planar = cells.segmentize(0.01).to_crs(lg.WORK_CRS).area.to_numpy()
    np.testing.assert_allclose(albers, geodesic, rtol=1e-6)
    assert np.max(np.abs(gk_planar / geodesic - 1)) > 1e-4  # GK scale error is real at the zone edge
    # area_m2 never returns a planar area of a non-equal-area CRS: GK and Web Mercator give true areas
    for crs in (lg.WORK_CRS, 3857, 32649):
        np.testing.assert_allclose(area_m2(cells.to_crs(crs)).to_numpy(), geodesic, rtol=1e-5)


def test_require_projected_returns_crs():
    crs = require_projected(gpd.GeoSeries([Point(0, 0)], crs=4546))
    assert crs.to_epsg() == 4546


def test_crs_labels():
    assert crs_label(4546) == "EPSG:4546"
    assert crs_label(lg.AREA_CRS) == lg.AREA_CRS_NAME
    with pytest.raises(lg.CRSError, match="unknown CRS"):
        crs_label("EPSG:999999")
