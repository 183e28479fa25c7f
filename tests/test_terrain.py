"""The one gradient (linfen_geo.terrain.gradient): slope and aspect against the analytic answer.

A tilted plane has one slope and one aspect everywhere; a cone z = h - k r has slope atan(k)
everywhere off its apex and faces away from the apex. Both kernels (central differences, the
default; Horn's, as ``gdaldem slope`` computes it) must reproduce them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from linfen_geo.errors import GeographicCRSError, InputError
from linfen_geo.terrain import GRADIENT_METHODS, aspect_deg, gradient, hillshade, slope_deg

RES = 30.0


def dem(z: np.ndarray, crs: int = 4546) -> xr.DataArray:
    h, w = z.shape
    y = 4_000_000.0 - (np.arange(h) + 0.5) * RES
    x = 500_000.0 + (np.arange(w) + 0.5) * RES
    return xr.DataArray(z, dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(crs)


def plane(a: float, b: float, n: int = 21) -> xr.DataArray:
    """z = a * east + b * north (metres per metre)."""
    east = (np.arange(n) * RES)[None, :]
    north = (np.arange(n)[::-1] * RES)[:, None]
    return dem(1000.0 + a * east + b * north)


def azimuth(dx: np.ndarray, dn: np.ndarray) -> np.ndarray:
    """Compass direction (degrees clockwise from north) of the vector (east, north)."""
    return np.degrees(np.arctan2(dx, dn)) % 360.0


@pytest.mark.parametrize("method", GRADIENT_METHODS)
@pytest.mark.parametrize(("a", "b"), [(0.1, 0.0), (0.0, -0.3), (0.2, 0.2), (-0.5, 0.15)])
def test_plane_slope_and_aspect_are_exact(method, a, b):
    z = plane(a, b)
    s, asp = slope_deg(z, method=method).values, aspect_deg(z, method=method).values
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(s[inner], math.degrees(math.atan(math.hypot(a, b))), atol=1e-9)
    # the slope faces downhill: opposite to the gradient (a, b)
    expected = azimuth(np.array(-a), np.array(-b))
    diff = (asp[inner] - expected + 180) % 360 - 180
    assert np.allclose(diff, 0, atol=1e-9)
    if method == "horn":
        assert np.isnan(s[0]).all() and np.isnan(s[:, -1]).all()  # as gdaldem / xarray-spatial: no edge values
    else:
        assert np.allclose(s, s[10, 10])  # one-sided differences at the edges: exact on a plane


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_cone_matches_the_analytic_slope_and_aspect(method):
    n, k = 201, 0.4  # a cone 6 km across, flanks at atan(0.4) = 21.8 degrees
    c = (n - 1) / 2
    rows, cols = np.mgrid[0:n, 0:n]
    east, north = (cols - c) * RES, (c - rows) * RES
    r = np.hypot(east, north)
    z = dem(2000.0 - k * r)
    s, asp = slope_deg(z, method=method).values, aspect_deg(z, method=method).values
    ring = (r > 10 * RES) & (r < (c - 2) * RES)  # off the apex (a kink) and the edges
    assert np.abs(s[ring] - math.degrees(math.atan(k))).max() < 0.3
    assert np.median(np.abs(s[ring] - math.degrees(math.atan(k)))) < 0.05
    diff = (asp[ring] - azimuth(east, north)[ring] + 180) % 360 - 180  # faces away from the apex
    assert np.abs(diff).max() < 0.5 and np.median(np.abs(diff)) < 0.01  # points away from the apex


def test_kernels_agree_on_smooth_terrain_and_keep_float32():
    rng = np.random.default_rng(0)
    from scipy.ndimage import gaussian_filter

    z = (gaussian_filter(rng.normal(size=(80, 80)), 6) * 3000 + 1200).astype("float32")
    central = gradient(z, np.float32(RES), np.float32(RES))
    horn = gradient(z, np.float32(RES), np.float32(RES), method="horn")
    assert central[0].dtype == np.float32 and horn[1].dtype == np.float32
    inner = (slice(1, -1), slice(1, -1))
    slope_c = np.degrees(np.arctan(np.hypot(*central)))[inner]
    slope_h = np.degrees(np.arctan(np.hypot(*horn)))[inner]
    assert np.abs(slope_c - slope_h).max() < 1.0  # Horn smooths; a few tenths of a degree here


def test_gradient_refuses_unknown_methods_and_geographic_grids():
    with pytest.raises(InputError, match="gradient method"):
        gradient(np.zeros((3, 3)), 1.0, 1.0, method="zevenbergen")
    with pytest.raises(GeographicCRSError):
        slope_deg(dem(np.zeros((3, 3)), crs=4326))


def test_hillshade_is_lit_from_the_northwest():
    z = plane(0.0, -0.3)  # falls northwards: faces north, towards the light (azimuth 315)
    lit = hillshade(z)[10, 10]
    dark = hillshade(plane(0.0, 0.3))[10, 10]  # faces south, away from it
    assert 0 <= dark < lit <= 1
