"""Cost distance, least-cost paths and corridors against networkx shortest paths on small grids."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from linfen_geo.connectivity import (
    barrier_improvement,
    corridor_network,
    cost_allocation,
    cost_distance,
    gravity_model,
    least_cost_path,
    pinch_points,
)
from linfen_geo.errors import GeographicCRSError, InputError


def _graph(res: np.ndarray, cs: float) -> nx.Graph:
    g = nx.Graph()
    ny, nx_ = res.shape
    for r in range(ny):
        for c in range(nx_):
            if not np.isfinite(res[r, c]):
                continue
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < ny and 0 <= cc < nx_ and np.isfinite(res[rr, cc]):
                    d = cs * (np.sqrt(2) if dr and dc else 1.0)
                    g.add_edge((r, c), (rr, cc), weight=(res[r, c] + res[rr, cc]) / 2 * d)
    return g


def _world(seed: int, shape=(12, 14)):
    rng = np.random.default_rng(seed)
    res = rng.lognormal(0, 0.8, shape)
    res[rng.random(shape) < 0.1] = np.nan
    src = np.zeros(shape, dtype=int)
    src[1:3, 1:3] = 1
    src[8:11, 10:13] = 2
    src[1:3, 10:12] = 3
    src[9:11, 1:3] = 4
    res[src > 0] = 1.0
    return res, src


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_distance_and_allocation_match_networkx(seed):
    res, src = _world(seed)
    g = _graph(res, 30.0)
    got = cost_distance(res, src > 0, cellsize=30.0)
    dist = nx.multi_source_dijkstra_path_length(g, [tuple(c) for c in np.argwhere(src > 0)])
    for (r, c), d in dist.items():
        assert got[r, c] == pytest.approx(d, rel=1e-12)
    assert np.all(np.isnan(got[np.isnan(res)]))
    alloc, cwd = cost_allocation(res, src, cellsize=30.0)
    for i in (1, 2, 3, 4):
        di = nx.multi_source_dijkstra_path_length(g, [tuple(c) for c in np.argwhere(src == i)])
        for (r, c), d in di.items():
            assert cwd[i][r, c] == pytest.approx(d, rel=1e-12)
    stack = np.stack([cwd[i] for i in (1, 2, 3, 4)])
    reach = np.isfinite(stack.min(axis=0))
    np.testing.assert_array_equal(alloc[reach], (np.argmin(stack, axis=0) + 1)[reach])


def test_least_cost_path_is_a_shortest_path():
    res, src = _world(3)
    g = _graph(res, 10.0)
    path, cost, length = least_cost_path(res, src == 1, src == 2, cellsize=10.0)
    want = nx.multi_source_dijkstra_path_length(g, [tuple(c) for c in np.argwhere(src == 1)])
    assert cost == pytest.approx(min(want[tuple(c)] for c in np.argwhere(src == 2)), rel=1e-12)
    steps = [g[tuple(a)][tuple(b)]["weight"] for a, b in itertools.pairwise(path)]
    assert sum(steps) == pytest.approx(cost, rel=1e-12)
    assert length >= 10.0 * (len(path) - 1) - 1e-9
    assert src[tuple(path[0])] == 1 and src[tuple(path[-1])] == 2


def test_corridor_network_links_lcd_and_corridors():
    res, src = _world(4)
    g = _graph(res, 30.0)
    net = corridor_network(res, src, width=200.0, cellsize=30.0)
    assert len(net.links) >= 3
    for rec in net.links.itertuples():
        da = nx.multi_source_dijkstra_path_length(g, [tuple(c) for c in np.argwhere(src == rec.a)])
        lcd = min(da[tuple(c)] for c in np.argwhere(src == rec.b) if tuple(c) in da)
        assert rec.lcd == pytest.approx(lcd, rel=1e-12)
        assert rec.cwd_to_path_length == pytest.approx(rec.lcd / rec.path_length)
        assert rec.euclidean > 0 and rec.cwd_to_euclidean == pytest.approx(rec.lcd / rec.euclidean)
        c = net.corridor(rec.a, rec.b)
        assert np.nanmin(c) == pytest.approx(0.0, abs=1e-9)  # the path's cells
        p = net.paths[rec.a, rec.b]
        assert np.allclose(c[p[:, 0], p[:, 1]], 0.0, atol=1e-9)
        assert src[tuple(p[0])] == rec.a and src[tuple(p[-1])] == rec.b
    kept = net.corridors[np.isfinite(net.corridors)]
    assert kept.min() == pytest.approx(0.0, abs=1e-9) and kept.max() <= 200.0
    poly = net.polygons()
    assert len(poly) == int((~net.links["dropped"]).sum()) and poly.geometry.area.gt(0).all()


def test_links_through_a_third_source_are_dropped():
    res = np.ones((5, 15))
    src = np.zeros((5, 15), dtype=int)
    src[:, 0], src[:, 14] = 1, 2
    src[:, 7] = 3  # a wall of habitat between 1 and 2
    net = corridor_network(res, src, width=1.0)
    pairs = set(zip(net.links["a"], net.links["b"], strict=True))
    assert pairs == {(1, 3), (2, 3)}  # 1 and 2 are not adjacent: 3's allocation separates them
    res = np.ones((21, 15))
    res[10, :] = 0.01  # a cheap channel through source 3
    src = np.zeros((21, 15), dtype=int)
    src[:, 0], src[:, 14], src[10, 7] = 1, 2, 3
    net = corridor_network(res, src, width=1.0)
    row = net.links.set_index(["a", "b"])
    assert bool(row.loc[(1, 2), "dropped"]) and row.loc[(1, 2), "through"] == [3]
    assert not row.loc[(1, 3), "dropped"] and not row.loc[(2, 3), "dropped"]
    kept = corridor_network(res, src, width=1.0, drop_through_sources=False).links
    assert not kept["dropped"].any()


def test_pinch_points_barriers_and_gravity():
    res, src = _world(5)
    net = corridor_network(res, src, width=150.0, cellsize=30.0)
    cur = pinch_points(net, neighbours=8)
    inside = np.isfinite(net.corridors)
    assert cur[inside].max() > 0 and np.all(cur[~inside & (src == 0)] == 0)
    best, per = barrier_improvement(net, [30.0, 60.0])
    assert set(per) == {30.0, 60.0} and np.nanmin(per[30.0]) >= 0
    assert np.nanmax(best) >= 0
    grav = gravity_model(net)
    kept = net.links[~net.links["dropped"]]
    assert len(grav) == len(kept)
    a, b = int(grav.loc[0, "a"]), int(grav.loc[0, "b"])
    area = lambda i: (src == i).sum() * 900.0  # noqa: E731
    n = lambda i: np.log(area(i)) / np.nanmean(res[src == i])  # noqa: E731
    d = grav.loc[0, "lcd"] / kept["lcd"].max()
    assert grav.loc[0, "g"] == pytest.approx(n(a) * n(b) / d**2, rel=1e-12)


def test_cost_refuses_bad_input():
    import rioxarray  # noqa: F401
    import xarray as xr

    da = xr.DataArray(np.ones((3, 3)), dims=("y", "x"), coords={"y": [2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5]})
    with pytest.raises(GeographicCRSError):
        cost_distance(da.rio.write_crs("EPSG:4326"), np.eye(3, dtype=bool))
    with pytest.raises(InputError, match="must be > 0"):
        cost_distance(np.zeros((3, 3)), np.eye(3, dtype=bool))
    with pytest.raises(InputError, match="no source cell"):
        cost_distance(np.ones((3, 3)), np.zeros((3, 3), dtype=bool))
